package anthropic

import (
	"bytes"
	"os"
	"path/filepath"
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

// withoutTemplate converts stream one event at a time, forgetting the template after
// each: every event takes the full scan.
func withoutTemplate(tr translator.Translator, stream []byte) []byte {
	var out []byte
	for len(stream) > 0 {
		n := bytes.Index(stream, []byte("\n\n")) + 2
		if n < 2 {
			n = len(stream)
		}
		out, _ = tr.ResponseStream(out, stream[:n], false)
		stream = stream[n:]
		switch c := tr.(type) {
		case *ChatToMessages:
			c.tmpl.Reset()
		case *MessagesToChat:
			c.tmpl.Reset()
		}
	}
	out, _ = tr.ResponseStream(out, nil, true)
	return out
}

// TestTemplatePath: events recognized by the template convert exactly as when scanned.
func TestTemplatePath(t *testing.T) {
	c, _ := claudeStream()
	o, _ := openAIStream()
	extra := map[string][]string{
		"chat_to_messages": {c,
			// thinking, signature and tool input deltas repeat too
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\"}}\n\n" +
				"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"a\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"b\\u00e9\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"s\"}}\n\n" +
				"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\"\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\":1}\"}}\n\n" +
				"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"x\\q\"}}\n\n" +
				"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n"},
		"messages_to_chat": {o,
			"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"a\",\"content\":null}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"b\",\"content\":null}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"\",\"content\":null}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"c\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"d\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"e\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"f\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"f\"}}],\"usage\":{\"prompt_tokens\":3}}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"g\\\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\"}}]}\n\n" +
				"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"i\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"},
	}
	for _, d := range directions {
		streams := extra[d.name]
		files, _ := filepath.Glob(filepath.Join(testdata, d.name, "*.stream.sse"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			streams = append(streams, string(b))
		}
		for i, s := range streams {
			want := withoutTemplate(d.new(), []byte(s))
			got, _ := d.new().ResponseStream(nil, []byte(s), true)
			if !bytes.Equal(got, want) {
				t.Errorf("%s stream %d: with the template\n%s\nwithout\n%s", d.name, i, got, want)
			}
		}
	}
}
