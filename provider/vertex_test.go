package provider

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// vertexKey is the test service account (testdata/vertex), as a JSON string value.
func vertexKey(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/vertex/service-account.json")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := sjson.Set("", "k", string(b))
	return gjson.Get(s, "k").Raw
}

func vertexSA(t testing.TB, extra string) string {
	return `{"type":"vertex","vertexAuthKey":` + vertexKey(t) + `,"vertexRegion":"us-central1","vertexProjectId":"proj-1","vertexAuthServiceName":"vertex-auth"` + extra + `}`
}

// TestVertexUpstream: host and path by mode and model, the converter by model, the
// credential's header left to the plugin (service account) or the key (express).
func TestVertexUpstream(t *testing.T) {
	chat := `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`
	stream := `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	claude := `{"model":"claude-sonnet-4@20250514","messages":[{"role":"user","content":"hi"}]}`
	claudeStream := `{"model":"claude-sonnet-4@20250514","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	const base = "/v1/projects/proj-1/locations/us-central1/publishers/"
	tests := []struct {
		name, config, path, body string
		want                     map[string]string // header → value; "" = absent
		bodyWant                 map[string]string // gjson path → raw value; "" = absent
	}{
		{"gemini", vertexSA(t, ""), "/v1/chat/completions", chat,
			map[string]string{":authority": "us-central1-aiplatform.googleapis.com", ":path": base + "google/models/gemini-2.5-flash:generateContent",
				"authorization": "", "x-goog-api-key": ""},
			map[string]string{"contents.0.parts.0.text": `"hi"`, "model": ""}},
		{"gemini stream", vertexSA(t, ""), "/v1/chat/completions", stream,
			map[string]string{":path": base + "google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"}, nil},
		{"claude", vertexSA(t, ""), "/v1/chat/completions", claude,
			map[string]string{":path": base + "anthropic/models/claude-sonnet-4@20250514:rawPredict"},
			map[string]string{"anthropic_version": `"vertex-2023-10-16"`, "model": "", "messages.0.content.0.text": `"hi"`, "max_tokens": "*"}},
		{"claude stream", vertexSA(t, ""), "/v1/chat/completions", claudeStream,
			map[string]string{":path": base + "anthropic/models/claude-sonnet-4@20250514:streamRawPredict"},
			map[string]string{"stream": "true", "model": ""}},
		{"claude by mapping", vertexSA(t, `,"modelMapping":{"*":"claude-3-5-haiku@20241022"}`), "/v1/chat/completions", chat,
			map[string]string{":path": base + "anthropic/models/claude-3-5-haiku@20241022:rawPredict"}, nil},
		{"anthropic client, claude", vertexSA(t, ""), "/v1/messages", `{"model":"claude-sonnet-4@20250514","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{":path": base + "anthropic/models/claude-sonnet-4@20250514:rawPredict"},
			map[string]string{"anthropic_version": `"vertex-2023-10-16"`, "model": ""}},
		{"safety settings, Higress README's name", vertexSA(t, `,"vertexGeminiSafetySetting":{"HARM_CATEGORY_HARASSMENT":"BLOCK_NONE"}`), "/v1/chat/completions", chat,
			nil, map[string]string{"safetySettings.0.category": `"HARM_CATEGORY_HARASSMENT"`, "safetySettings.0.threshold": `"BLOCK_NONE"`}},
		{"global region", strings.Replace(vertexSA(t, ""), `"us-central1"`, `"global"`, 1), "/v1/chat/completions", chat,
			map[string]string{":authority": "aiplatform.googleapis.com", ":path": "/v1/projects/proj-1/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"}, nil},
		{"embeddings", vertexSA(t, ""), "/v1/embeddings", `{"model":"text-embedding-005","input":["a","b"],"dimensions":256}`,
			map[string]string{":path": base + "google/models/text-embedding-005:predict"},
			map[string]string{"instances.1.content": `"b"`, "parameters.outputDimensionality": "256"}},
		{"openai compatible", vertexSA(t, `,"vertexOpenAICompatible":true`), "/v1/chat/completions", `{"model":"google/gemini-2.5-flash","messages":[]}`,
			map[string]string{":path": "/v1beta1/projects/proj-1/locations/us-central1/endpoints/openapi/chat/completions"},
			map[string]string{"model": `"google/gemini-2.5-flash"`, "messages": "[]"}},
		{"express", `{"type":"vertex","apiTokens":["express-key"]}`, "/v1/chat/completions", stream,
			map[string]string{":authority": "aiplatform.googleapis.com", ":path": "/v1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
				"x-goog-api-key": "express-key", "authorization": ""}, nil},
		{"express claude", `{"type":"vertex","apiTokens":["express-key"]}`, "/v1/chat/completions", claude,
			map[string]string{":path": "/v1/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict"}, nil},
		{"raw native path", vertexSA(t, `,"protocol":"original"`), "/v1/projects/p/locations/europe-west4/publishers/anthropic/models/claude-x:streamRawPredict",
			`{"anthropic_version":"vertex-2023-10-16","messages":[]}`,
			map[string]string{":path": "/v1/projects/p/locations/europe-west4/publishers/anthropic/models/claude-x:streamRawPredict",
				":authority": "us-central1-aiplatform.googleapis.com"},
			map[string]string{"anthropic_version": `"vertex-2023-10-16"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			h, body := upstream(t, c, tt.path, tt.body, map[string]string{"authorization": "Bearer client", "x-goog-api-key": "client"})
			for k, want := range tt.want {
				if got := h[k]; got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			for p, want := range tt.bodyWant {
				got := gjson.Get(body, p)
				if want == "" && got.Exists() || want == "*" && !got.Exists() || want != "" && want != "*" && got.Raw != want {
					t.Errorf("body %s: got %s, want %s\n%s", p, got.Raw, want, body)
				}
			}
		})
	}
}

func TestVertexCredential(t *testing.T) {
	c := mustConfig(t, vertexSA(t, `,"vertexTokenRefreshAhead":120`))
	cr := c.Credential
	if cr == nil {
		t.Fatal("no credential for a service account")
	}
	if cr.Cluster != "outbound|443||vertex-auth.dns" || cr.Authority != "oauth2.googleapis.com" || cr.Path != "/token" ||
		cr.RefreshAhead != 120*time.Second || cr.Header != "authorization" || cr.Prefix != "Bearer " {
		t.Errorf("credential %+v", cr)
	}
	if strings.Contains(cr.Key, "PRIVATE") || !strings.Contains(cr.Key, "ai-proxy-test@mock-project.iam.gserviceaccount.com") {
		t.Errorf("cache key %q", cr.Key)
	}
	body, err := cr.Request(time.Unix(1700000000, 0))
	if err != nil || !strings.HasPrefix(string(body), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey") {
		t.Errorf("token request %q %v", body, err)
	}
	tok, ttl, err := cr.Read(200, []byte(`{"access_token":"ya29.x","expires_in":3599}`))
	if tok != "ya29.x" || ttl != 3599*time.Second || err != nil {
		t.Errorf("read %q %v %v", tok, ttl, err)
	}
	if d := mustConfig(t, vertexSA(t, "")).Credential.RefreshAhead; d != 60*time.Second {
		t.Errorf("default refresh ahead %v, want Higress's 60s", d)
	}
	if mustConfig(t, strings.Replace(vertexSA(t, ""), `"vertex-auth"`, `"outbound|443||oauth.internal"`, 1)).Credential.Cluster != "outbound|443||oauth.internal" {
		t.Error("a full cluster name is not kept")
	}
	if mustConfig(t, `{"type":"vertex","apiTokens":["k"]}`).Credential != nil {
		t.Error("express mode has a fetched credential")
	}
	// The project defaults to the key's.
	noProject := strings.Replace(vertexSA(t, ""), `"vertexProjectId":"proj-1",`, "", 1)
	if p := mustConfig(t, noProject).Vertex.ProjectID; p != "mock-project" {
		t.Errorf("project %q, want the key's", p)
	}
}

func TestVertexConfigErrors(t *testing.T) {
	key := vertexKey(t)
	for cfg, want := range map[string]string{
		`{"type":"vertex"}`: "provider.apiTokens: required for provider type \"vertex\" (give at least one API token, or set vertexAuthKey)",
		`{"type":"vertex","vertexAuthKey":"{}","vertexRegion":"us-central1","vertexProjectId":"p","vertexAuthServiceName":"a"}`:                                     "provider.vertexAuthKey: client_email: missing",
		`{"type":"vertex","vertexAuthKey":"nope","vertexRegion":"us-central1"}`:                                                                                     "provider.vertexAuthKey: not a JSON object",
		`{"type":"vertex","vertexAuthKey":` + key + `,"vertexProjectId":"p","vertexAuthServiceName":"a"}`:                                                           "provider.vertexRegion: required",
		`{"type":"vertex","vertexAuthKey":` + key + `,"vertexRegion":"us/central","vertexProjectId":"p","vertexAuthServiceName":"a"}`:                               "provider.vertexRegion: us/central is not",
		`{"type":"vertex","vertexAuthKey":` + key + `,"vertexRegion":"us-central1","vertexProjectId":"p"}`:                                                          "provider.vertexAuthServiceName: required",
		`{"type":"vertex","vertexAuthKey":` + key + `,"vertexRegion":"us-central1","vertexProjectId":"p","vertexAuthServiceName":"a","vertexTokenRefreshAhead":-1}`: "provider.vertexTokenRefreshAhead: must not be negative",
		`{"type":"vertex","apiTokens":["k"],"vertexOpenAICompatible":true}`:                                                                                         "provider.vertexOpenAICompatible: needs a service account",
	} {
		_, err := ParseConfig(gjson.Parse(cfg), "provider")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%.80s: got %v, want %s...", cfg, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("error shows the key: %v", err)
		}
	}
}
