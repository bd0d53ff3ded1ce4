package translator

import (
	"unicode/utf8"
	"unsafe"
)

// Shape is the last stream event a converter converted the common way (one text in,
// one chunk out) and the chunk it wrote. Upstreams send runs of events that repeat
// that event byte for byte but for the text and, in some protocols, the token counts
// of a usage object; such an event converts to the remembered chunk with the new
// text. Matching costs a few memory compares, where a walk reads every member and
// stores views of them, which is dear in wasm. A match has the remembered event's
// structure, so it converts as that event did: the converter only reads the usage
// again, from the varying part Match returns.
//
//	if text, usage, ok := t.shape.Match(event); ok {
//		/* read usage, if it is not "" */
//		return t.shape.Append(dst, text)
//	}
//	t.shape.Reset()
//	start := len(dst)
//	... convert event; when the chunk depends on the event's bytes alone (no
//	first-chunk role, no open block) and the text was copied into it as it is:
//	t.shape.Set(event, text, usage, dst[start:], textAt-start)
//
// Only texts that every converter writes as they are match: a non-empty JSON string
// whose escapes are \" \\ \n \r \t and whose other bytes need none (valid UTF-8, no
// control character, no U+2028/U+2029). Others are left to the walk, unless the
// converter sets Verbatim.
type Shape struct {
	// Verbatim says the converter copies every text as it is, escapes included
	// (Gemini, Hunyuan): then a text with any escapes matches (Google's JSON writes
	// < > & = as \u003c ...), not only one written as AppendString writes it.
	Verbatim bool

	Off  bool // tests: never match, so that every event is walked
	Hits int  // events matched, for tests

	ok            bool
	pre, tail     []byte // the event before and after its text
	vary          bool   // the event has a part whose digits vary (after the text) ...
	vAt, vTo      int    // ... at tail[vAt:vTo]
	out           []byte // the chunk the event converted to, text included
	outAt, outLen int    // where the text is in out
}

// Set remembers event, converted to out with its text (a JSON string value that is a
// view into event) copied as it is at out[outAt:]. usage is "" or a view into event
// after the text whose digits may vary from event to event (token counts). When the
// arguments do not fit (a copy instead of a view, a text written otherwise) the shape
// is forgotten.
func (s *Shape) Set(event, text, usage string, out []byte, outAt int) {
	s.ok = false
	c, ok := offset(event, text)
	if end := canonEnd(text, 0); end < 0 && s.Verbatim {
		ok = ok && anyStringEnd(text, 0) == len(text)
	} else {
		ok = ok && end == len(text)
	}
	if !ok || len(text) < 3 ||
		outAt < 0 || outAt > len(out)-len(text) || !Equal(View(out[outAt:outAt+len(text)]), text) {
		return
	}
	end := c + len(text)
	s.vary = usage != ""
	if s.vary {
		u, ok := offset(event, usage)
		if !ok || u < end {
			return
		}
		s.vAt, s.vTo = u-end, u-end+len(usage)
	}
	s.pre = append(s.pre[:0], event[:c]...)
	s.tail = append(s.tail[:0], event[end:]...)
	s.out = append(s.out[:0], out...)
	s.outAt, s.outLen = outAt, len(text)
	s.ok = true
}

// Reset forgets the shape.
func (s *Shape) Reset() { s.ok = false }

// Match reports whether event is the remembered one but for its text and the digits
// of its usage part, and returns them (usage is "" when the remembered event had
// none).
func (s *Shape) Match(event string) (text, usage string, ok bool) {
	if !s.ok || s.Off || len(event) < len(s.pre)+len(s.tail)+3 || !Equal(event[:len(s.pre)], View(s.pre)) {
		return "", "", false
	}
	i := len(s.pre)
	e := canonEnd(event, i)
	if e < 0 && s.Verbatim && event[i] == '"' {
		e = anyStringEnd(event, i)
	}
	if e < 0 || e-i < 3 {
		return "", "", false
	}
	text = event[i:e]
	rest, tail := event[e:], View(s.tail)
	if !s.vary {
		if !Equal(rest, tail) {
			return "", "", false
		}
		s.Hits++
		return text, "", true
	}
	if len(rest) < s.vAt || !Equal(rest[:s.vAt], tail[:s.vAt]) {
		return "", "", false
	}
	u := numbersVary(rest, tail[:s.vTo], s.vAt)
	if u < 0 || !Equal(rest[u:], tail[s.vTo:]) {
		return "", "", false
	}
	s.Hits++
	return text, rest[s.vAt:u], true
}

// Append appends the remembered chunk with text in place of its own.
func (s *Shape) Append(dst []byte, text string) []byte {
	dst = append(dst, s.out[:s.outAt]...)
	dst = append(dst, text...)
	return append(dst, s.out[s.outAt+s.outLen:]...)
}

// canonEnd returns the end of the JSON string starting at s[i] when it is written
// as AppendString writes its text (see Shape), else -1.
func canonEnd(s string, i int) int {
	if i >= len(s) || s[i] != '"' {
		return -1
	}
	for j := i + 1; ; {
		for ; len(s)-j >= 8; j += 8 {
			if w := load8(s, j); (special8(w) | w&highs) != 0 {
				break
			}
		}
		for j < len(s) && s[j] >= ' ' && s[j] < utf8.RuneSelf && s[j] != '"' && s[j] != '\\' {
			j++
		}
		if j >= len(s) {
			return -1
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1
		case c == '\\':
			if j+1 >= len(s) {
				return -1
			}
			switch s[j+1] {
			case '"', '\\', 'n', 'r', 't':
			default:
				return -1
			}
			j += 2
		case c < utf8.RuneSelf: // a control character
			return -1
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return -1
			}
			j += size
		}
	}
}

// anyStringEnd returns the end of the valid JSON string starting at s[i] (a quote),
// else -1.
func anyStringEnd(s string, i int) int {
	if e, _, ok := skipString(s, i+1); ok {
		return e
	}
	return -1
}

// numbersVary compares a[i:] with b[i:] to the end of b, where runs of decimal digits
// may differ (token counts), and returns where the end of b falls in a, or -1. The
// rest (quotes, escapes, brackets) must be the same and a run may not vanish or appear,
// so a is valid JSON where b is; a run with a leading zero is refused.
func numbersVary(a, b string, i int) int {
	j := i
	for j < len(b) {
		for len(b)-j >= 8 && len(a)-i >= 8 && load8(a, i) == load8(b, j) {
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
		// Back to the start of the run (the same bytes in both so far), then past it.
		for i > 0 && j > 0 && isDigit(a[i-1]) {
			i, j = i-1, j-1
		}
		start, startB := i, j
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if i == start || j == startB || a[start] == '0' && i-start > 1 {
			return -1 // no number, or a leading zero (also in a fraction: left to the walk)
		}
	}
	return i
}

func isDigit(c byte) bool { return c-'0' <= 9 }

// offset returns where part, a view into s, starts in s.
func offset(s, part string) (int, bool) {
	if len(part) == 0 || len(s) == 0 {
		return 0, false
	}
	off := int(uintptr(unsafe.Pointer(unsafe.StringData(part))) - uintptr(unsafe.Pointer(unsafe.StringData(s))))
	return off, off >= 0 && off <= len(s)-len(part) && Equal(s[off:off+len(part)], part)
}

// FlatInts reads a flat JSON object of integer members, such as the usage part a
// Shape match returns: vals[i] gets the value of keys[i] when the object has it
// (the last one), and found says which were set, as bits. It reports false, having
// read nothing that counts, for any other object (nested values, non-integers,
// escapes in keys): the caller then reads it the general way. It is the walk a
// usage reader does per stream event, without the generality of a Scan.
func FlatInts(obj string, keys []string, vals []int64) (found uint64, ok bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return 0, false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return 0, skipSpace(obj, i+1) == len(obj)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return 0, false
		}
		j := i + 1
		for j < len(obj) && obj[j] != '"' && obj[j] >= ' ' && obj[j] < utf8.RuneSelf && obj[j] != '\\' {
			j++ // keys are plain ASCII; others are left to the caller
		}
		if j >= len(obj) || obj[j] != '"' {
			return 0, false
		}
		key := obj[i+1 : j]
		i = skipSpace(obj, j+1)
		if i >= len(obj) || obj[i] != ':' {
			return 0, false
		}
		i = skipSpace(obj, i+1)
		e := i
		for e < len(obj) && (isDigit(obj[e]) || obj[e] == '-') {
			e++
		}
		n, isInt := Int(obj[i:e])
		d := i
		if d < e && obj[d] == '-' {
			d++
		}
		if !isInt || e-d > 1 && obj[d] == '0' { // a leading zero is not JSON
			return 0, false
		}
		for k, want := range keys {
			if key == want {
				vals[k], found = n, found|1<<k
			}
		}
		i = skipSpace(obj, e)
		if i >= len(obj) {
			return 0, false
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return found, skipSpace(obj, i+1) == len(obj)
		default:
			return 0, false
		}
	}
}
