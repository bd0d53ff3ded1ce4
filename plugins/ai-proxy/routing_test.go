package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"github.com/tidwall/gjson"
)

const routingConfig = `{"providers":[
  {"id":"qwen","type":"qwen","apiTokens":["` + secretToken + `-q"],"qwenEnableCompatible":false},
  {"id":"claude","type":"claude","apiTokens":["` + secretToken + `-c"]},
  {"id":"openai","type":"openai","apiTokens":["` + secretToken + `-o"],"modelMapping":{"gpt-4o":"gpt-4o-2024-08-06"}}],
 "routing":{"mode":"model","rules":[
  {"match":"qwen-*","provider":"qwen"},
  {"match":"claude-*","provider":"claude","model":"claude-sonnet-4-5"}],
  "default":{"provider":"openai"}}}`

// TestRoutingThroughPlugin: the routing section picks the provider per request from the
// body's model; the request is rewritten for that provider (host, path, token, model),
// carries the routing header the gateway's routes match, and the answer names the
// provider and model that served it.
func TestRoutingThroughPlugin(t *testing.T) {
	tests := []struct {
		model, provider, host, path, auth, upstreamModel string
	}{
		{"qwen-max", "qwen", "dashscope.aliyuncs.com", "/api/v1/services/aigc/text-generation/generation", "Bearer " + secretToken + "-q", "qwen-max"},
		{"claude-3-haiku", "claude", "api.anthropic.com", "/v1/messages", secretToken + "-c", "claude-sonnet-4-5"},
		{"gpt-4o", "openai", "api.openai.com", "/v1/chat/completions", "Bearer " + secretToken + "-o", "gpt-4o-2024-08-06"},
	}
	test.RunTest(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.model, func(t *testing.T) {
				host := newHost(t, routingConfig)
				defer host.Reset()
				if a := host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions")); a != types.HeaderStopIteration {
					t.Fatalf("request headers: %v, want HeaderStopIteration (the provider depends on the body)", a)
				}
				body := `{"model":"` + tt.model + `","messages":[{"role":"user","content":"hi"}]}`
				if a := host.CallOnHttpRequestBody([]byte(body)); a != types.ActionContinue {
					t.Fatalf("request body: %v", a)
				}
				hs := host.GetRequestHeaders()
				authName := "authorization"
				if tt.provider == "claude" {
					authName = "x-api-key"
				}
				for _, want := range [][2]string{{":authority", tt.host}, {":path", tt.path}, {authName, tt.auth}, {"x-ai-proxy-provider", tt.provider}} {
					if got, _ := header(hs, want[0]); got != want[1] {
						t.Errorf("%s: got %q, want %q", want[0], got, want[1])
					}
				}
				if got := gjson.GetBytes(host.GetRequestBody(), "model").String(); got != tt.upstreamModel {
					t.Errorf("upstream model %q, want %q", got, tt.upstreamModel)
				}
				host.CallOnHttpResponseHeaders([][2]string{{":status", "500"}, {"content-type", "application/json"}})
				host.CallOnHttpResponseBody([]byte(`{"error":{"message":"x"}}`))
				rh := host.GetResponseHeaders()
				if got, _ := header(rh, "x-ai-served-provider"); got != tt.provider {
					t.Errorf("served-by provider %q, want %q", got, tt.provider)
				}
				if got, _ := header(rh, "x-ai-served-model"); got != tt.upstreamModel {
					t.Errorf("served-by model %q, want %q", got, tt.upstreamModel)
				}
				host.CompleteHttp()
				assertNoSecret(t, host, secretToken)
			})
		}
	})
}

// TestRoutingErrors: a model no rule serves is refused in the client's protocol; routing
// config errors fail plugin start naming the field.
func TestRoutingErrors(t *testing.T) {
	test.RunTest(t, func(t *testing.T) {
		t.Run("no target", func(t *testing.T) {
			cfg := strings.Replace(routingConfig, `,
  "default":{"provider":"openai"}`, "", 1)
			host := newHost(t, cfg)
			defer host.Reset()
			host.CallOnHttpRequestHeaders(clientHeaders("/v1/messages"))
			host.CallOnHttpRequestBody([]byte(`{"model":"gpt-4o","max_tokens":5,"messages":[]}`))
			r := host.GetLocalResponse()
			if r == nil || r.StatusCode != 404 || gjson.GetBytes(r.Data, "type").String() != "error" ||
				!strings.Contains(gjson.GetBytes(r.Data, "error.message").String(), `"gpt-4o"`) {
				t.Fatalf("got %+v, want a 404 Anthropic error naming the model", r)
			}
		})
		for _, bad := range []struct{ config, field string }{
			{strings.Replace(routingConfig, `"provider":"claude","model"`, `"provider":"nope","model"`, 1), `routing.rules[1].provider`},
			{strings.Replace(routingConfig, `"mode":"model"`, `"mode":"fastest"`, 1), `routing.mode`},
			{strings.Replace(routingConfig, `"match":"qwen-*"`, `"match":""`, 1), `routing.rules[0].match`},
		} {
			t.Run(bad.field, func(t *testing.T) {
				host, status := test.NewTestHost(json.RawMessage(bad.config))
				defer host.Reset()
				if status == types.OnPluginStartStatusOK {
					t.Fatal("plugin started")
				}
				if logs := strings.Join(host.GetCriticalLogs(), "\n"); !strings.Contains(logs, bad.field) {
					t.Errorf("error does not name %s: %s", bad.field, logs)
				}
			})
		}
	})
}

// TestHeldAnswerBecomes502: a 200 JSON answer that cannot be converted is held with its
// headers and answered as a 502 JSON error, never as a 200.
func TestHeldAnswerBecomes502(t *testing.T) {
	test.RunTest(t, func(t *testing.T) {
		host := newHost(t, `{"provider":{"type":"claude","apiTokens":["`+secretToken+`"]}}`)
		defer host.Reset()
		host.CallOnHttpRequestHeaders(clientHeaders("/v1/chat/completions"))
		host.CallOnHttpRequestBody([]byte(`{"model":"c","messages":[{"role":"user","content":"hi"}]}`))
		if a := host.CallOnHttpResponseHeaders([][2]string{{":status", "200"}, {"content-type", "application/json"}}); a != types.HeaderStopIteration {
			t.Fatalf("response headers: %v, want HeaderStopIteration (held until converted)", a)
		}
		host.CallOnHttpResponseBody([]byte(`{"id":"msg_1","type":"message","content":[{"type":"te`))
		if got, _ := header(host.GetResponseHeaders(), ":status"); got != "502" {
			t.Errorf("status %q, want 502", got)
		}
		if msg := gjson.GetBytes(host.GetResponseBody(), "error.message").String(); msg == "" {
			t.Errorf("body %s, want an OpenAI error", host.GetResponseBody())
		}
	})
}
