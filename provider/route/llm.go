package route

import (
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// classifierPrompt is the system message of the LLM classifier request.
const classifierPrompt = "Classify the user's request into exactly one of these intents and answer with that one word only, lower-case, no punctuation:\n" +
	"code - programming, debugging, software tools, SQL, shell\n" +
	"math - calculations, equations, proofs, probability, statistics\n" +
	"translation - translating text between languages\n" +
	"fast - greetings, small talk, short factual questions with short answers\n" +
	"complex - analysis, planning, design, long-form writing, multi-step reasoning"

// maxClassifierText bounds the user text sent to the LLM classifier (bytes, cut at a
// rune boundary, head kept).
const maxClassifierText = 4000

// ClassifierRequest returns an OpenAI chat completions body asking model to classify
// text into exactly one of the five intent words (temperature 0, max_tokens 4, not
// streamed). text longer than 4000 bytes is cut. The plugin sends it as a callout to
// the classifier's provider and reads the answer with ParseClassifierAnswer.
func ClassifierRequest(model, text string) []byte {
	if len(text) > maxClassifierText {
		cut := maxClassifierText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	b := make([]byte, 0, len(classifierPrompt)+len(text)+len(model)+160)
	b = append(b, `{"model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"messages":[{"role":"system","content":`...)
	b = appendJSONString(b, classifierPrompt)
	b = append(b, `},{"role":"user","content":`...)
	b = appendJSONString(b, text)
	b = append(b, `}],"temperature":0,"max_tokens":4,"stream":false}`...)
	return b
}

// ParseClassifierAnswer reads the intent from an OpenAI chat completions response body
// (choices[0].message.content): the first of the five intent words in it, ignoring case,
// surrounding space, quotes and punctuation. ok is false when there is none.
func ParseClassifierAnswer(body []byte) (Intent, bool) {
	content := gjson.GetBytes(body, "choices.0.message.content").String()
	best, at := IntentNone, -1
	lc := strings.ToLower(content)
	for i := IntentCode; i < NumIntents; i++ {
		name := intentNames[i]
		for off := 0; off < len(lc); {
			k := strings.Index(lc[off:], name)
			if k < 0 {
				break
			}
			k += off
			end := k + len(name)
			whole := (k == 0 || !isLetter(lc[k-1])) && (end == len(lc) || !isLetter(lc[end]))
			if whole {
				if at < 0 || k < at {
					best, at = i, k
				}
				break
			}
			off = k + 1
		}
	}
	return best, at >= 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal (UTF-8 kept, invalid bytes
// replaced by U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&15])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
