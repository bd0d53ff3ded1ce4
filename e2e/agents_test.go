package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

var (
	difyCfg = map[string]any{"provider": map[string]any{"type": "dify", "apiTokens": []any{upstreamToken},
		"modelMapping": map[string]any{"*": "dify"}}}
	difyAgentCfg = map[string]any{"provider": map[string]any{"type": "dify", "apiTokens": []any{"app-agent-e2e"},
		"botType": "Agent", "difyApiUrl": "http://dify.internal:5001/v1"}}
	difyWorkflowCfg = map[string]any{"provider": map[string]any{"type": "dify", "apiTokens": []any{upstreamToken},
		"botType": "Workflow", "inputVariable": "question", "outputVariable": "answer"}}
	tritonCfg = map[string]any{"provider": map[string]any{"type": "triton", "tritonDomain": "triton.local:8000",
		"tritonModelVersion": "1", "modelMapping": map[string]any{"mock-error-*": "", "*": "gpt2"}}}
	cozeCfg = map[string]any{"provider": map[string]any{"type": "coze", "apiTokens": []any{upstreamToken}, "protocol": "original"}}
)

func userSays(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}}
}

func TestDifyOpenAISDK(t *testing.T) {
	e := gateway(t, "dify", difyCfg)
	client := openaiClient(e)
	ctx := context.Background()

	var conversation string
	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, userSays("Hi there"))
		require.NoError(t, err)
		require.Equal(t, "Hello from the mock Dify chat app! You said: Hi there", c.Choices[0].Message.Content)
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Equal(t, "dify", c.Model)
		require.True(t, strings.HasPrefix(c.ID, "conv-"), "the id is the Dify conversation: %s", c.ID)
		require.Positive(t, c.Usage.PromptTokens)
		require.Equal(t, c.Usage.PromptTokens+c.Usage.CompletionTokens, c.Usage.TotalTokens)
		up := lastUpstream(t, e)
		require.Equal(t, "api.dify.ai", up.Host)
		require.Equal(t, "/v1/chat-messages", up.Path)
		requireProviderAuth(t, up)
		require.JSONEq(t, `{"inputs":{},"query":"Hi there","response_mode":"blocking","user":"api-user","auto_generate_name":false}`, string(up.Body))
		conversation = c.ID
	})

	t.Run("next turn in the conversation", func(t *testing.T) {
		require.NotEmpty(t, conversation)
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi there"),
				openai.AssistantMessage("Hello!"), openai.UserMessage("And now?")}},
			option.WithHeader("ConversationId", conversation))
		require.NoError(t, err)
		require.Equal(t, conversation, c.ID)
		body := lastUpstream(t, e).Body
		require.Equal(t, conversation, gjson.GetBytes(body, "conversation_id").Str)
		require.Equal(t, "And now?", gjson.GetBytes(body, "query").Str, "Dify holds the history: only the new message goes")
	})

	t.Run("streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream please")},
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}}, optionWords("7"))
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Equal(t, 8, n, "7 words and the finish chunk")
		require.Len(t, strings.Fields(acc.Choices[0].Message.Content), 7)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
		require.True(t, strings.HasPrefix(acc.ID, "conv-"))
		require.Equal(t, int64(7), acc.Usage.CompletionTokens)
		require.Equal(t, "streaming", gjson.GetBytes(lastUpstream(t, e).Body, "response_mode").Str)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, userSays("mock-error-429"))
		requireAPIError(t, err, 429, "rate_limit_error")
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "too_many_requests", apiErr.Code)

		_, err = client.Chat.Completions.New(ctx, userSays("hi"), option.WithHeader("ConversationId", "nope"))
		requireAPIError(t, err, 404, "invalid_request_error")

		stream := client.Chat.Completions.NewStreaming(ctx, userSays("break mock-error-midstream"))
		acc, _ := drain(t, stream)
		require.Error(t, stream.Err(), "a broken stream must not pass for complete")
		require.Contains(t, acc.Choices[0].Message.Content, "Hello from the mock")
	})

	t.Run("faults", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, userSays("hi"), option.WithHeader("X-Mock-Fault", "cut-after:2"))
		drain(t, stream)
		require.Error(t, stream.Err(), "a stream cut before message_end is an error")
		stream = client.Chat.Completions.NewStreaming(ctx, userSays("hi"), option.WithHeader("X-Mock-Fault", "inband-error"))
		drain(t, stream)
		require.Error(t, stream.Err())
		_, err := client.Chat.Completions.New(ctx, userSays("hi"), option.WithHeader("X-Mock-Fault", "status:503"))
		requireAPIError(t, err, 503, "server_error")
	})
}

func TestDifyAgentAndWorkflowOpenAISDK(t *testing.T) {
	ctx := context.Background()
	t.Run("agent streams from a self-hosted Dify", func(t *testing.T) {
		e := gateway(t, "dify-agent", difyAgentCfg)
		client := openaiClient(e)
		stream := client.Chat.Completions.NewStreaming(ctx, userSays("Draw a cat"))
		acc, _ := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Equal(t, "Hello from the mock Dify agent app! You said: Draw a cat", acc.Choices[0].Message.Content)
		up := lastUpstream(t, e)
		require.Equal(t, "dify.internal:5001", up.Host)
		require.Equal(t, "Bearer app-agent-e2e", up.Header.Get("Authorization"))
		// Dify answers Agent apps in streaming mode only (the mock refuses blocking, as
		// Dify does): a non-streaming client gets the streamed answer as one completion.
		c, err := client.Chat.Completions.New(ctx, userSays("Draw a cat"))
		require.NoError(t, err)
		require.Equal(t, acc.Choices[0].Message.Content, c.Choices[0].Message.Content)
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		require.Positive(t, c.Usage.TotalTokens)
		require.Equal(t, "streaming", gjson.GetBytes(lastUpstream(t, e).Body, "response_mode").Str)
		_, err = client.Chat.Completions.New(ctx, userSays("mock-error-midstream"))
		requireAPIError(t, err, 400, "invalid_request_error")
	})
	t.Run("workflow", func(t *testing.T) {
		e := gateway(t, "dify-workflow", difyWorkflowCfg)
		client := openaiClient(e)
		c, err := client.Chat.Completions.New(ctx, userSays("Summarise the sky"))
		require.NoError(t, err)
		require.Equal(t, "Hello from the mock Dify workflow app! You said: Summarise the sky", c.Choices[0].Message.Content)
		require.True(t, strings.HasPrefix(c.ID, "run-"))
		require.Positive(t, c.Usage.TotalTokens)
		up := lastUpstream(t, e)
		require.Equal(t, "/v1/workflows/run", up.Path)
		require.Equal(t, "Summarise the sky", gjson.GetBytes(up.Body, "inputs.question").Str)

		stream := client.Chat.Completions.NewStreaming(ctx, userSays("Summarise the sky"), optionWords("5"))
		acc, _ := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Len(t, strings.Fields(acc.Choices[0].Message.Content), 5)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)

		stream = client.Chat.Completions.NewStreaming(ctx, userSays("mock-error-midstream"))
		drain(t, stream)
		require.Error(t, stream.Err(), "a failed workflow run is an error")
	})
}

func TestTritonOpenAISDK(t *testing.T) {
	e := gateway(t, "triton", tritonCfg)
	client := openaiClient(e)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Who are you?")}, Temperature: openai.Float(0.2)})
		require.NoError(t, err)
		require.Equal(t, "Hello from the mock gpt2! You said: Who are you?", c.Choices[0].Message.Content)
		require.Equal(t, "stop", c.Choices[0].FinishReason)
		up := lastUpstream(t, e)
		require.Equal(t, "triton.local:8000", up.Host)
		require.Equal(t, "/v2/models/gpt2/versions/1/generate", up.Path)
		require.Empty(t, up.Header.Get("Authorization"), "Triton takes no key; the client's never leaves")
		require.JSONEq(t, `{"text_input":"Who are you?","parameters":{"stream":false,"temperature":0.2}}`, string(up.Body))
	})

	t.Run("streaming", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, userSays("stream"), optionWords("6"))
		acc, n := drain(t, stream)
		require.NoError(t, stream.Err())
		require.Equal(t, 7, n)
		require.Len(t, strings.Fields(acc.Choices[0].Message.Content), 6)
		require.Equal(t, "stop", acc.Choices[0].FinishReason)
		require.Equal(t, "/v2/models/gpt2/versions/1/generate_stream", lastUpstream(t, e).Path)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "mock-error-400",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		requireAPIError(t, err, 400, "invalid_request_error")
		requireBrokenStreamFails(t, client)
	})
}

// TestCozeOriginal: Coze is served with protocol original, as in Higress: the client
// speaks Coze's own API through the gateway, with the configured token.
func TestCozeOriginal(t *testing.T) {
	e := gateway(t, "coze", cozeCfg)
	post := func(path, body string) (*http.Response, string) {
		req, err := http.NewRequest("POST", e.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	const chat = `{"bot_id":"7348293334","user_id":"u-1","stream":true,"auto_save_history":true,"additional_messages":[{"role":"user","content":"Hi Coze","content_type":"text"}]}`
	resp, body := post("/v3/chat", chat)
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/event-stream")
	require.Contains(t, body, "event:conversation.message.delta")
	require.True(t, strings.HasSuffix(body, "event:done\ndata:\"[DONE]\"\n\n"), body)
	up := lastUpstream(t, e)
	require.Equal(t, "api.coze.cn", up.Host)
	requireProviderAuth(t, up)
	require.Equal(t, chat, string(up.Body), "the body passes untouched")

	resp, body = post("/v3/chat", strings.Replace(chat, `"stream":true`, `"stream":false`, 1))
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "in_progress", gjson.Get(body, "data.status").Str)

	resp, body = post("/v3/chat", `{"user_id":"u-1"}`)
	require.Equal(t, 400, resp.StatusCode)
	require.Equal(t, int64(4000), gjson.Get(body, "code").Int(), "Coze's own error reaches its client")

	// With the OpenAI protocol an OpenAI client gets a clear 404: Coze has no OpenAI API.
	oc := openaiClient(gateway(t, "coze-openai", map[string]any{"provider": map[string]any{"type": "coze", "apiTokens": []any{upstreamToken}}}))
	_, err := oc.Chat.Completions.New(context.Background(), userSays("hi"))
	requireAPIError(t, err, 404, "invalid_request_error")
}
