package telemetry

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const sec = int64(1e9)

func sample() *Record {
	return &Record{
		Route: "ai-route-openai.internal", Cluster: "outbound|443||api.openai.com", Consumer: "",
		API: "chat/completions", Protocol: "openai", Provider: "openai-1", ProviderType: "openai",
		RoutingMode: "weighted", RoutingReason: "weight", Attempts: 1,
		RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06", Stream: true, Status: 200,
		Usage: translator.Usage{PromptTokens: 1117, CompletionTokens: 46, TotalTokens: 1163, CachedTokens: 1024, ReasoningTokens: 12},
		Start: 100 * sec, FirstByte: 100*sec + 340e6, End: 100*sec + 2340e6,
		ChatID: "chatcmpl-1",
	}
}

func TestAppendAILog(t *testing.T) {
	out := AppendAILog(nil, sample(), nil, 0)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{
		"model": "gpt-4o-2024-08-06", "input_token": 1117.0, "output_token": 46.0, "total_token": 1163.0,
		"cached_tokens": 1024.0, "cache_creation_tokens": 0.0, "reasoning_tokens": 12.0,
		"llm_first_token_duration": 340.0, "llm_service_duration": 2340.0, "response_type": "stream",
		"chat_id": "chatcmpl-1", "api": "chat/completions", "consumer": "none",
		"route": "ai-route-openai.internal", "cluster": "outbound|443||api.openai.com",
		"protocol": "openai", "provider": "openai-1", "provider_type": "openai",
		"routing_mode": "weighted", "routing_reason": "weight", "attempts": 1.0, "stream": true,
		"status": 200.0, "error_cause": "none", "request_model": "gpt-4o", "response_model": "gpt-4o-2024-08-06",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, m[k], m[k], v)
		}
	}
	for k := range m {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %s", k)
		}
	}

	// Not streamed, failed, no content: no first-token field, normal response type.
	r := sample()
	r.Stream, r.FirstByte, r.Status, r.Cause, r.Usage = false, 0, 502, CauseTruncated, translator.Usage{}
	r.ResponseModel = ""
	m = nil
	if err := json.Unmarshal(AppendAILog(nil, r, nil, 0), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["llm_first_token_duration"]; ok || m["response_type"] != "normal" || m["error_cause"] != "truncated" || m["model"] != "gpt-4o" {
		t.Errorf("non-stream failure: %v", m)
	}
}

func TestAILogContentRedactedAndCapped(t *testing.T) {
	const token = "sk-proj-SECRETSECRETSECRET"
	const client = "client-credential-xyz"
	r := sample()
	r.RequestBody = []byte(`{"messages":[{"role":"user","content":"my key is ` + token + ` and ` + client + ` \"quoted\"\n日本"}]}`)
	r.ResponseContent = []byte(strings.Repeat("é", 5000) + token)
	out := AppendAILog(nil, r, []string{token, client, "", "ab"}, 1000)
	if strings.Contains(string(out), token) || strings.Contains(string(out), client) || strings.Contains(string(out), "SECRETSECRET") {
		t.Fatalf("secret in log: %s", out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	req := m["request_body"].(string)
	if !strings.Contains(req, Redacted) || !strings.Contains(req, `\"quoted\"`) || !strings.Contains(req, "日本") {
		t.Errorf("request_body = %q", req)
	}
	if m["request_body_truncated"] != nil {
		t.Error("request body is under the limit")
	}
	resp := m["response_body"].(string)
	if len(resp) > 1000 || m["response_body_truncated"] != true || strings.ContainsRune(resp, '\uFFFD') {
		t.Errorf("response_body: %d bytes, truncated %v", len(resp), m["response_body_truncated"])
	}
}

func FuzzAILog(f *testing.F) {
	f.Add("route", "model\"\\\n", "consumer", []byte(`{"a":"sk-1234"}`), []byte("\xff\xfe answer"), "sk-1234", 10)
	f.Add("", "", "", []byte(nil), []byte(nil), "", 0)
	f.Fuzz(func(t *testing.T, route, model, consumer string, req, resp []byte, secret string, limit int) {
		r := sample()
		r.Route, r.ResponseModel, r.Consumer, r.ChatID = route, model, consumer, model+route
		r.RequestBody, r.ResponseContent = req, resp
		out := AppendAILog(nil, r, []string{secret}, limit%8192)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		// A valid-UTF-8 secret that shares no byte with the replacement never survives.
		if len(secret) >= 4 && !strings.ContainsAny(secret, Redacted+"\ufffd") && strings.ToValidUTF8(secret, "") == secret {
			var m map[string]any
			json.Unmarshal(out, &m)
			for _, k := range []string{"request_body", "response_body"} {
				if s, _ := m[k].(string); strings.Contains(s, secret) {
					t.Fatalf("%s contains the secret: %q", k, s)
				}
			}
		}
	})
}

func BenchmarkAppendAILog(b *testing.B) {
	r := sample()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAILog(buf[:0], r, []string{"sk-proj-SECRETSECRETSECRET"}, 0)
	}
}

func TestAppendLogProperty(t *testing.T) {
	line := AppendAILog(nil, sample(), nil, 0)
	prop := AppendLogProperty([]byte("x"), line)
	var s string
	if err := json.Unmarshal([]byte(`"`+string(prop[1:])+`"`), &s); err != nil || s != string(line) || prop[0] != 'x' {
		t.Fatalf("%v: %s", err, prop)
	}
}
