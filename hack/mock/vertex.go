package mock

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Google Vertex AI (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest):
//
//   - the OAuth token endpoint of service accounts, POST /token (oauth2.googleapis.com):
//     a form with grant_type urn:ietf:params:oauth:grant-type:jwt-bearer and an RS256
//     JWT assertion, whose signature must verify with VertexPublicKey, issuer
//     VertexClientEmail, audience VertexTokenURI, scope cloud-platform, not expired and
//     at most an hour long; the answer {"access_token","expires_in":3599,"token_type":
//     "Bearer"}, or Google's {"error","error_description"} with 400;
//   - model methods below /v1/projects/P/locations/L (express mode: below /v1):
//     publishers/google/models/M:generateContent, :streamGenerateContent (as Gemini,
//     gemini.go) and :predict (text embeddings: {"instances":[{"content"}]} →
//     {"predictions":[{"embeddings":{"values","statistics":{"token_count"}}}]});
//     publishers/anthropic/models/M:rawPredict and :streamRawPredict (Anthropic Messages,
//     anthropic.go, whose body must name anthropic_version vertex-2023-10-16 and no model);
//   - the OpenAI-compatible endpoint /v1beta1/projects/P/locations/L/endpoints/openapi/
//     chat/completions (openai.go).
//
// Model methods want a bearer token the token endpoint issued, or in express mode
// (/v1/publishers/...) an API key in x-goog-api-key or ?key=.

// The test service account (testdata/vertex/service-account.json): its public key, id
// and token URI.
const (
	VertexClientEmail = "ai-proxy-test@mock-project.iam.gserviceaccount.com"
	VertexTokenURI    = "https://oauth2.googleapis.com/token"
	VertexPublicKey   = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApPF85SsS5vCyoC3HZ3h0
lUbvwnL0+xh/wckqDBFXd/rFwUKODnPgBJCG4CLxRaya3J0sBz92UnEoFw6kbnVm
jHkYycZz98SV7eDVAfttXuxppVuZKOfda551WNWF+gb9HojzQXXvpRkRilUsHqiL
ZxpNvsveeRsuHxyPBj9akbd+Vxegas6jh1f1rmeGEMaeQTn1In5XJwpqF4XX7ljG
qH3gOquvdOOstJCMxQlyOhSmEEKsn5Qtb6Ni4IH7jMh40r1eUXkIf6zF1T0shaqA
dRHKcctfgBs8jI10h1K55bG4jAwV4vp/Yli9Alhn4y2v0FvPevc1Vuw3higjf5Z+
DwIDAQAB
-----END PUBLIC KEY-----
`
)

const vertexJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

var vertexKey = func() *rsa.PublicKey {
	b, _ := pem.Decode([]byte(VertexPublicKey))
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		panic("mock: VertexPublicKey: " + err.Error())
	}
	return k.(*rsa.PublicKey)
}()

// VertexTokens is how many access tokens the token endpoint has issued.
func (h *Handler) VertexTokens() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.vertexTokens)
}

// vertexRoute picks the Vertex AI endpoint of a path; ok is false for other paths.
func (x *exchange) vertexRoute(p string) (proto protocol, serve func(), ok bool) {
	if p == "/token" {
		return protoGoogleOAuth, x.vertexToken, true
	}
	if strings.HasSuffix(p, "/endpoints/openapi/chat/completions") && strings.HasPrefix(p, "/v1beta1/projects/") {
		return protoOpenAI, x.openaiChat, true
	}
	if !strings.HasPrefix(p, "/v1/projects/") && !strings.HasPrefix(p, "/v1/publishers/") || !strings.Contains(p, "/models/") {
		return 0, nil, false
	}
	switch {
	case strings.Contains(p, "/publishers/anthropic/models/") && (strings.HasSuffix(p, ":rawPredict") || strings.HasSuffix(p, ":streamRawPredict")):
		return protoAnthropic, x.vertexClaude, true
	case strings.Contains(p, "/publishers/google/models/") && strings.HasSuffix(p, ":predict"):
		return protoGemini, x.vertexPredict, true
	case strings.Contains(p, "/publishers/google/models/"):
		return protoGemini, x.gemini, true
	}
	return protoGemini, nil, true // a method the mock does not serve: 404
}

// vertexAuthorized: a token the endpoint issued, or an API key in express mode.
func (x *exchange) vertexAuthorized() bool {
	r := x.r
	if strings.HasPrefix(r.URL.Path, "/v1/publishers/") {
		return strings.TrimSpace(r.Header.Get("x-goog-api-key")) != "" || r.URL.Query().Get("key") != ""
	}
	tok := bearer(r)
	x.h.mu.Lock()
	defer x.h.mu.Unlock()
	return tok != "" && x.h.vertexTokens[tok]
}

// vertexToken answers the OAuth token endpoint.
func (x *exchange) vertexToken() {
	oauthError := func(code, desc string) {
		x.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		x.w.WriteHeader(http.StatusBadRequest)
		x.w.Write(mustJSON(map[string]string{"error": code, "error_description": desc}))
	}
	if x.r.Method != http.MethodPost || !strings.HasPrefix(x.r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthError("invalid_request", "POST application/x-www-form-urlencoded required")
		return
	}
	form, err := url.ParseQuery(string(x.body))
	if err != nil {
		oauthError("invalid_request", "bad form: "+err.Error())
		return
	}
	if g := form.Get("grant_type"); g != vertexJWTBearer {
		oauthError("unsupported_grant_type", "Invalid grant_type: "+g)
		return
	}
	if msg := vertexCheckJWT(form.Get("assertion"), time.Now()); msg != "" {
		oauthError("invalid_grant", msg)
		return
	}
	x.h.mu.Lock()
	if x.h.vertexTokens == nil {
		x.h.vertexTokens = map[string]bool{}
	}
	tok := "ya29.mock-" + strconv.Itoa(len(x.h.vertexTokens)+1)
	x.h.vertexTokens[tok] = true
	x.h.mu.Unlock()
	writeJSON(x.w, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

// vertexCheckJWT checks an assertion as Google does; "" when it is good.
func vertexCheckJWT(jwt string, now time.Time) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
	}
	header, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	claims, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || !gjson.ValidBytes(header) || !gjson.ValidBytes(claims) {
		return "Invalid JWT: not base64url JSON"
	}
	if a := gjson.GetBytes(header, "alg").String(); a != "RS256" {
		return "Invalid JWT: alg " + a + ", want RS256"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(vertexKey, crypto.SHA256, digest[:], sig) != nil {
		return "Invalid JWT Signature."
	}
	c := gjson.ParseBytes(claims)
	iat, exp := c.Get("iat").Int(), c.Get("exp").Int()
	switch {
	case c.Get("iss").String() != VertexClientEmail:
		return "Invalid JWT: iss " + c.Get("iss").String()
	case c.Get("aud").String() != VertexTokenURI:
		return "Invalid JWT: aud " + c.Get("aud").String()
	case !strings.Contains(" "+c.Get("scope").String()+" ", " https://www.googleapis.com/auth/cloud-platform "):
		return "Invalid JWT: scope lacks https://www.googleapis.com/auth/cloud-platform"
	case exp <= now.Unix() || iat > now.Unix()+300 || exp-iat > 3600:
		return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	}
	return ""
}

// vertexClaude answers rawPredict / streamRawPredict: Anthropic Messages whose body
// names anthropic_version and not the model (the path does).
func (x *exchange) vertexClaude() {
	switch {
	case x.req.Get("anthropic_version").String() != "vertex-2023-10-16":
		x.fail(http.StatusBadRequest, "anthropic_version: Input should be 'vertex-2023-10-16'")
	case x.req.Get("model").Exists():
		x.fail(http.StatusBadRequest, "model: Extra inputs are not permitted")
	case strings.HasSuffix(x.r.URL.Path, ":streamRawPredict") != x.req.Get("stream").Bool():
		x.fail(http.StatusBadRequest, "stream: streamRawPredict needs \"stream\": true, rawPredict does not take it")
	default:
		x.anthropicMessages()
	}
}

// vertexPredict answers a text-embedding model's :predict.
func (x *exchange) vertexPredict() {
	inst := x.req.Get("instances").Array()
	if len(inst) == 0 {
		x.fail(http.StatusBadRequest, "instances: required")
		return
	}
	dims := int(x.req.Get("parameters.outputDimensionality").Int())
	if dims <= 0 {
		dims = 768
	}
	preds := make([]map[string]any, len(inst))
	chars := 0
	for i, in := range inst {
		text := in.Get("content").String()
		chars += len(text)
		preds[i] = map[string]any{"embeddings": map[string]any{
			"values":     vector(text, dims),
			"statistics": map[string]any{"truncated": false, "token_count": tokenCount([]string{text})},
		}}
	}
	writeJSON(x.w, map[string]any{"predictions": preds, "metadata": map[string]any{"billableCharacterCount": chars}})
}
