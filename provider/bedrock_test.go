package provider

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/bedrock"
	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
)

const bedrockKeys = `{"type":"bedrock","awsRegion":"us-west-2","awsAccessKey":"AKID","awsSecretKey":"secret","modelMapping":{"*":"anthropic.claude-3-5-haiku-20241022-v1:0"}`

// TestBedrockUpstream: host by region, model id encoded in the path, converse-stream
// for streams, SigV4 over the final body (or a Bedrock API key as bearer).
func TestBedrockUpstream(t *testing.T) {
	chat := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	stream := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name, config, path, body string
		want                     map[string]string // header → value; "" = absent; "*" = any non-empty
	}{
		{"keys sign the request", bedrockKeys + `}`, "/v1/chat/completions", chat, map[string]string{
			":authority": "bedrock-runtime.us-west-2.amazonaws.com", ":path": "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
			"x-amz-date": "*", "authorization": "*", "x-amz-security-token": "", "x-api-key": ""}},
		{"stream, session token", bedrockKeys + `,"awsSessionToken":"tok"}`, "/v1/chat/completions", stream, map[string]string{
			":path": "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream", "x-amz-security-token": "tok",
			"accept": bedrockEventStream}},
		{"api key as bearer", `{"type":"bedrock","awsRegion":"eu-central-1","apiTokens":["bedrock-key"]}`, "/v1/chat/completions",
			`{"model":"arn:aws:bedrock:eu-central-1:123:application-inference-profile/abc","messages":[{"role":"user","content":"hi"}]}`, map[string]string{
				":authority": "bedrock-runtime.eu-central-1.amazonaws.com", "authorization": "Bearer bedrock-key", "x-amz-date": "",
				":path": "/model/arn%3Aaws%3Abedrock%3Aeu-central-1%3A123%3Aapplication-inference-profile%2Fabc/converse"}},
		{"anthropic client through the chat bridge", bedrockKeys + `}`, "/v1/messages", anthropicBody, map[string]string{
			":path": "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream", "authorization": "*"}},
		{"image generation on InvokeModel", `{"type":"bedrock","awsRegion":"us-east-1","awsAccessKey":"AKID","awsSecretKey":"secret","modelMapping":{"dall-e-3":"amazon.nova-canvas-v1:0"}}`,
			"/v1/images/generations", `{"model":"dall-e-3","prompt":"a red fox"}`, map[string]string{
				":authority": "bedrock-runtime.us-east-1.amazonaws.com", ":path": "/model/amazon.nova-canvas-v1%3A0/invoke", "authorization": "*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			h, body := upstream(t, c, tt.path, tt.body, map[string]string{"authorization": "Bearer client", "x-api-key": "client"})
			for k, want := range tt.want {
				got := h[k]
				if want == "*" && got == "" || want != "*" && got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			if !gjson.Get(body, "messages.0.content.0.text").Exists() && gjson.Get(body, "taskType").Str != "TEXT_IMAGE" {
				t.Errorf("body not converted: %s", body)
			}
			if c.AWS.AccessKey == "" {
				return
			}
			// The signature verifies over the body that leaves.
			k := sign.AWS{AccessKey: "AKID", SecretKey: "secret", SessionToken: c.AWS.SessionToken, Region: c.AWS.Region, Service: "bedrock"}
			hs := []sign.Header{{Name: "host", Value: h[":authority"]}, {Name: "x-amz-date", Value: h["x-amz-date"]}}
			if tok := h["x-amz-security-token"]; tok != "" {
				hs = append(hs, sign.Header{Name: "x-amz-security-token", Value: tok})
			}
			want := k.Sign(&sign.Request{Method: "POST", Path: h[":path"], Headers: hs, PayloadHash: sign.PayloadHash([]byte(body))}, h["x-amz-date"])
			if h["authorization"] != want {
				t.Errorf("authorization:\n got %s\nwant %s", h["authorization"], want)
			}
		})
	}
}

func TestBedrockConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"type":"bedrock","apiTokens":["k"]}`:                                                                                  "provider.awsRegion: required",
		`{"type":"bedrock","awsRegion":"us-east-1"}`:                                                                            "provider.apiTokens: required for provider type \"bedrock\"",
		`{"type":"bedrock","awsRegion":"us-east-1","awsAccessKey":"a"}`:                                                         "provider.awsSecretKey: required with awsAccessKey",
		`{"type":"bedrock","awsRegion":"us-east-1","awsSecretKey":"s"}`:                                                         "provider.awsAccessKey: required with awsSecretKey",
		`{"type":"bedrock","awsRegion":"us-east-1","apiTokens":["k"],"bedrockAdditionalFields":[1]}`:                            "provider.bedrockAdditionalFields: must be an object",
		`{"type":"bedrock","awsRegion":"us-east-1","apiTokens":["k"],"promptCacheRetention":"forever"}`:                         "provider.promptCacheRetention: \"forever\" is not in_memory or 24h",
		`{"type":"bedrock","awsRegion":"us-east-1","apiTokens":["k"],"bedrockPromptCachePointPositions":{"firstMessage":true}}`: "provider.bedrockPromptCachePointPositions: unknown position \"firstMessage\"",
		`{"type":"bedrock","awsRegion":"us-east-1","apiTokens":["k"],"bedrockPromptCachePointPositions":{"lastMessage":"yes"}}`: "provider.bedrockPromptCachePointPositions.lastMessage: must be true or false",
	} {
		_, err := ParseConfig(gjson.Parse(cfg), "provider")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %s...", cfg, err, want)
		}
	}
}

// TestBedrockEventStreamAnswer: an event-stream answer is converted as a stream and
// reaches the client as SSE, for OpenAI and (through the bridge) Anthropic clients.
func TestBedrockEventStreamAnswer(t *testing.T) {
	var up []byte
	up = bedrock.AppendEvent(up, "messageStart", []byte(`{"role":"assistant"}`))
	up = bedrock.AppendEvent(up, "contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"Hi"}}`))
	up = bedrock.AppendEvent(up, "messageStop", []byte(`{"stopReason":"end_turn"}`))
	up = bedrock.AppendEvent(up, "metadata", []byte(`{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}`))
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `"content":"Hi"|"finish_reason":"stop"|data: [DONE]`},
		{"/v1/messages", anthropicBody, `event: message_start|"text":"Hi"|"stop_reason":"end_turn"|event: message_stop`},
	} {
		c := mustConfig(t, bedrockKeys+`}`)
		r, e := NewRequest(c, tc.path)
		if e != nil {
			t.Fatal(e.Message)
		}
		if _, e := r.RewriteRequestBody([]byte(tc.body), testHeaders{}); e != nil {
			t.Fatal(e.Message)
		}
		h := testHeaders{"content-type": bedrockEventStream}
		convert, streaming := r.RewriteResponseHeaders(200, h)
		if !convert || !streaming || h["content-type"] != "text/event-stream" {
			t.Fatalf("%s: convert=%v streaming=%v content-type %q", tc.path, convert, streaming, h["content-type"])
		}
		var out []byte
		for i := 0; i < len(up); i += 5 {
			out = r.ConvertResponseChunk(out, up[i:min(i+5, len(up))], false)
		}
		out = r.ConvertResponseChunk(out, nil, true)
		for _, w := range strings.Split(tc.want, "|") {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: answer lacks %s\ngot %s", tc.path, w, out)
			}
		}
		if u := r.Usage(); u.PromptTokens != 3 || u.CompletionTokens != 1 {
			t.Errorf("%s: usage %+v", tc.path, u)
		}
	}
}

// TestBedrockPromptCachePoints: promptCacheRetention (or the request's
// prompt_cache_retention) puts Converse cachePoint blocks where
// bedrockPromptCachePointPositions says — by default after the system prompt only — on
// models that cache (Claude, Nova); "24h" becomes Bedrock's longest ttl, 1h.
func TestBedrockPromptCachePoints(t *testing.T) {
	const conversation = `"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"},{"role":"assistant","content":"sure"}]`
	point := func(ttl string) string {
		if ttl == "" {
			return `{"cachePoint":{"type":"default"}}`
		}
		return `{"cachePoint":{"type":"default","ttl":"` + ttl + `"}}`
	}
	for _, tt := range []struct {
		name, config, request  string
		system, lastUser, last string // the last block of each place, raw JSON
	}{
		{"no retention: no points", `}`, `{"model":"gpt-4o",` + conversation + `}`,
			`{"text":"be brief"}`, `{"text":"again"}`, `{"text":"sure"}`},
		{"retention from the config, default positions", `,"promptCacheRetention":"in_memory"}`, `{"model":"gpt-4o",` + conversation + `}`,
			point(""), `{"text":"again"}`, `{"text":"sure"}`},
		{"the request's retention wins; every position", `,"promptCacheRetention":"in_memory","bedrockPromptCachePointPositions":{"system_prompt":false,"lastUserMessage":true,"last-message":true}}`,
			`{"model":"gpt-4o","prompt_cache_retention":"24h",` + conversation + `}`,
			`{"text":"be brief"}`, point("1h"), point("1h")},
		{"a model that does not cache", `{"type":"bedrock","awsRegion":"us-west-2","apiTokens":["k"],"promptCacheRetention":"in_memory","modelMapping":{"*":"meta.llama3-70b-instruct-v1:0"}}`, `{"model":"gpt-4o",` + conversation + `}`,
			`{"text":"be brief"}`, `{"text":"again"}`, `{"text":"sure"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := bedrockKeys + tt.config
			if strings.HasPrefix(tt.config, "{") {
				cfg = tt.config // a whole config
			}
			_, body := upstream(t, mustConfig(t, cfg), "/v1/chat/completions", tt.request, nil)
			root := gjson.Parse(body)
			if !gjson.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			for place, want := range map[string]string{"system.@reverse.0": tt.system, "messages.2.content.@reverse.0": tt.lastUser, "messages.3.content.@reverse.0": tt.last} {
				if got := root.Get(place).Raw; got != want {
					t.Errorf("%s: got %s, want %s (body %s)", place, got, want, body)
				}
			}
		})
	}
	// One point when the last turn is the last user turn.
	_, body := upstream(t, mustConfig(t, bedrockKeys+`,"promptCacheRetention":"in_memory","bedrockPromptCachePointPositions":{"lastUserMessage":true,"lastMessage":true}}`),
		"/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, nil)
	if got := gjson.Get(body, "messages.0.content").Raw; got != `[{"text":"hi"},`+point("")+`]` {
		t.Errorf("last user turn = last turn: got %s", got)
	}
}
