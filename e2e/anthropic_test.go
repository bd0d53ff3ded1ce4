package e2e

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// anthropicRoutes are the gateways an Anthropic client is tested against: a provider
// speaking OpenAI (the plugin converts both ways) and Claude itself.
var anthropicRoutes = []struct {
	name     string
	plugin   any
	path     string // where the provider gets the request
	authKey  string // header carrying the provider token
	authWant string
}{
	{"openai", openaiCfg, "/v1/chat/completions", "Authorization", "Bearer " + upstreamToken},
	{"claude", map[string]any{"provider": map[string]any{"type": "claude", "apiTokens": []any{upstreamToken}}},
		"/v1/messages", "X-Api-Key", upstreamToken},
}

func anthropicClient(e *env) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(e.url), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
}

func hello(model string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello Claude"))},
	}
}

func TestAnthropicMessages(t *testing.T) {
	for _, r := range anthropicRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			client := anthropicClient(e)

			msg, err := client.Messages.New(context.Background(), hello("claude-sonnet-4-5"))
			require.NoError(t, err)
			require.Equal(t, "message", string(msg.Type))
			require.NotEmpty(t, msg.Content)
			require.Equal(t, "text", msg.Content[0].Type)
			require.Contains(t, msg.Content[0].Text, "Hello Claude")
			require.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
			require.Positive(t, msg.Usage.InputTokens)
			require.Positive(t, msg.Usage.OutputTokens)

			up := lastUpstream(t, e)
			require.Equal(t, r.path, up.Path)
			require.Equal(t, r.authWant, up.Header.Get(r.authKey))
			for _, vs := range up.Header {
				for _, v := range vs {
					require.NotContains(t, v, clientKey)
				}
			}
		})
	}
}

func TestAnthropicStreaming(t *testing.T) {
	for _, r := range anthropicRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			client := anthropicClient(e)
			stream := client.Messages.NewStreaming(context.Background(), hello("claude-sonnet-4-5"),
				option.WithHeader(mock.ReplyWordsHeader, "6"))
			var acc anthropic.Message
			var types []string
			deltas := 0
			for stream.Next() {
				ev := stream.Current()
				require.NoError(t, acc.Accumulate(ev))
				types = append(types, ev.Type)
				if ev.Type == "content_block_delta" && ev.Delta.Type == "text_delta" {
					deltas++
				}
			}
			require.NoError(t, stream.Err())
			require.GreaterOrEqual(t, deltas, 6, "one delta per word")
			require.Equal(t, "message_start", types[0])
			require.Equal(t, "message_stop", types[len(types)-1])
			require.Equal(t, anthropic.StopReasonEndTurn, acc.StopReason)
			require.Positive(t, acc.Usage.OutputTokens)
		})
	}
}

func TestAnthropicToolUse(t *testing.T) {
	for _, r := range anthropicRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			client := anthropicClient(e)
			params := hello("claude-sonnet-4-5")
			params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))}
			params.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
				Name: "get_weather",
				InputSchema: anthropic.ToolInputSchemaParam{
					Properties: map[string]any{"location": map[string]any{"type": "string"}},
					Required:   []string{"location"},
				},
			}}}
			for _, stream := range []bool{false, true} {
				var msg anthropic.Message
				if stream {
					s := client.Messages.NewStreaming(context.Background(), params)
					for s.Next() {
						require.NoError(t, msg.Accumulate(s.Current()))
					}
					require.NoError(t, s.Err())
				} else {
					m, err := client.Messages.New(context.Background(), params)
					require.NoError(t, err)
					msg = *m
				}
				require.Equal(t, anthropic.StopReasonToolUse, msg.StopReason, "stream=%v", stream)
				var tool *anthropic.ContentBlockUnion
				for i := range msg.Content {
					if msg.Content[i].Type == "tool_use" {
						tool = &msg.Content[i]
					}
				}
				require.NotNil(t, tool, "stream=%v: no tool_use block in %+v", stream, msg.Content)
				require.Equal(t, "get_weather", tool.Name)
				require.JSONEq(t, mock.ToolArguments, string(tool.Input), "stream=%v", stream)
			}
		})
	}
}

func TestAnthropicErrors(t *testing.T) {
	for _, r := range anthropicRoutes {
		for _, status := range []int{400, 429} {
			t.Run(r.name, func(t *testing.T) {
				e := gateway(t, r.name, r.plugin)
				client := anthropicClient(e)
				_, err := client.Messages.New(context.Background(), hello("mock-error-"+strconv.Itoa(status)))
				var apiErr *anthropic.Error
				require.True(t, errors.As(err, &apiErr), "got %T: %v", err, err)
				require.Equal(t, status, apiErr.StatusCode)
				raw := apiErr.RawJSON()
				require.Equal(t, "error", gjson.Get(raw, "type").String(), "body: %s", raw)
				require.Equal(t, "mock error requested by model name", gjson.Get(raw, "error.message").String(), "body: %s", raw)
			})
		}
	}
}
