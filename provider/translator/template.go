package translator

import "unsafe"

// Template recognizes a stream event that repeats the previous one except for one
// string value, such as the text of a delta: upstreams send runs of events whose id,
// model, index and type bytes are the same each time. Matching costs two comparisons
// of memory and a check of the new string, where a Scan walks every member (which is
// dear in wasm). A match is valid JSON with the same members as the remembered event,
// so a converter may reuse what it concluded from that event and only take the new
// string.
//
//	if text, ok := t.tmpl.Match(event); ok { /* as the last event, with text */ }
//	... scan the event; if it fits: t.tmpl.Set(event, textValue) else t.tmpl.Reset()
type Template struct {
	pre, suf []byte
	ok       bool
}

// Set remembers event as a template whose variable part is value, a string value
// that a Scan of event returned (it must be a substring of event, not a copy).
func (t *Template) Set(event, value string) {
	t.ok = false
	if len(value) < 2 || value[0] != '"' || len(event) == 0 {
		return
	}
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(value))) - uintptr(unsafe.Pointer(unsafe.StringData(event))))
	if off < 0 || off > len(event)-len(value) {
		return // not a view into event
	}
	t.pre = append(t.pre[:0], event[:off]...)
	t.suf = append(t.suf[:0], event[off+len(value):]...)
	t.ok = true
}

// Reset forgets the template.
func (t *Template) Reset() { t.ok = false }

// Match reports whether event is the template with another JSON string (valid, raw)
// in place of its variable part, and returns that string.
func (t *Template) Match(event string) (value string, ok bool) {
	if !t.ok || len(event) < len(t.pre)+len(t.suf)+2 {
		return "", false
	}
	end := len(event) - len(t.suf)
	if !Equal(event[:len(t.pre)], View(t.pre)) || !Equal(event[end:], View(t.suf)) {
		return "", false
	}
	value = event[len(t.pre):end]
	if value[0] != '"' {
		return "", false
	}
	if j := plainEnd(value, 1); j != len(value)-1 || value[j] != '"' {
		if j, _, ok = skipString(value, j); !ok || j != len(value) {
			return "", false
		}
	}
	return value, true
}

// Equal reports whether a and b are the same bytes. It compares 8 bytes at a time,
// where == on strings compares one byte at a time in wasm (runtime.memequal).
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for ; len(a)-i >= 8; i += 8 {
		if load8(a, i) != load8(b, i) {
			return false
		}
	}
	for ; i < len(a); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
