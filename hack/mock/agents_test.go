package mock

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestDify: the Dify endpoints answer in Dify's shapes, check what Dify checks, and fail
// on demand in Dify's error shape.
func TestDify(t *testing.T) {
	_, srv := newServer(t, WithoutCompression())
	auth := map[string]string{"Authorization": "Bearer app-1"}
	agent := map[string]string{"Authorization": "Bearer app-agent-1"}
	chat := `{"inputs":{},"query":"hi","response_mode":"%s","user":"u"}`
	mode := func(m string) string { return strings.Replace(chat, "%s", m, 1) }

	status, b := do(t, srv.URL+"/v1/chat-messages", auth, mode("blocking"))
	if status != 200 || gjson.GetBytes(b, "answer").Str != "Hello from the mock Dify chat app! You said: hi" ||
		!strings.HasPrefix(gjson.GetBytes(b, "conversation_id").Str, "conv-") || gjson.GetBytes(b, "metadata.usage.total_tokens").Int() == 0 {
		t.Fatalf("blocking chat: %d %s", status, b)
	}
	_, b = do(t, srv.URL+"/v1/chat-messages", auth, mode("streaming"))
	evs := events(b)
	if first, last := gjson.ParseBytes(evs[0].Data), gjson.ParseBytes(evs[len(evs)-1].Data); first.Get("event").Str != "message" || last.Get("event").Str != "message_end" || !last.Get("metadata.usage").Exists() {
		t.Fatalf("chat stream: %s", b)
	}
	if !strings.Contains(string(b), "event: ping") {
		t.Errorf("no ping in the stream: %s", b)
	}
	_, b = do(t, srv.URL+"/v1/chat-messages", agent, mode("streaming"))
	if !strings.Contains(string(b), `"event":"agent_thought"`) || !strings.Contains(string(b), `"event":"agent_message"`) {
		t.Errorf("agent stream: %s", b)
	}
	if status, b = do(t, srv.URL+"/v1/chat-messages", agent, mode("blocking")); status != 400 || gjson.GetBytes(b, "code").Str != "invalid_param" {
		t.Errorf("agent blocking: %d %s", status, b)
	}
	_, b = do(t, srv.URL+"/v1/workflows/run", auth, `{"inputs":{"question":"sky?"},"response_mode":"streaming","user":"u"}`)
	evs = events(b)
	if last := gjson.ParseBytes(evs[len(evs)-1].Data); last.Get("event").Str != "workflow_finished" || last.Get("data.outputs.answer").Str != "Hello from the mock Dify workflow app! You said: sky?" {
		t.Errorf("workflow stream: %s", b)
	}
	status, b = do(t, srv.URL+"/v1/completion-messages", auth, `{"inputs":{"query":"hi"},"response_mode":"blocking","user":"u"}`)
	if status != 200 || gjson.GetBytes(b, "mode").Str != "completion" || gjson.GetBytes(b, "conversation_id").Exists() {
		t.Errorf("completion: %d %s", status, b)
	}
	for _, tc := range []struct {
		path, body string
		headers    map[string]string
		status     int
		code       string
	}{
		{"/v1/chat-messages", `{"inputs":{},"response_mode":"blocking","user":"u"}`, auth, 400, "invalid_param"},
		{"/v1/chat-messages", mode("blocking"), map[string]string{}, 401, "unauthorized"},
		{"/v1/chat-messages", strings.Replace(mode("blocking"), `"hi"`, `"mock-error-429"`, 1), auth, 429, "too_many_requests"},
		{"/v1/chat-messages", strings.Replace(mode("blocking"), `"user"`, `"conversation_id":"x","user"`, 1), auth, 404, "not_found"},
		{"/v1/chat-messages", mode("blocking"), map[string]string{"Authorization": "Bearer k", FaultHeader: "status:503"}, 503, "internal_server_error"},
	} {
		status, b := do(t, srv.URL+tc.path, tc.headers, tc.body)
		if status != tc.status || gjson.GetBytes(b, "code").Str != tc.code || gjson.GetBytes(b, "status").Int() != int64(tc.status) {
			t.Errorf("%s %s: %d %s, want %d %s", tc.path, tc.body, status, b, tc.status, tc.code)
		}
	}
	_, b = do(t, srv.URL+"/v1/chat-messages", map[string]string{"Authorization": "Bearer k", FaultHeader: "inband-error"}, mode("streaming"))
	if gjson.ParseBytes(events(b)[0].Data).Get("event").Str != "error" {
		t.Errorf("inband-error: %s", b)
	}
}

func TestTriton(t *testing.T) {
	_, srv := newServer(t, WithoutCompression())
	status, b := do(t, srv.URL+"/v2/models/gpt2/versions/3/generate", nil, `{"text_input":"hi","parameters":{"stream":false}}`)
	if status != 200 || gjson.GetBytes(b, "text_output").Str != "Hello from the mock gpt2! You said: hi" || gjson.GetBytes(b, "model_version").Str != "3" {
		t.Fatalf("generate: %d %s", status, b)
	}
	_, b = do(t, srv.URL+"/v2/models/gpt2/generate_stream", nil, `{"text_input":"hi"}`)
	var text string
	for _, ev := range events(b) {
		text += gjson.GetBytes(ev.Data, "text_output").Str
	}
	if text != "Hello from the mock gpt2! You said: hi" {
		t.Errorf("stream: %s", b)
	}
	if status, b = do(t, srv.URL+"/v2/models/gpt2/generate", nil, `{"prompt":"hi"}`); status != 400 || !gjson.GetBytes(b, "error").Exists() {
		t.Errorf("no text_input: %d %s", status, b)
	}
	if status, _ = do(t, srv.URL+"/v2/models/mock-error-503/generate", nil, `{"text_input":"hi"}`); status != 503 {
		t.Errorf("mock-error-503: %d", status)
	}
	_, b = do(t, srv.URL+"/v2/models/mock-error-midstream/generate_stream", nil, `{"text_input":"one two three four"}`)
	if evs := events(b); !gjson.GetBytes(evs[len(evs)-1].Data, "error").Exists() {
		t.Errorf("midstream: %s", b)
	}
}

func TestCoze(t *testing.T) {
	_, srv := newServer(t, WithoutCompression())
	auth := map[string]string{"Authorization": "Bearer pat"}
	body := `{"bot_id":"73","user_id":"u","stream":%s,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`
	_, b := do(t, srv.URL+"/v3/chat", auth, strings.Replace(body, "%s", "true", 1))
	evs := events(b)
	if string(evs[0].Name) != "conversation.chat.created" || string(evs[len(evs)-1].Name) != "done" || string(evs[len(evs)-1].Data) != `"[DONE]"` {
		t.Fatalf("stream: %s", b)
	}
	_, b = do(t, srv.URL+"/v3/chat", auth, strings.Replace(body, "%s", "false", 1))
	if gjson.GetBytes(b, "code").Int() != 0 || gjson.GetBytes(b, "data.status").Str != "in_progress" {
		t.Errorf("chat: %s", b)
	}
	if status, b := do(t, srv.URL+"/v3/chat", nil, strings.Replace(body, "%s", "false", 1)); status != 401 || gjson.GetBytes(b, "code").Int() != 4100 {
		t.Errorf("no token: %d %s", status, b)
	}
}
