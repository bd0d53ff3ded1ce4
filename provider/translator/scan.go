package translator

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Scan reads the members of one JSON object (or the elements of one array) in a single
// pass, for converters that pick a few fields per event: every Next yields one key and
// the value is at hand as raw text, and the syntax is checked on the way with the rules
// of gjson.Valid, so a caller that reads to the end needs no separate validation pass.
// Nothing is allocated (except Key for a key holding escapes). Values stay raw JSON:
// a string value is copied to JSON output as it is, escapes included.
//
//	s := translator.NewScan(event)
//	for s.Next() {
//		switch s.Key() {
//		case "type":
//			typ = s.Value()
//		case "delta": // read in place, not scanned twice
//			d := s.Enter()
//			for d.Next() { ... }
//			s.Leave(&d)
//		}
//	}
//	if !s.Valid() { /* malformed: report it, keep the output well-formed */ }
//
// Only Valid after the last Next says the whole text was valid; a Value returned
// before is well-formed JSON text ("" if it is not).
type Scan struct {
	src     string
	pos     int  // next byte to read
	from    int  // for a Scan from Enter: where its container's members start
	end     byte // '}' or ']' closing the container; 0 once the scan is over
	nested  bool // from Enter: the closing bracket ends the scan
	started bool // a member was read (a ',' comes next)
	pending bool // the current value starts at pos and is not skipped yet
	bad     bool
	keyEsc  bool
	key     string // raw key, quotes excluded
	vstart  int    // start of the current value
}

// NewScan starts a scan of src. For a JSON text that is no object or array, Next
// yields nothing and Valid reports whether it is a valid JSON value.
func NewScan(src string) Scan {
	s := Scan{src: src}
	i := skipSpace(src, 0)
	switch {
	case i == len(src):
		s.bad = true
	case src[i] == '{':
		s.end, s.pos = '}', i+1
	case src[i] == '[':
		s.end, s.pos = ']', i+1
	default:
		j, ok := skipValue(src, i)
		s.bad = !ok || skipSpace(src, j) != len(src)
	}
	return s
}

// Next moves to the next member (element) and reports whether there is one. It
// returns false at the end of the container and at the first syntax error.
func (s *Scan) Next() bool {
	if s.end == 0 || s.pending && !s.skip() {
		return false
	}
	src := s.src
	i := skipSpace(src, s.pos)
	if i < len(src) && src[i] == s.end {
		return s.finish(i + 1)
	}
	if s.started {
		if i == len(src) || src[i] != ',' {
			return s.fail()
		}
		i = skipSpace(src, i+1)
	}
	s.started = true
	if s.end == '}' {
		if i == len(src) || src[i] != '"' {
			return s.fail()
		}
		// Keys are short and plain: find the closing quote here, and leave escapes to
		// skipString.
		j := i + 1
		for j < len(src) && src[j] != '"' && src[j] != '\\' && src[j] >= ' ' {
			j++
		}
		esc := false
		if j < len(src) && src[j] == '"' {
			j++
		} else {
			ok := false
			if j, esc, ok = skipString(src, i+1); !ok {
				return s.fail()
			}
		}
		s.key, s.keyEsc = src[i+1:j-1], esc
		i = skipSpace(src, j)
		if i == len(src) || src[i] != ':' {
			return s.fail()
		}
		i = skipSpace(src, i+1)
	}
	s.vstart, s.pos = i, i
	if i == len(src) {
		return s.fail()
	}
	// Scalars are skipped here (calls are dear in wasm); objects and arrays when they
	// are needed, so that Enter can read them in place.
	switch c := src[i]; c {
	case '{', '[':
		s.pending = true
		return true
	case '"':
		j := plainEnd(src, i+1)
		if j < len(src) && src[j] == '"' {
			s.pos = j + 1
			return true
		}
		ok := false
		if j, _, ok = skipString(src, j); !ok {
			return s.fail()
		}
		s.pos = j
		return true
	case 'n', 't', 'f':
		j, ok := skipLiteral(src, i)
		if !ok {
			return s.fail()
		}
		s.pos = j
		return true
	}
	j, ok := skipNumber(src, i)
	if !ok {
		return s.fail()
	}
	s.pos = j
	return true
}

// Key is the current member's key, unescaped; "" for array elements.
func (s *Scan) Key() string {
	if s.keyEsc {
		return unescape(s.key)
	}
	return s.key
}

// Value is the current member's value as raw JSON text: `"a\nb"`, `12`, `{...}`,
// `null`; "" when it is malformed (the scan then ends).
func (s *Scan) Value() string {
	if s.pending && !s.skip() {
		return ""
	}
	return s.src[s.vstart:s.pos]
}

// Offset is where the current value starts in the scanned text. After the last Next
// of a valid scan it is just past the container's closing bracket.
func (s *Scan) Offset() int { return s.vstart }

// Enter starts a scan of the members of the current value, in place. Read it, then
// hand it to Leave: the value is then scanned once in all. A value that is no object
// or array yields no members.
func (s *Scan) Enter() Scan {
	if !s.pending {
		return NewScan(s.Value())
	}
	var end byte
	switch s.src[s.vstart] {
	case '{':
		end = '}'
	case '[':
		end = ']'
	default:
		return Scan{} // a scalar: Next skips it
	}
	return Scan{src: s.src, pos: s.vstart + 1, from: s.vstart + 1, end: end, nested: true}
}

// Leave ends a scan from Enter: when sub was read to the end, the current value is
// known, valid or not, and Next goes on after it.
func (s *Scan) Leave(sub *Scan) {
	if !s.pending || sub.from != s.vstart+1 || sub.src != s.src || sub.end != 0 {
		return // not this value's scan, or not finished: Next skips the value itself
	}
	if sub.bad {
		s.fail()
		return
	}
	s.pos, s.pending = sub.pos, false
}

// Valid reports whether the text read so far is valid JSON; after Next returned false,
// whether the whole text is.
func (s *Scan) Valid() bool { return !s.bad }

// skip reads past the current value.
func (s *Scan) skip() bool {
	var j int
	var ok bool
	if i := s.vstart; i < len(s.src) && s.src[i] == '"' {
		j, _, ok = skipString(s.src, i+1)
	} else {
		j, ok = skipValue(s.src, i)
	}
	if !ok {
		return s.fail()
	}
	s.pos, s.pending = j, false
	return true
}

func (s *Scan) finish(i int) bool {
	s.end, s.key, s.pos, s.vstart = 0, "", i, i
	if !s.nested {
		s.bad = skipSpace(s.src, i) != len(s.src)
	}
	return false
}

func (s *Scan) fail() bool {
	s.end, s.bad, s.pending, s.key = 0, true, false, ""
	s.vstart = s.pos // Value is ""
	return false
}

// Str returns the text of a raw JSON string value, unescaped, and "" for any other
// value (as gjson's Result.Str). It allocates only when raw holds escapes.
func Str(raw string) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	body := raw[1 : len(raw)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' {
			return unescape(body)
		}
	}
	return body
}

// Int returns the integer a raw JSON number holds, parsed without going through
// float64; other values give 0 and ok false (then gjson's Result.Int tells what gjson
// makes of them: fractions, exponents, strings, true).
func Int(raw string) (n int64, ok bool) {
	i, neg := 0, false
	if len(raw) > 0 && raw[0] == '-' {
		i, neg = 1, true
	}
	if i == len(raw) || len(raw)-i > 18 { // 18 digits cannot overflow int64
		return 0, false
	}
	for ; i < len(raw); i++ {
		c := raw[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	if neg {
		n = -n
	}
	return n, true
}

func skipSpace(src string, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\n' || src[i] == '\r' || src[i] == '\t') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at src[i] (no leading space).
func skipValue(src string, i int) (int, bool) {
	if i >= len(src) {
		return i, false
	}
	switch src[i] {
	case '"':
		j, _, ok := skipString(src, i+1)
		return j, ok
	case '{':
		return skipContainer(src, i+1, '}')
	case '[':
		return skipContainer(src, i+1, ']')
	case 'n', 't', 'f':
		return skipLiteral(src, i)
	}
	return skipNumber(src, i)
}

// skipLiteral returns the end of the null, true or false at src[i].
func skipLiteral(src string, i int) (int, bool) {
	if len(src)-i >= 4 {
		switch src[i] {
		case 'n':
			return i + 4, src[i+1] == 'u' && src[i+2] == 'l' && src[i+3] == 'l'
		case 't':
			return i + 4, src[i+1] == 'r' && src[i+2] == 'u' && src[i+3] == 'e'
		case 'f':
			return i + 5, len(src)-i >= 5 && src[i+1] == 'a' && src[i+2] == 'l' && src[i+3] == 's' && src[i+4] == 'e'
		}
	}
	return i, false
}

// skipContainer returns the end of the object (end '}') or array (end ']') whose
// first byte after the bracket is src[i]. It walks nested containers in one loop with
// a stack of bits (calls are dear in wasm), and recurses only past 64 levels.
func skipContainer(src string, i int, end byte) (int, bool) {
	var objs uint64 // bit d: level d is an object
	if end == '}' {
		objs = 1
	}
	d := 0
	i = skipSpace(src, i)
	if i < len(src) && src[i] == end {
		return i + 1, true
	}
	for {
		// A member: the key in an object, then the value.
		if objs>>d&1 == 1 {
			if i == len(src) || src[i] != '"' {
				return i, false
			}
			j := plainEnd(src, i+1)
			if j < len(src) && src[j] == '"' {
				j++
			} else {
				ok := false
				if j, _, ok = skipString(src, j); !ok {
					return j, false
				}
			}
			i = skipSpace(src, j)
			if i == len(src) || src[i] != ':' {
				return i, false
			}
			i = skipSpace(src, i+1)
		}
		if i == len(src) {
			return i, false
		}
		switch c := src[i]; c {
		case '"':
			j := plainEnd(src, i+1)
			if j < len(src) && src[j] == '"' {
				i = j + 1
			} else {
				ok := false
				if i, _, ok = skipString(src, j); !ok {
					return i, false
				}
			}
		case '{', '[':
			if d == 63 {
				ok := false
				if i, ok = skipValue(src, i); !ok {
					return i, false
				}
				break
			}
			i = skipSpace(src, i+1)
			if i < len(src) && (c == '{' && src[i] == '}' || c == '[' && src[i] == ']') {
				i++
				break // an empty container is a whole value
			}
			d++
			if c == '{' {
				objs |= 1 << d
			} else {
				objs &^= 1 << d
			}
			continue
		case 'n', 't', 'f':
			ok := false
			if i, ok = skipLiteral(src, i); !ok {
				return i, false
			}
		default:
			ok := false
			if i, ok = skipNumber(src, i); !ok {
				return i, false
			}
		}
		// After a value: a comma, or the end of this level (and maybe of the ones
		// around it).
		for {
			i = skipSpace(src, i)
			if i == len(src) {
				return i, false
			}
			if src[i] == ',' {
				i = skipSpace(src, i+1)
				break
			}
			closer := byte(']')
			if objs>>d&1 == 1 {
				closer = '}'
			}
			if src[i] != closer {
				return i, false
			}
			i++
			if d == 0 {
				return i, true
			}
			d--
		}
	}
}

// plainEnd returns the index of the first quote, backslash or control character in
// src at or after i, or len(src): the end of the plain run of a string's bytes.
func plainEnd(src string, i int) int {
	for len(src)-i >= 8 {
		if m := special8(load8(src, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(src) && src[i] >= ' ' && src[i] != '"' && src[i] != '\\' {
		i++
	}
	return i
}

// skipString returns the end of the string whose body continues at src[i] (after the
// opening quote, or inside the body but not inside an escape), and whether it holds
// escapes from i on. Control characters are errors; UTF-8 is not checked (as
// gjson.Valid).
func skipString(src string, i int) (end int, esc, ok bool) {
	for {
		i = plainEnd(src, i)
		if i >= len(src) {
			return i, esc, false
		}
		switch src[i] {
		case '"':
			return i + 1, esc, true
		case '\\':
			esc = true
			i++
			if i == len(src) {
				return i, esc, false
			}
			switch src[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(src)-i <= 4 || !isHex(src[i+1]) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) {
					return i, esc, false
				}
				i += 4
			default:
				return i, esc, false
			}
			i++
		default: // a control character
			return i, esc, false
		}
	}
}

// load8 reads src[i:i+8] as one little-endian word; the caller checks the bounds.
func load8(src string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(src)), i))
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special8 marks the bytes of w that are a quote, a backslash or a control character
// with their high bit (SWAR "has a byte < n" and "has a zero byte"). Only the lowest
// mark is exact, which is all plainEnd needs.
func special8(w uint64) uint64 {
	ctl := (w - ones*0x20) &^ w
	q := w ^ ones*'"'
	q = (q - ones) &^ q
	bs := w ^ ones*'\\'
	bs = (bs - ones) &^ bs
	return (ctl | q | bs) & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber returns the end of the number starting at src[i], with JSON's grammar.
func skipNumber(src string, i int) (int, bool) {
	if src[i] == '-' {
		i++
	}
	ok := true
	if i < len(src) && src[i] == '0' {
		i++
	} else if i, ok = skipDigits(src, i); !ok {
		return i, false
	}
	if i < len(src) && src[i] == '.' {
		if i, ok = skipDigits(src, i+1); !ok {
			return i, false
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		return skipDigits(src, i)
	}
	return i, true
}

// skipDigits skips one or more digits.
func skipDigits(src string, i int) (int, bool) {
	if i == len(src) || src[i] < '0' || src[i] > '9' {
		return i, false
	}
	for i < len(src) && src[i] >= '0' && src[i] <= '9' {
		i++
	}
	return i, true
}

// unescape decodes the body of a valid JSON string (quotes excluded). Invalid
// surrogates become U+FFFD.
func unescape(body string) string {
	return string(appendUnescaped(make([]byte, 0, len(body)), body))
}

// AppendUnquoted appends the text of the raw JSON string value (what Str returns)
// to dst, without allocating; other values append nothing.
func AppendUnquoted(dst []byte, raw string) []byte {
	if len(raw) < 2 || raw[0] != '"' {
		return dst
	}
	return appendUnescaped(dst, raw[1:len(raw)-1])
}

// appendUnescaped appends the decoded body of a valid JSON string to out.
func appendUnescaped(out []byte, body string) []byte {
	for i := 0; i < len(body); i++ {
		if j := strings.IndexByte(body[i:], '\\'); j < 0 {
			return append(out, body[i:]...)
		} else if j > 0 {
			out = append(out, body[i:i+j]...)
			i += j
		}
		if i+1 == len(body) {
			return append(out, '\\')
		}
		i++
		switch body[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := hexRune(body[i+1:])
			i += n
			if r >= 0xD800 && r < 0xDC00 && len(body)-i > 6 && body[i+1] == '\\' && body[i+2] == 'u' {
				if r2, n2 := hexRune(body[i+3:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
					i += 2 + n2
				}
			}
			out = utf8.AppendRune(out, r) // lone surrogates are not valid runes: U+FFFD
		default: // '"', '\\', '/'
			out = append(out, body[i])
		}
	}
	return out
}

// hexRune reads the 4 hex digits of a \u escape.
func hexRune(s string) (rune, int) {
	if len(s) < 4 {
		return utf8.RuneError, len(s)
	}
	n, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return utf8.RuneError, 4
	}
	return rune(n), 4
}

// Members reads, in one pass, the members of the JSON object src whose keys are in
// keys: vals[i] gets the raw value of keys[i] (the first one, as gjson's Get), or ""
// when it is absent. It reports whether src is valid JSON (gjson.Valid's rules; a
// valid non-object has no members). Reading many top-level fields this way replaces
// one gjson Get per field, each a walk from the start of the body.
func Members(src string, keys, vals []string) bool {
	clear(vals)
	sc := NewScan(src)
	for sc.Next() {
		k := sc.Key()
		for i, key := range keys {
			if k == key && vals[i] == "" {
				vals[i] = sc.Value()
				break
			}
		}
	}
	return sc.Valid()
}
