package gemini

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func readFixture(b *testing.B, dir, name string) []byte {
	data, err := os.ReadFile(filepath.Join(testdata, dir, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkChatJSON converts one request and its JSON answer per iteration.
func BenchmarkChatJSON(b *testing.B) {
	req := readFixture(b, "chat", "tools_parallel.request.json")
	resp := readFixture(b, "chat", "tools_parallel.response.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		tr := newChat()
		if _, err := tr.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		if _, err := tr.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// geminiStream is a 200-event Gemini answer: 199 text chunks, then one that finishes.
func geminiStream() (string, int) {
	var s strings.Builder
	for i := range 199 {
		fmt.Fprintf(&s, "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"word %d, and \\\"more\\\"\\n\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 25,\"candidatesTokenCount\": %d,\"totalTokenCount\": %d},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mOYPaLr0Mq3Uz7IPvLTs4Q4\"}\r\n\r\n", i, 3*i, 25+3*i)
	}
	s.WriteString("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"end\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 25,\"candidatesTokenCount\": 600,\"totalTokenCount\": 625},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mOYPaLr0Mq3Uz7IPvLTs4Q4\"}\r\n\r\n")
	return s.String(), 200
}

// BenchmarkStreamEvent reports the cost per streamed event, the stream fed in
// 512-byte pieces as a host delivers it.
func BenchmarkStreamEvent(b *testing.B) {
	stream, events := geminiStream()
	in := []byte(stream)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)) / int64(events))
	var out []byte
	n := 0
	for b.Loop() {
		var tr translator.Translator = newChat()
		out = out[:0]
		for p := 0; p < len(in); p += 512 {
			e := min(p+512, len(in))
			out, _ = tr.ResponseStream(out, in[p:e], e == len(in))
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*events), "ns/event")
}
