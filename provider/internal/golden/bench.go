package golden

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Fixture returns the file at path, failing b when it cannot be read.
func Fixture(b testing.TB, path string) []byte {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchJSON measures one exchange per iteration: a converter from newT converts req,
// then (edit not nil) has edit run on it, then converts the JSON answer resp.
func BenchJSON(b *testing.B, newT func() translator.Translator, req, resp []byte, edit func(translator.Translator)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		tr := newT()
		if _, err := tr.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		if edit != nil {
			edit(tr)
		}
		if _, err := tr.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// Events returns a stream of n events: n-1 of event (a format given the event's index),
// then last.
func Events(n int, event, last string) []byte {
	var s strings.Builder
	for i := range n - 1 {
		fmt.Fprintf(&s, event, i)
	}
	s.WriteString(last)
	return []byte(s.String())
}

// BenchStream measures a whole stream of events events per iteration, fed in
// 512-byte pieces as a host delivers it, and reports the cost per event (ns/event).
func BenchStream(b *testing.B, newT func() translator.Translator, in []byte, events int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)) / int64(events))
	var out []byte
	n := 0
	for b.Loop() {
		tr := newT()
		out = out[:0]
		for p := 0; p < len(in); p += 512 {
			e := min(p+512, len(in))
			out, _ = tr.ResponseStream(out, in[p:e], e == len(in))
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*events), "ns/event")
}

// CheckShaped converts stream (in 512-byte pieces) with the translator.Shape that
// shape returns on and off: the output must be the same, and at least hits events
// must have matched the shape.
func CheckShaped(t *testing.T, newT func() translator.Translator, shape func(translator.Translator) *translator.Shape, stream []byte, hits int) {
	t.Helper()
	run := func(off bool) ([]byte, int) {
		tr := newT()
		sh := shape(tr)
		sh.Off = off
		var out []byte
		for p := 0; p < len(stream); p += 512 {
			e := min(p+512, len(stream))
			out, _ = tr.ResponseStream(out, stream[p:e], e == len(stream))
		}
		return out, sh.Hits
	}
	shaped, n := run(false)
	walked, _ := run(true)
	if !bytes.Equal(shaped, walked) {
		t.Fatalf("events matched by their shape convert otherwise:\n%s\nwalked:\n%s", shaped, walked)
	}
	if n < hits {
		t.Errorf("%d events matched the shape, want at least %d", n, hits)
	}
}
