package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestAgentsUpstream shows the upstream requests of dify, triton and coze: authority,
// path, credentials and what the converted body holds.
func TestAgentsUpstream(t *testing.T) {
	const chat = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	const stream = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"temperature":0.5}`
	tests := []struct {
		name, config, path, body string
		client                   map[string]string
		want                     map[string]string // headers
		wantBody                 map[string]string // gjson path → raw ("" = absent)
	}{
		{name: "dify default: Chat app on api.dify.ai (Higress's README example)", config: `{"type":"dify","apiTokens":["app-1"],"modelMapping":{"*":"dify"}}`,
			path: "/v1/chat/completions", body: chat,
			want:     map[string]string{":authority": "api.dify.ai", ":path": "/v1/chat-messages", "authorization": "Bearer app-1"},
			wantBody: map[string]string{"query": `"hi"`, "response_mode": `"blocking"`, "user": `"api-user"`, "inputs": `{}`, "conversation_id": ""}},
		{name: "dify conversation from the ConversationId header", config: `{"type":"dify","apiTokens":["app-1"],"botType":"Agent"}`,
			path: "/v1/chat/completions", body: stream, client: map[string]string{"conversationid": "conv-9"},
			want:     map[string]string{":path": "/v1/chat-messages"},
			wantBody: map[string]string{"conversation_id": `"conv-9"`, "response_mode": `"streaming"`}},
		{name: "dify self-hosted Completion app", config: `{"type":"dify","apiTokens":["app-1"],"botType":"Completion","difyApiUrl":"http://dify.internal:8080/v1"}`,
			path: "/v1/chat/completions", body: chat,
			want:     map[string]string{":authority": "dify.internal:8080", ":path": "/v1/completion-messages"},
			wantBody: map[string]string{"inputs.query": `"hi"`, "query": ""}},
		{name: "dify behind a path prefix", config: `{"type":"dify","apiTokens":["app-1"],"difyApiUrl":"https://gw.example.com/dify/v1/"}`,
			path: "/v1/chat/completions", body: chat,
			want: map[string]string{":authority": "gw.example.com", ":path": "/dify/v1/chat-messages"}},
		{name: "dify Workflow app, bare difyApiUrl host", config: `{"type":"dify","apiTokens":["app-1"],"botType":"Workflow","inputVariable":"question","outputVariable":"answer","difyApiUrl":"dify.example.com"}`,
			path: "/v1/chat/completions", body: chat,
			want:     map[string]string{":authority": "dify.example.com", ":path": "/v1/workflows/run"},
			wantBody: map[string]string{"inputs.question": `"hi"`, "query": ""}},
		{name: "triton", config: `{"type":"triton","tritonDomain":"triton.local:8000","modelMapping":{"*":"gpt2"}}`,
			path: "/v1/chat/completions", body: chat,
			want:     map[string]string{":authority": "triton.local:8000", ":path": "/v2/models/gpt2/generate", "authorization": ""},
			wantBody: map[string]string{"text_input": `"hi"`, "parameters.stream": "false"}},
		{name: "triton stream with a model version and a token", config: `{"type":"triton","tritonDomain":"triton.local","tritonModelVersion":"2","apiTokens":["t-1"]}`,
			path: "/v1/chat/completions", body: stream,
			want:     map[string]string{":path": "/v2/models/gpt-4o/versions/2/generate_stream", "authorization": "Bearer t-1"},
			wantBody: map[string]string{"parameters.stream": "true", "parameters.temperature": "0.5"}},
		{name: "coze original: Coze's own chat API passes", config: `{"type":"coze","apiTokens":["pat-1"],"protocol":"original"}`,
			path: "/v3/chat?conversation_id=123", body: `{"bot_id":"73","user_id":"u","stream":true,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`,
			want:     map[string]string{":authority": "api.coze.cn", ":path": "/v3/chat?conversation_id=123", "authorization": "Bearer pat-1"},
			wantBody: map[string]string{"bot_id": `"73"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			client := map[string]string{"authorization": "Bearer client-key"}
			for k, v := range tt.client {
				client[k] = v
			}
			h, body := upstream(t, c, tt.path, tt.body, client)
			for k, want := range tt.want {
				if got := h[k]; got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			for p, want := range tt.wantBody {
				if got := gjson.Get(body, p).Raw; got != want {
					t.Errorf("body %s: got %s, want %s\n%s", p, got, want, body)
				}
			}
		})
	}
}

func TestAgentsConfigErrors(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{`{"type":"dify"}`, "provider.apiTokens: required for provider type \"dify\""},
		{`{"type":"dify","apiTokens":["k"],"botType":"Chatflow"}`, `provider.botType: "Chatflow" is not one of Chat, Completion, Agent, Workflow`},
		{`{"type":"dify","apiTokens":["k"],"botType":"Workflow","outputVariable":"a"}`, "provider.inputVariable: required when botType is Workflow"},
		{`{"type":"dify","apiTokens":["k"],"botType":"Workflow","inputVariable":"q"}`, "provider.outputVariable: required when botType is Workflow"},
		{`{"type":"dify","apiTokens":["k"],"difyApiUrl":"http://"}`, "provider.difyApiUrl:"},
		{`{"type":"triton"}`, "provider.tritonDomain: required"},
		{`{"type":"triton","tritonDomain":"http://t/x"}`, "provider.tritonDomain:"},
		{`{"type":"triton","tritonDomain":"t","tritonModelVersion":"1/../x"}`, "provider.tritonModelVersion:"},
		{`{"type":"coze","protocol":"original"}`, "provider.apiTokens: required for provider type \"coze\""},
	} {
		_, err := ParseConfig(gjson.Parse(tc.config), "provider")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.config, err, tc.want)
		}
	}
}

// TestCozePaths: Coze's paths pass only with protocol original; OpenAI paths are no
// Coze API, and other paths are no API at all.
func TestCozePaths(t *testing.T) {
	orig := mustConfig(t, `{"type":"coze","apiTokens":["k"],"protocol":"original"}`)
	for _, p := range []string{"/v3/chat", "/v3/chat/retrieve?chat_id=1&conversation_id=2", "/v1/workflow/stream_run", "/v1/conversation/create"} {
		if r, e := NewRequest(orig, p); e != nil || r.API != APINative || r.NeedsBody() {
			t.Errorf("%s: %v %+v; want a native passthrough that reads no body", p, e, r)
		}
	}
	if _, e := NewRequest(orig, "/admin/keys"); e == nil || e.Status != 404 {
		t.Errorf("/admin/keys: %v, want 404", e)
	}
	openai := mustConfig(t, `{"type":"coze","apiTokens":["k"]}`)
	for _, p := range []string{"/v1/chat/completions", "/v3/chat"} {
		if _, e := NewRequest(openai, p); e == nil || e.Status != 404 {
			t.Errorf("protocol openai %s: %v, want 404", p, e)
		}
	}
	// Other providers gain no native paths.
	if _, e := NewRequest(mustConfig(t, `{"type":"openai","apiTokens":["k"],"protocol":"original"}`), "/v3/chat"); e == nil {
		t.Error("openai original passes /v3/chat")
	}
}

// TestDifyAgentHeldStream: a non-streaming request to a Dify Agent app is sent streaming
// (Dify streams Agent answers only); the SSE answer is held and answered as one JSON
// completion, while a streaming request's answer stays a stream.
func TestDifyAgentHeldStream(t *testing.T) {
	c := mustConfig(t, `{"type":"dify","apiTokens":["k"],"botType":"Agent"}`)
	const sse = "data: {\"event\": \"agent_message\", \"conversation_id\": \"c1\", \"answer\": \"Hi\", \"created_at\": 1}\n\n" +
		"data: {\"event\": \"message_end\", \"conversation_id\": \"c1\", \"metadata\": {\"usage\": {\"prompt_tokens\": 2, \"completion_tokens\": 1, \"total_tokens\": 3}}}\n\n"
	for _, stream := range []bool{false, true} {
		r, e := NewRequest(c, "/v1/chat/completions")
		if e != nil {
			t.Fatal(e.Message)
		}
		h := testHeaders{":path": "/v1/chat/completions"}
		r.RewriteRequestHeaders(h)
		body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":` + map[bool]string{false: "false", true: "true"}[stream] + `}`
		out, e := r.RewriteRequestBody([]byte(body), h)
		if e != nil || gjson.GetBytes(out, "response_mode").Str != "streaming" {
			t.Fatalf("stream %v: %s %v", stream, out, e)
		}
		rh := testHeaders{"content-type": "text/event-stream"}
		convert, streaming := r.RewriteResponseHeaders(200, rh)
		if !convert || streaming != stream {
			t.Fatalf("stream %v: convert %v streaming %v", stream, convert, streaming)
		}
		if stream {
			continue
		}
		got, status := r.ConvertResponseBody([]byte(sse))
		if status != 0 || rh["content-type"] != "application/json" || gjson.GetBytes(got, "choices.0.message.content").Str != "Hi" ||
			gjson.GetBytes(got, "usage.total_tokens").Int() != 3 || gjson.GetBytes(got, "id").Str != "c1" {
			t.Fatalf("held answer: %d %s (%v)", status, got, rh)
		}
	}
}
