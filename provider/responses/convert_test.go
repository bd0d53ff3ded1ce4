package responses

import (
	"strings"
	"testing"
)

// TestRefused: what a chat provider cannot do is a clear error naming it.
func TestRefused(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"model":"m","input":"hi","previous_response_id":"resp_1"}`, "previous_response_id needs server-side state"},
		{`{"model":"m","input":"hi","tools":[{"type":"web_search"}]}`, `built-in tool "web_search"`},
		{`{"model":"m","input":"hi","tools":[{"type":"file_search","vector_store_ids":["v"]}]}`, `"file_search"`},
		{`{"model":"m","input":"hi","tools":[{"type":"mcp","server_label":"x"}]}`, `"mcp"`},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","file_id":"file_1"}]}]}`, "file_id"},
		{`{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "item_reference"},
		{`{"model":"m","input":[{"type":"web_search_call","id":"ws_1"}]}`, "web_search_call"},
		{`{"model":"m","input":"hi","tool_choice":{"type":"web_search_preview"}}`, "web_search_preview"},
		{`{"model":"m"}`, "input"},
		{`{"model":"m","input":[{"role":"user","content":[1]}]}`, "content parts must be objects"},
		{`[1]`, "JSON object"},
		{`{`, "not valid JSON"},
	} {
		_, err := NewResponsesToChat().RequestBody([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error with %q", tt.body, err, tt.want)
		}
	}
}

// TestErrorAnswer: an upstream error of any shape becomes OpenAI error JSON.
func TestErrorAnswer(t *testing.T) {
	out, err := NewResponsesToChat().ResponseBody(429, []byte(`{"error":{"message":"slow down","type":"rate","code":"rate_limit_exceeded"}}`))
	if err != nil || string(out) != `{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}` {
		t.Errorf("got %s %v", out, err)
	}
	out, _ = NewResponsesToChat().ResponseBody(502, []byte("<html>bad gateway</html>"))
	if !strings.Contains(string(out), `"message":"upstream answered HTTP 502: <html>bad gateway</html>"`) {
		t.Errorf("got %s", out)
	}
	if _, err := NewResponsesToChat().ResponseBody(200, []byte(`{"id":"x","choices":[`)); err == nil {
		t.Errorf("a cut JSON answer must be an error")
	}
}

// TestRawErrorStream: a non-2xx answer to a stream ends as response.failed.
func TestRawErrorStream(t *testing.T) {
	tr := NewResponsesToChat()
	tr.SetUpstreamStatus(500, "application/json")
	out, _ := tr.ResponseStream(nil, []byte(`{"error":{"message":"boom"}}`), true)
	if !strings.Contains(string(out), "event: response.failed") || !strings.Contains(string(out), `"message":"boom"`) {
		t.Errorf("got %s", out)
	}
}
