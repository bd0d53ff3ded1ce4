package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"
)

// requireRateLimited: the mock's 429 in the provider's own error shape reaches the
// OpenAI SDK as a typed 429 carrying the provider's error code.
func requireRateLimited(t *testing.T, client openai.Client, code string) {
	t.Helper()
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "mock-error-429",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 429, apiErr.StatusCode)
	require.Equal(t, code, apiErr.Code)
	require.Equal(t, "rate_limit_error", apiErr.Type)
	require.NotEmpty(t, apiErr.Message)
}

// requireBrokenStreamFails: a stream the provider breaks with its in-stream error (the
// mock's mock-error-midstream model) ends with an error the SDK raises.
func requireBrokenStreamFails(t *testing.T, client openai.Client) {
	t.Helper()
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "mock-error-midstream",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me a long story")},
	}, optionWords("8"))
	for stream.Next() {
	}
	require.Error(t, stream.Err(), "a broken stream must not pass for complete")
}

// requireAnthropicSDKServed: the Anthropic SDK gets a whole message and a whole stream (6
// words, ending in message_stop) from a provider of another protocol; after each, check
// looks at what reached the provider (stream says which call it was).
func requireAnthropicSDKServed(t *testing.T, e *env, check func(stream bool)) {
	t.Helper()
	client := anthropicClient(e)
	ctx := context.Background()
	msg, err := client.Messages.New(ctx, hello("claude-sonnet-4-5"))
	require.NoError(t, err)
	require.Equal(t, "text", msg.Content[0].Type)
	require.Contains(t, msg.Content[0].Text, "Hello Claude")
	require.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
	require.Positive(t, msg.Usage.InputTokens)
	check(false)

	stream := client.Messages.NewStreaming(ctx, hello("claude-sonnet-4-5"), anthropicWords("6"))
	var acc anthropic.Message
	var last string
	for stream.Next() {
		ev := stream.Current()
		require.NoError(t, acc.Accumulate(ev))
		last = ev.Type
	}
	require.NoError(t, stream.Err())
	require.Equal(t, "message_stop", last)
	require.Equal(t, anthropic.StopReasonEndTurn, acc.StopReason)
	require.Len(t, strings.Fields(acc.Content[0].Text), 6)
	check(true)
}

// requireWordStream: a streamed chat of six words (the mock's one word per piece)
// reaches the OpenAI SDK whole: several chunks, every word, finish "stop", usage.
func requireWordStream(t *testing.T, client openai.Client, model string) {
	t.Helper()
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me something")},
	}, optionWords("6"))
	acc, chunks := drain(t, stream)
	require.NoError(t, stream.Err())
	require.Greater(t, chunks, 3)
	require.Len(t, strings.Fields(acc.Choices[0].Message.Content), 6, "one word per piece, none lost")
	require.Equal(t, "stop", acc.Choices[0].FinishReason)
	require.Positive(t, acc.Usage.TotalTokens)
}

// requireStreamedToolCall: a streamed call of the weather tool reaches the OpenAI SDK
// with the exact arguments; it returns the request and the accumulated answer, for the
// tool result's round trip.
func requireStreamedToolCall(t *testing.T, client openai.Client, model string) (openai.ChatCompletionNewParams, openai.ChatCompletionAccumulator) {
	t.Helper()
	params := openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool()},
	}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	acc, _ := drain(t, stream)
	require.NoError(t, stream.Err())
	require.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
	calls := acc.Choices[0].Message.ToolCalls
	require.Len(t, calls, 1)
	require.Equal(t, "get_weather", calls[0].Function.Name)
	require.Equal(t, mock.ToolArguments, calls[0].Function.Arguments)
	return params, acc
}

// requireNoClientKey: no header the provider received carries the client's own key.
func requireNoClientKey(t *testing.T, h http.Header) {
	t.Helper()
	for k, vs := range h {
		for _, v := range vs {
			require.NotContains(t, v, clientKey, "client key forwarded in %s", k)
		}
	}
}
