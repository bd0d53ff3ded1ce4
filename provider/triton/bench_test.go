package triton

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
)

func BenchmarkChatJSON(b *testing.B) {
	base := testdata + "/chat/text"
	golden.BenchJSON(b, newChat, golden.Fixture(b, base+".request.json"), golden.Fixture(b, base+".response.json"), nil)
}

// BenchmarkStreamEvent reports the cost per streamed event.
func BenchmarkStreamEvent(b *testing.B) {
	golden.BenchStream(b, newChat, golden.Events(200,
		"data: {\"model_name\":\"llama\",\"model_version\":\"1\",\"text_output\":\"word %d, and \\\"more\\\"\\n\"}\n\n",
		"data: {\"model_name\":\"llama\",\"model_version\":\"1\",\"text_output\":\".\"}\n\n"), 200)
}
