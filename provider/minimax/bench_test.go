package minimax

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

func BenchmarkV2JSON(b *testing.B)  { benchJSON(b, newV2, "v2", "text") }
func BenchmarkProJSON(b *testing.B) { benchJSON(b, newPro, "pro", "tools") }

func BenchmarkV2StreamEvent(b *testing.B) {
	benchStream(b, newV2,
		"data: {\"id\":\"0427c4b6f0a2e4e1d8a1a52e5f13d9a8\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word %d, and \\\"more\\\"\\n\",\"role\":\"assistant\"}}],\"created\":1714376471,\"model\":\"abab6.5g-chat\",\"object\":\"chat.completion.chunk\"}\n\n",
		"data: {\"id\":\"0427c4b6f0a2e4e1d8a1a52e5f13d9a8\",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"created\":1714376471,\"model\":\"abab6.5g-chat\",\"object\":\"chat.completion.chunk\",\"usage\":{\"total_tokens\":92,\"prompt_tokens\":80,\"completion_tokens\":12},\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n")
}

func BenchmarkProStreamEvent(b *testing.B) {
	benchStream(b, newPro,
		"data: {\"created\":1689747645,\"model\":\"abab6.5s-chat\",\"reply\":\"\",\"choices\":[{\"messages\":[{\"sender_type\":\"BOT\",\"sender_name\":\"MM智能助理\",\"text\":\"word %d, and \\\"more\\\"\\n\"}]}],\"output_sensitive\":false}\n\n",
		"data: {\"created\":1689747645,\"model\":\"abab6.5s-chat\",\"reply\":\"x\",\"choices\":[{\"finish_reason\":\"stop\",\"messages\":[{\"sender_type\":\"BOT\",\"sender_name\":\"MM智能助理\",\"text\":\"x\"}]}],\"usage\":{\"total_tokens\":187},\"id\":\"0106b3bc9fd844a9f3de1aa06004e2ab\",\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n")
}
