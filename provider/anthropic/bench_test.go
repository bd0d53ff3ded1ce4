package anthropic

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

// benchExchange converts one request and its JSON answer per iteration.
func benchExchange(b *testing.B, newT func() translator.Translator, req, resp []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
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

func BenchmarkChatToMessagesJSON(b *testing.B) {
	benchExchange(b, func() translator.Translator { return NewChatToMessages() },
		readFixture(b, "chat_to_messages", "tools_parallel.request.json"),
		readFixture(b, "chat_to_messages", "tools_parallel.response.json"))
}

func BenchmarkMessagesToChatJSON(b *testing.B) {
	benchExchange(b, func() translator.Translator { return NewMessagesToChat() },
		readFixture(b, "messages_to_chat", "tools_parallel.request.json"),
		readFixture(b, "messages_to_chat", "tools_parallel.response.json"))
}

// claudeStream is a 200-event Claude answer: start, 195 text deltas, stop events.
func claudeStream() (string, int) {
	var s strings.Builder
	s.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n")
	s.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := range 195 {
		fmt.Fprintf(&s, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"word %d, and \\\"more\\\"\\n\"}}\n\n", i)
	}
	s.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	s.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":600}}\n\n")
	s.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	return s.String(), 200
}

// openAIStream is a 200-event OpenAI answer: 197 content chunks, finish, usage, [DONE].
func openAIStream() (string, int) {
	var s strings.Builder
	const head = `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":`
	for i := range 197 {
		fmt.Fprintf(&s, "%s{\"content\":\"word %d, and \\\"more\\\"\\n\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n", head, i)
	}
	s.WriteString(head + "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n")
	s.WriteString(`data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":25,"completion_tokens":600,"total_tokens":625,"prompt_tokens_details":{"cached_tokens":0}}}` + "\n\n")
	s.WriteString("data: [DONE]\n\n")
	return s.String(), 200
}

// benchStream converts a whole stream fed in 256-byte pieces per iteration, reusing
// the output buffer as the plugin does between callbacks.
func benchStream(b *testing.B, newT func() translator.Translator, stream string, events int) {
	var pieces [][]byte
	for in := []byte(stream); len(in) > 0; {
		n := min(256, len(in))
		pieces = append(pieces, in[:n])
		in = in[n:]
	}
	var out []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		tr := newT()
		for i, p := range pieces {
			out, _ = tr.ResponseStream(out[:0], p, i == len(pieces)-1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
}

func BenchmarkChatToMessagesStream(b *testing.B) {
	s, n := claudeStream()
	benchStream(b, func() translator.Translator { return NewChatToMessages() }, s, n)
}

func BenchmarkMessagesToChatStream(b *testing.B) {
	s, n := openAIStream()
	benchStream(b, func() translator.Translator { return NewMessagesToChat() }, s, n)
}
