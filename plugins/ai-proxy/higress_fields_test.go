package main

import (
	"strings"
	"testing"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"github.com/tidwall/gjson"
)

// TestHigressFields starts the plugin with one configuration per documented Higress
// provider field that changes what reaches the upstream or the client, sends one
// request, and checks the field's effect on the upstream request (authority, path,
// headers, body) or on the answer the client gets.
func TestHigressFields(t *testing.T) {
	type upstream struct {
		hs   [][2]string
		body string
	}
	tests := []struct {
		field    string
		provider string // the provider object; apiTokens are added unless it has them
		path     string
		headers  [][2]string // extra client headers
		body     string      // "" sends no body (headers only)
		// the upstream's answer, when the check is on what the client gets
		respType string
		resp     []string // one JSON body, or the pieces of a stream
		check    func(t *testing.T, up upstream, client string)
	}{
		{field: "claudeCodeMode", provider: `{"type":"claude","claudeCodeMode":true}`, path: "/v1/chat/completions",
			body: `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"ls"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{"authorization": "Bearer " + secretToken, "x-app": "cli",
					"user-agent": "claude-cli/2.1.2 (external, cli)", ":path": "/v1/messages?beta=true",
					"anthropic-beta": "oauth-2025-04-20,interleaved-thinking-2025-05-14,claude-code-20250219"})
				if _, ok := header(up.hs, "x-api-key"); ok {
					t.Error("x-api-key sent in Claude Code mode")
				}
				if got := gjson.Get(up.body, "system.0.text").String(); got != "You are Claude Code, Anthropic's official CLI for Claude." {
					t.Errorf("system prompt %q", got)
				}
			}},
		{field: "claudeCodeMode (native messages, own system)", provider: `{"type":"claude","claudeCodeMode":true}`, path: "/v1/messages",
			headers: [][2]string{{"anthropic-beta", "context-1m-2025-08-07, oauth-2025-04-20"}},
			body:    `{"model":"claude-sonnet-4-5","max_tokens":64,"system":"be brief","messages":[{"role":"user","content":"ls"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":path": "/v1/messages?beta=true", "authorization": "Bearer " + secretToken,
					"anthropic-beta": "oauth-2025-04-20,interleaved-thinking-2025-05-14,claude-code-20250219,context-1m-2025-08-07"})
				if s := gjson.Get(up.body, "system"); s.Get("0.text").String() != "be brief" || s.Get("0.cache_control.type").String() != "ephemeral" {
					t.Errorf("system %s", s.Raw)
				}
			}},
		{field: "claudeVersion", provider: `{"type":"claude","claudeVersion":"2023-01-01"}`, path: "/v1/messages",
			body: `{"model":"m","max_tokens":1,"messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{"anthropic-version": "2023-01-01", "x-api-key": secretToken, ":path": "/v1/messages"})
			}},
		{field: "zhipuDomain", provider: `{"type":"zhipuai","zhipuDomain":"api.z.ai"}`, path: "/v1/chat/completions",
			body: `{"model":"glm-4.6","messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "api.z.ai", ":path": "/api/paas/v4/chat/completions"})
			}},
		{field: "zhipuCodePlanMode", provider: `{"type":"zhipuai","zhipuCodePlanMode":true}`, path: "/v1/chat/completions",
			body: `{"model":"glm-4.6","messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "open.bigmodel.cn", ":path": "/api/coding/paas/v4/chat/completions"})
			}},
		{field: "contextCleanupCommands", provider: `{"type":"openai","contextCleanupCommands":["/clear"]}`, path: "/v1/chat/completions",
			body: `{"model":"gpt-4o","messages":[{"role":"system","content":"sys"},{"role":"user","content":"old"},{"role":"assistant","content":"ans"},{"role":"user","content":"/clear"},{"role":"user","content":"new"}],"temperature":0}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantJSON(t, up.body, "messages", `[{"role":"system","content":"sys"},{"role":"user","content":"new"}]`)
				wantJSON(t, up.body, "temperature", `0`)
			}},
		{field: "mergeConsecutiveMessages", provider: `{"type":"openai","mergeConsecutiveMessages":true}`, path: "/v1/chat/completions",
			body: `{"model":"gpt-4o","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"},{"role":"user","content":[{"type":"text","text":"d"}]},{"role":"user","content":"e"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantJSON(t, up.body, "messages", `[{"role":"user","content":"a\n\nb"},{"role":"assistant","content":"c"},{"role":"user","content":[{"type":"text","text":"d"},{"type":"text","text":"e"}]}]`)
			}},
		{field: "hiclawMode (merge)", provider: `{"type":"openai","hiclawMode":true}`, path: "/v1/chat/completions",
			body: `{"model":"gpt-4o","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantJSON(t, up.body, "messages", `[{"role":"user","content":"a\n\nb"}]`)
			}},
		{field: "promoteThinkingOnEmpty (JSON)", provider: `{"type":"openai","promoteThinkingOnEmpty":true}`, path: "/v1/chat/completions",
			body:     `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
			respType: "application/json",
			resp:     []string{`{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"","reasoning_content":"the answer"},"finish_reason":"stop"}]}`},
			check: func(t *testing.T, _ upstream, client string) {
				wantJSON(t, client, "choices.0.message", `{"role":"assistant","content":"the answer"}`)
			}},
		{field: "hiclawMode (promote, stream)", provider: `{"type":"openai","hiclawMode":true}`, path: "/v1/chat/completions",
			body:     `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			respType: "text/event-stream",
			resp: []string{`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"the "}}]}` + "\n\n" +
				`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choi`, `ces":[{"index":0,"delta":{"reasoning_content":"answer"}}]}` + "\n\n" +
				`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"},
			check: func(t *testing.T, up upstream, client string) {
				wantJSON(t, up.body, "stream_options", `{"include_usage":true}`) // usage is still asked for
				if strings.Contains(client, "reasoning_content") || !strings.Contains(client, `"delta":{"role":"assistant","content":"the answer"}`) ||
					!strings.HasSuffix(client, "data: [DONE]\n\n") {
					t.Errorf("stream:\n%s", client)
				}
			}},
		{field: "openrouter reasoning budget (reasoning_max_tokens)", provider: `{"type":"openrouter"}`, path: "/v1/chat/completions",
			body: `{"model":"m","reasoning_effort":"high","reasoning_max_tokens":3000,"messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantJSON(t, up.body, "@this", `{"model":"m","messages":[],"reasoning":{"max_tokens":3000}}`)
			}},
		{field: "openrouter reasoning budget (Anthropic thinking)", provider: `{"type":"openrouter"}`, path: "/v1/messages",
			body: `{"model":"m","max_tokens":9000,"thinking":{"type":"enabled","budget_tokens":5000},"messages":[{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":path": "/api/v1/chat/completions"})
				wantJSON(t, up.body, "reasoning", `{"max_tokens":5000}`)
				if gjson.Get(up.body, "reasoning_effort").Exists() {
					t.Errorf("reasoning_effort kept: %s", up.body)
				}
			}},
		{field: "geminiThinkingBudget", provider: `{"type":"gemini","geminiThinkingBudget":2048}`, path: "/v1/chat/completions",
			body: `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantJSON(t, up.body, "generationConfig.thinkingConfig.thinkingBudget", `2048`)
			}},
		{field: "apiTokens + x-mse-consumer (consumer affinity)", provider: `{"type":"openai","apiTokens":["k0","k1","k2","k3","k4"]}`, path: "/v1/files/file-1",
			headers: [][2]string{{"x-mse-consumer", "consumer-a"}, {":method", "GET"}},
			check: func(t *testing.T, up upstream, _ string) {
				// fnv32a("consumer-a") % 5, the token Higress picks for this consumer
				wantHeaders(t, up.hs, map[string]string{"authorization": "Bearer k" + string(rune('0'+fnv32a("consumer-a")%5)), ":path": "/v1/files/file-1"})
			}},
		{field: "azureServiceUrl (files API)", provider: `{"type":"azure","azureServiceUrl":"https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"}`, path: "/v1/files/file-1/content",
			headers: [][2]string{{":method", "GET"}},
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "r.openai.azure.com", ":path": "/openai/files/file-1/content?api-version=2024-10-21", "api-key": secretToken})
			}},
		{field: "azureServiceUrl (batches API)", provider: `{"type":"azure","azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21"}`, path: "/v1/batches",
			body: `{"input_file_id":"file-1","endpoint":"/chat/completions","completion_window":"24h"}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":path": "/openai/batches?api-version=2024-10-21"})
			}},
		{field: "protocol: original (Azure native path)", provider: `{"type":"azure","protocol":"original","azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21"}`,
			path: "/openai/deployments/d/chat/completions?api-version=2024-10-21", body: `{"messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "r.openai.azure.com", ":path": "/openai/deployments/d/chat/completions?api-version=2024-10-21", "api-key": secretToken})
			}},
		{field: "protocol: original + basePathHandling: prepend", provider: `{"type":"azure","protocol":"original","basePath":"/api/v1","basePathHandling":"prepend","azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21"}`,
			path: "/chat/completions", body: `{"model":"gpt-4","messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":path": "/api/v1/chat/completions", "api-key": secretToken})
			}},
		{field: "protocol: original (Bedrock native path, SigV4)", provider: `{"type":"bedrock","apiTokens":[],"protocol":"original","awsRegion":"us-west-2","awsAccessKey":"AKIDEXAMPLE","awsSecretKey":"` + secretToken + `"}`,
			path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", body: `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "bedrock-runtime.us-west-2.amazonaws.com", ":path": "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"})
				if a, _ := header(up.hs, "authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(a, "/us-west-2/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=") {
					t.Errorf("authorization %q", a)
				}
			}},
		{field: "genericHost (absent: the route's host)", provider: `{"type":"generic"}`, path: "/v1/chat/completions",
			body: `{"model":"m","messages":[]}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "gateway.example.com", ":path": "/v1/chat/completions", "authorization": "Bearer " + secretToken})
			}},
		{field: "generic (body as sent, firstByteTimeout)", provider: `{"type":"generic","genericHost":"llm.internal","firstByteTimeout":1500}`, path: "/v1/chat/completions",
			body: `{"model":"gpt-any","stream":true}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{"x-envoy-upstream-rq-first-byte-timeout-ms": "1500"})
				if up.body != `{"model":"gpt-any","stream":true}` {
					t.Errorf("body changed: %s", up.body)
				}
				if a, ok := header(up.hs, "accept"); ok {
					t.Errorf("accept set: %q", a)
				}
			}},
		{field: "generic (any path)", provider: `{"type":"generic","genericHost":"llm.internal"}`, path: "/internal/tools/run?x=1",
			body: `{"anything":true}`,
			check: func(t *testing.T, up upstream, _ string) {
				wantHeaders(t, up.hs, map[string]string{":authority": "llm.internal", ":path": "/internal/tools/run?x=1", "authorization": "Bearer " + secretToken})
			}},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.field, func(t *testing.T) {
				p := tt.provider
				if !strings.Contains(p, `"apiTokens"`) {
					p = strings.Replace(p, "{", `{"apiTokens":["`+secretToken+`"],`, 1)
				}
				host := newHost(t, `{"provider":`+p+`}`)
				defer host.Reset()
				hs := clientHeaders(tt.path)
				for _, h := range tt.headers {
					hs = setHeader(hs, h[0], h[1])
				}
				a := host.CallOnHttpRequestHeaders(hs)
				if a == types.HeaderStopIteration && tt.body != "" {
					// the plugin reads the body (protocol: original passes it unread)
					if a = host.CallOnHttpRequestBody([]byte(tt.body)); a != types.ActionContinue {
						t.Fatalf("request body: action %v (local reply %s)", a, host.GetLocalResponse().Data)
					}
				} else if a != types.ActionContinue {
					t.Fatalf("request headers: action %v (local reply %v)", a, host.GetLocalResponse())
				}
				up := upstream{hs: host.GetRequestHeaders(), body: string(host.GetRequestBody())}
				var client strings.Builder
				if tt.resp != nil {
					host.CallOnHttpResponseHeaders([][2]string{{":status", "200"}, {"content-type", tt.respType}})
					if tt.respType == "text/event-stream" {
						for i, c := range tt.resp {
							host.CallOnHttpStreamingResponseBody([]byte(c), i == len(tt.resp)-1)
							client.Write(host.GetResponseBody())
						}
					} else {
						host.CallOnHttpResponseBody([]byte(tt.resp[0]))
						client.Write(host.GetResponseBody())
					}
				}
				tt.check(t, up, client.String())
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}

func setHeader(hs [][2]string, name, value string) [][2]string {
	for i := range hs {
		if strings.EqualFold(hs[i][0], name) {
			hs[i][1] = value
			return hs
		}
	}
	return append(hs, [2]string{name, value})
}

func wantHeaders(t *testing.T, hs [][2]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, _ := header(hs, k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
}

// wantJSON compares the JSON at path with want, ignoring formatting.
func wantJSON(t *testing.T, body, path, want string) {
	t.Helper()
	got := gjson.Get(body, path)
	if compact(got.Raw) != compact(want) {
		t.Errorf("%s:\n got %s\nwant %s", path, got.Raw, want)
	}
}

func compact(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' && (i == 0 || s[i-1] != '\\') {
			in = !in
		}
		if !in && (c == ' ' || c == '\n' || c == '\t') {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
