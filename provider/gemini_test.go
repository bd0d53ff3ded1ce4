package provider

import (
	"testing"

	"github.com/tidwall/gjson"
)

// TestGeminiUpstream shows the upstream request of the gemini provider: authority,
// path by API and stream flag, x-goog-api-key, the converted body, and that the
// client's own credentials are gone.
func TestGeminiUpstream(t *testing.T) {
	const chat = `{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"max_tokens":50}`
	const stream = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}`
	const native = `{"contents":[{"parts":[{"text":"hi"}]}],"unknown_field":1}`
	const cfg = `{"type":"gemini","apiTokens":["g-1"],"modelMapping":{"*":"gemini-2.5-flash"},"geminiSafetySetting":{"HARM_CATEGORY_HATE_SPEECH":"BLOCK_NONE"}}`
	tests := []struct {
		name, config, path, body string
		want                     map[string]string // header → value; "" = absent
		wantBody                 map[string]string // gjson path → raw; "" = absent
		sameBody                 bool
	}{
		{
			name: "chat becomes generateContent", config: cfg, path: "/v1/chat/completions", body: chat,
			want: map[string]string{":authority": "generativelanguage.googleapis.com", ":path": "/v1beta/models/gemini-2.5-flash:generateContent",
				"x-goog-api-key": "g-1", "authorization": "", "x-api-key": ""},
			wantBody: map[string]string{"contents": `[{"role":"user","parts":[{"text":"hi"}]}]`, "systemInstruction": `{"parts":[{"text":"s"}]}`,
				"generationConfig": `{"maxOutputTokens":50}`, "safetySettings": `[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]`, "model": "", "messages": ""},
		},
		{
			name: "stream goes to streamGenerateContent with alt=sse", config: cfg, path: "/v1/chat/completions", body: stream,
			want: map[string]string{":path": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "accept": "text/event-stream"},
		},
		{
			name: "apiVersion and thinking budget", config: `{"type":"gemini","apiTokens":["g-1"],"apiVersion":"v1","geminiThinkingBudget":2048}`,
			path: "/v1/chat/completions", body: `{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"hi"}]}`,
			want:     map[string]string{":path": "/v1/models/gemini-2.5-pro:generateContent"},
			wantBody: map[string]string{"generationConfig.thinkingConfig": `{"thinkingBudget":2048,"includeThoughts":true}`},
		},
		{
			name: "embeddings become batchEmbedContents", config: cfg, path: "/v1/embeddings", body: `{"model":"text-embedding-3-small","input":["a","b"]}`,
			want:     map[string]string{":path": "/v1beta/models/gemini-2.5-flash:batchEmbedContents"},
			wantBody: map[string]string{"requests.1": `{"model":"models/gemini-2.5-flash","content":{"parts":[{"text":"b"}]}}`},
		},
		{
			name: "models", config: cfg, path: "/v1/models",
			want: map[string]string{":path": "/v1beta/models", "x-goog-api-key": "g-1"},
		},
		{
			name: "one model", config: cfg, path: "/v1/models/gemini-2.5-flash",
			want: map[string]string{":path": "/v1beta/models/gemini-2.5-flash"},
		},
		{
			name: "native route passes through", config: cfg, path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", body: native,
			want:     map[string]string{":path": "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "x-goog-api-key": "g-1"},
			sameBody: true,
		},
		{
			name: "raw settings go under generation_config", path: "/v1beta/models/gemini-2.5-pro:generateContent", body: native,
			config:   `{"type":"gemini","apiTokens":["g-1"],"protocol":"original","customSettings":[{"name":"max_tokens","value":64},{"name":"candidateCount","value":1,"mode":"raw"}]}`,
			want:     map[string]string{":path": "/v1beta/models/gemini-2.5-pro:generateContent"},
			wantBody: map[string]string{"generation_config": `{"maxOutputTokens":64,"candidateCount":1}`, "unknown_field": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			h, body := upstream(t, c, tt.path, tt.body, map[string]string{"authorization": "Bearer client-key", "x-api-key": "client-key", "x-goog-api-key": "client-key"})
			for k, want := range tt.want {
				if got := h[k]; got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			if tt.sameBody && body != tt.body {
				t.Errorf("body changed:\ngot  %s\nwant %s", body, tt.body)
			}
			for p, want := range tt.wantBody {
				if got := gjson.Get(body, p).Raw; got != want {
					t.Errorf("body %s: got %s, want %s\nbody: %s", p, got, want, body)
				}
			}
		})
	}
}

func TestGeminiConfigErrors(t *testing.T) {
	_, err := ParseConfig(gjson.Parse(`{"type":"gemini","apiTokens":["k"],"apiVersion":"v1/x"}`), "provider")
	if err == nil || err.Error() != `provider.apiVersion: "v1/x" must be a version name such as v1beta or v1` {
		t.Errorf("got %v", err)
	}
}
