package translator

import "testing"

// textOf returns the raw value of key "text" in the object event, through a Scan.
func textOf(event string) string {
	s := NewScan(event)
	for s.Next() {
		if s.Key() == "text" {
			return s.Value()
		}
	}
	return ""
}

func TestTemplate(t *testing.T) {
	first := `{"type":"delta","text":"hello","index":0}`
	var tm Template
	if _, ok := tm.Match(first); ok {
		t.Fatal("an empty template matched")
	}
	tm.Set(first, textOf(first))
	for _, tt := range []struct {
		event, want string
		ok          bool
	}{
		{`{"type":"delta","text":"world \"x\"\n","index":0}`, `"world \"x\"\n"`, true},
		{`{"type":"delta","text":"","index":0}`, `""`, true},
		{first, `"hello"`, true},
		{`{"type":"delta","text":"a","index":1}`, "", false},               // suffix differs
		{`{"type":"other","text":"a","index":0}`, "", false},               // prefix differs
		{`{"type":"delta","text":"a","b":"c","index":0}`, "", false},       // more than a string
		{`{"type":"delta","text":12,"index":0}`, "", false},                // not a string
		{`{"type":"delta","text":"a\q","index":0}`, "", false},             // bad escape
		{`{"type":"delta","text":"a` + "\x01" + `","index":0}`, "", false}, // control character
		{`{"type":"delta","text":"a\","index":0}`, "", false},              // quote escaped
		{`{"type":"delta","text":"`, "", false},
	} {
		got, ok := tm.Match(tt.event)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Match(%s) = %q, %v; want %q, %v", tt.event, got, ok, tt.want, tt.ok)
		}
		if ok {
			var whole Scan = NewScan(tt.event)
			for whole.Next() {
			}
			if !whole.Valid() {
				t.Errorf("Match(%s) accepted invalid JSON", tt.event)
			}
		}
	}
	tm.Set(first, `"hello"`) // a copy, not a view into first
	if _, ok := tm.Match(first); ok {
		t.Error("Set accepted a value outside the event")
	}
	tm.Set(first, textOf(first))
	tm.Reset()
	if _, ok := tm.Match(first); ok {
		t.Error("Reset kept the template")
	}
}

func FuzzTemplate(f *testing.F) {
	f.Add(`{"type":"delta","text":"hello","index":0}`, `"wor\"ld"`)
	f.Fuzz(func(t *testing.T, first, text string) {
		v := textOf(first)
		if v == "" || v[0] != '"' {
			return
		}
		var tm Template
		tm.Set(first, v)
		off := len(tm.pre)
		event := first[:off] + text + first[off+len(v):]
		got, ok := tm.Match(event)
		valid := false
		if len(text) > 0 && text[0] == '"' {
			end, _, whole := skipString(text, 1)
			valid = whole && end == len(text)
		}
		if ok != valid || ok && got != text {
			t.Fatalf("Match(%q) = %q, %v; the new text is a valid string: %v", event, got, ok, valid)
		}
	})
}

func TestEqual(t *testing.T) {
	const s = "0123456789abcdefghij"
	for n := 0; n <= len(s); n++ {
		a := s[:n]
		if !Equal(a, string([]byte(a))) {
			t.Errorf("Equal(%q, itself) = false", a)
		}
		for k := 0; k < n; k++ {
			b := []byte(a)
			b[k] ^= 0x80
			if Equal(a, string(b)) {
				t.Errorf("Equal(%q, %q) = true", a, b)
			}
		}
	}
	if Equal("abc", "abcd") {
		t.Error(`Equal("abc", "abcd") = true`)
	}
}
