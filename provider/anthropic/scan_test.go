package anthropic

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// feed converts stream in 256-byte pieces and returns the output.
func feed(tr translator.Translator, stream string) []byte {
	var out []byte
	for in := []byte(stream); len(in) > 0; {
		n := min(256, len(in))
		out, _ = tr.ResponseStream(out, in[:n], n == len(in))
		in = in[n:]
	}
	return out
}

// TestStreamUsageModel: the served model reported after a stream is the one the
// upstream named, not bytes of a reused buffer.
func TestStreamUsageModel(t *testing.T) {
	s, _ := claudeStream()
	c := NewChatToMessages()
	feed(c, s)
	if got := c.Usage().Model; got != "claude-sonnet-4-5-20250929" {
		t.Errorf("ChatToMessages model %q", got)
	}
	o, _ := openAIStream()
	m := NewMessagesToChat()
	feed(m, o)
	if got := m.Usage().Model; got != "gpt-4o-2024-08-06" {
		t.Errorf("MessagesToChat model %q", got)
	}
}

// TestNullToolCalls: "tool_calls":null (sent by several OpenAI-compatible servers) is
// no tool call, in a stream and in a message.
func TestNullToolCalls(t *testing.T) {
	stream := "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hi\",\"tool_calls\":null},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":null},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	out, _ := NewMessagesToChat().ResponseStream(nil, []byte(stream), true)
	if strings.Contains(string(out), "tool_use") {
		t.Errorf("stream: a tool_use block for tool_calls null:\n%s", out)
	}
	body := `{"id":"c1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":null},"finish_reason":"stop"}]}`
	out, err := NewMessagesToChat().ResponseBody(200, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	fields(t, out, map[string]string{"content": `[{"type":"text","text":"hi"}]`, "stop_reason": `"end_turn"`})
}

// TestStreamAllocs: converting an event allocates nothing once the stream runs.
func TestStreamAllocs(t *testing.T) {
	for _, tt := range []struct {
		name   string
		newT   func() translator.Translator
		stream func() (string, int)
	}{
		{"ChatToMessages", func() translator.Translator { return NewChatToMessages() }, claudeStream},
		{"MessagesToChat", func() translator.Translator { return NewMessagesToChat() }, openAIStream},
	} {
		s, _ := tt.stream()
		i := strings.Index(s, "\n\n") + 2
		head, body := s[:i], s[i:]
		j := strings.LastIndex(body[:len(body)/2], "\n\n") + 2
		events := []byte(body[:j]) // deltas only, whole events
		tr := tt.newT()
		out, _ := tr.ResponseStream(nil, []byte(head), false)
		out, _ = tr.ResponseStream(out[:0], events, false) // buffers reach their size
		n := testing.AllocsPerRun(20, func() {
			out, _ = tr.ResponseStream(out[:0], events, false)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per %d bytes of events", tt.name, n, len(events))
		}
	}
}
