package anthropic

import (
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// The answer paths read JSON with translator.Scan and keep each value as its raw text
// ("" when absent): the helpers below give that text gjson's meaning, so the converters
// behave as they did with gjson.Result, and only odd input (escapes, fractions, values
// of the wrong type) takes gjson's slower path.

func isStr(v string) bool { return len(v) >= 2 && v[0] == '"' }

// isText reports whether v is a non-empty JSON string.
func isText(v string) bool { return len(v) > 2 && v[0] == '"' }

func isObj(v string) bool { return len(v) > 0 && v[0] == '{' }

func isArr(v string) bool { return len(v) > 0 && v[0] == '[' }

func isNum(v string) bool { return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') }

// rawInt is gjson's Result.Int of v.
func rawInt(v string) int64 {
	if n, ok := translator.Int(v); ok {
		return n
	}
	if v == "" {
		return 0
	}
	return gjson.Parse(v).Int()
}

// rawString is gjson's Result.String of v. It aliases v unless v holds escapes.
func rawString(v string) string {
	if isStr(v) {
		return translator.Str(v)
	}
	if v == "" || v == "null" {
		return ""
	}
	return gjson.Parse(v).String()
}

// field returns the raw value of obj's first member named key (as gjson's Get of a
// plain key), "" when there is none or obj is no object.
func field(obj, key string) string {
	if !isObj(obj) {
		return ""
	}
	s := translator.NewScan(obj)
	for s.Next() {
		if s.Key() == key {
			return s.Value()
		}
	}
	return ""
}

// appendJSONStr is appendJSONString for a raw value: strings verbatim (already
// escaped), any other value as its text.
func appendJSONStr(dst []byte, v string) []byte {
	if isStr(v) {
		return append(dst, v...)
	}
	return translator.AppendString(dst, rawString(v))
}

// validJSON is gjson.Valid, in one pass of translator.Scan.
func validJSON(v string) bool {
	s := translator.NewScan(v)
	for s.Next() {
	}
	return s.Valid()
}

// skipSpace returns the index of the first byte of b that is no JSON whitespace.
func skipSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// pick sets vals[i] to the raw value of obj's first member named keys[i] (as gjson's
// Get), "" when obj has none, in one pass over obj.
func pick(obj string, keys, vals []string) {
	s := translator.NewScan(obj)
	for s.Next() {
		k := s.Key()
		for i, want := range keys {
			if k == want && vals[i] == "" {
				vals[i] = s.Value()
				break
			}
		}
	}
}
