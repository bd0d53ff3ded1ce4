package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// vertexKey is the test service account (testdata/vertex), whose public key the mock
// token endpoint verifies JWTs with; otherKey the same account with another key.
func vertexKey(t *testing.T, otherKey bool) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/vertex/service-account.json")
	require.NoError(t, err)
	if otherKey {
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		b, _ = sjson.SetBytes(b, "private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
		b, _ = sjson.SetBytes(b, "private_key_id", "other")
	}
	return string(b)
}

func vertexCfg(t *testing.T, extra map[string]any) map[string]any {
	p := map[string]any{"type": "vertex", "vertexAuthKey": vertexKey(t, false), "vertexRegion": "us-central1",
		"vertexProjectId": "mock-project", "vertexAuthServiceName": "vertex-auth",
		"modelMapping": map[string]any{"gpt-4o": "gemini-2.5-flash"}}
	for k, v := range extra {
		p[k] = v
	}
	return map[string]any{"provider": p}
}

const vertexBase = "/v1/projects/mock-project/locations/us-central1/publishers/"

// requireVertexUpstream: the request reached Vertex's regional host and path with an
// access token the mock's token endpoint issued (the mock refuses any other), never
// with the client's key.
func requireVertexUpstream(t *testing.T, e *env, path string) mock.Request {
	t.Helper()
	up := lastUpstream(t, e)
	require.Equal(t, path, up.Path)
	require.Equal(t, "us-central1-aiplatform.googleapis.com", strings.Split(up.Host, ":")[0])
	require.True(t, strings.HasPrefix(up.Header.Get("Authorization"), "Bearer ya29.mock-"), up.Header.Get("Authorization"))
	requireNoClientKey(t, up.Header)
	return up
}

func TestVertexOpenAISDK(t *testing.T) {
	e := gateway(t, "vertex", vertexCfg(t, nil))
	client := openaiClient(e)
	ctx := context.Background()
	for _, m := range []struct{ name, model, path string }{
		{"gemini", "gpt-4o", vertexBase + "google/models/gemini-2.5-flash"},
		{"claude", "claude-sonnet-4@20250514", vertexBase + "anthropic/models/claude-sonnet-4@20250514"},
	} {
		method := map[bool]string{false: ":generateContent", true: ":streamGenerateContent"}
		if m.name == "claude" {
			method = map[bool]string{false: ":rawPredict", true: ":streamRawPredict"}
		}
		t.Run(m.name+" chat", func(t *testing.T) {
			c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model:     m.model,
				Messages:  []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
				MaxTokens: openai.Int(100),
			})
			require.NoError(t, err)
			require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
			require.Equal(t, "stop", c.Choices[0].FinishReason)
			require.Positive(t, c.Usage.PromptTokens)
			require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
			up := requireVertexUpstream(t, e, m.path+method[false])
			if m.name == "claude" {
				require.Equal(t, "vertex-2023-10-16", gjson.GetBytes(up.Body, "anthropic_version").Str)
				require.False(t, gjson.GetBytes(up.Body, "model").Exists())
			}
		})
		t.Run(m.name+" streaming", func(t *testing.T) {
			requireWordStream(t, client, m.model)
			requireVertexUpstream(t, e, m.path+method[true])
		})
		t.Run(m.name+" streaming tool call", func(t *testing.T) {
			_, acc := requireStreamedToolCall(t, client, m.model)
			calls := acc.Choices[0].Message.ToolCalls

			c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: m.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?"),
					acc.Choices[0].Message.ToParam(), openai.ToolMessage("Sunny", calls[0].ID)},
				Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
			})
			require.NoError(t, err)
			// Gemini gets the result as {"result":"Sunny"}, Claude as the text.
			require.Contains(t, c.Choices[0].Message.Content, "The tool returned: ")
			require.Contains(t, c.Choices[0].Message.Content, "Sunny")
			up := requireVertexUpstream(t, e, m.path+method[false])
			require.Contains(t, string(up.Body), calls[0].Function.Name)
		})
	}
	t.Run("embeddings", func(t *testing.T) {
		r, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model: "text-embedding-005", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a b", "c"}},
			Dimensions: openai.Int(16),
		})
		require.NoError(t, err)
		require.Len(t, r.Data, 2)
		require.Len(t, r.Data[1].Embedding, 16)
		require.Positive(t, r.Usage.PromptTokens)
		requireVertexUpstream(t, e, vertexBase+"google/models/text-embedding-005:predict")
	})
	t.Run("error", func(t *testing.T) { requireRateLimited(t, client, "RESOURCE_EXHAUSTED") })
	t.Run("exception mid-stream", func(t *testing.T) { requireBrokenStreamFails(t, client) })
	// Every request above, on both VMs, used the one token fetched first.
	require.Equal(t, 1, e.mock.VertexTokens(), "token fetches")
	require.Equal(t, 1, e.mock.Count("oauth2.googleapis.com"))
}

func TestVertexAnthropicSDK(t *testing.T) {
	e := gateway(t, "vertex-anthropic", vertexCfg(t, nil))
	requireAnthropicSDKServed(t, e, func(stream bool) {
		path := vertexBase + "anthropic/models/claude-sonnet-4-5:rawPredict"
		if stream {
			path = vertexBase + "anthropic/models/claude-sonnet-4-5:streamRawPredict"
		}
		up := requireVertexUpstream(t, e, path)
		require.Equal(t, "vertex-2023-10-16", gjson.GetBytes(up.Body, "anthropic_version").Str)
	})
}

func TestVertexModes(t *testing.T) {
	ctx := context.Background()
	greet := openai.ChatCompletionNewParams{Model: "google/gemini-2.5-flash",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}}

	t.Run("OpenAI-compatible endpoint", func(t *testing.T) {
		e := gateway(t, "vertex-openai", vertexCfg(t, map[string]any{"vertexOpenAICompatible": true}))
		client := openaiClient(e)
		c, err := client.Chat.Completions.New(ctx, greet)
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		up := requireVertexUpstream(t, e, "/v1beta1/projects/mock-project/locations/us-central1/endpoints/openapi/chat/completions")
		require.Equal(t, "google/gemini-2.5-flash", gjson.GetBytes(up.Body, "model").Str)
	})

	t.Run("express mode", func(t *testing.T) {
		e := gateway(t, "vertex-express", map[string]any{"provider": map[string]any{"type": "vertex", "apiTokens": []any{upstreamToken}}})
		client := openaiClient(e)
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gemini-2.5-flash",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		up := lastUpstream(t, e)
		require.Equal(t, "/v1/publishers/google/models/gemini-2.5-flash:generateContent", up.Path)
		require.Equal(t, "aiplatform.googleapis.com", strings.Split(up.Host, ":")[0])
		require.Equal(t, upstreamToken, up.Header.Get("X-Goog-Api-Key"))
		require.Empty(t, up.Header.Get("Authorization"))
		require.Zero(t, e.mock.Count("oauth2.googleapis.com"))
	})

	t.Run("native path, protocol original", func(t *testing.T) {
		// No body is read: the request waits for the token in its header phase.
		e := gateway(t, "vertex-original", vertexCfg(t, map[string]any{"protocol": "original"}))
		path := vertexBase + "anthropic/models/claude-sonnet-4@20250514:streamRawPredict"
		body := `{"anthropic_version":"vertex-2023-10-16","stream":true,"max_tokens":50,"messages":[{"role":"user","content":"Hello there"}]}`
		req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+clientKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, string(out))
		require.Contains(t, string(out), "event: message_stop")
		up := requireVertexUpstream(t, e, path)
		require.JSONEq(t, body, string(up.Body))
	})

	t.Run("failing token endpoint", func(t *testing.T) {
		e := gateway(t, "vertex-badkey", vertexCfg(t, map[string]any{"vertexAuthKey": vertexKey(t, true)}))
		client := openaiClient(e)
		_, err := client.Chat.Completions.New(ctx, greet)
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 502, apiErr.StatusCode)
		require.Equal(t, "credential_unavailable", apiErr.Code)
		require.Equal(t, "cannot get the Vertex AI access token: token endpoint answered status 400: invalid_grant (Invalid JWT Signature.)", apiErr.Message)
		require.NotContains(t, apiErr.RawJSON(), "PRIVATE")
		// Anthropic clients get it in their protocol.
		aclient := anthropicClient(e)
		_, aerr := aclient.Messages.New(ctx, hello("claude-sonnet-4-5"))
		require.Error(t, aerr)
		require.Contains(t, aerr.Error(), "Invalid JWT Signature.")
		require.Zero(t, e.mock.Count("us-central1-aiplatform.googleapis.com"), "no request left without a token")
	})
}
