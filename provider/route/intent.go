package route

import (
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Intent is what a request asks for, as intent mode routes on it.
type Intent uint8

// The five intents. IntentNone is the zero value: "not decided".
const (
	IntentNone Intent = iota
	IntentCode
	IntentMath
	IntentTranslation
	IntentFast
	IntentComplex
	NumIntents
)

var intentNames = [NumIntents]string{"", "code", "math", "translation", "fast", "complex"}

const intentList = "code, math, translation, fast, complex"

// String returns the intent's config name ("code", ...), "" for IntentNone.
func (i Intent) String() string {
	if i >= NumIntents {
		return ""
	}
	return intentNames[i]
}

func (i Intent) valid() bool { return i > IntentNone && i < NumIntents }

// ParseIntent reads an intent name, case-insensitively and ignoring surrounding space;
// ok is false for anything but the five names.
func ParseIntent(s string) (Intent, bool) {
	s = strings.TrimSpace(s)
	for i := IntentCode; i < NumIntents; i++ {
		if strings.EqualFold(s, intentNames[i]) {
			return i, true
		}
	}
	return IntentNone, false
}

// ExtractText returns the text of the last user message of a chat body that has text:
// OpenAI chat (`messages`, content a string or parts of type "text") when anthropic is
// false, Anthropic `/v1/messages` (the same shape, with the system prompt top-level)
// when true. Text parts are joined with "\n". The system prompt is not included: it is
// mostly boilerplate that would bias the classifier. "" when there is none.
func ExtractText(body []byte, anthropic bool) string {
	_ = anthropic // both protocols carry user text the same way in messages[]
	if len(body) == 0 {
		return ""
	}
	var last gjson.Result
	gjson.GetBytes(body, "messages").ForEach(func(_, m gjson.Result) bool {
		if m.Get("role").String() != "user" {
			return true
		}
		c := m.Get("content")
		if c.Type == gjson.String || (c.IsArray() && hasTextPart(c)) {
			last = c
		}
		return true
	})
	if last.Type == gjson.String {
		return last.String()
	}
	if !last.IsArray() {
		return ""
	}
	var b strings.Builder
	last.ForEach(func(_, p gjson.Result) bool {
		if p.Get("type").String() == "text" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Get("text").String())
		}
		return true
	})
	return b.String()
}

func hasTextPart(c gjson.Result) bool {
	found := false
	c.ForEach(func(_, p gjson.Result) bool {
		found = p.Get("type").String() == "text"
		return !found
	})
	return found
}

// classification window: longer texts are classified on their head and tail (the
// length feature still sees the whole text).
const (
	classifyHead = 3072
	classifyTail = 1024
)

// Classify returns the intent of a prompt (English or Chinese, or mixed) with the
// built-in classifier: keyword and feature scoring — words and phrases per intent,
// code and math symbols, translation requests, and length (short and plain: fast; long
// and open: complex). It never returns IntentNone. Deterministic; allocation-free;
// a few µs on a 2 KB prompt.
func Classify(text string) Intent {
	var sc [NumIntents]float32
	if len(text) > classifyHead+classifyTail {
		scoreText(text[:classifyHead], &sc)
		f := lengthOf(text)
		var tail [NumIntents]float32
		scoreText(text[len(text)-classifyTail:], &tail)
		for i := range sc {
			sc[i] += tail[i]
		}
		return decide(&sc, f)
	}
	scoreText(text, &sc)
	return decide(&sc, lengthOf(text))
}

// lengthOf is the text's length in "ASCII-equivalent" bytes: a CJK character counts 2.
func lengthOf(text string) float32 {
	n := float32(0)
	for i := 0; i < len(text); {
		c := text[i]
		if c < 0x80 {
			if c > ' ' || c == ' ' {
				n++
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
		n += 2
	}
	return n
}

func decide(sc *[NumIntents]float32, length float32) Intent {
	// length priors
	switch {
	case length < 30:
		sc[IntentFast] += 3
	case length < 60:
		sc[IntentFast] += 2
	case length < 100:
		sc[IntentFast] += 1
	}
	if length > 120 {
		b := (length - 120) / 80
		if b > 3 {
			b = 3
		}
		sc[IntentComplex] += b
	}
	best := IntentFast
	for i := IntentCode; i < NumIntents; i++ {
		if sc[i] > sc[best] {
			best = i
		}
	}
	if sc[best] < 1.5 {
		if length < 100 {
			return IntentFast
		}
		return IntentComplex
	}
	return best
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scoreText adds the scores of text's words, phrases and symbols to sc.
func scoreText(text string, sc *[NumIntents]float32) {
	indexOnce.Do(buildIndex)
	var (
		buf       [24]byte
		prevPrep  bool // previous word was into/in/to/from
		codeSym   float32
		mathSym   float32
		digitRuns int
	)
	for i := 0; i < len(text); {
		c := text[i]
		if c < 0x80 {
			if isWordByte(c) {
				j := i
				n := 0
				camel, under, lower, digits := false, false, false, 0
				for j < len(text) && isWordByte(text[j]) {
					b := text[j]
					switch {
					case b >= 'A' && b <= 'Z':
						if lower {
							camel = true
						}
						b += 'a' - 'A'
					case b == '_':
						under = true
					case b >= 'a' && b <= 'z':
						lower = true
					default:
						digits++
					}
					if n < len(buf) {
						buf[n] = b
					}
					n++
					j++
				}
				// "c++", "c#"
				if n == 1 && buf[0] == 'c' && j < len(text) && (text[j] == '+' || text[j] == '#') {
					sc[IntentCode] += 3
				}
				if digits == n {
					digitRuns++
				} else if n <= len(buf) {
					w := buf[:n]
					e, ok := enWords[string(w)]
					if !ok && digits > 0 {
						k := n
						for k > 0 && isDigit(w[k-1]) {
							k--
						}
						e, ok = enWords[string(w[:k])]
					}
					if ok {
						for k := range sc {
							sc[k] += e.w[k]
						}
						if e.lang && prevPrep {
							sc[IntentTranslation] += 2
						}
						prevPrep = e.prep
					} else {
						prevPrep = false
						if n > 6 && (strings.HasSuffix(string(w), "error") || strings.HasSuffix(string(w), "exception")) {
							sc[IntentCode] += 3
						}
					}
				}
				if camel || under {
					codeSym += 1
				}
				i = j
				continue
			}
			switch c {
			case '{', '}', ';':
				codeSym += 0.6
			case '`':
				if strings.HasPrefix(text[i:], "```") {
					codeSym += 4
					i += 3
					continue
				}
				codeSym += 0.3
			case '=', '!', '&', '|', '-', ':':
				if i+1 < len(text) {
					switch text[i : i+2] {
					case "=>", "->", "::", "==", "!=", "&&", "||", ":=":
						codeSym++
						i += 2
						continue
					}
				}
				if c == '=' && i > 0 && (isDigit(text[i-1]) || text[i-1] == ' ' && i > 1 && isDigit(text[i-2])) {
					mathSym += 0.8
				}
			case '^':
				mathSym += 1.5
			case '+', '*', '/':
				if i > 0 && i+1 < len(text) && (isDigit(text[i-1]) || isDigit(text[i+1])) {
					mathSym += 0.5
				}
			case '\n':
				if strings.HasPrefix(text[i+1:], "    ") || strings.HasPrefix(text[i+1:], "\t") {
					codeSym += 0.7
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r >= zhLo && r < zhHi && zhFirst[(r-zhLo)>>6]&(1<<((r-zhLo)&63)) != 0 {
			for _, kw := range zhWords[r] {
				if strings.HasPrefix(text[i:], kw.s) {
					for k := range sc {
						sc[k] += kw.w[k]
					}
					size = len(kw.s)
					break
				}
			}
		} else {
			switch r {
			case '²', '³', '∫', '√', 'π', '∑', '≤', '≥', '±', '×', '÷', '∞', '≠':
				mathSym += 1.5
			}
		}
		i += size
	}
	if codeSym > 6 {
		codeSym = 6
	}
	if mathSym > 5 {
		mathSym = 5
	}
	sc[IntentCode] += codeSym
	sc[IntentMath] += mathSym
	if digitRuns > 0 {
		d := float32(digitRuns) * 0.3
		if d > 1.5 {
			d = 1.5
		}
		sc[IntentMath] += d
	}
}
