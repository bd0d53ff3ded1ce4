package e2e

import (
	"context"
	"testing"

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
