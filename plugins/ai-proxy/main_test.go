package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"github.com/tidwall/gjson"
)

// The plugin tests run twice: natively (Go mode) and against the compiled plugin in
// wazero (wasm mode, WASM_FILE_PATH set by `make test`). Each test function runs its
// cases inside one RunTest so the module is compiled once per function, not per case.

const secretToken = "sk-secret-token-must-never-be-logged-42"

func header(hs [][2]string, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

func newHost(t *testing.T, config string) test.TestHost {
	t.Helper()
	host, status := test.NewTestHost(json.RawMessage(config))
	if status != types.OnPluginStartStatusOK {
		t.Fatalf("plugin start failed for %s: %v", config, host.GetCriticalLogs())
	}
	return host
}

// allLogs returns every log line the plugin wrote, at every level.
func allLogs(h test.TestHost) []string {
	var out []string
	for _, l := range [][]string{h.GetTraceLogs(), h.GetDebugLogs(), h.GetInfoLogs(), h.GetWarnLogs(), h.GetErrorLogs(), h.GetCriticalLogs()} {
		out = append(out, l...)
	}
	return out
}

func assertNoSecret(t *testing.T, h test.TestHost, secret string) {
	t.Helper()
	for _, l := range allLogs(h) {
		if strings.Contains(l, secret) {
			t.Errorf("a log line holds the secret: %q", l)
		}
	}
}

func clientHeaders(path string) [][2]string {
	return [][2]string{{":authority", "gateway.example.com"}, {":method", "POST"}, {":path", path},
		{"content-type", "application/json"}, {"content-length", "100"},
		{"Authorization", "Bearer client-own-key"}, {"x-api-key", "client-own-x-key"}}
}

func TestProvidersThroughPlugin(t *testing.T) {
	tests := []struct {
		name, provider string
		host, path     string
		authHeader     string
		authValue      string
	}{
		{"openai", `{"type":"openai"}`, "api.openai.com", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"azure", `{"type":"azure","azureServiceUrl":"https://r1.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-02-15-preview"}`, "r1.openai.azure.com", "/openai/deployments/d1/chat/completions?api-version=2024-02-15-preview", "api-key", secretToken},
		{"moonshot", `{"type":"moonshot"}`, "api.moonshot.cn", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"baichuan", `{"type":"baichuan"}`, "api.baichuan-ai.com", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"yi", `{"type":"yi"}`, "api.lingyiwanwu.com", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"zhipuai", `{"type":"zhipuai"}`, "open.bigmodel.cn", "/api/paas/v4/chat/completions", "authorization", "Bearer " + secretToken},
		{"deepseek", `{"type":"deepseek"}`, "api.deepseek.com", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"groq", `{"type":"groq"}`, "api.groq.com", "/openai/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"grok", `{"type":"grok"}`, "api.x.ai", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"baidu", `{"type":"baidu"}`, "qianfan.baidubce.com", "/v2/chat/completions", "authorization", "Bearer " + secretToken},
		{"ai360", `{"type":"ai360"}`, "api.360.cn", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"github", `{"type":"github"}`, "models.inference.ai.azure.com", "/chat/completions", "authorization", "Bearer " + secretToken},
		{"mistral", `{"type":"mistral"}`, "api.mistral.ai", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"stepfun", `{"type":"stepfun"}`, "api.stepfun.com", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"together-ai", `{"type":"together-ai"}`, "api.together.xyz", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"fireworks", `{"type":"fireworks"}`, "api.fireworks.ai", "/inference/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"openrouter", `{"type":"openrouter"}`, "openrouter.ai", "/api/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"longcat", `{"type":"longcat"}`, "api.longcat.chat", "/openai/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"doubao", `{"type":"doubao"}`, "ark.cn-beijing.volces.com", "/api/v3/chat/completions", "authorization", "Bearer " + secretToken},
		{"ollama", `{"type":"ollama","ollamaServerHost":"ollama.local","ollamaServerPort":11434}`, "ollama.local:11434", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"cloudflare", `{"type":"cloudflare","cloudflareAccountId":"acc"}`, "api.cloudflare.com", "/client/v4/accounts/acc/ai/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"vllm", `{"type":"vllm","vllmServerHost":"vllm:8000"}`, "vllm:8000", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
		{"generic", `{"type":"generic","genericHost":"llm.internal"}`, "llm.internal", "/v1/chat/completions", "authorization", "Bearer " + secretToken},
	}
	const reqBody = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0,"stop":"END","vendor_x":{"keep":[1,2]}}`
	const respBody = `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cfg := `{"provider":` + strings.Replace(tt.provider, "{", `{"apiTokens":["`+secretToken+`"],`, 1) + `}`
				host := newHost(t, cfg)
				defer host.Reset()

				if a := host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions")); a != types.HeaderStopIteration {
					t.Fatalf("request headers: action %v, want HeaderStopIteration (body needed)", a)
				}
				if a := host.CallOnHttpRequestBody([]byte(reqBody)); a != types.ActionContinue {
					t.Fatalf("request body: action %v", a)
				}
				hs := host.GetRequestHeaders()
				for _, want := range [][2]string{{":authority", tt.host}, {":path", tt.path}, {tt.authHeader, tt.authValue}} {
					if got, _ := header(hs, want[0]); got != want[1] {
						t.Errorf("%s: got %q, want %q", want[0], got, want[1])
					}
				}
				if tt.authHeader != "authorization" {
					if _, ok := header(hs, "authorization"); ok {
						t.Errorf("client's authorization forwarded")
					}
				}
				if v, ok := header(hs, "x-api-key"); ok {
					t.Errorf("client's x-api-key forwarded: %q", v)
				}
				if _, ok := header(hs, "content-length"); ok {
					t.Errorf("content-length kept although the body may change")
				}
				if got := string(host.GetRequestBody()); got != reqBody {
					t.Errorf("request body changed:\n got %s\nwant %s", got, reqBody)
				}

				host.CallOnHttpResponseHeaders([][2]string{{":status", "200"}, {"content-type", "application/json"}})
				if a := host.CallOnHttpResponseBody([]byte(respBody)); a != types.ActionContinue {
					t.Fatalf("response body: action %v", a)
				}
				if got := string(host.GetResponseBody()); got != respBody {
					t.Errorf("response body changed:\n got %s\nwant %s", got, respBody)
				}
				host.CompleteHttp()
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}

func TestLocalErrors(t *testing.T) {
	tests := []struct {
		name, config, path, body string
		status                   uint32
		errType                  string // OpenAI error.type, or Anthropic error.type for /v1/messages
		anthropic                bool
	}{
		{"non-AI path gets 404 and no credentials", `{"provider":{"type":"openai","apiTokens":["` + secretToken + `"]}}`, "/admin/secrets", "", 404, "invalid_request_error", false},
		{"API the provider lacks", `{"provider":{"type":"yi","apiTokens":["` + secretToken + `"]}}`, "/v1/audio/speech", "", 404, "invalid_request_error", false},
		{"malformed JSON body", `{"provider":{"type":"openai","apiTokens":["` + secretToken + `"]}}`, "/v1/chat/completions", `{"model":"x",`, 400, "invalid_request_error", false},
		{"malformed body in Anthropic protocol", `{"provider":{"type":"openai","apiTokens":["` + secretToken + `"]}}`, "/v1/messages", `{"model":`, 400, "invalid_request_error", true},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				host := newHost(t, tt.config)
				defer host.Reset()
				host.CallOnHttpRequestHeaders(clientHeaders(tt.path))
				if tt.body != "" {
					host.CallOnHttpRequestBody([]byte(tt.body))
				}
				local := host.GetLocalResponse()
				if local == nil {
					t.Fatalf("no local reply; upstream headers %v", host.GetRequestHeaders())
				}
				if local.StatusCode != tt.status {
					t.Errorf("status %d, want %d", local.StatusCode, tt.status)
				}
				body := string(local.Data)
				if !gjson.Valid(body) {
					t.Fatalf("reply is not JSON: %q", body)
				}
				if tt.anthropic {
					if gjson.Get(body, "type").String() != "error" || gjson.Get(body, "error.type").String() != tt.errType {
						t.Errorf("not an Anthropic error: %s", body)
					}
				} else if gjson.Get(body, "error.type").String() != tt.errType || gjson.Get(body, "error.message").String() == "" {
					t.Errorf("not an OpenAI error: %s", body)
				}
				if ct, _ := header(local.Headers, "content-type"); ct != "application/json" {
					t.Errorf("content-type %q", ct)
				}
				// Refused at the headers: no credential was ever attached. (Refused at the
				// body: the headers were held and never leave, a local reply replaces them.)
				if v, _ := header(host.GetRequestHeaders(), "authorization"); tt.body == "" && strings.Contains(v, secretToken) {
					t.Errorf("credentials attached to a request the plugin refused: %q", v)
				}
				// Envoy runs a local reply through the encoder callbacks: they must
				// leave it as it is.
				host.CallOnHttpResponseHeaders([][2]string{{":status", "400"}, {"content-type", "application/json"}})
				host.CallOnHttpResponseBody(local.Data)
				if got := string(host.GetResponseBody()); got != body {
					t.Errorf("local reply changed by the response callbacks:\n got %s\nwant %s", got, body)
				}
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}

func TestConfigValidationFailsStart(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"no provider", `{"foo":1}`, "provider: required"},
		{"unknown type", `{"provider":{"type":"martian","apiTokens":["` + secretToken + `"]}}`, `provider.type: unknown provider type "martian"`},
		{"bad regex", `{"provider":{"type":"openai","modelMapping":{"~[":"x"}}}`, `provider.modelMapping["~["]: invalid regular expression`},
		{"providers without id", `{"providers":[{"type":"openai"}]}`, "providers[0].id: required"},
		{"duplicate ids", `{"providers":[{"id":"a","type":"openai"},{"id":"a","type":"groq","apiTokens":["k"]}]}`, `providers[1].id: duplicate id "a"`},
		{"active id unknown", `{"providers":[{"id":"a","type":"openai"}],"activeProviderId":"b"}`, `activeProviderId: no provider with id "b"`},
		{"bad provider in list", `{"providers":[{"id":"a","type":"azure","apiTokens":["k"]}],"activeProviderId":"a"}`, "providers[0].azureServiceUrl: required"},
		{"rule without active provider", `{"providers":[{"id":"a","type":"openai"}],"_rules_":[{"_match_route_":["r1"]}]}`, "_rules_: rule has no active provider"},
		{"bad global with rules", `{"provider":{"type":"nope"},"_rules_":[{"_match_route_":["r1"],"provider":{"type":"openai"}}]}`, `provider.type: unknown provider type "nope"`},
		{"empty config", `{}`, "provider: required"},
		{"no token", `{"provider":{"type":"claude"}}`, `provider.apiTokens: required for provider type "claude"`},
		{"bad provider in rule", `{"_rules_":[{"_match_route_":["r1"],"provider":{"type":"ollama"}}]}`, "_rules_: provider.ollamaServerHost: required"},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				host, status := test.NewTestHost(json.RawMessage(tt.config))
				defer host.Reset()
				if status != types.OnPluginStartStatusFailed {
					t.Fatalf("plugin started with %s", tt.config)
				}
				logs := strings.Join(host.GetCriticalLogs(), "\n")
				if !strings.Contains(logs, tt.want) {
					t.Errorf("critical logs %q do not name %q", logs, tt.want)
				}
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}

func TestRulesPerRoute(t *testing.T) {
	config := `{
		"providers": [
			{"id":"oa","type":"openai","apiTokens":["k-openai"]},
			{"id":"ds","type":"deepseek","apiTokens":["k-deepseek"],"modelMapping":{"*":"deepseek-chat"}}
		],
		"activeProviderId": "oa",
		"_rules_": [
			{"_match_route_": ["route-ds"], "activeProviderId": "ds"},
			{"_match_route_": ["route-own"], "provider": {"type":"groq","apiTokens":["k-groq"]}}
		]
	}`
	tests := []struct{ route, host, auth, model string }{
		{"route-ds", "api.deepseek.com", "Bearer k-deepseek", "deepseek-chat"},
		{"route-own", "api.groq.com", "Bearer k-groq", "gpt-4o"},
		{"any-other-route", "api.openai.com", "Bearer k-openai", "gpt-4o"},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.route, func(t *testing.T) {
				host := newHost(t, config)
				defer host.Reset()
				host.SetRouteName(tt.route)
				host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
				host.CallOnHttpRequestBody([]byte(`{"model":"gpt-4o","messages":[]}`))
				hs := host.GetRequestHeaders()
				if got, _ := header(hs, ":authority"); got != tt.host {
					t.Errorf(":authority %q, want %q", got, tt.host)
				}
				if got, _ := header(hs, "authorization"); got != tt.auth {
					t.Errorf("authorization %q, want %q", got, tt.auth)
				}
				if got := gjson.GetBytes(host.GetRequestBody(), "model").String(); got != tt.model {
					t.Errorf("model %q, want %q", got, tt.model)
				}
			})
		}
	})
}

func TestCustomSettingsBothProtocols(t *testing.T) {
	tests := []struct {
		name, provider, want string
	}{
		{"openai protocol, auto", `{"type":"openai","apiTokens":["k"],"customSettings":[{"name":"max_tokens","value":50},{"name":"temperature","value":0.2,"overwrite":false}]}`,
			`{"model":"m","temperature":0,"messages":[],"max_tokens":50}`},
		{"original protocol, raw", `{"type":"openai","protocol":"original","apiTokens":["k"],"customSettings":[{"name":"my_flag","value":true,"mode":"raw"}]}`,
			`{"model":"m","temperature":0,"messages":[],"my_flag":true}`},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				host := newHost(t, `{"provider":`+tt.provider+`}`)
				defer host.Reset()
				host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
				host.CallOnHttpRequestBody([]byte(`{"model":"m","temperature":0,"messages":[]}`))
				if got := string(host.GetRequestBody()); got != tt.want {
					t.Errorf("body\n got %s\nwant %s", got, tt.want)
				}
			})
		}
	})
}

func TestStreamingPassthrough(t *testing.T) {
	chunks := []string{
		"data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"He\"}}]}\n\n",
		"data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"}}]}\n\nda",
		"ta: [DONE]\n\n",
	}
	test.RunTest(t, func(t *testing.T) {
		host := newHost(t, `{"provider":{"type":"openai","apiTokens":["k"],"firstByteTimeout":2000}}`)
		defer host.Reset()
		host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
		host.CallOnHttpRequestBody([]byte(`{"model":"m","stream":true,"messages":[]}`))
		hs := host.GetRequestHeaders()
		if v, _ := header(hs, "x-envoy-upstream-rq-first-byte-timeout-ms"); v != "2000" {
			t.Errorf("first byte timeout header %q", v)
		}
		if got := gjson.GetBytes(host.GetRequestBody(), "stream_options.include_usage"); !got.Bool() {
			t.Errorf("stream_options.include_usage not set: %s", host.GetRequestBody())
		}
		host.CallOnHttpResponseHeaders([][2]string{{":status", "200"}, {"content-type", "text/event-stream"}})
		for i, c := range chunks {
			if a := host.CallOnHttpStreamingResponseBody([]byte(c), i == len(chunks)-1); a != types.ActionContinue {
				t.Fatalf("chunk %d: action %v", i, a)
			}
			if got := string(host.GetResponseBody()); got != c {
				t.Errorf("chunk %d changed: %q", i, got)
			}
		}
	})
}

func TestContextFile(t *testing.T) {
	test.RunTest(t, func(t *testing.T) {
		t.Run("fetched once and added as system context", func(t *testing.T) {
			host := newHost(t, `{"provider":{"type":"openai","apiTokens":["k"],"context":{"fileUrl":"http://files.svc/kb/ctx.txt","serviceName":"files.dns","servicePort":8080}}}`)
			defer host.Reset()
			host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
			if a := host.CallOnHttpRequestBody([]byte(`{"model":"m","messages":[{"role":"user","content":"q"}]}`)); a != types.ActionPause {
				t.Fatalf("body: action %v, want pause while the context is fetched", a)
			}
			calls := host.GetHttpCalloutAttributes()
			if len(calls) != 1 || calls[0].Upstream != "outbound|8080||files.dns" {
				t.Fatalf("callouts %+v", calls)
			}
			if p, _ := header(calls[0].Headers, ":path"); p != "/kb/ctx.txt" {
				t.Errorf("callout path %q", p)
			}
			host.CallOnHttpCall([][2]string{{":status", "200"}}, []byte("Our refund window is 30 days."))
			body := host.GetRequestBody()
			if got := gjson.GetBytes(body, "messages.0.content").String(); got != "Our refund window is 30 days." || gjson.GetBytes(body, "messages.0.role").String() != "system" {
				t.Errorf("context not first system message: %s", body)
			}
			if got := gjson.GetBytes(body, "messages.1.content").String(); got != "q" {
				t.Errorf("user message lost: %s", body)
			}
			if host.GetHttpStreamAction() != types.ActionContinue {
				t.Errorf("request not resumed")
			}
		})
		t.Run("moonshot file from the route's cluster", func(t *testing.T) {
			host := newHost(t, `{"provider":{"type":"moonshot","apiTokens":["k-moon"],"moonshotFileId":"file-9"}}`)
			defer host.Reset()
			host.SetClusterName("outbound|443||api.moonshot.cn")
			host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
			host.CallOnHttpRequestBody([]byte(`{"model":"moonshot-v1-32k","messages":[{"role":"user","content":"q"}]}`))
			calls := host.GetHttpCalloutAttributes()
			if len(calls) != 1 || calls[0].Upstream != "outbound|443||api.moonshot.cn" {
				t.Fatalf("callouts %+v", calls)
			}
			for _, want := range [][2]string{{":path", "/v1/files/file-9/content"}, {":authority", "api.moonshot.cn"}, {"authorization", "Bearer k-moon"}} {
				if got, _ := header(calls[0].Headers, want[0]); got != want[1] {
					t.Errorf("callout %s: got %q want %q", want[0], got, want[1])
				}
			}
			host.CallOnHttpCall([][2]string{{":status", "200"}}, []byte(`{"content":"file text","type":"file"}`))
			if got := gjson.GetBytes(host.GetRequestBody(), "messages.0.content").String(); got != `{"content":"file text","type":"file"}` {
				t.Errorf("file content not the system message: %s", host.GetRequestBody())
			}
		})
		t.Run("failed fetch answers 502", func(t *testing.T) {
			host := newHost(t, `{"provider":{"type":"openai","apiTokens":["k"],"context":{"fileUrl":"http://files.svc/ctx.txt","serviceName":"files.dns","servicePort":80}}}`)
			defer host.Reset()
			host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
			host.CallOnHttpRequestBody([]byte(`{"model":"m","messages":[]}`))
			host.CallOnHttpCall([][2]string{{":status", "503"}}, []byte("down"))
			local := host.GetLocalResponse()
			if local == nil || local.StatusCode != 502 || !strings.Contains(string(local.Data), "context") {
				t.Fatalf("local reply %+v", local)
			}
		})
	})
}
