package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func openaiClient(e *env, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(e.url + "/v1/"),
		option.WithAPIKey(clientKey),
		option.WithMaxRetries(0),
	}, opts...)...)
}

// lastUpstream returns the last request the mock provider received.
func lastUpstream(t *testing.T, e *env) mock.Request {
	t.Helper()
	r, ok := e.mock.LastRequest()
	require.True(t, ok, "the provider received no request")
	return r
}

// requireProviderAuth: the provider got the configured token, never the client's key.
func requireProviderAuth(t *testing.T, r mock.Request) {
	t.Helper()
	require.Equal(t, "Bearer "+upstreamToken, r.Header.Get("Authorization"))
	requireNoClientKey(t, r.Header)
}

func TestChat(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	tests := []struct {
		name  string
		model string
		msgs  []openai.ChatCompletionMessageParamUnion
		want  string
	}{
		{"one user message", "gpt-4o-mini", []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}, "You said: Hello there"},
		{"system and user", "gpt-4o", []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("Be brief."), openai.UserMessage("What is 2+2?"),
		}, "You said: What is 2+2?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: tt.model, Messages: tt.msgs,
			})
			require.NoError(t, err)
			require.Len(t, c.Choices, 1)
			require.Contains(t, c.Choices[0].Message.Content, tt.want)
			require.Equal(t, "stop", c.Choices[0].FinishReason)
			require.Equal(t, tt.model, c.Model)
			require.Positive(t, c.Usage.PromptTokens)
			require.Positive(t, c.Usage.CompletionTokens)
			require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)

			up := lastUpstream(t, e)
			require.Equal(t, "api.openai.com", up.Host)
			require.Equal(t, "/v1/chat/completions", up.Path)
			require.Equal(t, tt.model, gjson.GetBytes(up.Body, "model").String())
			requireProviderAuth(t, up)
		})
	}
}

func TestStreamingChat(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e, option.WithHeader(mock.ReplyWordsHeader, "8"))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "gpt-4o-mini",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count to eight")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	contentChunks := 0
	for stream.Next() {
		ch := stream.Current()
		require.True(t, acc.AddChunk(ch))
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
			contentChunks++
		}
	}
	require.NoError(t, stream.Err())
	require.GreaterOrEqual(t, contentChunks, 8, "one chunk per word")
	require.Len(t, strings.Fields(acc.Choices[0].Message.Content), 8)
	require.Equal(t, "stop", acc.Choices[0].FinishReason)
	require.Positive(t, acc.Usage.TotalTokens)
	requireProviderAuth(t, lastUpstream(t, e))
}

// TestStreamingIsIncremental: the client gets the first event while the upstream still
// holds the second — the gateway and the plugin deliver a stream piece by piece.
func TestStreamingIsIncremental(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    gatedModel,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	var got []string
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
			got = append(got, ch.Choices[0].Delta.Content)
			if len(got) == 1 {
				e.gate.release <- struct{}{}
			}
		}
	}
	require.NoError(t, stream.Err())
	require.True(t, <-e.gate.released, "the first event did not reach the client before the upstream sent the rest")
	require.Equal(t, []string{"first", " second"}, got)
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current weather of a city"),
		Parameters: shared.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"location": map[string]any{"type": "string"}},
			"required":   []string{"location"},
		},
	})
}

func TestToolCalls(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool()},
	}
	tests := []struct {
		name string
		call func(t *testing.T) openai.ChatCompletionMessage
	}{
		{"json", func(t *testing.T) openai.ChatCompletionMessage {
			c, err := client.Chat.Completions.New(context.Background(), params)
			require.NoError(t, err)
			require.Equal(t, "tool_calls", c.Choices[0].FinishReason)
			return c.Choices[0].Message
		}},
		{"stream", func(t *testing.T) openai.ChatCompletionMessage {
			stream := client.Chat.Completions.NewStreaming(context.Background(), params)
			acc, _ := drain(t, stream)
			require.NoError(t, stream.Err())
			require.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
			return acc.Choices[0].Message
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.call(t)
			require.Len(t, msg.ToolCalls, 1)
			tc := msg.ToolCalls[0]
			require.Equal(t, "get_weather", tc.Function.Name)
			require.Equal(t, mock.ToolArguments, tc.Function.Arguments)
			require.NotEmpty(t, tc.ID)
			require.Equal(t, "get_weather", gjson.GetBytes(lastUpstream(t, e).Body, "tools.0.function.name").String())
		})
	}
}

func TestEmbeddings(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	tests := []struct {
		name  string
		input openai.EmbeddingNewParamsInputUnion
		want  int
	}{
		{"one string", openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}, 1},
		{"two strings", openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: "text-embedding-3-small", Input: tt.input,
			})
			require.NoError(t, err)
			require.Len(t, res.Data, tt.want)
			for i, d := range res.Data {
				require.Equal(t, int64(i), d.Index)
				require.NotEmpty(t, d.Embedding)
			}
			up := lastUpstream(t, e)
			require.Equal(t, "/v1/embeddings", up.Path)
			requireProviderAuth(t, up)
		})
	}
}

// TestErrors: upstream errors reach the SDK as typed API errors with status and message.
func TestErrors(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	client := openaiClient(e)
	tests := []struct {
		model  string
		stream bool
		status int
	}{
		{"mock-error-400", false, 400},
		{"mock-error-429", false, 429},
		{"mock-error-500", false, 500},
		{"mock-error-429", true, 429},
	}
	for _, tt := range tests {
		name := tt.model
		if tt.stream {
			name += "/stream"
		}
		t.Run(name, func(t *testing.T) {
			params := openai.ChatCompletionNewParams{
				Model: tt.model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			}
			var err error
			if tt.stream {
				s := client.Chat.Completions.NewStreaming(context.Background(), params)
				for s.Next() {
				}
				err = s.Err()
			} else {
				_, err = client.Chat.Completions.New(context.Background(), params)
			}
			var apiErr *openai.Error
			require.True(t, errors.As(err, &apiErr), "got %T: %v", err, err)
			require.Equal(t, tt.status, apiErr.StatusCode)
			require.Equal(t, "mock error requested by model name", apiErr.Message)
		})
	}
}

// TestNonAIPath: a path that is no AI API gets a 404 JSON error from the plugin and is
// never forwarded (with the provider's key) upstream.
func TestNonAIPath(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	tests := []struct{ method, path string }{
		{"GET", "/nope"},
		{"POST", "/v1/unknown-api"},
		{"GET", "/admin/config"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			before := len(e.mock.Requests())
			req, err := http.NewRequest(tt.method, e.url+tt.path, strings.NewReader(`{"model":"gpt-4o-mini"}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+clientKey)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusNotFound, resp.StatusCode, "body: %s", body)
			require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
			require.True(t, gjson.ValidBytes(body), "not JSON: %s", body)
			require.NotEmpty(t, gjson.GetBytes(body, "error.message").String(), "body: %s", body)
			require.Len(t, e.mock.Requests(), before, "forwarded upstream")
		})
	}
}

// TestMetricsEndpoint: the gateway serves /metrics itself.
func TestMetricsEndpoint(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	resp, err := http.Get(e.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
}
