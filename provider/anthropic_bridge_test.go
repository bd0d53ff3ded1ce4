package provider

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

const anthropicBody = `{"model":"claude-sonnet-4-5","max_tokens":100,"system":"be brief","stream":true,` +
	`"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`

// TestAnthropicBridgeUpstream: an Anthropic client of a provider without a native
// messages route reaches its chat completions API in OpenAI form; a provider with a
// native route gets the body untouched.
func TestAnthropicBridgeUpstream(t *testing.T) {
	tests := []struct {
		name, config string
		want         map[string]string // header → value
		wantBody     map[string]string // gjson path → raw
		sameBody     bool
	}{
		{
			name:   "openai: converted to chat",
			config: `{"type":"openai","apiTokens":["sk-1"],"modelMapping":{"claude-sonnet-4-5":"gpt-4o"}}`,
			want:   map[string]string{":authority": "api.openai.com", ":path": "/v1/chat/completions", "authorization": "Bearer sk-1"},
			wantBody: map[string]string{"model": `"gpt-4o"`, "max_tokens": "100",
				"messages":       `[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]`,
				"tool_choice":    `"required"`,
				"stream_options": `{"include_usage":true}`},
		},
		{
			name:     "deepseek: native messages route",
			config:   `{"type":"deepseek","apiTokens":["sk-1"]}`,
			want:     map[string]string{":path": "/anthropic/v1/messages", "authorization": "Bearer sk-1"},
			sameBody: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := upstream(t, mustConfig(t, tt.config), "/v1/messages", anthropicBody,
				map[string]string{"x-api-key": "client-key", "authorization": "Bearer client"})
			if h["x-api-key"] != "" {
				t.Errorf("client x-api-key forwarded")
			}
			for k, v := range tt.want {
				if h[k] != v {
					t.Errorf("header %s: got %q, want %q", k, h[k], v)
				}
			}
			if tt.sameBody && body != anthropicBody {
				t.Errorf("body: got %s, want it unchanged", body)
			}
			for p, v := range tt.wantBody {
				if got := gjson.Get(body, p); got.Raw != v {
					t.Errorf("body %s: got %s, want %s\nin %s", p, got.Raw, v, body)
				}
			}
		})
	}
}

// TestAnthropicBridgeAnswers: the OpenAI provider's answers reach the Anthropic client
// as a message, an event stream, or an Anthropic error.
func TestAnthropicBridgeAnswers(t *testing.T) {
	tests := []struct {
		name, ct   string
		status     int
		stream     bool
		body, want string // want: substrings, "|"-separated
	}{
		{"json", "application/json", 200, false,
			`{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}`,
			`"type":"message"|"content":[{"type":"text","text":"Hi"}]|"stop_reason":"end_turn"|"input_tokens":5`},
		{"error", "application/json", 401, false, `{"error":{"message":"bad key","type":"invalid_request_error"}}`,
			`{"type":"error","error":{"type":"authentication_error","message":"bad key"}}`},
		{"stream", "text/event-stream", 200, true,
			"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n" +
				"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
				"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
			`event: message_start|"text_delta","text":"Hi"|"stop_reason":"end_turn"|event: message_stop`},
		{"stream error event", "text/event-stream", 200, true,
			"data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
			`event: error|"message":"overloaded"|event: message_stop`},
	}
	c := mustConfig(t, `{"type":"openai","apiTokens":["k"]}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := NewRequest(c, "/v1/messages")
			if e != nil {
				t.Fatal(e.Message)
			}
			body := strings.Replace(anthropicBody, `"stream":true`, `"stream":`+map[bool]string{true: "true", false: "false"}[tt.stream], 1)
			if _, e := r.RewriteRequestBody([]byte(body), testHeaders{}); e != nil {
				t.Fatal(e.Message)
			}
			convert, streaming := r.RewriteResponseHeaders(tt.status, testHeaders{"content-type": tt.ct})
			if !convert || streaming != tt.stream {
				t.Fatalf("convert=%v streaming=%v", convert, streaming)
			}
			var out []byte
			if streaming {
				for i := 0; i < len(tt.body); i += 7 {
					out = r.ConvertResponseChunk(out, []byte(tt.body[i:min(i+7, len(tt.body))]), false)
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
		})
	}
}

// markTranslator stands in for a provider's own chat converter: it tags what passes.
type markTranslator struct{ status int }

func (m *markTranslator) RequestBody(b []byte) ([]byte, error) {
	return append([]byte(`{"native":`), append(b, '}')...), nil
}
func (m *markTranslator) ResponseBody(status int, b []byte) ([]byte, error) {
	return []byte(gjson.GetBytes(b, "native").Raw), nil
}
func (m *markTranslator) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return append(dst, chunk...), nil
}
func (m *markTranslator) Usage() translator.Usage { return translator.Usage{} }
func (m *markTranslator) SetUpstreamStatus(status int, ct string) {
	m.status = status
}

// TestAnthropicBridgeChains: a provider that converts chat itself gets the OpenAI form
// of the Anthropic request, and its answer, back in OpenAI form, is converted for the
// Anthropic client.
func TestAnthropicBridgeChains(t *testing.T) {
	c := mustConfig(t, `{"type":"openai","apiTokens":["k"]}`)
	spec := *c.spec
	var seen *Request
	inner := &markTranslator{}
	spec.Translate = func(c *Config, r *Request) translator.Translator { seen = r; return inner }
	c.spec = &spec

	r, e := NewRequest(c, "/v1/messages")
	if e != nil {
		t.Fatal(e.Message)
	}
	if seen == nil || seen.API != APIChatCompletion || seen.Protocol != ProtocolOpenAI || r.API != APIAnthropicMessages {
		t.Fatalf("provider translator saw %+v", seen)
	}
	body, e := r.RewriteRequestBody([]byte(`{"model":"m","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}`), testHeaders{})
	if e != nil {
		t.Fatal(e.Message)
	}
	if got := gjson.GetBytes(body, "native.messages").Raw; got != `[{"role":"user","content":"hi"}]` {
		t.Errorf("upstream body %s: want the OpenAI form wrapped by the provider", body)
	}
	r.RewriteResponseHeaders(200, testHeaders{"content-type": "application/json"})
	if inner.status != 200 {
		t.Errorf("provider translator did not get the status")
	}
	out, _ := r.ConvertResponseBody([]byte(`{"native":{"id":"x","choices":[{"message":{"content":"yo"},"finish_reason":"stop"}]}}`))
	if !strings.Contains(string(out), `"content":[{"type":"text","text":"yo"}]`) {
		t.Errorf("answer %s: want an Anthropic message", out)
	}
}
