package gemini

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// BenchmarkChatJSON converts one request and its JSON answer per iteration.
func BenchmarkChatJSON(b *testing.B) {
	base := testdata + "/chat/tools_parallel"
	golden.BenchJSON(b, newChat, golden.Fixture(b, base+".request.json"), golden.Fixture(b, base+".response.json"), nil)
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
	golden.BenchStream(b, newChat, []byte(stream), events)
}

// TestStreamShape: the text events of a stream after the first convert through the
// shape of the one before, to the same chunks; also texts with Google's escapes.
func TestStreamShape(t *testing.T) {
	stream, events := geminiStream()
	shape := func(tr translator.Translator) *translator.Shape { return &tr.(*Chat).shape }
	golden.CheckShaped(t, newChat, shape, []byte(stream), events-3)
	golden.CheckShaped(t, newChat, shape, []byte(strings.ReplaceAll(stream, `and \"more\"`, `\u003cb\u003e`)), events-3)
}
