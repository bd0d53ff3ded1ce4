package dashscope

import (
	"math/bits"
	"unsafe"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// shape is the last stream event converted the common way: one choice whose delta is
// just its content, a string copied as it is. Most events of a stream repeat it byte
// for byte but for that string and the usage object (DashScope repeats output,
// usage and request_id in every event); such an event converts to the same chunk with
// the new string, found with a few memory compares instead of a walk of the event,
// which is dear in wasm. A match is an event of the same structure, so it yields what
// the walk would.
type shape struct {
	ok            bool
	pre, mid, suf []byte // the event around its content string and its usage object
	usage         bool   // the event has a usage object (after the content)
	out           []byte // the whole converted chunk event, content included
	outPre        int    // where the content starts in out
	outLen        int    // the content's length in out
}

// set remembers event, whose content literal content (a view into event) was copied
// to choices at outAt, and whose usage object (a view, or "") follows the content.
// head is the chunk's start (the same for the whole stream), kept with the choices so
// that a match is written with three appends.
func (s *shape) set(event, content, usage string, head, choices []byte, outAt int) {
	s.ok = false
	c, ok := offset(event, content)
	if !ok {
		return
	}
	end := c + len(content)
	s.pre = append(s.pre[:0], event[:c]...)
	s.usage = usage != ""
	if s.usage {
		u, ok := offset(event, usage)
		if !ok || u < end {
			return
		}
		s.mid = append(s.mid[:0], event[end:u]...)
		end = u + len(usage)
	}
	s.suf = append(s.suf[:0], event[end:]...)
	s.out = append(append(append(s.out[:0], head...), choices...), "]}\n\n"...)
	s.outPre, s.outLen = len(head)+outAt, len(content)
	s.ok = true
}

// match reports whether event is the remembered one but for a non-empty canonical
// content string and the usage object, and returns them.
func (s *shape) match(event string) (content, usage string, ok bool) {
	if !s.ok || len(event) < len(s.pre)+len(s.mid)+len(s.suf)+2 || !translator.Equal(event[:len(s.pre)], view(s.pre)) {
		return "", "", false
	}
	i := len(s.pre)
	if event[i] != '"' {
		return "", "", false
	}
	e, canon := scanString(event, i)
	if e < 0 || !canon || e-i == 2 { // an empty content converts to no chunk at all
		return "", "", false
	}
	content = event[i:e]
	if s.usage {
		if len(event)-e < len(s.mid) || !translator.Equal(event[e:e+len(s.mid)], view(s.mid)) {
			return "", "", false
		}
		u := e + len(s.mid)
		if u >= len(event) || event[u] != '{' {
			return "", "", false
		}
		if e = flatEnd(event, u); e < 0 {
			return "", "", false
		}
		usage = event[u:e]
	}
	if !translator.Equal(event[e:], view(s.suf)) {
		return "", "", false
	}
	return content, usage, true
}

// appendChunk appends the remembered chunk event with content in place of its own.
func (s *shape) appendChunk(dst []byte, content string) []byte {
	dst = append(dst, s.out[:s.outPre]...)
	dst = append(dst, content...)
	return append(dst, s.out[s.outPre+s.outLen:]...)
}

// offset returns where part, a view into s, starts in s.
func offset(s, part string) (int, bool) {
	if len(part) == 0 || len(s) == 0 {
		return 0, false
	}
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(part))) - uintptr(unsafe.Pointer(unsafe.StringData(s))))
	return off, off >= 0 && off <= len(s)-len(part)
}

// flatEnd returns valueEnd(s, i) for the object at s[i]. An object without nested
// values or escapes, such as a usage object, is read in one pass 8 bytes at a time,
// with no call per member.
func flatEnd(s string, i int) int {
	in := false // inside a string
	for j := i + 1; j < len(s); j++ {
		if len(s)-j >= 8 {
			w := word(s, j)
			l := w | ones*0x20 // '[' and ']' become '{' and '}'
			m := bytesEqual(w, '"') | bytesEqual(w, '\\') | bytesEqual(l, '{') | bytesEqual(l, '}')
			if m == 0 {
				j += 7
				continue
			}
			j += bits.TrailingZeros64(m) >> 3
		}
		switch c := s[j]; {
		case c == '"':
			in = !in
		case in && c != '\\':
		case c == '}':
			return j + 1
		case c == '\\' || c == '{' || c == '[' || c == ']':
			return valueEnd(s, i)
		}
	}
	return -1
}
