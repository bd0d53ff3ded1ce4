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

// bedrockCfg signs with AWS keys whose secret is the one the mock verifies with.
var bedrockCfg = map[string]any{"provider": map[string]any{
	"type": "bedrock", "awsRegion": "us-east-1", "awsAccessKey": "AKIDMOCK", "awsSecretKey": mock.BedrockSecretKey,
	"awsSessionToken":         "mock-session-token",
	"bedrockAdditionalFields": map[string]any{"top_k": 50},
	"modelMapping":            map[string]any{"mock-error-429": "mock-error-429", "mock-error-midstream": "mock-error-midstream", "*": "anthropic.claude-3-5-haiku-20241022-v1:0"},
}}

const bedrockModelPath = "/model/anthropic.claude-3-5-haiku-20241022-v1:0"

// requireBedrockUpstream: the request reached Bedrock's host and path, SigV4-signed
// (the mock verified the signature), never with the client's key.
func requireBedrockUpstream(t *testing.T, e *env, path string) mock.Request {
	t.Helper()
	up := lastUpstream(t, e)
	require.Equal(t, path, up.Path)
	require.Equal(t, "bedrock-runtime.us-east-1.amazonaws.com", strings.Split(up.Host, ":")[0])
	require.True(t, strings.HasPrefix(up.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDMOCK/"))
	require.Equal(t, "mock-session-token", up.Header.Get("X-Amz-Security-Token"))
	requireNoClientKey(t, up.Header)
	return up
}

func TestBedrockOpenAISDK(t *testing.T) {
	e := gateway(t, "bedrock", bedrockCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:     "gpt-4o",
			Messages:  []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
			MaxTokens: openai.Int(100),
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Positive(t, c.Usage.PromptTokens)
		require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
		up := requireBedrockUpstream(t, e, bedrockModelPath+"/converse")
		body := gjson.ParseBytes(up.Body)
		require.Equal(t, "Be brief.", body.Get("system.0.text").Str)
		require.Equal(t, int64(100), body.Get("inferenceConfig.maxTokens").Int())
		require.Equal(t, int64(50), body.Get("additionalModelRequestFields.top_k").Int())
	})

	t.Run("streaming", func(t *testing.T) {
		requireWordStream(t, client, "gpt-4o")
		requireBedrockUpstream(t, e, bedrockModelPath+"/converse-stream")
	})

	t.Run("streaming tool call", func(t *testing.T) {
		_, acc := requireStreamedToolCall(t, client, "gpt-4o")
		calls := acc.Choices[0].Message.ToolCalls

		// The result goes back as a toolResult block.
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?"),
				acc.Choices[0].Message.ToParam(), openai.ToolMessage("Sunny", calls[0].ID)},
			Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "The tool returned: Sunny")
		up := requireBedrockUpstream(t, e, bedrockModelPath+"/converse")
		body := gjson.ParseBytes(up.Body)
		require.Equal(t, calls[0].ID, body.Get("messages.1.content.0.toolUse.toolUseId").Str)
		require.Equal(t, calls[0].ID, body.Get("messages.2.content.0.toolResult.toolUseId").Str)
	})

	t.Run("error", func(t *testing.T) { requireRateLimited(t, client, "ThrottlingException") })
	t.Run("exception mid-stream", func(t *testing.T) { requireBrokenStreamFails(t, client) })
}

func TestBedrockAnthropicSDK(t *testing.T) {
	e := gateway(t, "bedrock-anthropic", bedrockCfg)
	requireAnthropicSDKServed(t, e, func(stream bool) {
		if stream {
			requireBedrockUpstream(t, e, bedrockModelPath+"/converse-stream")
		} else {
			requireBedrockUpstream(t, e, bedrockModelPath+"/converse")
		}
	})
}
