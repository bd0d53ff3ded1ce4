package deepl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
)

// BenchmarkChatJSON converts the seed example's request and answer per iteration.
func BenchmarkChatJSON(b *testing.B) {
	golden.BenchJSON(b, newChat, golden.Fixture(b, testdata+"/seed.request.json"), golden.Fixture(b, testdata+"/seed.response.json"), nil)
}

// BenchmarkStreamEvent: a streamed answer is one JSON body, written as one chunk per
// translation; reported per chunk.
func BenchmarkStreamEvent(b *testing.B) {
	resp, _ := os.ReadFile(filepath.Join(testdata, "seed.response.json"))
	b.ReportAllocs()
	var out []byte
	n := 0
	for b.Loop() {
		tr := newChat()
		out, _ = tr.ResponseStream(out[:0], resp, true)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*2), "ns/event")
}
