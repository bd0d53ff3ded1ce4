package responses

import (
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Raw JSON value tests and reads: values stay as the Scan returned them.

func isStr(v string) bool  { return len(v) >= 2 && v[0] == '"' }
func isText(v string) bool { return len(v) > 2 && v[0] == '"' }
func isObj(v string) bool  { return len(v) > 0 && v[0] == '{' }
func isArr(v string) bool  { return len(v) > 0 && v[0] == '[' }
func isNum(v string) bool  { return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') }
func isNull(v string) bool { return v == "" || v == "null" }

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

// field returns the raw value of key in the raw object obj, "" when absent.
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

// pick reads the first value of each of keys in obj into vals.
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

// strBody is the inside of a raw JSON string literal, escapes kept: bodies of string
// literals concatenate into the body of the literal of the concatenated text.
func strBody(raw string) string {
	if isStr(raw) {
		return raw[1 : len(raw)-1]
	}
	return ""
}

// appendJSONStr appends v as a JSON string: a string verbatim, anything else as its text.
func appendJSONStr(dst []byte, v string) []byte {
	if isStr(v) {
		return append(dst, v...)
	}
	if isNull(v) {
		return append(dst, `""`...)
	}
	return translator.AppendString(dst, gjson.Parse(v).String())
}

// validJSON is gjson.Valid, in one pass of translator.Scan.
func validJSON(v string) bool {
	s := translator.NewScan(v)
	for s.Next() {
	}
	return s.Valid()
}
