package provider

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
)

// TestTokensRequired checks every registered provider type: a type that needs a token
// fails plugin start without apiTokens, naming the field (as Higress's ValidateConfig
// does), and a keyless type or keyless mode starts.
func TestTokensRequired(t *testing.T) {
	keyless := map[string]string{ // type → the fields its keyless form needs
		"openai":  ``,
		"generic": ``,
		"ollama":  `,"ollamaServerHost":"o"`,
		"vllm":    `,"vllmServerHost":"v"`,
		"bedrock": `,"awsRegion":"us-east-1","awsAccessKey":"a","awsSecretKey":"s"`,
		"hunyuan": `,"hunyuanAuthId":"AKID1","hunyuanAuthKey":"` + strings.Repeat("k", 32) + `"`,
		"triton":  `,"tritonDomain":"triton.local:8000"`,
		"comfyui": `,"comfyuiServerHost":"c"`,
	}
	for _, typ := range sortedTypes() {
		_, err := ParseConfig(gjson.Parse(`{"type":"`+typ+`"}`), "provider")
		tokenErr := err != nil && strings.HasPrefix(err.Error(), `provider.apiTokens: required for provider type "`+typ+`"`)
		extra, isKeyless := keyless[typ]
		spec := specs[typ]
		switch {
		case !isKeyless && spec.Keyless:
			t.Errorf("%s: Keyless, but not in this test's table of keyless types", typ)
		case !isKeyless && len(spec.KeylessWith) > 0:
			// a keyless mode of a type added after this test: its error names the fields
			if !tokenErr || !strings.Contains(err.Error(), spec.KeylessWith[0]) {
				t.Errorf("%s without any credential: got %v", typ, err)
			}
		case !isKeyless:
			if !tokenErr {
				t.Errorf("%s without apiTokens: got %v, want the apiTokens error", typ, err)
			}
		case len(spec.KeylessWith) > 0: // keyless only with its own credential fields
			if !tokenErr || !strings.Contains(err.Error(), spec.KeylessWith[0]) {
				t.Errorf("%s without any credential: got %v", typ, err)
			}
			if _, err := ParseConfig(gjson.Parse(`{"type":"`+typ+`"`+extra+`}`), "provider"); err != nil {
				t.Errorf("%s keyless (%s): %v", typ, extra, err)
			}
		default:
			if tokenErr {
				t.Errorf("%s: keyless type rejected without apiTokens: %v", typ, err)
			}
			if _, err := ParseConfig(gjson.Parse(`{"type":"`+typ+`"`+extra+`}`), "provider"); err != nil {
				t.Errorf("%s keyless (%s): %v", typ, extra, err)
			}
		}
	}
}

func TestEditMessages(t *testing.T) {
	tests := []struct {
		name, body string
		cleanup    []string
		merge      bool
		want       string // "" = unchanged (the same bytes)
	}{
		{"nothing to do", `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, []string{"/clear"}, true, ""},
		{"no messages", `{"input":"x"}`, []string{"/clear"}, true, ""},
		{"cleanup keeps system and developer", `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"u1"},{"role":"developer","content":"d"},{"role":"assistant","content":"a1"},{"role":"user","content":"/clear"},{"role":"user","content":"u2"}],"x":1}`,
			[]string{"/reset", "/clear"}, false, `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"developer","content":"d"},{"role":"user","content":"u2"}],"x":1}`},
		{"cleanup: the last command wins", `{"messages":[{"role":"user","content":"/clear"},{"role":"user","content":"u1"},{"role":"user","content":"/clear"}]}`,
			[]string{"/clear"}, false, `{"messages":[]}`},
		{"cleanup: text parts", `{"messages":[{"role":"user","content":"u1"},{"role":"user","content":[{"type":"text","text":"/clear"}]},{"role":"user","content":"u2"}]}`,
			[]string{"/clear"}, false, `{"messages":[{"role":"user","content":"u2"}]}`},
		{"cleanup: only user commands", `{"messages":[{"role":"assistant","content":"/clear"},{"role":"user","content":"u"}]}`, []string{"/clear"}, false, ""},
		{"merge strings and parts", `{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]},{"role":"assistant","content":"c"},{"role":"assistant","content":"d"}]}`,
			nil, true, `{"messages":[{"role":"user","content":[{"type":"text","text":"a\n\nb"},{"type":"image_url","image_url":{"url":"u"}}]},{"role":"assistant","content":"c\n\nd"}]}`},
		{"merge never loses tool calls", `{"messages":[{"role":"assistant","content":"a","tool_calls":[{"id":"1"}]},{"role":"assistant","content":"b"},{"role":"tool","content":"r"},{"role":"tool","content":"s"}]}`,
			nil, true, ""},
		{"cleanup then merge", `{"messages":[{"role":"user","content":"old"},{"role":"user","content":"/clear"},{"role":"user","content":"a"},{"role":"user","content":"b"}]}`,
			[]string{"/clear"}, true, `{"messages":[{"role":"user","content":"a\n\nb"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.body)
			got, err := editMessages(in, tt.cleanup, tt.merge)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.body
				if &got[0] != &in[0] {
					t.Errorf("unchanged body was copied")
				}
			}
			if string(got) != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzEditMessages(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"/c"}]},{"role":"user","content":"b"},{"role":"user","content":"c"}]}`))
	f.Add([]byte(`{"messages":[{"role":"user"},{"role":"user","content":null},1,"x",{"role":"user","content":{}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := editMessages(body, []string{"/c"}, true)
		if err == nil && gjson.ValidBytes(body) && !gjson.ValidBytes(out) {
			t.Fatalf("valid %s became invalid %s", body, out)
		}
	})
}

const promoteStream = `data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"thinking "}}]}

: keep-alive

data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"reasoning":"more"}}]}

data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}

data: [DONE]

`

func TestPromoteThinkingStream(t *testing.T) {
	held := `data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"thinking more"}}]}` + "\n\n"
	tests := []struct{ name, in, want string }{
		{"no content: reasoning becomes content", promoteStream,
			`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]}` + "\n\n" +
				`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{}}]}` + "\n\n" +
				`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}` + "\n\n" +
				held + "data: [DONE]\n\n"},
		{"content: reasoning is kept, before it", strings.Replace(promoteStream, `"delta":{},"finish_reason"`, `"delta":{"content":"hi"},"finish_reason"`, 1),
			`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]}` + "\n\n" +
				`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{}}]}` + "\n\n" +
				strings.Replace(held, `"content"`, `"reasoning_content"`, 1) +
				`data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}` + "\n\n" +
				"data: [DONE]\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for split := 0; split <= len(tt.in); split++ {
				p := &promoteThinking{}
				out, _ := p.ResponseStream(nil, []byte(tt.in[:split]), false)
				out, _ = p.ResponseStream(out, []byte(tt.in[split:]), true)
				if string(out) != tt.want {
					t.Fatalf("split at %d:\n got %s\nwant %s", split, out, tt.want)
				}
				if u := p.Usage(); u.TotalTokens != 8 || u.Model != "m" {
					t.Fatalf("usage %+v", u)
				}
			}
		})
	}
	t.Run("cut stream", func(t *testing.T) {
		p := &promoteThinking{}
		cut := promoteStream[:strings.Index(promoteStream, "data: [DONE]")]
		out, _ := p.ResponseStream(nil, []byte(cut), true)
		if !bytes.Contains(out, []byte(`"content":"thinking more"`)) || !bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) ||
			!bytes.Contains(out, []byte("stream_cut")) {
			t.Errorf("got %s", out)
		}
	})
}

func TestPromoteThinkingBody(t *testing.T) {
	p := &promoteThinking{}
	in := `{"choices":[{"index":0,"message":{"role":"assistant","content":"kept","reasoning_content":"r0"}},{"index":1,"message":{"role":"assistant","content":null,"reasoning":"r1"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`
	out, err := p.ResponseBody(200, []byte(in))
	want := `{"choices":[{"index":0,"message":{"role":"assistant","content":"kept","reasoning_content":"r0"}},{"index":1,"message":{"role":"assistant","content":"r1"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`
	if err != nil || string(out) != want {
		t.Errorf("got %s %v\nwant %s", out, err, want)
	}
	if p.Usage().TotalTokens != 3 {
		t.Errorf("usage %+v", p.Usage())
	}
	if out, _ := p.ResponseBody(503, []byte("busy")); !gjson.GetBytes(out, "error.message").Exists() {
		t.Errorf("plain-text error: %s", out)
	}
	if _, err := p.ResponseBody(200, []byte("[1]")); err == nil {
		t.Error("a non-object answer passed")
	}
}

func FuzzPromoteThinking(f *testing.F) {
	f.Add([]byte(promoteStream), 17)
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"reasoning\":1}}]}\n\ndata: {\"choices\":5}\n\n"), 3)
	f.Fuzz(func(t *testing.T, in []byte, split int) {
		if split < 0 || split > len(in) {
			split = len(in) / 2
		}
		p := &promoteThinking{}
		out, _ := p.ResponseStream(nil, in[:split], false)
		out, _ = p.ResponseStream(out, in[split:], true)
		if !bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) {
			t.Fatalf("stream does not end in [DONE]: %q", out)
		}
		_, _ = (&promoteThinking{}).ResponseBody(200, in)
	})
}

func TestConsumerAffinity(t *testing.T) {
	c := mustConfig(t, `{"type":"openai","apiTokens":["k0","k1","k2","k3","k4","k5","k6"]}`)
	want := "Bearer k" + string(rune('0'+fnv1a("team-42")%7))
	for _, path := range []string{"/v1/files", "/v1/files/f1/content", "/v1/batches/b1", "/v1/responses", "/v1/fine_tuning/jobs/j/cancel"} {
		for i := 0; i < 20; i++ {
			r, _ := NewRequest(c, path)
			h := testHeaders{"x-mse-consumer": "team-42"}
			r.RewriteRequestHeaders(h)
			if h["authorization"] != want {
				t.Fatalf("%s: got %s, want %s every time", path, h["authorization"], want)
			}
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ { // a stateless API keeps spreading the load
		r, _ := NewRequest(c, "/v1/chat/completions")
		h := testHeaders{"x-mse-consumer": "team-42"}
		r.RewriteRequestHeaders(h)
		seen[h["authorization"]] = true
	}
	if len(seen) < 2 {
		t.Errorf("chat completions pinned to one token: %v", seen)
	}
	r, _ := NewRequest(c, "/v1/files")
	r.ChooseToken(nil, []int{int(fnv1a("team-42") % 7)}) // a retry avoids the failed token
	h := testHeaders{"x-mse-consumer": "team-42"}
	r.RewriteRequestHeaders(h)
	if h["authorization"] == want {
		t.Errorf("a retry got the avoided token again")
	}
}

func TestNativePaths(t *testing.T) {
	tests := []struct {
		name, config, path string
		api                API // "" = 404
	}{
		{"original: an Azure deployment path", `{"type":"azure","apiTokens":["k"],"protocol":"original","azureServiceUrl":"https://r?api-version=1"}`, "/openai/deployments/d/chat/completions?api-version=1", APIChatCompletion},
		{"original: an Azure native path", `{"type":"azure","apiTokens":["k"],"protocol":"original","azureServiceUrl":"https://r?api-version=1"}`, "/openai/deployments/d/extensions/x?api-version=1", APINative},
		{"original: Anthropic count_tokens", `{"type":"claude","apiTokens":["k"],"protocol":"original"}`, "/v1/messages/count_tokens", APINative},
		{"original: Gemini files", `{"type":"gemini","apiTokens":["k"],"protocol":"original"}`, "/upload/v1beta/files", APIFiles},
		{"original: a path of no API of the provider", `{"type":"qwen","apiTokens":["k"],"protocol":"original"}`, "/admin/keys", ""},
		{"generic: any path", `{"type":"generic","apiTokens":["k"],"genericHost":"h"}`, "/metrics/x", APINative},
		{"openai protocol: still 404", `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r?api-version=1"}`, "/openai/deployments/d/chat/completions", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := NewRequest(mustConfig(t, tt.config), tt.path)
			if tt.api == "" {
				if e == nil || e.Status != 404 {
					t.Fatalf("got %+v, want 404", e)
				}
				return
			}
			if e != nil {
				t.Fatalf("got %v", e.Message)
			}
			h := testHeaders{}
			r.RewriteRequestHeaders(h)
			if r.API != tt.api || h[":path"] != tt.path || h[r.Config.authHeader] == "" {
				t.Errorf("api %s, headers %v", r.API, h)
			}
		})
	}
}

func TestContextListOfOne(t *testing.T) {
	c := mustConfig(t, `{"type":"qwen","apiTokens":["k"],"context":[{"fileUrl":"http://file.svc/ai/context.txt","serviceName":"file.dns","servicePort":80}]}`)
	if c.Context == nil || c.Context.ServiceHost != "file.svc" || c.Context.Path != "/ai/context.txt" {
		t.Errorf("context %+v", c.Context)
	}
	if _, err := ParseConfig(gjson.Parse(`{"type":"qwen","apiTokens":["k"],"context":[{},{}]}`), "provider"); err == nil {
		t.Error("a list of two contexts passed")
	}
}

func TestBedrockOriginalSigned(t *testing.T) {
	defer func(f func() time.Time) { bedrockNow = f }(bedrockNow)
	bedrockNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	c := mustConfig(t, `{"type":"bedrock","protocol":"original","awsRegion":"us-east-1","awsAccessKey":"AKIDEXAMPLE","awsSecretKey":"secret","awsSessionToken":"tok",
		"customSettings":[{"name":"max_tokens","value":10,"mode":"raw"}]}`)
	const path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
	r, e := NewRequest(c, path)
	if e != nil {
		t.Fatal(e.Message)
	}
	h := testHeaders{":method": "POST"}
	r.RewriteRequestHeaders(h)
	if !r.NeedsBody() {
		t.Fatal("a signed request must wait for its body")
	}
	body, e := r.RewriteRequestBody([]byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`), h)
	if e != nil {
		t.Fatal(e.Message)
	}
	k := &sign.AWS{AccessKey: "AKIDEXAMPLE", SecretKey: "secret", SessionToken: "tok", Region: "us-east-1", Service: "bedrock"}
	want := k.Sign(&sign.Request{Method: "POST", Path: path, Headers: []sign.Header{{Name: "host", Value: "bedrock-runtime.us-east-1.amazonaws.com"},
		{Name: "x-amz-date", Value: "20260102T030405Z"}, {Name: "x-amz-security-token", Value: "tok"}}, PayloadHash: sign.PayloadHash(body)}, "20260102T030405Z")
	if h["authorization"] != want || h[":path"] != path || h["x-amz-date"] != "20260102T030405Z" || h["x-amz-security-token"] != "tok" {
		t.Errorf("headers %v\nwant authorization %s", h, want)
	}
	if !strings.Contains(string(body), `"max_tokens":10`) {
		t.Errorf("custom setting missing from the signed body: %s", body)
	}
	// A GET without body is signed at the headers.
	r, _ = NewRequest(c, "/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aasync-invoke%2Fx")
	h = testHeaders{":method": "GET"}
	r.RewriteRequestHeaders(h)
	if !strings.HasPrefix(h["authorization"], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/bedrock/aws4_request") {
		t.Errorf("GET not signed: %v", h)
	}
}
