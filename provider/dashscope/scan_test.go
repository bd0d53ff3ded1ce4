package dashscope

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// reencoded is what the converters wrote before raw copies: the literal unescaped by
// gjson and encoded again by translator.AppendString.
func reencoded(lit string) string {
	return string(translator.AppendString(nil, gjson.Parse(lit).Str))
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		lit  string
		want bool
	}{
		{`""`, true},
		{`"plain ASCII, ~ and DEL: ` + "\x7f" + `"`, true},
		{`"quotes \" and \\ and \n \r \t"`, true},
		{`"control \u0001 \u001f"`, true},
		{`"line separator \u2028 \u2029"`, true},
		{`"你好 ` + "\uFFFD" + `"`, true},
		{`"a long run of plain bytes to cross several words: abcdefghijklmnopqrstuvwxyz"`, true},
		{`"\u000a is \n"`, false},
		{`"\u0041"`, false},
		{`"\u00e9"`, false},
		{`"\u001F upper-case hex"`, false},
		{`"\/"`, false},
		{`"\b\f"`, false},
		{`"raw ` + "\u2028" + `"`, false},
		{`"raw control ` + "\x01" + `"`, false},
		{`"invalid ` + "\xff" + ` UTF-8"`, false},
		{`"truncated ` + "\xe4\xbd" + `"`, false},
	}
	for _, tt := range tests {
		if got := canonical(tt.lit); got != tt.want {
			t.Errorf("canonical(%q) = %v, want %v", tt.lit, got, tt.want)
		}
		if tt.want && reencoded(tt.lit) != tt.lit {
			t.Errorf("%q is not what AppendString writes: %q", tt.lit, reencoded(tt.lit))
		}
	}
}

// FuzzCanonical: a literal is copied raw exactly when re-encoding would give the same
// bytes, and what AppendString writes for valid UTF-8 is canonical.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c\n", "\u2028你好\x01", "\xff\xfe", `\u00e9`, strings.Repeat("x\"", 9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := string(translator.AppendString(nil, s))
		if utf8.ValidString(s) && !canonical(lit) { // invalid UTF-8 becomes \ufffd
			t.Fatalf("AppendString output %q not canonical", lit)
		}
		if e := stringEnd(lit, 0); e != len(lit) {
			t.Fatalf("stringEnd(%q) = %d", lit, e)
		}
		// s itself as a literal's inside.
		lit = `"` + s + `"`
		if e := stringEnd(lit, 0); e != len(lit) || !json.Valid([]byte(lit)) {
			return
		}
		if got, want := canonical(lit), reencoded(lit) == lit; got != want {
			t.Fatalf("canonical(%q) = %v, re-encoded %q", lit, got, reencoded(lit))
		}
	})
}

// walk flattens a value as the scanner reads it, descending into containers in place.
func walk(it *iter, obj bool, out *[]string) {
	for {
		if obj {
			k, ok := it.key()
			if !ok {
				return
			}
			*out = append(*out, "key "+k)
		} else if !it.item() {
			return
		}
		if sub := it.enterObject(); sub.opened {
			walk(&sub, true, out)
			it.leave(&sub)
		} else if sub := it.enterArray(); sub.opened {
			walk(&sub, false, out)
			it.leave(&sub)
		} else {
			*out = append(*out, "raw "+it.raw())
		}
		*out = append(*out, "end")
	}
}

// gjsonWalk flattens a value as gjson reads it.
func gjsonWalk(r gjson.Result, out *[]string) {
	r.ForEach(func(k, v gjson.Result) bool {
		if r.IsObject() {
			*out = append(*out, "key "+k.Str)
		}
		if v.IsObject() || v.IsArray() {
			gjsonWalk(v, out)
		} else {
			*out = append(*out, "raw "+v.Raw)
		}
		*out = append(*out, "end")
		return true
	})
}

// FuzzScan: on valid JSON the scanner reads what gjson reads, and reaches the end.
func FuzzScan(f *testing.F) {
	for _, c := range goldenCases {
		if c.in != "" {
			f.Add(readFixture(f, c.in))
		}
	}
	f.Add([]byte(` { "a" : [ 1 , -2.5e3 , "x\"y" , { } , [ ] ] , "b\u0041" : { "c" : null } } `))
	f.Add([]byte(`{"usage":{"input_tokens":-12,"output_tokens":1e2,"total_tokens":"7"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			// Malformed input: no panic, whatever is read.
			it := members(translator.View(b))
			var got []string
			walk(&it, true, &got)
			return
		}
		r := gjson.ParseBytes(b)
		if !r.IsObject() {
			return
		}
		it := members(translator.View(b))
		var got, want []string
		walk(&it, true, &got)
		gjsonWalk(r, &want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s:\nscanner %q\ngjson   %q", b, got, want)
		}
		if !it.rest() {
			t.Fatalf("%s: walk did not reach the end (bad %v)", b, it.bad)
		}
		// Integers as gjson reads them.
		for _, v := range want {
			if raw, ok := strings.CutPrefix(v, "raw "); ok {
				if got, want := intOf(raw), gjson.Parse(raw).Int(); got != want {
					t.Fatalf("intOf(%s) = %d, want %d", raw, got, want)
				}
				ai := elements("[" + raw + "]")
				if ai.item(); ai.int() != gjson.Parse(raw).Int() {
					t.Fatalf("iter.int(%s) = %d, want %d", raw, ai.int(), gjson.Parse(raw).Int())
				}
				if got, want := boolOf(raw), gjson.Parse(raw).Bool(); got != want {
					t.Fatalf("boolOf(%s) = %v, want %v", raw, got, want)
				}
			}
		}
	})
}
