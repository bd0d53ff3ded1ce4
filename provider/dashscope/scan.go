package dashscope

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// A raw JSON scanner for the chat hot paths: one pass over an object's members or an
// array's elements, each value as its raw text (a view of the input, nothing copied,
// numbers not parsed). It checks no more than it needs to find where a value ends, so
// callers fail soft: a malformed value reads as absent or ends the iteration, and
// whatever goes to the client is re-encoded, or checked when copied raw. Where a value
// is unusual (escaped keys, non-integer numbers, strings not in canonical form), the
// helpers fall back to gjson, so the results are gjson's.

// iter walks the members of an object or the elements of an array. After key (or
// item) the iterator stands at the value, which the caller reads with raw or text,
// walks in place with enter and leave, or leaves alone: the next call skips it.
type iter struct {
	s       string
	i       int
	close   byte // '}' or ']'; 0 when there is nothing (more) to walk
	n       int  // items seen so far
	opened  bool // the value was an object or array
	done    bool // walked up to the closing bracket
	bad     bool // the input ended or broke off before the closing bracket
	pending bool // the current value was not read yet
}

// members starts a walk over the object raw; anything else has no members.
func members(raw string) iter { return open(raw, '{', '}') }

// elements starts a walk over the array raw; anything else has no elements.
func elements(raw string) iter { return open(raw, '[', ']') }

func open(s string, o, c byte) iter {
	i := skipWS(s, 0)
	if i < len(s) && s[i] == o {
		return iter{s: s, i: i + 1, close: c, opened: true}
	}
	return iter{}
}

// more moves to the next item; false at the end (or when malformed).
func (it *iter) more() bool {
	i, ok := it.advance()
	if ok {
		it.i = i
	}
	return ok
}

// advance skips the current value if it was not read, then the separator; it returns
// where the next item starts.
func (it *iter) advance() (int, bool) {
	s, i := it.s, it.i
	if it.pending {
		it.pending = false
		if i = valueEnd(s, i); i < 0 {
			return 0, it.fail()
		}
	}
	i = skipWS(s, i)
	if i >= len(s) || it.close == 0 {
		return 0, it.close != 0 && it.fail()
	}
	if s[i] == it.close {
		it.close, it.i, it.done = 0, i+1, true
		return 0, false
	}
	if it.n > 0 {
		if s[i] != ',' {
			return 0, it.fail()
		}
		if i = skipWS(s, i+1); i >= len(s) {
			return 0, it.fail()
		}
	}
	it.n++
	return i, true
}

func (it *iter) fail() bool {
	it.bad, it.close, it.pending = true, 0, false
	return false
}

// item moves to the next array element.
func (it *iter) item() bool {
	s, i := it.s, it.i
	if !it.pending && it.close == ']' && i+1 < len(s) { // compact JSON, written out
		switch c := s[i]; {
		case c == ']':
			it.close, it.i, it.done = 0, i+1, true
			return false
		case c == ',' && it.n > 0 && s[i+1] > ' ' && s[i+1] != ']':
			it.i, it.n, it.pending = i+1, it.n+1, true
			return true
		case c > ' ' && c != ',' && it.n == 0:
			it.n, it.pending = 1, true
			return true
		}
	}
	if !it.more() {
		return false
	}
	it.pending = true
	return true
}

// key moves to the next object member and returns its name (unescaped). It is the
// hottest function of the converter, so the common case (compact JSON, a number or
// nothing to skip) is written out in it: a call and every taken branch cost in wasm.
func (it *iter) key() (string, bool) {
	s, i := it.s, it.i
	if it.pending && i < len(s) && !container[s[i]] { // skip a scalar in place
		if s[i] == '"' {
			i = stringEnd(s, i)
		} else {
			i = scalarEnd(s, i)
		}
		it.pending = false
		if i < 0 {
			return "", it.fail()
		}
		it.i = i
	}
	switch {
	case it.pending || i+1 >= len(s) || it.close != '}':
		var ok bool
		if i, ok = it.advance(); !ok {
			return "", false
		}
	case s[i] == ',' && s[i+1] == '"' && it.n > 0: // ,"key"
		i++
		it.n++
	case s[i] == '"' && it.n == 0: // {"key"
		it.n++
	case s[i] == '}': // the end
		it.close, it.i, it.done = 0, i+1, true
		return "", false
	default:
		var ok bool
		if i, ok = it.advance(); !ok {
			return "", false
		}
	}
	if s[i] != '"' {
		return "", it.fail()
	}
	e := i + 1 // keys are short: a plain loop
	for e < len(s) && s[e] != '"' && s[e] != '\\' {
		e++
	}
	var k string
	switch {
	case e >= len(s):
		return "", it.fail()
	case s[e] == '"':
		e++
		k = s[i+1 : e-1]
	default: // an escaped key
		if e = stringEnd(s, i); e < 0 {
			return "", it.fail()
		}
		k = unquote(s[i:e])
	}
	if e < len(s) && s[e] == ':' {
		e++
	} else if e = skipWS(s, e); e < len(s) && s[e] == ':' {
		e++
	} else {
		return "", it.fail()
	}
	if e < len(s) && s[e] <= ' ' {
		e = skipWS(s, e)
	}
	it.i, it.pending = e, true
	return k, true
}

// int reads the current value as gjson's Result.Int would, parsing a plain integer in
// place.
func (it *iter) int() int64 {
	s, i := it.s, it.i
	if !it.pending || i >= len(s) {
		return 0
	}
	neg := s[i] == '-'
	j := i
	if neg {
		j++
	}
	var n int64
	for ; j < len(s) && j-i < 18 && s[j]-'0' < 10; j++ {
		n = n*10 + int64(s[j]-'0')
	}
	if j == len(s) || j > i && !neg && delim[s[j]] || j > i+1 && delim[s[j]] {
		it.i, it.pending = j, false
		if neg {
			n = -n
		}
		return n
	}
	return gjsonInt(it.raw())
}

// raw reads the current value as raw JSON text ("" when malformed).
func (it *iter) raw() string {
	if !it.pending {
		return ""
	}
	it.pending = false
	e := valueEnd(it.s, it.i)
	if e < 0 {
		it.fail()
		return ""
	}
	v := it.s[it.i:e]
	it.i = e
	return v
}

// text reads the current value as gjson's Result.Str would (a string's value, "" for
// anything else), checking a string's form in the same pass; raw is the value.
func (it *iter) text() (x text, raw string) {
	if !it.pending || it.i >= len(it.s) || it.s[it.i] != '"' {
		return text{}, it.raw()
	}
	it.pending = false
	e, canon := scanString(it.s, it.i)
	if e < 0 {
		it.fail()
		return text{}, ""
	}
	raw = it.s[it.i:e]
	it.i = e
	switch {
	case len(raw) == 2:
	case canon:
		x.lit = raw
	default:
		x.s = unquote(raw)
	}
	return x, raw
}

// str reads the current value as gjson's Result.String would: numbers, booleans,
// objects and arrays as their JSON text, null as "".
func (it *iter) str() text {
	x, raw := it.text()
	if len(raw) > 0 && raw[0] != '"' {
		return stringOf(raw)
	}
	return x
}

// enterObject and enterArray start a walk over the current value in place, when it is
// of that kind; hand the walk back with leave.
func (it *iter) enterObject() iter { return it.enter('{', '}') }
func (it *iter) enterArray() iter  { return it.enter('[', ']') }

func (it *iter) enter(o, c byte) iter {
	if !it.pending || it.i >= len(it.s) || it.s[it.i] != o {
		return iter{}
	}
	return iter{s: it.s, i: it.i + 1, close: c, opened: true}
}

// leave continues after a walk started with enter; one left unfinished is skipped.
func (it *iter) leave(sub *iter) {
	if sub.done {
		it.i, it.pending = sub.i, false
	}
}

// member returns the next object member: its name (unescaped) and raw value.
func (it *iter) member() (key, val string, ok bool) {
	if key, ok = it.key(); !ok {
		return "", "", false
	}
	if val = it.raw(); val == "" {
		return "", "", false
	}
	return key, val, true
}

// next returns the next array element, raw.
func (it *iter) next() (string, bool) {
	if !it.item() {
		return "", false
	}
	v := it.raw()
	return v, v != ""
}

// rest reports whether only whitespace follows a finished walk.
func (it *iter) rest() bool { return it.done && skipWS(it.s, it.i) == len(it.s) }

// getFields reads the raw value of the first member named names[i] of the object raw
// into vals[i] ("" when there is none), as gjson's Get would, in one pass.
func getFields(raw string, names, vals []string) {
	for it := members(raw); ; {
		k, v, ok := it.member()
		if !ok {
			return
		}
		for i, n := range names {
			if k == n {
				if vals[i] == "" {
					vals[i] = v
				}
				break
			}
		}
	}
}

// field returns the raw value of the first member named key of the object raw, as
// gjson's Get does, or "".
func field(raw, key string) string {
	for it := members(raw); ; {
		k, v, ok := it.member()
		if !ok {
			return ""
		}
		if k == key {
			return v
		}
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

// Strings are scanned a word (8 bytes) at a time: a Go loop over bytes costs several
// ns per byte in wasm, about as much as a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// word returns s[i:i+8] as a little-endian word; i+8 <= len(s).
func word(s string, i int) uint64 {
	// An array pointer, not unsafe.Slice: that one calls an overflow check in wasm.
	p := (*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
	return binary.LittleEndian.Uint64(p[:])
}

// bytesEqual marks (high bit) the bytes of w equal to c; the lowest mark is exact.
func bytesEqual(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return (x - ones) &^ x & highs
}

// stringEnd returns the index just past the string literal starting at s[i] ('"'), or
// -1 when it is not terminated.
func stringEnd(s string, i int) int {
	j := i + 1
	for {
		// quoteOrBackslash, written out: a call costs in wasm.
		for ; j+8 <= len(s); j += 8 {
			w := word(s, j)
			if m := bytesEqual(w, '"') | bytesEqual(w, '\\'); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for j < len(s) && s[j] != '"' && s[j] != '\\' {
			j++
		}
		if j >= len(s) {
			return -1
		}
		if s[j] == '"' {
			return j + 1
		}
		j += 2 // past a backslash and the byte it escapes
	}
}

// scanString is stringEnd that also reports whether the literal is canonical: exactly
// what translator.AppendString writes for its value, so it can be copied as it is.
func scanString(s string, i int) (end int, canon bool) {
	canon = true
	for j := i + 1; ; {
		// plainEnd, written out: a call costs in wasm.
		for ; j+8 <= len(s); j += 8 {
			w := word(s, j)
			if m := (w | (w-ones*0x20)&^w | bytesEqual(w, '"') | bytesEqual(w, '\\')) & highs; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for j < len(s) && plain[s[j]] {
			j++
		}
		if j >= len(s) {
			return -1, false
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, canon
		case c == '\\':
			if j+1 >= len(s) {
				return -1, false
			}
			switch s[j+1] {
			case '"', '\\', 'n', 'r', 't':
			case 'u':
				canon = canon && j+6 <= len(s) && canonicalU(s[j+2:j+6])
			default:
				canon = false
			}
			j += 2
		case c < utf8.RuneSelf: // a control character
			canon = false
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				canon = false
			}
			j += size
		}
	}
}

// valueEnd returns the index just past the value starting at s[i], or -1.
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			if j = structural(s, j); j >= len(s) {
				return -1
			}
			switch s[j] {
			case '"':
				if j = stringEnd(s, j); j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	case ',', ':', '}', ']':
		return -1
	}
	return scalarEnd(s, i)
}

// scalarEnd returns the end of the number or literal starting at s[i].
func scalarEnd(s string, i int) int {
	j := i + 1
	for j < len(s) && !delim[s[j]] {
		j++
	}
	return j
}

// structural returns the index of the first '"', '{', '[', '}' or ']' in s from i, or
// len(s).
func structural(s string, i int) int {
	for i < len(s) && !bracket[s[i]] {
		i++
	}
	return i
}

// delim marks the bytes that end a number or literal; container the bytes that start
// an object or array; bracket the bytes structural looks for.
var delim, container, bracket = func() (d, c, b [256]bool) {
	for _, x := range []byte(",:}]{[\" \n\r\t") {
		d[x] = true
	}
	c['{'], c['['] = true, true
	for _, x := range []byte(`"{[]}`) {
		b[x] = true
	}
	return
}()

// intOf returns what gjson's Result.Int returns for the raw value, parsing plain
// integers directly (gjson would run ParseFloat on every number it passes).
func intOf(raw string) int64 {
	if raw == "" {
		return 0
	}
	i := 0
	if len(raw) > 0 && raw[0] == '-' {
		i = 1
	}
	if n := len(raw) - i; n == 0 || n > 18 {
		return gjsonInt(raw)
	}
	var n int64
	for _, c := range []byte(raw[i:]) {
		if c < '0' || c > '9' {
			return gjsonInt(raw)
		}
		n = n*10 + int64(c-'0')
	}
	if i == 1 {
		n = -n
	}
	return n
}

// The gjson fallbacks, kept out of line so that no hot function gets a gjson.Result
// in its frame.

// unquote returns the value of a string literal, unescaped as gjson does.
//
//go:noinline
func unquote(lit string) string { return gjson.Parse(lit).Str }

//go:noinline
func gjsonInt(raw string) int64 { return gjson.Parse(raw).Int() }

//go:noinline
func gjsonString(raw string) string { return gjson.Parse(raw).String() }

// boolOf returns what gjson's Result.Bool returns for the raw value.
func boolOf(raw string) bool {
	switch raw {
	case "true":
		return true
	case "false", "null", "":
		return false
	}
	return gjson.Parse(raw).Bool()
}

// isArray and isObject report the kind of a raw value (as gjson's IsArray/IsObject).
func isArray(raw string) bool  { return len(raw) > 0 && raw[0] == '[' }
func isObject(raw string) bool { return len(raw) > 0 && raw[0] == '{' }

// text is a string read from JSON. When its literal is exactly what
// translator.AppendString writes for its value (the usual case: UTF-8 as is, only
// \" \\ \n \r \t and control characters escaped), the literal is kept and copied
// out as it is; otherwise the value is unescaped and re-encoded on output.
type text struct {
	lit string // the literal, quotes included, when canonical
	s   string // the value, when lit is ""
}

// strOf reads a raw value as gjson's Result.Str: a string's value, "" for the rest.
func strOf(raw string) text {
	if len(raw) < 2 || raw[0] != '"' {
		return text{}
	}
	if raw == `""` {
		return text{}
	}
	if canonical(raw) {
		return text{lit: raw}
	}
	return text{s: unquote(raw)}
}

// stringOf reads a raw value as gjson's Result.String: numbers, booleans, objects
// and arrays as their JSON text, null as "".
func stringOf(raw string) text {
	switch {
	case len(raw) > 0 && raw[0] == '"':
		return strOf(raw)
	case raw == "" || raw == "null":
		return text{}
	}
	return text{s: gjsonString(raw)}
}

func (x text) empty() bool { return x.lit == "" && x.s == "" }

// is compares the value with s, which must need no escaping.
func (x text) is(s string) bool {
	if x.lit != "" {
		return len(x.lit) == len(s)+2 && x.lit[1:len(x.lit)-1] == s
	}
	return x.s == s
}

// value returns the Go string; it views the input when nothing was escaped.
func (x text) value() string {
	if x.lit == "" {
		return x.s
	}
	if strings.IndexByte(x.lit, '\\') < 0 {
		return x.lit[1 : len(x.lit)-1]
	}
	return unquote(x.lit)
}

// appendJSON appends the value as a JSON string, as translator.AppendString would.
func (x text) appendJSON(dst []byte) []byte {
	if x.lit != "" {
		return append(dst, x.lit...)
	}
	return translator.AppendString(dst, x.s)
}

// appendInner appends the value escaped for the inside of a JSON string.
func (x text) appendInner(dst []byte) []byte {
	if x.lit != "" {
		return append(dst, x.lit[1:len(x.lit)-1]...)
	}
	return appendEscaped(dst, x.s)
}

// plain marks the bytes translator.AppendString copies unchanged in one step: ASCII
// from space on, but for '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// canonical reports whether the string literal lit (quotes included) is exactly what
// translator.AppendString writes for its value, so it can be copied as it is.
func canonical(lit string) bool {
	e, canon := scanString(lit, 0)
	return canon && e == len(lit)
}

// canonicalU reports whether the 4 hex digits of a \u escape are one AppendString
// writes: U+2028, U+2029 or a control character without a short escape.
func canonicalU(h string) bool {
	if h == "2028" || h == "2029" {
		return true
	}
	if h[0] != '0' || h[1] != '0' || (h[2] != '0' && h[2] != '1') {
		return false
	}
	d := h[3]
	var v byte
	switch {
	case d >= '0' && d <= '9':
		v = d - '0'
	case d >= 'a' && d <= 'f':
		v = d - 'a' + 10
	default:
		return false
	}
	v += (h[2] - '0') << 4
	return v != '\n' && v != '\r' && v != '\t'
}
