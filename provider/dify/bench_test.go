package dify

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
)

func BenchmarkChatJSON(b *testing.B) {
	base := testdata + "/chat/text"
	golden.BenchJSON(b, newFor(Options{}), golden.Fixture(b, base+".request.json"), golden.Fixture(b, base+".response.json"), nil)
}

// BenchmarkStreamEvent reports the cost per streamed event: 199 message events, then
// message_end.
func BenchmarkStreamEvent(b *testing.B) {
	golden.BenchStream(b, newFor(Options{}), golden.Events(200,
		"data: {\"event\": \"message\", \"task_id\": \"900bbd43-dc0b-4383-a372-aa6e6c414227\", \"message_id\": \"5ad4cb98-f0c7-4085-b384-88c403be6290\", \"conversation_id\": \"45701982-8118-4bc5-8e9b-64562b4555f2\", \"answer\": \"word %d, and \\\"more\\\"\\n\", \"created_at\": 1705398420}\n\n",
		"data: {\"event\": \"message_end\", \"task_id\": \"900bbd43\", \"id\": \"5e52ce04\", \"conversation_id\": \"45701982-8118-4bc5-8e9b-64562b4555f2\", \"metadata\": {\"usage\": {\"prompt_tokens\": 1033, \"completion_tokens\": 135, \"total_tokens\": 1168}}}\n\n"), 200)
}
