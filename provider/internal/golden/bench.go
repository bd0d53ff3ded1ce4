package golden

import (
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
