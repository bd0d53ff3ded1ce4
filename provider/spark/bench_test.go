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

func BenchmarkChatJSON(b *testing.B) { benchJSON(b, newChat, "chat", "text") }

func BenchmarkStreamEvent(b *testing.B) { golden.BenchStream(b, newChat, sparkStream(), 200) }

// TestStreamShape: the text events of a stream after the first convert through the
// shape of the one before, to the same chunks.
func TestStreamShape(t *testing.T) {
	golden.CheckShaped(t, newChat, func(tr translator.Translator) *translator.Shape { return &tr.(*Chat).shape },
		sparkStream(), 197)
}

// sparkStream is a 200-event Spark answer: 199 text chunks, then usage and [DONE].
func sparkStream() []byte {
	return golden.Events(200,
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"word %d, and \\\"more\\\"\\n\"},\"index\":0}]}\n\n",
		"data:{\"code\":0,\"message\":\"Success\",\"sid\":\"cha000b000c@dx1905cf38fc8b86d552\",\"id\":\"cha000b000c@dx1905cf38fc8b86d552\",\"created\":1719546385,\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"index\":0}],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":42,\"total_tokens\":48}}\n\ndata:[DONE]\n\n")
}
