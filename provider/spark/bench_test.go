package spark

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func fixture(b *testing.B, dir, name string) []byte {
	data, err := os.ReadFile(filepath.Join(testdata, dir, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// benchJSON converts one request and its JSON answer per iteration.
func benchJSON(b *testing.B, newT func() translator.Translator, dir, name string) {
	req, resp := fixture(b, dir, name+".request.json"), fixture(b, dir, name+".response.json")
	b.ReportAllocs()
	for b.Loop() {
		tr := newT()
		if _, err := tr.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		if _, err := tr.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStream reports the cost per streamed event: events copies of event, then last,
// fed in 512-byte pieces.
func benchStream(b *testing.B, newT func() translator.Translator, event, last string) {
	var s strings.Builder
	const events = 200
	for i := range events - 1 {
		fmt.Fprintf(&s, event, i)
	}
	s.WriteString(last)
	in := []byte(s.String())
	b.ReportAllocs()
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

func BenchmarkChatJSON(b *testing.B) { benchJSON(b, newChat, "chat", "text") }

func BenchmarkStreamEvent(b *testing.B) {
	benchStream(b, newChat,
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"word %d, and \\\"more\\\"\\n\"},\"index\":0}]}\n\n",
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"index\":0}],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":42,\"total_tokens\":48}}\n\ndata:[DONE]\n\n")
}
