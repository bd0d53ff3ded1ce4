package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// hunyuanConfig is the configuration reference's hunyuan example (apiTokens [""], the
// TC3 key pair) with the given secret key.
func hunyuanConfig(key string) map[string]any {
	return map[string]any{"provider": map[string]any{
		"type": "hunyuan", "hunyuanAuthKey": key, "apiTokens": []any{""}, "hunyuanAuthId": mock.HunyuanSecretID,
		"timeout":        1200000,
		"modelMapping":   map[string]any{"mock-error-429": "mock-error-429", "mock-error-midstream": "mock-error-midstream", "*": "hunyuan-lite"},
		"customSettings": []any{map[string]any{"name": "temperature", "value": 0.3}},
	}}
}

// requireHunyuanUpstream: the request reached POST / on the Tencent host with the
// Tencent headers, a TC3 signature (the mock verified it) and never a client key or
// the secret key.
func requireHunyuanUpstream(t *testing.T, e *env) mock.Request {
	t.Helper()
	up := lastUpstream(t, e)
	require.Equal(t, "/", up.Path)
	require.Equal(t, "hunyuan.tencentcloudapi.com", up.Host)
	require.Equal(t, "ChatCompletions", up.Header.Get("X-Tc-Action"))
	require.Equal(t, "2023-09-01", up.Header.Get("X-Tc-Version"))
	require.True(t, strings.HasPrefix(up.Header.Get("Authorization"), "TC3-HMAC-SHA256 Credential="+mock.HunyuanSecretID+"/"))
	for k, vs := range up.Header {
		for _, v := range vs {
			require.NotContains(t, v, clientKey, "client key forwarded in %s", k)
			require.NotContains(t, v, mock.HunyuanSecretKey, "secret key sent in %s", k)
		}
	}
	return up
}

func TestHunyuanOpenAISDK(t *testing.T) {
	e := gateway(t, "hunyuan", hunyuanConfig(mock.HunyuanSecretKey))
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:    "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Equal(t, "hunyuan-lite", c.Model)
		require.Positive(t, c.Usage.PromptTokens)
		require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
		body := gjson.ParseBytes(requireHunyuanUpstream(t, e).Body)
		require.Equal(t, "hunyuan-lite", body.Get("Model").Str)
		require.Equal(t, "system", body.Get("Messages.0.Role").Str)
		require.Equal(t, "0.3", body.Get("Temperature").Raw)
	})

	t.Run("streaming", func(t *testing.T) {
		requireWordStream(t, client, "gpt-4o")
		require.True(t, gjson.ParseBytes(requireHunyuanUpstream(t, e).Body).Get("Stream").Bool())
	})

	t.Run("tool call round trip", func(t *testing.T) {
		params, acc := requireStreamedToolCall(t, client, "gpt-4o")
		calls := acc.Choices[0].Message.ToolCalls
		up := gjson.ParseBytes(requireHunyuanUpstream(t, e).Body)
		require.Equal(t, "get_weather", up.Get("Tools.0.Function.Name").Str)
		require.True(t, gjson.Valid(up.Get("Tools.0.Function.Parameters").Str), "Parameters is a JSON string")

		params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(), openai.ToolMessage(`{"temp":21}`, calls[0].ID))
		c, err := client.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "The tool returned")
		up = gjson.ParseBytes(requireHunyuanUpstream(t, e).Body)
		require.Equal(t, calls[0].ID, up.Get("Messages.1.ToolCalls.0.Id").Str)
		require.Equal(t, calls[0].ID, up.Get("Messages.2.ToolCallId").Str)
	})

	t.Run("error", func(t *testing.T) { requireRateLimited(t, client, "RequestLimitExceeded") })
	t.Run("stream error", func(t *testing.T) { requireBrokenStreamFails(t, client) })
}

func TestHunyuanWrongKey(t *testing.T) {
	e := gateway(t, "hunyuan-wrong-key", hunyuanConfig("not-the-mock-key-00000000000000"))
	client := openaiClient(e)
	for _, stream := range []bool{false, true} {
		params := openai.ChatCompletionNewParams{
			Model:    "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		}
		var err error
		if stream {
			s := client.Chat.Completions.NewStreaming(context.Background(), params)
			for s.Next() {
			}
			err = s.Err()
		} else {
			_, err = client.Chat.Completions.New(context.Background(), params)
		}
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr, "stream %v", stream)
		require.Equal(t, 401, apiErr.StatusCode)
		require.Equal(t, "AuthFailure.SignatureFailure", apiErr.Code)
		require.Equal(t, "authentication_error", apiErr.Type)
		require.NotContains(t, apiErr.Message, "not-the-mock-key")
	}
}
