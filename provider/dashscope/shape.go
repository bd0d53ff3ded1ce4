package dashscope

import (
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
	ok       bool
	pre      []byte // the event before its content string
	tail     []byte // the event after its content string
	usage    bool   // the event has a usage object (after the content) ...
	uAt, uTo int    // ... at tail[uAt:uTo]
	out      []byte // the whole converted chunk event, content included
	outPre   int    // where the content starts in out
	outLen   int    // the content's length in out
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
		s.uAt, s.uTo = u-end, u-end+len(usage)
	}
	s.tail = append(s.tail[:0], event[end:]...)
	s.out = append(append(append(s.out[:0], head...), choices...), "]}\n\n"...)
	s.outPre, s.outLen = len(head)+outAt, len(content)
	s.ok = true
}

// match reports whether event is the remembered one but for a non-empty canonical
// content string and the numbers in the usage object, and returns them. The usage
// object has the remembered one's structure, so it ends where the walk would find
// its end; other usage objects are left to the walk.
func (s *shape) match(event string) (content, usage string, ok bool) {
	if !s.ok || len(event) < len(s.pre)+len(s.tail)+2 || !translator.Equal(event[:len(s.pre)], translator.View(s.pre)) {
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
	rest, tail := event[e:], translator.View(s.tail)
	if !s.usage {
		return content, "", translator.Equal(rest, tail)
	}
	if len(rest) < s.uAt || !translator.Equal(rest[:s.uAt], tail[:s.uAt]) {
		return "", "", false
	}
	u := numbersVary(rest, tail[:s.uTo], s.uAt)
	if u < 0 || !translator.Equal(rest[u:], tail[s.uTo:]) {
		return "", "", false
	}
	return content, rest[s.uAt:u], true
}

// numbersVary compares a[i:] with b[i:] to the end of b, where runs of decimal digits
// may differ (token counts), and returns where the end of b falls in a, or -1. Equal
// bytes are compared 8 at a time; the object's structure (quotes, escapes, brackets)
// is compared exactly.
func numbersVary(a, b string, i int) int {
	j := i
	for j < len(b) {
		for len(b)-j >= 8 && len(a)-i >= 8 && word(a, i) == word(b, j) {
			i, j = i+8, j+8
		}
		if j >= len(b) {
			break
		}
		if i >= len(a) {
			return -1
		}
		if a[i] == b[j] {
			i, j = i+1, j+1
			continue
		}
		if !isDigit(a[i]) && !isDigit(b[j]) {
			return -1
		}
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return i
}

func isDigit(c byte) bool { return c-'0' <= 9 }

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
