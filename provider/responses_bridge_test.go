package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

const responsesBody = `{"model":"m1","instructions":"be brief","input":"hi","max_output_tokens":50,"stream":false,"store":true}`

// TestResponsesBridgeUpstream: a Responses client of a provider without a native
// Responses route reaches its chat completions (converted to its native protocol when
// it has one); a provider serving Responses natively gets the body untouched.
func TestResponsesBridgeUpstream(t *testing.T) {
	tests := []struct {
		name, config, path string
		body               map[string]string // gjson path → raw
		same               bool
	}{
		{"deepseek: chat", `{"type":"deepseek","apiTokens":["k"]}`, "/v1/chat/completions",
			map[string]string{"messages": `[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]`, "max_tokens": "50", "store": ""}, false},
		{"moonshot: chat", `{"type":"moonshot","apiTokens":["k"]}`, "/v1/chat/completions",
			map[string]string{"messages.1.content": `"hi"`}, false},
		{"claude: chat converted to messages", `{"type":"claude","apiTokens":["k"]}`, "/v1/messages",
			map[string]string{"system.0.text": `"be brief"`, "messages.0.content.0.text": `"hi"`, "max_tokens": "50"}, false},
		{"qwen native: chat converted to DashScope", `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}`,
			"/api/v1/services/aigc/text-generation/generation",
			map[string]string{"input.messages.0.content": `"be brief"`, "input.messages.1.content": `"hi"`}, false},
		{"openai: native passthrough", `{"type":"openai","apiTokens":["k"]}`, "/v1/responses", nil, true},
		{"qwen compatible: native passthrough", `{"type":"qwen","apiTokens":["k"]}`, "/compatible-mode/v1/responses", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			r, e := NewRequest(c, "/v1/responses")
			if e != nil {
				t.Fatal(e.Message)
			}
			if r.API != APIResponses {
				t.Fatalf("API %s", r.API)
			}
			h, body := upstream(t, c, "/v1/responses", responsesBody, nil)
			if h[":path"] != tt.path {
				t.Errorf("path %q, want %q", h[":path"], tt.path)
			}
			if tt.same {
				if body != responsesBody {
					t.Errorf("body changed: %s", body)
				}
				if r.UpstreamAPI != APIResponses {
					t.Errorf("upstream API %s", r.UpstreamAPI)
				}
				return
			}
			if r.UpstreamAPI != APIChatCompletion {
				t.Errorf("upstream API %s, want chat", r.UpstreamAPI)
			}
			for p, v := range tt.body {
				if got := gjson.Get(body, p).Raw; got != v {
					t.Errorf("body %s: got %s, want %s\nin %s", p, got, v, body)
				}
			}
		})
	}
}

// TestResponsesBridgeAnswers: the chat provider's answers reach the Responses client
// as a Response, an event stream, or an OpenAI error; a refused request is a 400.
func TestResponsesBridgeAnswers(t *testing.T) {
	c := mustConfig(t, `{"type":"deepseek","apiTokens":["k"]}`)
	tests := []struct {
		name, ct   string
		status     int
		stream     bool
		body, want string
	}{
		{"json", "application/json", 200, false,
			`{"id":"c1","model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}`,
			`"object":"response"|"status":"completed"|"text":"Hi"|"input_tokens":5`},
		{"error", "application/json", 401, false, `{"error":{"message":"bad key","type":"authentication_error"}}`,
			`{"error":{"message":"bad key","type":"authentication_error"`},
		{"stream", "text/event-stream", 200, true,
			"data: {\"id\":\"c1\",\"model\":\"deepseek-chat\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n" +
				"data: {\"id\":\"c1\",\"model\":\"deepseek-chat\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
				"data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
			`event: response.created|"delta":"Hi"|event: response.completed|"output_tokens":1`},
		{"cut stream", "text/event-stream", 200, true,
			"data: {\"id\":\"c1\",\"model\":\"deepseek-chat\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
			`event: response.failed|"status":"failed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := NewRequest(c, "/v1/responses")
			if e != nil {
				t.Fatal(e.Message)
			}
			body := strings.Replace(responsesBody, `"stream":false`, `"stream":`+map[bool]string{true: "true", false: "false"}[tt.stream], 1)
			up, e := r.RewriteRequestBody([]byte(body), testHeaders{})
			if e != nil {
				t.Fatal(e.Message)
			}
			if tt.stream && gjson.GetBytes(up, "stream_options.include_usage").Raw != "true" {
				t.Errorf("stream without include_usage: %s", up)
			}
			_, streaming := r.RewriteResponseHeaders(tt.status, testHeaders{"content-type": tt.ct})
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
			if tt.status == 200 && r.Usage().PromptTokens != 5 && !strings.Contains(tt.name, "cut") {
				t.Errorf("usage %+v", r.Usage())
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		for _, body := range []string{
			`{"model":"m","input":"hi","previous_response_id":"resp_1"}`,
			`{"model":"m","input":"hi","tools":[{"type":"web_search"}]}`,
		} {
			r, _ := NewRequest(c, "/v1/responses")
			if _, e := r.RewriteRequestBody([]byte(body), testHeaders{}); e == nil || e.Status != 400 {
				t.Errorf("%s: want 400, got %+v", body, e)
			}
		}
	})
}
