package translator

import "unsafe"

// View returns b as a string without copying, for reading a body with Scan or gjson.
// b must not change while the string is in use.
func View(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
