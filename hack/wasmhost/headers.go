package wasmhost

import (
	"encoding/binary"
	"strings"
)

// Headers is an ordered header (or trailer) map as proxy-wasm sees it: lower-case keys,
// pseudo-headers (":method", ":path", ":authority", ":scheme", ":status") included, a key
// may repeat.
type Headers [][2]string

// Get returns the values of key joined with "," (as Envoy does for a repeated header) and
// whether key is present. The match ignores case.
func (h Headers) Get(key string) (string, bool) {
	var out string
	found := false
	for _, kv := range h {
		if strings.EqualFold(kv[0], key) {
			if found {
				out += "," + kv[1]
			} else {
				out = kv[1]
			}
			found = true
		}
	}
	return out, found
}

// Value returns Get's value, "" when key is absent.
func (h Headers) Value(key string) string {
	v, _ := h.Get(key)
	return v
}

// Clone returns a copy that shares nothing with h.
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	out := make(Headers, len(h))
	copy(out, h)
	return out
}

func (h Headers) lowered() Headers {
	out := make(Headers, len(h))
	for i, kv := range h {
		out[i] = [2]string{strings.ToLower(kv[0]), kv[1]}
	}
	return out
}

// set replaces the first value of key and removes the others, or appends it.
func (h Headers) set(key, value string) Headers {
	key = strings.ToLower(key)
	idx := -1
	out := h[:0]
	for _, kv := range h {
		if kv[0] == key {
			if idx >= 0 {
				continue
			}
			idx = len(out)
			kv[1] = value
		}
		out = append(out, kv)
	}
	if idx < 0 {
		out = append(out, [2]string{key, value})
	}
	return out
}

func (h Headers) remove(key string) Headers {
	key = strings.ToLower(key)
	out := h[:0]
	for _, kv := range h {
		if kv[0] != key {
			out = append(out, kv)
		}
	}
	return out
}

// serialize encodes h in the proxy-wasm map wire format: count, (key size, value size)
// pairs, then each key and value NUL-terminated; all integers little-endian uint32.
func (h Headers) serialize(dst []byte) []byte {
	size := 4
	for _, kv := range h {
		size += 8 + len(kv[0]) + len(kv[1]) + 2
	}
	if cap(dst) < size {
		dst = make([]byte, size)
	}
	dst = dst[:size]
	binary.LittleEndian.PutUint32(dst, uint32(len(h)))
	p := 4
	for _, kv := range h {
		binary.LittleEndian.PutUint32(dst[p:], uint32(len(kv[0])))
		binary.LittleEndian.PutUint32(dst[p+4:], uint32(len(kv[1])))
		p += 8
	}
	for _, kv := range h {
		p += copy(dst[p:], kv[0])
		dst[p] = 0
		p++
		p += copy(dst[p:], kv[1])
		dst[p] = 0
		p++
	}
	return dst
}

// deserializeHeaders decodes the map wire format; ok is false if b is malformed.
func deserializeHeaders(b []byte) (Headers, bool) {
	if len(b) < 4 {
		return nil, len(b) == 0
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < 0 || 4+8*n > len(b) {
		return nil, false
	}
	out := make(Headers, 0, n)
	sizes := 4
	data := 4 + 8*n
	for i := 0; i < n; i++ {
		ks := int(binary.LittleEndian.Uint32(b[sizes:]))
		vs := int(binary.LittleEndian.Uint32(b[sizes+4:]))
		sizes += 8
		if ks < 0 || vs < 0 || data+ks+1+vs+1 > len(b) {
			return nil, false
		}
		k := string(b[data : data+ks])
		data += ks + 1
		v := string(b[data : data+vs])
		data += vs + 1
		out = append(out, [2]string{k, v})
	}
	return out, true
}
