package hunyuan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// BenchmarkChatJSON converts one request, signs it (EditUpstream) and converts its JSON
// answer per iteration.
func BenchmarkChatJSON(b *testing.B) {
	base := testdata + "/chat/tools"
	newT := func() translator.Translator {
		return NewChat(Options{Credential: testKey, Host: Host, Now: func() int64 { return fixedNow }})
	}
	set := func(string, string) {}
	golden.BenchJSON(b, newT, golden.Fixture(b, base+".request.json"), golden.Fixture(b, base+".response.json"),
		func(tr translator.Translator) { tr.(*Chat).EditUpstream("/", set) })
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
	golden.BenchStream(b, newChat, []byte(stream), events)
}

// TestStreamShape: the text events of a stream after the first convert through the
// shape of the one before, to the same chunks.
func TestStreamShape(t *testing.T) {
	stream, events := hunyuanStream()
	shape := func(tr translator.Translator) *translator.Shape { return &tr.(*Chat).shape }
	golden.CheckShaped(t, newChat, shape, []byte(stream), events-3)
	golden.CheckShaped(t, newChat, shape, []byte(strings.ReplaceAll(stream, `and \"more\"`, `\u4f60\u597d`)), events-3)
}
