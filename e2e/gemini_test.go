package e2e

import (
	"context"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// geminiCfg is the gemini provider with every client model mapped to one Gemini model.
var geminiCfg = map[string]any{"provider": map[string]any{
	"type": "gemini", "apiTokens": []any{upstreamToken},
	"modelMapping":        map[string]any{"mock-error-429": "mock-error-429", "mock-error-midstream": "mock-error-midstream", "*": "gemini-2.5-flash"},
	"geminiSafetySetting": map[string]any{"HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE"},
}}

// requireGeminiUpstream: the provider got the path, the token in x-goog-api-key and
// never the client's key.
func requireGeminiUpstream(t *testing.T, e *env, path string) mock.Request {
	t.Helper()
	up := lastUpstream(t, e)
	require.Equal(t, path, up.Path)
	require.Equal(t, upstreamToken, up.Header.Get("X-Goog-Api-Key"))
	requireNoClientKey(t, up.Header)
	return up
}

func TestGeminiOpenAISDK(t *testing.T) {
	e := gateway(t, "gemini", geminiCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:           "gpt-4o",
			Messages:        []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
			MaxTokens:       openai.Int(100),
			ReasoningEffort: shared.ReasoningEffortLow,
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Equal(t, mock.GeminiThought, gjson.Get(c.Choices[0].Message.RawJSON(), "reasoning_content").Str)
		require.Equal(t, "gemini-2.5-flash", c.Model)
		require.Positive(t, c.Usage.PromptTokens)
		require.Equal(t, int64(5), c.Usage.CompletionTokensDetails.ReasoningTokens)
		require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
		up := requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:generateContent")
		body := gjson.ParseBytes(up.Body)
		require.Equal(t, "Be brief.", body.Get("systemInstruction.parts.0.text").Str)
		require.Equal(t, int64(100), body.Get("generationConfig.maxOutputTokens").Int())
		require.Equal(t, "BLOCK_NONE", body.Get("safetySettings.0.threshold").Str)
	})

	t.Run("streaming", func(t *testing.T) {
		requireWordStream(t, client, "gpt-4o")
		up := requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
		require.Equal(t, "alt=sse", up.RawQuery)
	})

	t.Run("parallel tool call round trip", func(t *testing.T) {
		timeTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_time", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{}},
		})
		params := openai.ChatCompletionNewParams{
			Model:    "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather and time in Paris?")},
			Tools:    []openai.ChatCompletionToolUnionParam{weatherTool(), timeTool},
		}
		stream := client.Chat.Completions.NewStreaming(ctx, params)
		acc, _ := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
		calls := acc.Choices[0].Message.ToolCalls
		require.Len(t, calls, 2)
		require.Equal(t, "get_weather", calls[0].Function.Name)
		require.Equal(t, mock.ToolArguments, calls[0].Function.Arguments)
		require.Equal(t, "get_time", calls[1].Function.Name)
		require.NotEqual(t, calls[0].ID, calls[1].ID)

		// Send the conversation back, results in reverse order: Gemini wants one user turn
		// with the responses in call order, and the first call's thought signature.
		params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(),
			openai.ToolMessage("12:00", calls[1].ID), openai.ToolMessage(`{"temp":21}`, calls[0].ID))
		c, err := client.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "The tool returned")
		up := requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:generateContent")
		body := gjson.ParseBytes(up.Body)
		require.Equal(t, mock.GeminiThoughtSignature, body.Get("contents.1.parts.0.thoughtSignature").Str)
		require.Equal(t, "get_weather", body.Get("contents.2.parts.0.functionResponse.name").Str)
		require.Equal(t, int64(21), body.Get("contents.2.parts.0.functionResponse.response.temp").Int())
		require.Equal(t, "12:00", body.Get("contents.2.parts.1.functionResponse.response.result").Str)
	})

	t.Run("embeddings", func(t *testing.T) {
		r, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model:      "text-embedding-3-small",
			Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello", "world"}},
			Dimensions: openai.Int(8),
		})
		require.NoError(t, err)
		require.Len(t, r.Data, 2)
		require.Len(t, r.Data[1].Embedding, 8)
		require.Equal(t, int64(1), r.Data[1].Index)
		requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:batchEmbedContents")
	})

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, page.Data)
		require.Equal(t, mock.MockModels[0], page.Data[0].ID)
		requireGeminiUpstream(t, e, "/v1beta/models")
	})

	t.Run("error", func(t *testing.T) { requireRateLimited(t, client, "RESOURCE_EXHAUSTED") })
	t.Run("cut stream", func(t *testing.T) { requireBrokenStreamFails(t, client) })
}

func TestGeminiAnthropicSDK(t *testing.T) {
	e := gateway(t, "gemini-anthropic", geminiCfg)
	requireAnthropicSDKServed(t, e, func(stream bool) {
		if !stream {
			requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:generateContent")
			return
		}
		up := requireGeminiUpstream(t, e, "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
		require.Equal(t, "alt=sse", up.RawQuery)
	})
	client := anthropicClient(e)
	ctx := context.Background()

	// tool use
	params := hello("claude-sonnet-4-5")
	params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))}
	params.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
		Name: "get_weather",
		InputSchema: anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"location": map[string]any{"type": "string"}},
			Required:   []string{"location"},
		},
	}}}
	m, err := client.Messages.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, anthropic.StopReasonToolUse, m.StopReason)
	var use anthropic.ToolUseBlock
	for _, b := range m.Content {
		if b.Type == "tool_use" {
			use = b.AsToolUse()
		}
	}
	require.Equal(t, "get_weather", use.Name)
	params.Messages = append(params.Messages, m.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "21 C", false)))
	m, err = client.Messages.New(ctx, params)
	require.NoError(t, err)
	require.Contains(t, m.Content[0].Text, "The tool returned")
}

func optionWords(n string) openaioption.RequestOption {
	return openaioption.WithHeader(mock.ReplyWordsHeader, n)
}

func anthropicWords(n string) anthropicoption.RequestOption {
	return anthropicoption.WithHeader(mock.ReplyWordsHeader, n)
}
