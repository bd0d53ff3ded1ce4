package translator

import (
	"encoding/json"
	"strings"
	"testing"
)

// valueOf returns the raw value of key in the object event (top level), through a Scan.
func valueOf(event, key string) string {
	s := NewScan(event)
	for s.Next() {
		if s.Key() == key {
			return s.Value()
		}
	}
	return ""
}

func TestShape(t *testing.T) {
	first := `{"type":"delta","text":"hello","usage":{"in":12,"out":3},"id":"x"}`
	text, usage := valueOf(first, "text"), valueOf(first, "usage")
	out := []byte(`data: {"content":` + text + `}` + "\n\n")
	at := strings.Index(string(out), text)
	var sh Shape
	if _, _, ok := sh.Match(first); ok {
		t.Fatal("an empty shape matched")
	}
	sh.Set(first, text, usage, out, at)
	for _, tt := range []struct {
		event, text, usage string
		ok                 bool
	}{
		{first, `"hello"`, `{"in":12,"out":3}`, true},
		{`{"type":"delta","text":"wörld \"x\"\n\t\\","usage":{"in":12,"out":345},"id":"x"}`, `"wörld \"x\"\n\t\\"`, `{"in":12,"out":345}`, true},
		{`{"type":"delta","text":"a","usage":{"in":9,"out":10},"id":"x"}`, `"a"`, `{"in":9,"out":10}`, true},
		{`{"type":"delta","text":"","usage":{"in":12,"out":3},"id":"x"}`, "", "", false},                         // empty text
		{`{"type":"delta","text":"\u00e9","usage":{"in":12,"out":3},"id":"x"}`, "", "", false},                   // escape written otherwise
		{`{"type":"delta","text":"a\/b","usage":{"in":12,"out":3},"id":"x"}`, "", "", false},                     // escape written otherwise
		{"{\"type\":\"delta\",\"text\":\"\u2028\",\"usage\":{\"in\":12,\"out\":3},\"id\":\"x\"}", "", "", false}, // written escaped
		{"{\"type\":\"delta\",\"text\":\"\xff\",\"usage\":{\"in\":12,\"out\":3},\"id\":\"x\"}", "", "", false},   // invalid UTF-8
		{"{\"type\":\"delta\",\"text\":\"a\x01\",\"usage\":{\"in\":12,\"out\":3},\"id\":\"x\"}", "", "", false},  // control character
		{`{"type":"delta","text":"a","usage":{"in":12,"out":3},"id":"y"}`, "", "", false},                        // after the usage
		{`{"type":"delta","text":"a","usage":{"in":12,"out":3,"x":1},"id":"x"}`, "", "", false},                  // usage's structure
		{`{"type":"delta","text":"a","usage":{"in":"12","out":3},"id":"x"}`, "", "", false},                      // a string
		{`{"type":"delta","text":"a","usage":{"in":012,"out":3},"id":"x"}`, "", "", false},                       // leading zero
		{`{"type":"delta","text":"a","usage":{"in":,"out":3},"id":"x"}`, "", "", false},                          // no number
		{`{"type":"other","text":"a","usage":{"in":12,"out":3},"id":"x"}`, "", "", false},                        // before the text
		{`{"type":"delta","text":"a","b":"c","usage":{"in":12,"out":3},"id":"x"}`, "", "", false},                // more than a string
		{`{"type":"delta","text":"a`, "", "", false},
	} {
		text, usage, ok := sh.Match(tt.event)
		if text != tt.text || usage != tt.usage || ok != tt.ok {
			t.Errorf("Match(%s) = %q, %q, %v; want %q, %q, %v", tt.event, text, usage, ok, tt.text, tt.usage, tt.ok)
		}
		if ok && !json.Valid([]byte(tt.event)) {
			t.Errorf("Match(%s) accepted invalid JSON", tt.event)
		}
	}
	if got := string(sh.Append([]byte("x"), `"b\n"`)); got != "x"+`data: {"content":"b\n"}`+"\n\n" {
		t.Errorf("Append = %q", got)
	}

	for name, set := range map[string]func(){
		"a copy":                   func() { sh.Set(first, `"hello"`, usage, out, at) },
		"a text written otherwise": func() { sh.Set(first, text, usage, out, at+1) },
		"usage before the text":    func() { sh.Set(first, text, valueOf(first, "type"), out, at) },
		"no text":                  func() { sh.Set(first, valueOf(first, "usage"), "", out, at) },
	} {
		sh.Set(first, text, usage, out, at)
		set()
		if _, _, ok := sh.Match(first); ok {
			t.Errorf("Set with %s kept a shape", name)
		}
	}
	sh.Set(first, text, "", out, at)
	if _, _, ok := sh.Match(first); !ok {
		t.Error("a shape without usage did not match its own event")
	}
	if _, _, ok := sh.Match(strings.Replace(first, `"out":3`, `"out":4`, 1)); ok {
		t.Error("a shape without usage let digits vary")
	}
	sh.Reset()
	if _, _, ok := sh.Match(first); ok {
		t.Error("Reset kept the shape")
	}

	// A converter that copies texts verbatim takes any valid string.
	sh.Verbatim = true
	sh.Set(first, text, usage, out, at)
	for event, want := range map[string]bool{
		`{"type":"delta","text":"<a>\/","usage":{"in":12,"out":3},"id":"x"}`:                   true,
		`{"type":"delta","text":"\q","usage":{"in":12,"out":3},"id":"x"}`:                      false,
		"{\"type\":\"delta\",\"text\":\"a\x01\",\"usage\":{\"in\":12,\"out\":3},\"id\":\"x\"}": false,
	} {
		if _, _, ok := sh.Match(event); ok != want {
			t.Errorf("verbatim Match(%s) = %v, want %v", event, ok, want)
		}
	}
	escaped := `{"type":"delta","text":"<","usage":{"in":12,"out":3},"id":"x"}`
	text = valueOf(escaped, "text")
	sh.Set(escaped, text, valueOf(escaped, "usage"), []byte("<"+text+">"), 1)
	if _, _, ok := sh.Match(first); !ok {
		t.Error("verbatim Set refused an escaped text")
	}
}

// FuzzShape checks that what a shape matches is valid JSON that differs from the
// remembered event only in the text and the usage part's digits.
func FuzzShape(f *testing.F) {
	first := `{"t":"hello","u":{"a":12,"b":[3,4.5]},"z":1}`
	f.Add(`{"t":"x","u":{"a":1,"b":[30,4.5]},"z":1}`)
	f.Add(`{"t":"x","u":{"a":1,"b":[3,4.50]},"z":1}`)
	f.Add(`{"t":"x","u":{"a":1,"b":[3 ,4.5]},"z":1}`)
	f.Add(`{"t":"\u003c","u":{"a":1,"b":[3,4.5]},"z":1}`)
	f.Fuzz(func(t *testing.T, event string) {
		var sh Shape
		sh.Verbatim = len(event)%2 == 0
		text, usage := valueOf(first, "t"), valueOf(first, "u")
		out := []byte("<" + text + ">")
		sh.Set(first, text, usage, out, 1)
		got, u, ok := sh.Match(event)
		if !ok {
			return
		}
		if !json.Valid([]byte(event)) {
			t.Fatalf("Match(%q) accepted invalid JSON", event)
		}
		var s string
		if err := json.Unmarshal([]byte(got), &s); err != nil || !sh.Verbatim && string(AppendString(nil, s)) != got {
			t.Fatalf("Match(%q) text %q is not as AppendString writes it", event, got)
		}
		noDigits := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return -1
				}
				return r
			}, s)
		}
		if want := `{"t":` + got + `,"u":` + u + `,"z":1}`; event != want || noDigits(u) != noDigits(usage) {
			t.Fatalf("Match(%q) = %q, %q: not the shape", event, got, u)
		}
	})
}

// FuzzNumbersVary checks the shape's usage comparison: what it accepts is the
// remembered object but for digits, byte for byte otherwise.
func FuzzNumbersVary(f *testing.F) {
	f.Add(`{"input_tokens":12,"output_tokens":3,"total_tokens":15},"x"`, `{"input_tokens":12,"output_tokens":4,"total_tokens":16}`)
	f.Add(`{"a":9}`, `{"a":10}`)
	f.Add(`{"a":"x1"}`, `{"a":"x"}`)
	f.Add(`{"a":1}`, `{"b":1}`)
	f.Add(`{"a":12345678901234567}`, `{"a":1}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		n := numbersVary(a, b, 0)
		if n < 0 {
			return
		}
		if n > len(a) {
			t.Fatalf("numbersVary(%q, %q) = %d, past the end", a, b, n)
		}
		noDigits := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return -1
				}
				return r
			}, s)
		}
		if x, y := noDigits(a[:n]), noDigits(b); x != y {
			t.Fatalf("numbersVary(%q, %q) = %d: %q and %q differ but for digits", a, b, n, a[:n], b)
		}
		if json.Valid([]byte(b)) && !json.Valid([]byte(a[:n])) {
			t.Fatalf("numbersVary(%q, %q) = %d: %q is not valid JSON", a, b, n, a[:n])
		}
	})
}

func TestAppendUnquoted(t *testing.T) {
	for _, raw := range []string{`""`, `"plain"`, `"a\"b\\c\nd\re\tf"`, `"\u00e9\ud83d\ude00\/\b\f"`, `"\ud800x"`, `"tail\\"`, `12`, `null`} {
		if got := string(AppendUnquoted([]byte(">"), raw)); got != ">"+Str(raw) {
			t.Errorf("AppendUnquoted(%s) = %q, want %q", raw, got, ">"+Str(raw))
		}
	}
}

// FuzzFlatInts: what FlatInts reads is what a Scan of the object reads (the last of
// each key, integers only), and it reads only valid JSON.
func FuzzFlatInts(f *testing.F) {
	f.Add(`{"a":1,"b":-20,"a":3}`)
	f.Add(` { "b" : 7 , "c":1 } `)
	f.Add(`{"a":01}`)
	f.Add(`{"a":1.5}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, obj string) {
		keys := []string{"a", "b"}
		var vals [2]int64
		found, ok := FlatInts(obj, keys, vals[:])
		if !ok {
			return
		}
		if !json.Valid([]byte(obj)) {
			t.Fatalf("FlatInts(%q) read invalid JSON", obj)
		}
		var want [2]int64
		var wantFound uint64
		sc := NewScan(obj)
		for sc.Next() {
			n, isInt := Int(sc.Value())
			if !isInt {
				t.Fatalf("FlatInts(%q) read a non-integer member %s", obj, sc.Value())
			}
			for k, key := range keys {
				if sc.Key() == key {
					want[k], wantFound = n, wantFound|1<<k
				}
			}
		}
		if vals != want || found != wantFound {
			t.Fatalf("FlatInts(%q) = %v %b, a Scan reads %v %b", obj, vals, found, want, wantFound)
		}
	})
}
