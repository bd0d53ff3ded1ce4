package hunyuan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func readFixture(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join(testdata, "chat", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkChatJSON converts one request, signs it (EditUpstream) and converts its JSON
// answer per iteration.
func BenchmarkChatJSON(b *testing.B) {
	req := readFixture(b, "tools.request.json")
	resp := readFixture(b, "tools.response.json")
	set := func(string, string) {}
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		tr := NewChat(Options{Credential: testKey, Host: Host, Now: func() int64 { return fixedNow }})
		if _, err := tr.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		tr.EditUpstream("/", set)
		if _, err := tr.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// hunyuanStream is a 200-event Hunyuan answer: 199 text chunks, then one that finishes.
func hunyuanStream() (string, int) {
	var s strings.Builder
	for i := range 199 {
		fmt.Fprintf(&s, "data: {\"Note\":\"以上内容为AI生成，不代表开发者立场，请勿删除或修改本标记\",\"Choices\":[{\"Delta\":{\"Role\":\"assistant\",\"Content\":\"word %d, and \\\"more\\\"\\n\"},\"FinishReason\":\"\"}],\"Created\":1716359713,\"Id\":\"086b6b19-8b2c-4def-a65c-db6a7bc86acd\",\"Usage\":{\"PromptTokens\":25,\"CompletionTokens\":%d,\"TotalTokens\":%d}}\n\n", i, 3*i, 25+3*i)
	}
	s.WriteString("data: {\"Note\":\"以上内容为AI生成，不代表开发者立场，请勿删除或修改本标记\",\"Choices\":[{\"Delta\":{\"Role\":\"assistant\",\"Content\":\"\"},\"FinishReason\":\"stop\"}],\"Created\":1716359713,\"Id\":\"086b6b19-8b2c-4def-a65c-db6a7bc86acd\",\"Usage\":{\"PromptTokens\":25,\"CompletionTokens\":600,\"TotalTokens\":625}}\n\n")
	return s.String(), 200
}

// BenchmarkStreamEvent reports the cost per streamed event, the stream fed in
// 512-byte pieces as a host delivers it.
func BenchmarkStreamEvent(b *testing.B) {
	stream, events := hunyuanStream()
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
