package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// responsesRoutes: openai-go's Responses client against providers with and without a
// native /v1/responses: chat-only providers are served through their chat completions.
var responsesRoutes = []struct {
	name   string
	plugin map[string]any
	path   string // the upstream path the provider must see
}{
	{"deepseek", map[string]any{"provider": map[string]any{"type": "deepseek", "apiTokens": []any{upstreamToken}}}, "/v1/chat/completions"},
	{"claude", map[string]any{"provider": map[string]any{"type": "claude", "apiTokens": []any{upstreamToken}}}, "/v1/messages"},
	{"qwen-native", map[string]any{"provider": map[string]any{"type": "qwen", "apiTokens": []any{upstreamToken}, "qwenEnableCompatible": false}},
		"/api/v1/services/aigc/text-generation/generation"},
	{"openai", openaiCfg, "/v1/responses"}, // native: passed through
}

func weatherFunction() responses.ToolUnionParam {
	return responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{
		Name:        "get_weather",
		Description: openai.String("Current weather of a city"),
		Parameters: map[string]any{"type": "object", "properties": map[string]any{
			"location": map[string]any{"type": "string"}}, "required": []string{"location"}},
	}}
}

func TestResponsesAPI(t *testing.T) {
	ctx := context.Background()
	for _, r := range responsesRoutes {
		t.Run(r.name, func(t *testing.T) {
			e := gateway(t, r.name, r.plugin)
			client := openaiClient(e)
			upstreamOK := func(t *testing.T) {
				t.Helper()
				up := lastUpstream(t, e)
				require.Equal(t, r.path, up.Path)
				requireNoClientKey(t, up.Header)
			}

			t.Run("text", func(t *testing.T) {
				resp, err := client.Responses.New(ctx, responses.ResponseNewParams{
					Model:        "qwen-plus",
					Instructions: openai.String("Be brief."),
					Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello there")},
				})
				require.NoError(t, err)
				require.Equal(t, responses.ResponseStatusCompleted, resp.Status)
				require.Contains(t, resp.OutputText(), "You said: Hello there")
				require.True(t, strings.HasPrefix(resp.ID, "resp_"), resp.ID)
				require.Positive(t, resp.Usage.InputTokens)
				require.Positive(t, resp.Usage.OutputTokens)
				require.Equal(t, resp.Usage.InputTokens+resp.Usage.OutputTokens, resp.Usage.TotalTokens)
				upstreamOK(t)
			})

			t.Run("streaming text", func(t *testing.T) {
				stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
					Model: "qwen-plus",
					Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello stream")},
				})
				var text strings.Builder
				var final *responses.Response
				deltas, seq := 0, int64(0)
				for stream.Next() {
					ev := stream.Current()
					require.Equal(t, seq, ev.SequenceNumber)
					seq++
					switch ev.Type {
					case "response.output_text.delta":
						text.WriteString(ev.Delta)
						deltas++
					case "response.completed":
						c := ev.AsResponseCompleted()
						final = &c.Response
					}
				}
				require.NoError(t, stream.Err())
				require.NotNil(t, final, "no response.completed")
				require.Greater(t, deltas, 1, "the answer came in one piece")
				require.Contains(t, text.String(), "You said: Hello stream")
				require.Equal(t, text.String(), final.OutputText())
				require.Positive(t, final.Usage.InputTokens)
				require.Positive(t, final.Usage.OutputTokens)
				upstreamOK(t)
			})

			t.Run("function call round trip", func(t *testing.T) {
				params := responses.ResponseNewParams{
					Model: "qwen-plus",
					Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
						responses.ResponseInputItemParamOfMessage("Weather in Paris?", responses.EasyInputMessageRoleUser),
					}},
					Tools: []responses.ToolUnionParam{weatherFunction()},
				}
				resp, err := client.Responses.New(ctx, params)
				require.NoError(t, err)
				var call *responses.ResponseFunctionToolCall
				for _, it := range resp.Output {
					if it.Type == "function_call" {
						c := it.AsFunctionCall()
						call = &c
					}
				}
				require.NotNil(t, call, "no function_call in %s", resp.RawJSON())
				require.Equal(t, "get_weather", call.Name)
				require.Equal(t, mock.ToolArguments, call.Arguments)
				require.NotEmpty(t, call.CallID)
				upstreamOK(t)

				out := responses.ResponseInputItemParamOfFunctionCallOutput("18C and sunny")
				out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
				params.Input.OfInputItemList = append(params.Input.OfInputItemList,
					responses.ResponseInputItemParamOfFunctionCall(call.Arguments, call.CallID, call.Name), out)
				final, err := client.Responses.New(ctx, params)
				require.NoError(t, err)
				require.Contains(t, final.OutputText(), "The tool returned: 18C and sunny")
				require.Positive(t, final.Usage.TotalTokens)
			})

			t.Run("streaming function call", func(t *testing.T) {
				stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
					Model: "qwen-plus",
					Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
					Tools: []responses.ToolUnionParam{weatherFunction()},
				})
				var args strings.Builder
				var done, name string
				completed := false
				for stream.Next() {
					ev := stream.Current()
					switch ev.Type {
					case "response.function_call_arguments.delta":
						args.WriteString(ev.Delta)
					case "response.function_call_arguments.done":
						done = ev.Arguments
					case "response.output_item.done":
						if ev.Item.Type == "function_call" {
							name = ev.Item.Name
						}
					case "response.completed":
						completed = true
					}
				}
				require.NoError(t, stream.Err())
				require.True(t, completed)
				require.Equal(t, "get_weather", name)
				require.Equal(t, mock.ToolArguments, args.String())
				require.Equal(t, mock.ToolArguments, done)
			})
		})
	}
}

// TestResponsesRefused: what needs server-side state or a built-in tool is a 400 on a
// chat-only provider.
func TestResponsesRefused(t *testing.T) {
	e := gateway(t, "deepseek", responsesRoutes[0].plugin)
	client := openaiClient(e)
	_, err := client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model:              "deepseek-chat",
		Input:              responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
		PreviousResponseID: openai.String("resp_123"),
	})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 400, apiErr.StatusCode)
	require.Contains(t, apiErr.Message, "previous_response_id needs server-side state")

	_, err = client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "deepseek-chat",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
		Tools: []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}},
	})
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 400, apiErr.StatusCode)
	require.Contains(t, apiErr.Message, "web_search")
}
