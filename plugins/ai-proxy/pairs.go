package main

import (
	"encoding/binary"
	"unsafe"
)

// parsePairs reads the ABI's serialized header map — a count, then the length of each
// name and value, then each name and value followed by a NUL — without copying; nil
// when b is malformed.
func parsePairs(b []byte) [][2]string {
	if len(b) < 4 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > (len(b)-4)/8 {
		return nil
	}
	out := make([][2]string, n)
	sizes, data := b[4:4+8*n], b[4+8*n:]
	for i := range out {
		kl := int(binary.LittleEndian.Uint32(sizes[8*i:]))
		vl := int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		if kl < 0 || vl < 0 || kl+vl+2 > len(data) || kl+vl+2 < 0 {
			return nil
		}
		out[i][0] = view(data[:kl])
		out[i][1] = view(data[kl+1 : kl+1+vl])
		data = data[kl+vl+2:]
	}
	return out
}

func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
