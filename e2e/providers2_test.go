package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/hack/mock"
)

var (
	deeplCfg = map[string]any{"provider": map[string]any{"type": "deepl", "apiTokens": []any{upstreamToken}, "targetLang": "ZH"}}
	sparkCfg = map[string]any{"provider": map[string]any{"type": "spark", "apiTokens": []any{"key-e2e:secret-e2e"},
		"modelMapping": map[string]any{"gpt-4o": "generalv3.5", "mock-error-*": "", "*": "general"}}}
	minimaxCfg = map[string]any{"provider": map[string]any{"type": "minimax", "apiTokens": []any{upstreamToken}, "minimaxGroupId": "group-e2e",
		"modelMapping": map[string]any{"gpt-4": "abab6.5s-chat", "mock-error-*": "", "*": "abab6.5g-chat"}}}
)

func requireAPIError(t *testing.T, err error, status int, typ string) {
	t.Helper()
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, status, apiErr.StatusCode)
	require.Equal(t, typ, apiErr.Type)
	require.NotEmpty(t, apiErr.Message)
}

func drain(t *testing.T, stream interface {
	Next() bool
	Current() openai.ChatCompletionChunk
	Err() error
}) (openai.ChatCompletionAccumulator, int) {
	acc := openai.ChatCompletionAccumulator{}
	n := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		n++
	}
	return acc, n
}

func TestDeepLOpenAISDK(t *testing.T) {
	e := gateway(t, "deepl", deeplCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("seed example", func(t *testing.T) {
		var params openai.ChatCompletionNewParams
		require.NoError(t, json.Unmarshal([]byte(`{"model":"Free","messages":[{"role":"system","content":"money"},{"role":"user","content":"sit by the bank"},{"role":"user","content":"a bank in China"}]}`), &params))
		c, err := client.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		require.Len(t, c.Choices, 2)
		require.Equal(t, "[ZH] sit by the bank", c.Choices[0].Message.Content)
		require.Equal(t, "[ZH] a bank in China", c.Choices[1].Message.Content)
		require.Equal(t, int64(1), c.Choices[1].Index)
		require.Equal(t, "Free", c.Model)
		require.Equal(t, "chat.completion", string(c.Object))
		up := lastUpstream(t, e)
		require.Equal(t, "/v2/translate", up.Path)
		require.Equal(t, "api-free.deepl.com", up.Host)
		require.Equal(t, "DeepL-Auth-Key "+upstreamToken, up.Header.Get("Authorization"))
		require.JSONEq(t, `{"text":["sit by the bank","a bank in China"],"target_lang":"ZH","context":"money"}`, string(up.Body))
	})

	t.Run("pro tier and streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "Pro", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Good morning")},
		})
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Equal(t, 1, n)
		require.Equal(t, "[ZH] Good morning", acc.Choices[0].Message.Content)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
		require.Equal(t, "api.deepl.com", lastUpstream(t, e).Host)
	})

	t.Run("errors", func(t *testing.T) {
		for text, want := range map[string]struct {
			status int
			typ    string
		}{"mock-error-456": {429, "insufficient_quota"}, "mock-error-403": {401, "authentication_error"}, "mock-error-429": {429, "rate_limit_error"}} {
			_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: "Free", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
			})
			requireAPIError(t, err, want.status, want.typ)
		}
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		requireAPIError(t, err, 400, "invalid_request_error")
	})
}

func TestSparkOpenAISDK(t *testing.T) {
	e := gateway(t, "spark", sparkCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Contains(t, c.ID, "cha000mock@")
		require.Positive(t, c.Usage.TotalTokens)
		up := lastUpstream(t, e)
		require.Equal(t, "spark-api-open.xf-yun.com", up.Host)
		require.Equal(t, "/v1/chat/completions", up.Path)
		require.Equal(t, "Bearer key-e2e:secret-e2e", up.Header.Get("Authorization"))
		require.Equal(t, "generalv3.5", gjson.GetBytes(up.Body, "model").Str)
	})

	t.Run("streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-3.5", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me something")},
		}, optionWords("6"))
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Greater(t, n, 3)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
		require.Positive(t, acc.Usage.TotalTokens)
		require.Equal(t, "lite", gjson.GetBytes(lastUpstream(t, e).Body, "model").Str)
	})

	t.Run("tool call", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
			Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
		})
		require.NoError(t, err)
		require.Equal(t, "tool_calls", c.Choices[0].FinishReason)
		require.Equal(t, mock.ToolArguments, c.Choices[0].Message.ToolCalls[0].Function.Arguments)
		require.NotEmpty(t, c.Choices[0].Message.ToolCalls[0].ID)
	})

	t.Run("errors", func(t *testing.T) {
		for model, want := range map[string]struct {
			status int
			typ    string
		}{"mock-error-429": {429, "rate_limit_error"}, "mock-error-400": {400, "invalid_request_error"}, "mock-error-401": {401, "authentication_error"}} {
			_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			requireAPIError(t, err, want.status, want.typ)
		}
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "mock-error-midstream", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("story")},
		}, optionWords("4"))
		drain(t, stream)
		require.Error(t, stream.Err(), "an in-band error must reach the client")
	})
}

func TestMiniMaxOpenAISDK(t *testing.T) {
	e := gateway(t, "minimax", minimaxCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("v2 chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-3", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello there")
		up := lastUpstream(t, e)
		require.Equal(t, "/v1/text/chatcompletion_v2", up.Path)
		require.Equal(t, "api.minimax.chat", up.Host)
		require.Equal(t, "Bearer "+upstreamToken, up.Header.Get("Authorization"))
	})

	t.Run("v2 streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-3", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me")},
		}, optionWords("5"))
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Greater(t, n, 3)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
	})

	t.Run("pro chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:     "gpt-4",
			Messages:  []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello Pro")},
			MaxTokens: openai.Int(100),
		})
		require.NoError(t, err)
		require.Contains(t, c.Choices[0].Message.Content, "You said: Hello Pro")
		require.Positive(t, c.Usage.TotalTokens)
		up := lastUpstream(t, e)
		require.Equal(t, "/v1/text/chatcompletion_pro", up.Path)
		require.Equal(t, "GroupId=group-e2e", up.RawQuery)
		body := gjson.ParseBytes(up.Body)
		require.Equal(t, int64(100), body.Get("tokens_to_generate").Int())
		require.Equal(t, "Be brief.", body.Get("bot_setting.0.content").Str)
		require.Equal(t, "USER", body.Get("messages.0.sender_type").Str)
	})

	t.Run("pro streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me")},
		}, optionWords("6"))
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Greater(t, n, 4)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
		require.Positive(t, acc.Usage.TotalTokens)
		require.Len(t, splitWordsCount(acc.Choices[0].Message.Content), 6)
	})

	t.Run("pro tool call round trip", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model: "gpt-4", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
			Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
		}
		c, err := client.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		require.Equal(t, "tool_calls", c.Choices[0].FinishReason)
		call := c.Choices[0].Message.ToolCalls[0]
		require.Equal(t, mock.ToolArguments, call.Function.Arguments)
		require.Equal(t, "get_weather", gjson.GetBytes(lastUpstream(t, e).Body, "functions.0.name").Str)
		params.Messages = append(params.Messages, c.Choices[0].Message.ToParam(), openai.ToolMessage(`{"temp":21}`, call.ID))
		c, err = client.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Contains(t, c.Choices[0].Message.Content, `The tool returned: {"temp":21}`)
		body := gjson.ParseBytes(lastUpstream(t, e).Body)
		require.Equal(t, "FUNCTION", body.Get("messages.2.sender_type").Str)
		require.Equal(t, call.Function.Name, body.Get("messages.2.sender_name").Str)
		require.Equal(t, call.Function.Name, body.Get("messages.1.function_call.name").Str)
	})

	t.Run("errors", func(t *testing.T) {
		for model, want := range map[string]struct {
			status int
			typ    string
		}{"mock-error-401": {401, "authentication_error"}, "mock-error-402": {429, "insufficient_quota"},
			"mock-error-429": {429, "rate_limit_error"}, "mock-error-400": {400, "invalid_request_error"}} {
			_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			requireAPIError(t, err, want.status, want.typ)
		}
	})
}

func splitWordsCount(s string) []string {
	var out []string
	word := false
	for _, r := range s {
		if r == ' ' || r == '\n' {
			word = false
		} else if !word {
			word = true
			out = append(out, "")
		}
	}
	return out
}
