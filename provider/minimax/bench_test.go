package minimax

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// benchJSON converts dir/name's request and its JSON answer per iteration.
func benchJSON(b *testing.B, newT func() translator.Translator, dir, name string) {
	base := testdata + "/" + dir + "/" + name
	golden.BenchJSON(b, newT, golden.Fixture(b, base+".request.json"), golden.Fixture(b, base+".response.json"), nil)
}

// benchStream reports the cost per streamed event: 199 copies of event, then last.
func benchStream(b *testing.B, newT func() translator.Translator, event, last string) {
	golden.BenchStream(b, newT, golden.Events(200, event, last), 200)
}

func BenchmarkV2JSON(b *testing.B)  { benchJSON(b, newV2, "v2", "text") }
func BenchmarkProJSON(b *testing.B) { benchJSON(b, newPro, "pro", "tools") }

func BenchmarkV2StreamEvent(b *testing.B) {
	benchStream(b, newV2,
		"data: {\"id\":\"0427c4b6f0a2e4e1d8a1a52e5f13d9a8\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word %d, and \\\"more\\\"\\n\",\"role\":\"assistant\"}}],\"created\":1714376471,\"model\":\"abab6.5g-chat\",\"object\":\"chat.completion.chunk\"}\n\n",
		"data: {\"id\":\"0427c4b6f0a2e4e1d8a1a52e5f13d9a8\",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"created\":1714376471,\"model\":\"abab6.5g-chat\",\"object\":\"chat.completion.chunk\",\"usage\":{\"total_tokens\":92,\"prompt_tokens\":80,\"completion_tokens\":12},\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n")
}

func BenchmarkProStreamEvent(b *testing.B) { golden.BenchStream(b, newPro, proStream(), 200) }

// TestStreamShape: the text events of a stream after the first convert through the
// shape of the one before, to the same chunks.
func TestStreamShape(t *testing.T) {
	golden.CheckShaped(t, newPro, func(tr translator.Translator) *translator.Shape { return &tr.(*Chat).shape },
		proStream(), 197)
}

// proStream is a 200-event ChatCompletion Pro answer: 199 text chunks, then the reply.
func proStream() []byte {
	return golden.Events(200,
		"data: {\"created\":1689747645,\"model\":\"abab6.5s-chat\",\"reply\":\"\",\"choices\":[{\"messages\":[{\"sender_type\":\"BOT\",\"sender_name\":\"MM智能助理\",\"text\":\"word %d, and \\\"more\\\"\\n\"}]}],\"output_sensitive\":false}\n\n",
		"data: {\"created\":1689747645,\"model\":\"abab6.5s-chat\",\"reply\":\"x\",\"choices\":[{\"finish_reason\":\"stop\",\"messages\":[{\"sender_type\":\"BOT\",\"sender_name\":\"MM智能助理\",\"text\":\"x\"}]}],\"usage\":{\"total_tokens\":187},\"id\":\"0106b3bc9fd844a9f3de1aa06004e2ab\",\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n")
}
