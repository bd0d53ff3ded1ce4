package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestClaudeUpstream shows the upstream request of the claude provider: authority,
// path, x-api-key, anthropic-version, and that the client's own credentials are gone.
func TestClaudeUpstream(t *testing.T) {
	const chat = `{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"temperature":0,"stream":true}`
	const native = `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"unknown_field":1}`
	tests := []struct {
		name, config, path, body string
		clientHeaders            map[string]string
		want                     map[string]string // header → value; "" = absent
		wantBody                 map[string]string // gjson path → raw; "" = absent
		sameBody                 bool
	}{
		{
			name:   "openai chat becomes messages",
			config: `{"type":"claude","apiTokens":["sk-ant-1"],"modelMapping":{"gpt-4o":"claude-sonnet-4-5"}}`,
			path:   "/v1/chat/completions", body: chat,
			clientHeaders: map[string]string{"authorization": "Bearer client-key", "x-api-key": "client-key"},
			want: map[string]string{":authority": "api.anthropic.com", ":path": "/v1/messages", "x-api-key": "sk-ant-1",
				"anthropic-version": "2023-06-01", "authorization": "", "accept": "text/event-stream"},
			wantBody: map[string]string{"model": `"claude-sonnet-4-5"`, "max_tokens": "4096", "system": `[{"type":"text","text":"s"}]`,
				"messages": `[{"role":"user","content":[{"type":"text","text":"hi"}]}]`, "temperature": "0", "stream": "true", "stream_options": ""},
		},
		{
			name:   "claudeVersion configured",
			config: `{"type":"claude","apiTokens":["sk-ant-1"],"claudeVersion":"2024-01-01"}`,
			path:   "/v1/chat/completions", body: chat,
			clientHeaders: map[string]string{"anthropic-version": "2023-01-01"},
			want:          map[string]string{"anthropic-version": "2024-01-01"},
		},
		{
			name:   "apiVersion configured",
			config: `{"type":"claude","apiTokens":["sk-ant-1"],"apiVersion":"2023-06-02"}`,
			path:   "/v1/chat/completions", body: chat,
			want: map[string]string{"anthropic-version": "2023-06-02"},
		},
		{
			name:   "anthropic client passes through",
			config: `{"type":"claude","apiTokens":["sk-ant-1"]}`,
			path:   "/v1/messages", body: native,
			clientHeaders: map[string]string{"x-api-key": "client-key", "anthropic-version": "2023-06-01", "anthropic-beta": "context-1m-2025-08-07"},
			want: map[string]string{":authority": "api.anthropic.com", ":path": "/v1/messages", "x-api-key": "sk-ant-1",
				"anthropic-version": "2023-06-01", "anthropic-beta": "context-1m-2025-08-07"},
			sameBody: true,
		},
		{
			name:   "models",
			config: `{"type":"claude","apiTokens":["sk-ant-1"]}`,
			path:   "/v1/models",
			want:   map[string]string{":path": "/v1/models", "x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := upstream(t, mustConfig(t, tt.config), tt.path, tt.body, tt.clientHeaders)
			for k, v := range tt.want {
				if got, ok := h[k]; v == "" && ok || v != "" && got != v {
					t.Errorf("header %s: got %q (present %v), want %q", k, got, ok, v)
				}
			}
			if tt.sameBody && body != tt.body {
				t.Errorf("body: got %s, want it unchanged %s", body, tt.body)
			}
			for p, v := range tt.wantBody {
				if got := gjson.Get(body, p); got.Raw != v {
					t.Errorf("body %s: got %s, want %s\nin %s", p, got.Raw, v, body)
				}
			}
		})
	}
}

// TestClaudeAnswers drives the answer side for an OpenAI client of claude.
func TestClaudeAnswers(t *testing.T) {
	tests := []struct {
		name, ct   string
		status     int
		stream     bool
		body, want string // want: substrings of the converted answer, "|"-separated
	}{
		{"json", "application/json", 200, false,
			`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"cache_read_input_tokens":4,"output_tokens":2}}`,
			`"object":"chat.completion"|"content":"Hi"|"finish_reason":"stop"|"prompt_tokens":7`},
		{"error", "application/json", 429, false,
			`{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			`{"error":{"message":"slow down","type":"rate_limit_error","code":null}}`},
		{"stream", "text/event-stream", 200, true,
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n" +
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n" +
				"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n" +
				"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
			`"delta":{"content":"Hi"}|"finish_reason":"stop"|"choices":[],"usage":{"prompt_tokens":3|data: [DONE]`},
	}
	c := mustConfig(t, `{"type":"claude","apiTokens":["k"]}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := NewRequest(c, "/v1/chat/completions")
			if e != nil {
				t.Fatal(e.Message)
			}
			h := testHeaders{}
			if _, e := r.RewriteRequestBody([]byte(`{"model":"m","stream":`+map[bool]string{true: "true", false: "false"}[tt.stream]+`,"messages":[{"role":"user","content":"x"}]}`), h); e != nil {
				t.Fatal(e.Message)
			}
			rh := testHeaders{"content-type": tt.ct, "content-length": "1"}
			convert, streaming := r.RewriteResponseHeaders(tt.status, rh)
			if !convert || streaming != tt.stream {
				t.Fatalf("convert=%v streaming=%v", convert, streaming)
			}
			var out []byte
			if streaming {
				// byte by byte, as the host may deliver it
				for i := 0; i < len(tt.body); i++ {
					out = r.ConvertResponseChunk(out, []byte(tt.body[i:i+1]), false)
				}
				out = r.ConvertResponseChunk(out, nil, true)
			} else {
				out, _ = r.ConvertResponseBody([]byte(tt.body))
			}
			for _, w := range strings.Split(tt.want, "|") {
				if !strings.Contains(string(out), w) {
					t.Errorf("answer lacks %s\ngot %s", w, out)
				}
			}
			if tt.status == 200 && r.Usage().TotalTokens == 0 {
				t.Errorf("usage not counted: %+v", r.Usage())
			}
		})
	}
}
