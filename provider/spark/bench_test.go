package spark

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

func BenchmarkChatJSON(b *testing.B) { benchJSON(b, newChat, "chat", "text") }

func BenchmarkStreamEvent(b *testing.B) {
	benchStream(b, newChat,
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"word %d, and \\\"more\\\"\\n\"},\"index\":0}]}\n\n",
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"index\":0}],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":42,\"total_tokens\":48}}\n\ndata:[DONE]\n\n")
}
