package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestProviders2Upstream shows the upstream requests of deepl, spark and minimax:
// authority, path, credentials and the converted body.
func TestProviders2Upstream(t *testing.T) {
	const deeplCfg = `{"type":"deepl","apiTokens":["dl-1"],"targetLang":"ZH"}`
	const seedReq = `{"model":"Free","messages":[{"role":"system","content":"money"},{"content":"sit by the bank"},{"content":"a bank in China"}]}`
	const sparkCfg = `{"type":"spark","apiTokens":["key:secret"],"modelMapping":{"gpt-4o":"generalv3.5","*":"general"}}`
	const mmCfg = `{"type":"minimax","apiTokens":["mm-1"],"minimaxGroupId":"g 1","modelMapping":{"gpt-4":"abab6.5-chat","*":"abab6.5g-chat"}}`
	const chat = `{"model":"gpt-4","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"max_tokens":50}`
	tests := []struct {
		name, config, body string
		want               map[string]string
		wantBody           map[string]string
		sameBody           bool
	}{
		{
			name: "deepl free tier, seed example", config: deeplCfg, body: seedReq,
			want:     map[string]string{":authority": "api-free.deepl.com", ":path": "/v2/translate", "authorization": "DeepL-Auth-Key dl-1"},
			wantBody: map[string]string{"@this": `{"text":["sit by the bank","a bank in China"],"target_lang":"ZH","context":"money"}`},
		},
		{
			name: "deepl pro tier", config: deeplCfg, body: strings.Replace(seedReq, "Free", "Pro", 1),
			want: map[string]string{":authority": "api.deepl.com"},
		},
		{
			name: "spark", config: sparkCfg, body: `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"stream_options":{"include_usage":true}}`,
			want:     map[string]string{":authority": "spark-api-open.xf-yun.com", ":path": "/v1/chat/completions", "authorization": "Bearer key:secret"},
			wantBody: map[string]string{"model": `"generalv3.5"`, "messages.0.content": `"hi"`, "stream_options": ""},
		},
		{
			name: "spark general is lite", config: sparkCfg, body: `{"model":"x","messages":[{"role":"user","content":"hi"}]}`,
			wantBody: map[string]string{"model": `"lite"`},
		},
		{
			name: "minimax pro", config: mmCfg, body: chat,
			want: map[string]string{":authority": "api.minimax.chat", ":path": "/v1/text/chatcompletion_pro?GroupId=g%201", "authorization": "Bearer mm-1"},
			wantBody: map[string]string{"tokens_to_generate": "50", "bot_setting": `[{"bot_name":"MM智能助理","content":"s"}]`,
				"messages": `[{"sender_type":"USER","sender_name":"用户","text":"hi"}]`, "reply_constraints.sender_name": `"MM智能助理"`},
		},
		{
			name: "minimax v2", config: mmCfg, body: strings.Replace(chat, "gpt-4", "gpt-3", 1),
			want:     map[string]string{":path": "/v1/text/chatcompletion_v2"},
			wantBody: map[string]string{"model": `"abab6.5g-chat"`, "max_tokens": "50"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			h, body := upstream(t, c, "/v1/chat/completions", tt.body, map[string]string{"authorization": "Bearer client-key"})
			for k, want := range tt.want {
				if got := h[k]; got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			for p, want := range tt.wantBody {
				if got := gjson.Get(body, p).Raw; got != want {
					t.Errorf("body %s: got %s, want %s\nbody: %s", p, got, want, body)
				}
			}
		})
	}
}

func TestProviders2ConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"type":"deepl","apiTokens":["k"]}`:                                        `provider.targetLang: required for provider type "deepl"`,
		`{"type":"minimax","apiTokens":["k"],"modelMapping":{"*":"abab6.5s-chat"}}`: `provider.minimaxGroupId: required when modelMapping names abab6.5s-chat`,
	} {
		_, err := ParseConfig(gjson.Parse(cfg), "provider")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %s...", cfg, err, want)
		}
	}
}

// TestInBandErrorStatus: a 200 answer that is an error reaches the client with the
// status its code means.
func TestInBandErrorStatus(t *testing.T) {
	for _, tt := range []struct {
		config, body, answer string
		status               int
		upstream             int
	}{
		{`{"type":"spark","apiTokens":["k:s"]}`, `{"model":"lite","messages":[{"role":"user","content":"hi"}]}`, `{"code":11202,"message":"qps limit","sid":"x"}`, 429, 200},
		{`{"type":"minimax","apiTokens":["k"]}`, `{"model":"abab6.5g-chat","messages":[{"role":"user","content":"hi"}]}`, `{"base_resp":{"status_code":1004,"status_msg":"login fail"}}`, 401, 200},
		{`{"type":"deepl","apiTokens":["k"],"targetLang":"DE"}`, `{"model":"Free","messages":[{"content":"hi"}]}`, `{"message":"Quota Exceeded"}`, 429, 456},
	} {
		c := mustConfig(t, tt.config)
		r, e := NewRequest(c, "/v1/chat/completions")
		if e != nil {
			t.Fatal(e)
		}
		h := testHeaders{}
		r.RewriteRequestHeaders(h)
		if _, e := r.RewriteRequestBody([]byte(tt.body), h); e != nil {
			t.Fatal(e)
		}
		r.RewriteResponseHeaders(tt.upstream, testHeaders{"content-type": "application/json"})
		out, status := r.ConvertResponseBody([]byte(tt.answer))
		if status != tt.status || !gjson.GetBytes(out, "error.message").Exists() {
			t.Errorf("%s: got %d %s, want %d and an OpenAI error", c.Type, status, out, tt.status)
		}
	}
}
