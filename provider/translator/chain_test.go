package translator

import (
	"strings"
	"testing"
)

// tag is a Translator that marks every body and stream piece with its name, and
// records the status it was told.
type tag struct {
	name   string
	status int
	ct     string
	usage  Usage
}

func (t *tag) RequestBody(b []byte) ([]byte, error) { return append(b, t.name...), nil }
func (t *tag) ResponseBody(_ int, b []byte) ([]byte, error) {
	return append(append([]byte{}, b...), t.name...), nil
}
func (t *tag) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	dst = append(dst, chunk...)
	if end {
		dst = append(dst, t.name...)
	}
	return dst, nil
}
func (t *tag) Usage() Usage                                         { return t.usage }
func (t *tag) SetUpstreamStatus(s int, ct string)                   { t.status, t.ct = s, ct }
func (t *tag) EditUpstream(p string, _ func(string, string)) string { return p + "/" + t.name }

func TestChain(t *testing.T) {
	outer, inner := &tag{name: "O"}, &tag{name: "I"}
	c := Chain(outer, inner)
	tests := []struct {
		name, got, want string
	}{
		{"request: outer then inner", str(c.RequestBody([]byte("b"))), "bOI"},
		{"answer: inner then outer", str(c.ResponseBody(200, []byte("a"))), "aIO"},
		{"stream: inner then outer", str(c.ResponseStream([]byte(">"), []byte("s"), true)), ">sIO"},
		{"upstream edit: inner", c.(UpstreamEditor).EditUpstream("/p", nil), "/p/I"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	c.(StreamStatus).SetUpstreamStatus(429, "application/json")
	if inner.status != 429 || inner.ct != "application/json" || outer.status != 429 || !strings.Contains(outer.ct, "event-stream") {
		t.Errorf("status: inner %d %q, outer %d %q", inner.status, inner.ct, outer.status, outer.ct)
	}
	outer.usage = Usage{TotalTokens: 1}
	if c.Usage().TotalTokens != 1 {
		t.Errorf("usage falls back to outer's")
	}
	inner.usage = Usage{TotalTokens: 2}
	if c.Usage().TotalTokens != 2 {
		t.Errorf("usage prefers inner's")
	}
}

func str(b []byte, _ error) string { return string(b) }
