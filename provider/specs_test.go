package provider

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// testHeaders is a map-backed Headers for driving a Request natively.
type testHeaders map[string]string

func (h testHeaders) Get(k string) string { return h[k] }
func (h testHeaders) Set(k, v string)     { h[k] = v }
func (h testHeaders) Del(k string)        { delete(h, k) }

func mustConfig(t testing.TB, js string) *Config {
	t.Helper()
	c, err := ParseConfig(gjson.Parse(js), "provider")
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", js, err)
	}
	return c
}

// upstream runs one client request through the header and body rewrites and returns
// the upstream headers and body.
func upstream(t testing.TB, c *Config, path string, body string, clientHeaders map[string]string) (testHeaders, string) {
	t.Helper()
	r, e := NewRequest(c, path)
	if e != nil {
		t.Fatalf("NewRequest(%q): %d %s", path, e.Status, e.Message)
	}
	h := testHeaders{":path": path, ":authority": "gateway.local", "content-length": "123"}
	for k, v := range clientHeaders {
		h[k] = v
	}
	r.RewriteRequestHeaders(h)
	if body == "" {
		return h, ""
	}
	out, e := r.RewriteRequestBody([]byte(body), h)
	if e != nil {
		t.Fatalf("RewriteRequestBody: %d %s", e.Status, e.Message)
	}
	return h, string(out)
}

const chatBody = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0,"stop":"END","x_unknown":{"a":[1,2]}}`
const embedBody = `{"model":"text-embedding-3-small","input":"hello"}`

// TestOpenAICompatibleProviders shows, for every table provider, the upstream request
// for chat and embeddings: authority, path, auth header and the body edited in place.
func TestOpenAICompatibleProviders(t *testing.T) {
	tests := []struct {
		typ, extra          string
		host, chat, embed   string // embed "" = not supported
		authHeader, authVal string
	}{
		{"openai", ``, "api.openai.com", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"openai", `,"openaiCustomUrl":"https://my.host/gw/v1"`, "my.host", "/gw/v1/chat/completions", "/gw/v1/embeddings", "authorization", "Bearer sk-1"},
		{"openai", `,"openaiCustomUrl":"my.host:8443/x/v1/chat/completions"`, "my.host:8443", "/x/v1/chat/completions", "/x/v1/embeddings", "authorization", "Bearer sk-1"},
		{"azure", `,"azureServiceUrl":"https://r.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-02-15-preview"`, "r.openai.azure.com", "/openai/deployments/d1/chat/completions?api-version=2024-02-15-preview", "/openai/deployments/d1/embeddings?api-version=2024-02-15-preview", "api-key", "sk-1"},
		{"azure", `,"azureServiceUrl":"https://r.openai.azure.com/openai/deployments/d2?api-version=2024-06-01"`, "r.openai.azure.com", "/openai/deployments/d2/chat/completions?api-version=2024-06-01", "/openai/deployments/d2/embeddings?api-version=2024-06-01", "api-key", "sk-1"},
		{"azure", `,"azureServiceUrl":"https://r.openai.azure.com?api-version=2024-06-01"`, "r.openai.azure.com", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01", "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-06-01", "api-key", "sk-1"},
		{"moonshot", ``, "api.moonshot.cn", "/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"baichuan", ``, "api.baichuan-ai.com", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"yi", ``, "api.lingyiwanwu.com", "/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"zhipuai", ``, "open.bigmodel.cn", "/api/paas/v4/chat/completions", "/api/paas/v4/embeddings", "authorization", "Bearer sk-1"},
		{"deepseek", ``, "api.deepseek.com", "/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"groq", ``, "api.groq.com", "/openai/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"grok", ``, "api.x.ai", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"baidu", ``, "qianfan.baidubce.com", "/v2/chat/completions", "/v2/embeddings", "authorization", "Bearer sk-1"},
		{"ai360", ``, "api.360.cn", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"github", ``, "models.inference.ai.azure.com", "/chat/completions", "/embeddings", "authorization", "Bearer sk-1"},
		{"mistral", ``, "api.mistral.ai", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"stepfun", ``, "api.stepfun.com", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"together-ai", ``, "api.together.xyz", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"fireworks", ``, "api.fireworks.ai", "/inference/v1/chat/completions", "/inference/v1/embeddings", "authorization", "Bearer sk-1"},
		{"openrouter", ``, "openrouter.ai", "/api/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"longcat", ``, "api.longcat.chat", "/openai/v1/chat/completions", "", "authorization", "Bearer sk-1"},
		{"doubao", ``, "ark.cn-beijing.volces.com", "/api/v3/chat/completions", "/api/v3/embeddings", "authorization", "Bearer sk-1"},
		{"doubao", `,"doubaoDomain":"ark.ap-southeast.bytepluses.com"`, "ark.ap-southeast.bytepluses.com", "/api/v3/chat/completions", "/api/v3/embeddings", "authorization", "Bearer sk-1"},
		{"ollama", `,"ollamaServerHost":"10.0.0.7","ollamaServerPort":11434`, "10.0.0.7:11434", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"cloudflare", `,"cloudflareAccountId":"acc42"`, "api.cloudflare.com", "/client/v4/accounts/acc42/ai/v1/chat/completions", "/client/v4/accounts/acc42/ai/v1/embeddings", "authorization", "Bearer sk-1"},
		{"vllm", `,"vllmServerHost":"vllm.svc:8000"`, "vllm.svc:8000", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"vllm", `,"vllmCustomUrl":"http://vllm.svc:8000/serve/v1"`, "vllm.svc:8000", "/serve/v1/chat/completions", "/serve/v1/embeddings", "authorization", "Bearer sk-1"},
		{"generic", `,"genericHost":"llm.internal:9000"`, "llm.internal:9000", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"},
		{"hunyuan", ``, "api.hunyuan.cloud.tencent.com", "/v1/chat/completions", "/v1/embeddings", "authorization", "Bearer sk-1"}, // no hunyuanAuthId: OpenAI-compatible
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.extra, func(t *testing.T) {
			c := mustConfig(t, `{"type":"`+tt.typ+`","apiTokens":["sk-1"]`+tt.extra+`}`)
			client := map[string]string{"authorization": "Bearer client-own-key", "x-api-key": "client-x"}
			h, body := upstream(t, c, "/v1/chat/completions", chatBody, client)
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s: got %q, want %q", what, got, want)
				}
			}
			check(":authority", h[":authority"], tt.host)
			check(":path", h[":path"], tt.chat)
			check(tt.authHeader, h[tt.authHeader], tt.authVal)
			if tt.authHeader != "authorization" {
				check("authorization (client's, removed)", h["authorization"], "")
			}
			check("x-api-key (client's, removed)", h["x-api-key"], "")
			check("content-length", h["content-length"], "")
			// Passthrough: the body is untouched but for nothing at all (no mapping set).
			check("body", body, chatBody)

			if tt.embed == "" {
				if _, e := NewRequest(c, "/v1/embeddings"); e == nil || e.Status != 404 {
					t.Errorf("embeddings: want a 404 unsupported API error, got %v", e)
				}
				return
			}
			h, body = upstream(t, c, "/v1/embeddings", embedBody, nil)
			check("embeddings :path", h[":path"], tt.embed)
			check("embeddings body", body, embedBody)
		})
	}
}

func TestEveryRegisteredTypeIsTested(t *testing.T) {
	// Providers with code have their own tests; this guards the table rows.
	tested := map[string]bool{"openai": true, "azure": true, "moonshot": true, "baichuan": true, "yi": true,
		"zhipuai": true, "deepseek": true, "groq": true, "grok": true, "baidu": true, "ai360": true, "github": true,
		"mistral": true, "stepfun": true, "together-ai": true, "fireworks": true, "openrouter": true, "longcat": true,
		"doubao": true, "ollama": true, "cloudflare": true, "vllm": true, "generic": true, "cohere": true,
		"claude": true, "qwen": true, "gemini": true, "deepl": true, "spark": true, "minimax": true, "hunyuan": true, "bedrock": true,
		"dify": true, "coze": true, "triton": true, "vertex": true, "comfyui": true} // agents_test.go, vertex_test.go
	var missing []string
	for _, typ := range Types() {
		if !tested[typ] {
			missing = append(missing, typ)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("provider types without a test: %v", missing)
	}
}

func TestRequestBodyEdits(t *testing.T) {
	tests := []struct {
		name   string
		config string
		body   string
		want   map[string]string // gjson path → raw JSON ("" = must not exist)
	}{
		{"model mapped in place", `{"type":"openai","apiTokens":["k"],"modelMapping":{"gpt-4o":"gpt-4o-2024"}}`,
			chatBody, map[string]string{"model": `"gpt-4o-2024"`, "temperature": "0", "stop": `"END"`, "x_unknown": `{"a":[1,2]}`}},
		{"stream asks for usage", `{"type":"openai","apiTokens":["k"]}`,
			`{"model":"m","stream":true,"messages":[]}`, map[string]string{"stream_options.include_usage": "true"}},
		{"stream keeps client's stream_options", `{"type":"openai","apiTokens":["k"]}`,
			`{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[]}`, map[string]string{"stream_options.include_usage": "false"}},
		{"model mapped and usage asked, spaces kept", `{"type":"openai","apiTokens":["k"],"modelMapping":{"gpt-4o":"gpt-4o-2024"}}`,
			" { \"stream\" : true ,\n \"model\" : \"gpt-4o\" , \"x\": {\"model\":\"inner\"} }\n",
			map[string]string{"model": `"gpt-4o-2024"`, "x.model": `"inner"`, "stream_options.include_usage": "true"}},
		{"client's empty stream_options gets usage", `{"type":"openai","apiTokens":["k"],"modelMapping":{"gpt-4o":"gpt-4o-2024"}}`,
			`{"model":"gpt-4o","stream":true,"stream_options":{},"messages":[]}`,
			map[string]string{"model": `"gpt-4o-2024"`, "stream_options.include_usage": "true"}},
		{"first of duplicate model keys mapped", `{"type":"openai","apiTokens":["k"],"modelMapping":{"a":"b"}}`,
			`{"model":"a","model":"c","messages":[]}`, map[string]string{"model": `"b"`}},
		{"customSettings own stream_options", `{"type":"openai","apiTokens":["k"],"customSettings":[{"name":"stream_options.include_usage","value":false,"mode":"raw","overwrite":false}]}`,
			`{"model":"m","stream":true,"messages":[]}`, map[string]string{"stream_options.include_usage": "false"}},
		{"no stream, no stream_options", `{"type":"openai","apiTokens":["k"]}`,
			`{"model":"m","messages":[]}`, map[string]string{"stream_options": ""}},
		{"custom settings auto (openai protocol)", `{"type":"openai","apiTokens":["k"],"customSettings":[{"name":"max_tokens","value":77},{"name":"top_k","value":3},{"name":"temperature","value":0.5,"overwrite":false}]}`,
			`{"model":"m","temperature":0,"messages":[]}`, map[string]string{"max_tokens": "77", "top_k": "", "temperature": "0"}},
		{"custom settings raw", `{"type":"openai","apiTokens":["k"],"customSettings":[{"name":"extra.deep","value":{"x":true},"mode":"raw"}]}`,
			`{"model":"m","messages":[]}`, map[string]string{"extra.deep": `{"x":true}`}},
		{"custom settings with protocol original", `{"type":"openai","protocol":"original","apiTokens":["k"],"customSettings":[{"name":"seed","value":5}]}`,
			`{"model":"m","messages":[]}`, map[string]string{"seed": "5"}},
		{"responseJsonSchema", `{"type":"openai","apiTokens":["k"],"responseJsonSchema":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}}`,
			`{"model":"m","messages":[]}`, map[string]string{"response_format.type": `"json_schema"`, "response_format.json_schema.name": `"x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := upstream(t, mustConfig(t, tt.config), "/v1/chat/completions", tt.body, nil)
			for path, want := range tt.want {
				got := gjson.Get(body, path)
				if want == "" {
					if got.Exists() {
						t.Errorf("%s: got %s, want absent (body %s)", path, got.Raw, body)
					}
					continue
				}
				if got.Raw != want {
					t.Errorf("%s: got %s, want %s (body %s)", path, got.Raw, want, body)
				}
			}
		})
	}
}

func TestRequestHeaderRules(t *testing.T) {
	tests := []struct {
		name, config, path, body string
		want                     map[string]string
	}{
		{"timeout", `{"type":"openai","apiTokens":["k"],"timeout":3000}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{"x-envoy-upstream-rq-timeout-ms": "3000"}},
		{"default timeout", `{"type":"openai","apiTokens":["k"]}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{"x-envoy-upstream-rq-timeout-ms": "120000", "x-envoy-upstream-rq-first-byte-timeout-ms": ""}},
		{"first byte timeout on streams", `{"type":"openai","apiTokens":["k"],"firstByteTimeout":1500}`, "/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`,
			map[string]string{"x-envoy-upstream-rq-first-byte-timeout-ms": "1500", "accept": "text/event-stream"}},
		{"no first byte timeout without stream", `{"type":"openai","apiTokens":["k"],"firstByteTimeout":1500}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{"x-envoy-upstream-rq-first-byte-timeout-ms": ""}},
		{"basePath removed", `{"type":"openai","apiTokens":["k"],"basePath":"/ai"}`, "/ai/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/v1/chat/completions"}},
		{"basePath prepended", `{"type":"generic","genericHost":"h","apiTokens":["k"],"basePath":"/team","basePathHandling":"prepend"}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/team/v1/chat/completions"}},
		{"providerBasePath and providerDomain", `{"type":"openai","apiTokens":["k"],"providerBasePath":"/proxy","providerDomain":"gw.corp:8443"}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/proxy/v1/chat/completions", ":authority": "gw.corp:8443"}},
		{"capabilities override", `{"type":"openai","apiTokens":["k"],"capabilities":{"openai/v1/chatcompletions":"/custom/chat"}}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/custom/chat"}},
		{"capabilities add an API", `{"type":"moonshot","apiTokens":["k"],"capabilities":{"openai/v1/embeddings":"/v1/embeddings"}}`, "/v1/embeddings", `{"model":"m","input":"x"}`,
			map[string]string{":path": "/v1/embeddings"}},
		{"prefix before /v1 accepted", `{"type":"openai","apiTokens":["k"]}`, "/team-a/llm/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/v1/chat/completions"}},
		{"sub-resource keeps ids and query", `{"type":"openai","apiTokens":["k"]}`, "/v1/files/file-abc/content?x=1", "",
			map[string]string{":path": "/v1/files/file-abc/content?x=1"}},
		{"protocol original keeps path", `{"type":"openai","protocol":"original","apiTokens":["k"]}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{":path": "/v1/chat/completions", "authorization": "Bearer k"}},
		{"moonshot native anthropic route", `{"type":"moonshot","apiTokens":["k"]}`, "/v1/messages", `{"model":"kimi-k2","max_tokens":5,"messages":[]}`,
			map[string]string{":path": "/anthropic/v1/messages", ":authority": "api.moonshot.cn"}},
		{"zhipuai native anthropic route", `{"type":"zhipuai","apiTokens":["k"]}`, "/v1/messages", `{"model":"glm-4.6","max_tokens":5,"messages":[]}`,
			map[string]string{":path": "/api/anthropic/v1/messages"}},
		{"deepseek native anthropic route", `{"type":"deepseek","apiTokens":["k"]}`, "/v1/messages", `{"model":"deepseek-chat","max_tokens":5,"messages":[]}`,
			map[string]string{":path": "/anthropic/v1/messages"}},
		{"no token, no auth header", `{"type":"ollama","ollamaServerHost":"o"}`, "/v1/chat/completions", `{"model":"m","messages":[]}`,
			map[string]string{"authorization": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := upstream(t, mustConfig(t, tt.config), tt.path, tt.body, map[string]string{"authorization": "Bearer client"})
			for k, want := range tt.want {
				if h[k] != want {
					t.Errorf("%s: got %q, want %q", k, h[k], want)
				}
			}
		})
	}
}

func TestTokenPickedFromList(t *testing.T) {
	c := mustConfig(t, `{"type":"openai","apiTokens":["k1","k2","k3"]}`)
	seen := map[string]int{}
	for i := 0; i < 300; i++ {
		h, _ := upstream(t, c, "/v1/models", "", nil)
		seen[h["authorization"]]++
	}
	for _, k := range []string{"Bearer k1", "Bearer k2", "Bearer k3"} {
		if seen[k] == 0 {
			t.Errorf("token %q never picked in 300 requests: %v", k, seen)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	c := mustConfig(t, `{"type":"openai","apiTokens":["k"]}`)
	tests := []struct {
		name, path string
		status     int
		wantIn     string
	}{
		{"not an AI path", "/admin/users", 404, "no AI API"},
		{"root", "/", 404, "no AI API"},
		{"unsupported API", "/v1/messages?beta=true", 0, ""}, // bridged to chat, see anthropic
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := NewRequest(c, tt.path)
			if tt.status == 0 {
				return
			}
			if e == nil || e.Status != tt.status || !strings.Contains(e.Message, tt.wantIn) {
				t.Fatalf("got %+v, want status %d with %q", e, tt.status, tt.wantIn)
			}
			body := string(e.Body(ProtocolOpenAI))
			if !gjson.Valid(body) || gjson.Get(body, "error.type").String() != "invalid_request_error" {
				t.Errorf("OpenAI error body: %s", body)
			}
			body = string(e.Body(ProtocolAnthropic))
			if gjson.Get(body, "type").String() != "error" || gjson.Get(body, "error.type").String() != "not_found_error" {
				t.Errorf("Anthropic error body: %s", body)
			}
		})
	}
	t.Run("unsupported API of a provider", func(t *testing.T) {
		_, e := NewRequest(mustConfig(t, `{"type":"yi","apiTokens":["k"]}`), "/v1/audio/speech")
		if e == nil || e.Status != 404 || !strings.Contains(e.Message, `"yi"`) {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		r, _ := NewRequest(c, "/v1/chat/completions")
		_, e := r.RewriteRequestBody([]byte(`{"model":`), testHeaders{})
		if e == nil || e.Status != 400 {
			t.Fatalf("got %+v, want 400", e)
		}
	})
	t.Run("model needed in path", func(t *testing.T) {
		az := mustConfig(t, `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=1"}`)
		r, _ := NewRequest(az, "/v1/chat/completions")
		_, e := r.RewriteRequestBody([]byte(`{"messages":[]}`), testHeaders{})
		if e == nil || e.Status != 400 {
			t.Fatalf("got %+v, want 400", e)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"missing type", `{"apiTokens":["k"]}`, "provider.type: required"},
		{"unknown type", `{"type":"nope"}`, `provider.type: unknown provider type "nope"`},
		{"bad protocol", `{"type":"openai","protocol":"grpc"}`, `provider.protocol: "grpc"`},
		{"bad regex", `{"type":"openai","modelMapping":{"~gpt-(4":"x"}}`, `provider.modelMapping["~gpt-(4"]: invalid regular expression`},
		{"mapping target not string", `{"type":"openai","modelMapping":{"a":1}}`, `provider.modelMapping["a"]: target must be a string`},
		{"bad timeout", `{"type":"openai","timeout":-5}`, "provider.timeout: -5"},
		{"bad timeout type", `{"type":"openai","timeout":"fast"}`, `provider.timeout: "fast"`},
		{"token not string", `{"type":"openai","apiTokens":[1]}`, "provider.apiTokens[0]: must be a string"},
		{"azure without url", `{"type":"azure","apiTokens":["k"]}`, "provider.azureServiceUrl: required"},
		{"azure without api-version", `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com/openai/deployments/d"}`, "provider.azureServiceUrl: \"https://r.openai.azure.com/openai/deployments/d\" has no api-version"},
		{"azure two tokens", `{"type":"azure","apiTokens":["a","b"],"azureServiceUrl":"https://r?api-version=1"}`, "provider.apiTokens: provider type \"azure\" accepts only one token"},
		{"ollama without host", `{"type":"ollama"}`, "provider.ollamaServerHost: required"},
		{"cloudflare without account", `{"type":"cloudflare","apiTokens":["k"]}`, "provider.cloudflareAccountId: required"},
		{"vllm without host", `{"type":"vllm"}`, "provider.vllmServerHost: one of vllmServerHost, vllmCustomUrl is required"},
		{"qwen without tokens", `{"type":"qwen"}`, `provider.apiTokens: required for provider type "qwen"`},
		{"claude without tokens", `{"type":"claude","apiTokens":[""]}`, `provider.apiTokens: required for provider type "claude"`},
		{"bedrock without any credential", `{"type":"bedrock","awsRegion":"us-east-1"}`, `provider.apiTokens: required for provider type "bedrock" (give at least one API token, or set awsAccessKey, awsSecretKey)`},
		{"custom setting without name", `{"type":"openai","customSettings":[{"value":1}]}`, "provider.customSettings[0].name: required"},
		{"custom setting without value", `{"type":"openai","customSettings":[{"name":"x"}]}`, "provider.customSettings[0].value: required"},
		{"custom setting bad mode", `{"type":"openai","customSettings":[{"name":"x","value":1,"mode":"magic"}]}`, `provider.customSettings[0].mode: "magic"`},
		{"context without fileUrl", `{"type":"openai","context":{"serviceName":"s","servicePort":80}}`, "provider.context.fileUrl: required"},
		{"context bad url", `{"type":"openai","context":{"fileUrl":"ftp://x/y","serviceName":"s","servicePort":80}}`, `provider.context.fileUrl: "ftp://x/y" is not an http(s) URL`},
		{"context without port", `{"type":"openai","context":{"fileUrl":"http://x/y","serviceName":"s"}}`, "provider.context.servicePort: required"},
		{"context with file ids", `{"type":"moonshot","apiTokens":["k"],"moonshotFileId":"f","context":{"fileUrl":"http://x/y","serviceName":"s","servicePort":80}}`, "provider.context: cannot be used together"},
		{"bad basePathHandling", `{"type":"openai","basePath":"/a","basePathHandling":"strip"}`, `provider.basePathHandling: "strip"`},
		{"bad reasoningContentMode", `{"type":"openai","reasoningContentMode":"shout"}`, `provider.reasoningContentMode: "shout"`},
		{"bad capability path", `{"type":"openai","capabilities":{"openai/v1/chatcompletions":"chat"}}`, `provider.capabilities["openai/v1/chatcompletions"]: path must be a string starting with /`},
		{"bad providerDomain", `{"type":"openai","providerDomain":"https://x.com/v1"}`, `provider.providerDomain: "https://x.com/v1" must be a host name`},
		{"not an object", `"openai"`, "provider: must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(gjson.Parse(tt.config), "provider")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestConfigErrorsNeverHoldTokens(t *testing.T) {
	// Every validation error above is produced with a secret token in the config; none
	// may repeat it (errors are logged at plugin start).
	const secret = "sk-secret-never-log-0123456789"
	for _, extra := range []string{`"type":"nope"`, `"type":"azure"`, `"type":"azure","azureServiceUrl":"https://r"`,
		`"type":"openai","modelMapping":{"~(":"x"}`, `"type":"openai","timeout":"x"`} {
		js := fmt.Sprintf(`{"apiTokens":["%s"],%s}`, secret, extra)
		if _, err := ParseConfig(gjson.Parse(js), "provider"); err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("config %s: error %v (want an error without the token)", js, err)
		}
	}
}
