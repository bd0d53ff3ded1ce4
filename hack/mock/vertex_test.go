package mock

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

func vertexPost(t *testing.T, srv *httptest.Server, path, ct, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func testAccount(t *testing.T, otherKey bool) *sign.ServiceAccount {
	t.Helper()
	b, err := os.ReadFile("../../testdata/vertex/service-account.json")
	if err != nil {
		t.Fatal(err)
	}
	if otherKey {
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		b, _ = sjson.SetBytes(b, "private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	}
	s, err := sign.ParseServiceAccount(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVertex: the token endpoint verifies the JWT with the test account's public key
// and the grant type; model methods want an issued token (or an express-mode key).
func TestVertex(t *testing.T) {
	h := NewHandler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	const form = "application/x-www-form-urlencoded"
	good, _ := testAccount(t, false).TokenRequest(sign.CloudPlatformScope, time.Now())
	status, body := vertexPost(t, srv, "/token", form, "", string(good))
	if status != 200 || gjson.Get(body, "token_type").String() != "Bearer" || gjson.Get(body, "expires_in").Int() != 3599 {
		t.Fatalf("token: %d %s", status, body)
	}
	tok := gjson.Get(body, "access_token").String()

	for name, c := range map[string]struct{ body, want string }{
		"other key": {func() string {
			b, _ := testAccount(t, true).TokenRequest(sign.CloudPlatformScope, time.Now())
			return string(b)
		}(), "Invalid JWT Signature."},
		"expired": {func() string {
			b, _ := testAccount(t, false).TokenRequest(sign.CloudPlatformScope, time.Now().Add(-2*time.Hour))
			return string(b)
		}(), "short-lived"},
		"wrong scope": {func() string {
			b, _ := testAccount(t, false).TokenRequest("https://example.com/x", time.Now())
			return string(b)
		}(), "scope"},
		"grant type":   {strings.Replace(string(good), "jwt-bearer", "saml2-bearer", 1), "Invalid grant_type"},
		"no assertion": {"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", "Invalid JWT"},
	} {
		status, body := vertexPost(t, srv, "/token", form, "", c.body)
		if status != 400 || !strings.Contains(gjson.Get(body, "error_description").String(), c.want) || gjson.Get(body, "error").String() == "" {
			t.Errorf("%s: %d %s, want 400 with %q", name, status, body, c.want)
		}
	}
	if h.VertexTokens() != 1 {
		t.Errorf("%d tokens issued, want 1", h.VertexTokens())
	}

	const base = "/v1/projects/p/locations/us-central1/publishers/"
	chat := `{"contents":[{"role":"user","parts":[{"text":"Hello"}]}]}`
	if status, body := vertexPost(t, srv, base+"google/models/gemini-2.5-flash:generateContent", "application/json", "ya29.forged", chat); status != 401 {
		t.Errorf("unissued token: %d %s", status, body)
	}
	status, body = vertexPost(t, srv, base+"google/models/gemini-2.5-flash:generateContent", "application/json", tok, chat)
	if status != 200 || !strings.Contains(gjson.Get(body, "candidates.0.content.parts.0.text").String(), "Hello") {
		t.Errorf("generateContent: %d %s", status, body)
	}
	claude := `{"anthropic_version":"vertex-2023-10-16","max_tokens":50,"messages":[{"role":"user","content":"Hello"}]}`
	status, body = vertexPost(t, srv, base+"anthropic/models/claude-sonnet-4@20250514:rawPredict", "application/json", tok, claude)
	if status != 200 || gjson.Get(body, "type").String() != "message" || gjson.Get(body, "model").String() != "claude-sonnet-4@20250514" {
		t.Errorf("rawPredict: %d %s", status, body)
	}
	status, body = vertexPost(t, srv, base+"anthropic/models/claude-sonnet-4@20250514:streamRawPredict", "application/json", tok,
		strings.Replace(claude, `"max_tokens"`, `"stream":true,"max_tokens"`, 1))
	if status != 200 || !strings.Contains(body, "event: message_stop") {
		t.Errorf("streamRawPredict: %d %s", status, body)
	}
	for name, b := range map[string]string{
		"model in body": strings.Replace(claude, `{`, `{"model":"claude-x",`, 1),
		"no version":    strings.Replace(claude, `"anthropic_version":"vertex-2023-10-16",`, "", 1),
	} {
		if status, body := vertexPost(t, srv, base+"anthropic/models/claude-x:rawPredict", "application/json", tok, b); status != 400 {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	status, body = vertexPost(t, srv, base+"google/models/text-embedding-005:predict", "application/json", tok,
		`{"instances":[{"content":"a b"},{"content":"c"}],"parameters":{"outputDimensionality":8}}`)
	if status != 200 || len(gjson.Get(body, "predictions.1.embeddings.values").Array()) != 8 || gjson.Get(body, "predictions.0.embeddings.statistics.token_count").Int() == 0 {
		t.Errorf("predict: %d %s", status, body)
	}
	status, body = vertexPost(t, srv, "/v1beta1/projects/p/locations/us-central1/endpoints/openapi/chat/completions", "application/json", tok,
		`{"model":"google/gemini-2.5-flash","messages":[{"role":"user","content":"Hello"}]}`)
	if status != 200 || gjson.Get(body, "object").String() != "chat.completion" {
		t.Errorf("openapi: %d %s", status, body)
	}
	// Express mode: an API key, no token.
	req, _ := http.NewRequest("POST", srv.URL+"/v1/publishers/google/models/gemini-2.5-flash:generateContent", strings.NewReader(chat))
	req.Header.Set("x-goog-api-key", "express-key")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("express: %v %v", err, resp.Status)
	}
	resp.Body.Close()
}
