package translator

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// scanAll returns the members Scan yields, as key=value strings, and Valid.
func scanAll(src string) ([]string, bool) {
	var got []string
	s := NewScan(src)
	for s.Next() {
		got = append(got, s.Key()+"="+s.Value())
	}
	return got, s.Valid()
}

// scanDeep is scanAll entering every object and array in place: members of nested
// containers are listed after a "{" or "[" line, and the container's own Value last.
func scanDeep(src string) ([]string, bool) {
	var got []string
	var walk func(s *Scan)
	walk = func(s *Scan) {
		for s.Next() {
			k := s.Key()
			if len(s.src) > s.vstart && (s.src[s.vstart] == '{' || s.src[s.vstart] == '[') {
				sub := s.Enter()
				got = append(got, k+" enter")
				walk(&sub)
				s.Leave(&sub)
			}
			got = append(got, k+"="+s.Value())
		}
	}
	s := NewScan(src)
	walk(&s)
	return got, s.Valid()
}

// gjsonDeep is scanDeep by gjson.
func gjsonDeep(src string) ([]string, bool) {
	if !gjson.Valid(src) {
		return nil, false
	}
	var got []string
	var walk func(r gjson.Result)
	walk = func(r gjson.Result) {
		r.ForEach(func(k, v gjson.Result) bool {
			if v.IsObject() || v.IsArray() {
				got = append(got, k.Str+" enter")
				walk(v)
			}
			got = append(got, k.Str+"="+v.Raw)
			return true
		})
	}
	if r := gjson.Parse(src); r.IsObject() || r.IsArray() {
		walk(r)
	}
	return got, true
}

// gjsonAll is scanAll by gjson: ForEach after Valid.
func gjsonAll(src string) ([]string, bool) {
	if !gjson.Valid(src) {
		return nil, false
	}
	var got []string
	r := gjson.Parse(src)
	if !r.IsObject() && !r.IsArray() {
		return nil, true
	}
	r.ForEach(func(k, v gjson.Result) bool {
		got = append(got, k.Str+"="+v.Raw)
		return true
	})
	return got, true
}

var scanCases = []string{
	`{}`, ` { } `, `[]`, `{"a":1}`, `{"a" : "x\"y" , "b":[1,{"c":null}],"d":true,"e":false}`,
	`[1,"two",{"three":3},[4]]`, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi \"there\"\n"}}`,
	`{"\u0074ype":"x"}`, `{"a\\b":1}`, `{"e":"\ud83d\ude00 \u00e9"}`,
	`"str"`, `12`, `-0.5e+3`, `true`, `null`, ` `, ``,
	`{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{"a":1} x`, `{"a":1}}`, `[1,]`, `[,1]`, `{"a":"\x01"}`,
	`{"a":"\q"}`, `{"a":"\u12"}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`,
	`{"a":[1,2}`, `{"a":{"b":1]}`, `{"a":"x`, `{"a"`, `{`, `[`, `{"a":1`, `{"a":1 ,`, `{"a":"x"}` + "\n",
	`{"a":1}{"b":2}`, `{"x":{"a\"b":1,"c":[{"d\u0041":"e\\"}]}}`, `[[[[[]]]],[{}],{"a":[]}]`, `{"a":[{"b":1},]}`,
	`{"a":[1 2]}`, `{"a":{"b" 1}}`, `{"a":{"b":}}`, `{"a":{"b":1,}}`, `{"a":[tru]}`, `{"a":[-]}`, `{"a":{"b":"\x"}}`,
	`[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `]`, `[` + strings.Repeat(`{"a":[`, 40) + strings.Repeat(`]}`, 40) + `]`,
	`[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 69) + `}]`, `{"a":[]`, `{"a":{}}`, `{"a":1e5,"b":-1E-2,"c":0.25}`,
}

func TestScanMatchesGjson(t *testing.T) {
	for _, src := range scanCases {
		got, ok := scanAll(src)
		want, wantOK := gjsonAll(src)
		if ok != wantOK {
			t.Errorf("%q: Valid %v, gjson.Valid %v", src, ok, wantOK)
			continue
		}
		if ok && !equal(got, want) {
			t.Errorf("%q: members\n got %q\nwant %q", src, got, want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScanEnter(t *testing.T) {
	for _, src := range scanCases {
		got, ok := scanDeep(src)
		want, wantOK := gjsonDeep(src)
		if ok != wantOK {
			t.Errorf("%q: Valid %v, gjson.Valid %v", src, ok, wantOK)
			continue
		}
		if ok && !equal(got, want) {
			t.Errorf("%q: members\n got %q\nwant %q", src, got, want)
		}
	}
	// A scalar yields no members and leaves the parent where it was.
	s := NewScan(`{"a":"x","b":2}`)
	s.Next()
	sub := s.Enter()
	if sub.Next() {
		t.Error("a string has members")
	}
	s.Leave(&sub)
	if s.Value() != `"x"` || !s.Next() || s.Key() != "b" || s.Value() != "2" || s.Next() || !s.Valid() {
		t.Error("Enter on a scalar moved the scan")
	}
	// A scan left half-read: the parent skips the rest itself.
	s = NewScan(`{"a":{"x":1,"y":2},"b":3}`)
	s.Next()
	sub = s.Enter()
	sub.Next()
	s.Leave(&sub)
	if s.Value() != `{"x":1,"y":2}` || !s.Next() || s.Key() != "b" || s.Next() || !s.Valid() {
		t.Error("half-read Enter")
	}
}

func TestStrInt(t *testing.T) {
	for _, raw := range []string{`"abc"`, `"a\"b\\c\nd\u00e9\ud83d\ude00"`, `"\ud800x"`, `""`, `12`, `null`, `{"a":1}`} {
		if got, want := Str(raw), gjson.Parse(raw).Str; got != want {
			t.Errorf("Str(%s) = %q, want %q", raw, got, want)
		}
	}
	for _, tt := range []struct {
		raw string
		n   int64
		ok  bool
	}{
		{"0", 0, true}, {"25", 25, true}, {"-7", -7, true}, {"123456789012345678", 123456789012345678, true},
		{"1234567890123456789", 0, false}, {"1.5", 0, false}, {"1e3", 0, false}, {`"5"`, 0, false}, {"", 0, false}, {"-", 0, false},
	} {
		if n, ok := Int(tt.raw); n != tt.n || ok != tt.ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tt.raw, n, ok, tt.n, tt.ok)
		}
	}
}

func TestScanNoAllocs(t *testing.T) {
	src := `{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"a \"b\"\n"},"finish_reason":null}],"usage":{"prompt_tokens":25}}`
	n := testing.AllocsPerRun(100, func() {
		s := NewScan(src)
		for s.Next() {
			_ = s.Key()
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per scan", n)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got, ok := scanAll(src)
		want, wantOK := gjsonAll(src)
		if ok != wantOK {
			t.Fatalf("%q: Valid %v, gjson.Valid %v", src, ok, wantOK)
		}
		if ok && !equal(got, want) {
			t.Fatalf("%q: members\n got %q\nwant %q", src, got, want)
		}
		got, ok = scanDeep(src)
		want, wantOK = gjsonDeep(src)
		if ok != wantOK || ok && !equal(got, want) {
			t.Fatalf("%q: deep scan %v %q, gjson %v %q", src, ok, got, wantOK, want)
		}
	})
}

func BenchmarkScan(b *testing.B) {
	src := `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"word 1, and \"more\"\n"},"logprobs":null,"finish_reason":null}]}`
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		s := NewScan(src)
		for s.Next() {
		}
	}
}

func TestMembers(t *testing.T) {
	keys := []string{"a", "b", "c"}
	vals := make([]string, 3)
	if !Members(`{"b":[1,{"a":2}],"a":"x","a":"y","d":null}`, keys, vals) || vals[0] != `"x"` || vals[1] != `[1,{"a":2}]` || vals[2] != "" {
		t.Errorf("Members = %q", vals)
	}
	if !Members(`[{"a":1}]`, keys, vals) || vals[0] != "" {
		t.Errorf("Members of an array = %q", vals)
	}
	if Members(`{"a":1,}`, keys, vals) {
		t.Error("Members accepted invalid JSON")
	}
}
