package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	anthropicsdk "github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
)

// The converted answers are read back with the official SDKs, over HTTP as a client
// would, so "the SDK accepts it" is tested, not assumed.

func serve(t *testing.T, status int, contentType string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func openAIClient(t *testing.T, status int, contentType string, body []byte) openai.Client {
	return openai.NewClient(openaiopt.WithBaseURL(serve(t, status, contentType, body)),
		openaiopt.WithAPIKey("test"), openaiopt.WithMaxRetries(0))
}

func anthropicClient(t *testing.T, status int, contentType string, body []byte) anthropicsdk.Client {
	return anthropicsdk.NewClient(anthropicopt.WithBaseURL(serve(t, status, contentType, body)),
		anthropicopt.WithAPIKey("test"), anthropicopt.WithMaxRetries(0))
}

var openAIParams = openai.ChatCompletionNewParams{
	Model:    "m",
	Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
}

var anthropicParams = anthropicsdk.MessageNewParams{
	Model:     "m",
	MaxTokens: 16,
	Messages:  []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("hi"))},
}

func checkOpenAIAnswer(t *testing.T, body []byte) {
	t.Helper()
	c := openAIClient(t, 200, "application/json", body)
	cc, err := c.Chat.Completions.New(context.Background(), openAIParams)
	if err != nil {
		t.Fatalf("openai SDK rejects the answer: %v\n%s", err, body)
	}
	checkOpenAICompletion(t, cc, body)
}

func checkOpenAICompletion(t *testing.T, cc *openai.ChatCompletion, raw []byte) {
	t.Helper()
	if len(cc.Choices) != 1 || cc.Choices[0].FinishReason == "" {
		t.Fatalf("want one choice with a finish_reason, got %+v\n%s", cc.Choices, raw)
	}
	for _, tc := range cc.Choices[0].Message.ToolCalls {
		var v map[string]any
		if tc.ID == "" || tc.Function.Name == "" || json.Unmarshal([]byte(tc.Function.Arguments), &v) != nil {
			t.Errorf("tool call %+v: want id, name and a JSON object as arguments", tc)
		}
	}
	if u := cc.Usage; u.TotalTokens != u.PromptTokens+u.CompletionTokens || u.TotalTokens == 0 {
		t.Errorf("usage %+v is not consistent", u)
	}
}

func checkOpenAIStream(t *testing.T, stream []byte, wantErr bool) {
	t.Helper()
	c := openAIClient(t, 200, "text/event-stream", stream)
	s := c.Chat.Completions.NewStreaming(context.Background(), openAIParams)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); (err != nil) != wantErr {
		t.Fatalf("openai SDK stream error = %v, want error: %v\n%s", err, wantErr, stream)
	}
	if !wantErr {
		checkOpenAICompletion(t, &acc.ChatCompletion, stream)
	}
}

func checkAnthropicAnswer(t *testing.T, body []byte) {
	t.Helper()
	c := anthropicClient(t, 200, "application/json", body)
	msg, err := c.Messages.New(context.Background(), anthropicParams)
	if err != nil {
		t.Fatalf("anthropic SDK rejects the answer: %v\n%s", err, body)
	}
	checkAnthropicMessage(t, msg, body)
}

func checkAnthropicMessage(t *testing.T, msg *anthropicsdk.Message, raw []byte) {
	t.Helper()
	if msg.StopReason == "" || msg.ID == "" || msg.Role != "assistant" {
		t.Fatalf("want id, role and stop_reason, got %+v\n%s", msg, raw)
	}
	for _, b := range msg.Content {
		switch b.Type {
		case "tool_use":
			var v map[string]any
			if b.ID == "" || b.Name == "" || json.Unmarshal(b.Input, &v) != nil {
				t.Errorf("tool_use %s: want id, name and an object input, got input %s", b.RawJSON(), b.Input)
			}
		case "text", "thinking":
		default:
			t.Errorf("unexpected block %s", b.RawJSON())
		}
	}
}

func checkAnthropicStream(t *testing.T, stream []byte, wantErr bool) {
	t.Helper()
	c := anthropicClient(t, 200, "text/event-stream", stream)
	s := c.Messages.NewStreaming(context.Background(), anthropicParams)
	var msg anthropicsdk.Message
	for s.Next() {
		if err := msg.Accumulate(s.Current()); err != nil {
			t.Fatalf("anthropic SDK cannot accumulate the stream: %v\n%s", err, stream)
		}
	}
	if err := s.Err(); (err != nil) != wantErr {
		t.Fatalf("anthropic SDK stream error = %v, want error: %v\n%s", err, wantErr, stream)
	}
	if !wantErr {
		checkAnthropicMessage(t, &msg, stream)
	}
}
