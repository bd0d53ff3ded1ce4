package e2e

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// openaiRoutes are OpenAI-SDK clients of providers with other wire formats: the plugin
// converts both ways, and the SDK must not be able to tell.
var openaiRoutes = []struct {
	name     string
	plugin   map[string]any
	path     string // the upstream path the provider must see
	authName string
	auth     string
}{
	{"openai", openaiCfg, "/v1/chat/completions", "Authorization", "Bearer " + upstreamToken},
	{"claude", map[string]any{"provider": map[string]any{"type": "claude", "apiTokens": []any{upstreamToken}}},
		"/v1/messages", "X-Api-Key", upstreamToken},
	{"qwen-native", map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken}, "qwenEnableCompatible": false}},
		"/api/v1/services/aigc/text-generation/generation", "Authorization", "Bearer " + upstreamToken},
	{"qwen-compatible", map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken}}},
		"/compatible-mode/v1/chat/completions", "Authorization", "Bearer " + upstreamToken},
}

func TestOpenAISDKAcrossProviders(t *testing.T) {
	for _, r := range openaiRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			client := openaiClient(e)
			upstreamOK := func(t *testing.T) {
				t.Helper()
				up := lastUpstream(t, e)
				require.Equal(t, r.path, up.Path)
				require.Equal(t, r.auth, up.Header.Get(r.authName))
				requireNoClientKey(t, up.Header)
			}

			t.Run("chat", func(t *testing.T) {
				c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
					Model:    "qwen-plus",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
				})
				require.NoError(t, err)
				require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
				require.Equal(t, "stop", c.Choices[0].FinishReason)
				require.Positive(t, c.Usage.PromptTokens)
				require.Positive(t, c.Usage.CompletionTokens)
				upstreamOK(t)
			})

			t.Run("streaming tool call", func(t *testing.T) {
				stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
					Model:         "qwen-plus",
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
					Tools:         []openai.ChatCompletionToolUnionParam{weatherTool()},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
				})
				acc, chunks := drain(t, stream)
				require.NoError(t, stream.Err())
				require.Greater(t, chunks, 2, "the answer came in one piece")
				require.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
				require.Len(t, acc.Choices[0].Message.ToolCalls, 1)
				tc := acc.Choices[0].Message.ToolCalls[0]
				require.Equal(t, "get_weather", tc.Function.Name)
				require.Equal(t, mock.ToolArguments, tc.Function.Arguments, "tool arguments must arrive exactly")
				require.NotEmpty(t, tc.ID)
				require.Positive(t, acc.Usage.TotalTokens)
				upstreamOK(t)
			})

			t.Run("streaming text", func(t *testing.T) {
				stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
					Model:    "qwen-plus",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me something")},
				})
				acc, _ := drain(t, stream)
				require.NoError(t, stream.Err())
				require.Contains(t, acc.Choices[0].Message.Content, "You said: Tell me something")
				require.Equal(t, "stop", acc.Choices[0].FinishReason)
			})

			t.Run("error", func(t *testing.T) {
				_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
					Model:    "mock-error-429",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
				})
				var apiErr *openai.Error
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, 429, apiErr.StatusCode)
				require.NotEmpty(t, apiErr.Message)
			})
		})
	}
}
