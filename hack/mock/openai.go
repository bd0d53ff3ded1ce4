package mock

import "encoding/base64"

// MockModels are the model ids the OpenAI /models endpoint lists.
var MockModels = []string{"gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "qwen-plus", "claude-sonnet-4-5"}

type oaUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type oaFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type oaToolCall struct {
	Index    *int       `json:"index,omitempty"`
	ID       string     `json:"id,omitempty"`
	Type     string     `json:"type,omitempty"`
	Function oaFunction `json:"function"`
}

type oaMessage struct {
	Role      string       `json:"role"`
	Content   *string      `json:"content"`
	Refusal   *string      `json:"refusal"`
	ToolCalls []oaToolCall `json:"tool_calls,omitempty"`
}

type oaChoice struct {
	Index        int       `json:"index"`
	Message      oaMessage `json:"message"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
}

type oaCompletion struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	Choices           []oaChoice `json:"choices"`
	Usage             oaUsage    `json:"usage"`
	SystemFingerprint string     `json:"system_fingerprint"`
}

type oaDelta struct {
	Role      string       `json:"role,omitempty"`
	Content   *string      `json:"content,omitempty"`
	ToolCalls []oaToolCall `json:"tool_calls,omitempty"`
}

type oaChunkChoice struct {
	Index        int       `json:"index"`
	Delta        oaDelta   `json:"delta"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason *string   `json:"finish_reason"`
}

type oaChunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []oaChunkChoice `json:"choices"`
	Usage             *oaUsage        `json:"usage,omitempty"`
}

// openaiTool is the name of the tool to call, or "" when the answer is text.
func (x *exchange) openaiTool(cv conversation) string {
	if cv.lastIsTool || x.req.Get("tool_choice").String() == "none" {
		return ""
	}
	t := x.req.Get("tools.0")
	if n := t.Get("function.name"); n.Exists() {
		return n.String()
	}
	return t.Get("name").String()
}

func (x *exchange) openaiChat() {
	cv := summarise(x.req.Get("messages"), "content")
	tool := x.openaiTool(cv)
	pieces := x.reply(cv)
	model := x.model()
	id := "chatcmpl-mock" + x.id
	callID := "call_mock" + x.id[:8]
	completion := len(pieces)
	if tool != "" {
		completion = 12
	}
	usage := oaUsage{cv.promptTokens, completion, cv.promptTokens + completion}

	if !x.req.Get("stream").Bool() {
		msg := oaMessage{Role: "assistant"}
		finish := "stop"
		if tool != "" {
			msg.ToolCalls = []oaToolCall{{ID: callID, Type: "function", Function: oaFunction{Name: tool, Arguments: ToolArguments}}}
			finish = "tool_calls"
		} else {
			text := join(pieces)
			msg.Content = &text
		}
		writeJSON(x.w, oaCompletion{
			ID: id, Object: "chat.completion", Created: Created, Model: model,
			Choices:           []oaChoice{{Message: msg, FinishReason: finish}},
			Usage:             usage,
			SystemFingerprint: "fp_mock",
		})
		return
	}

	s := x.startStream()
	send := func(d oaDelta, finish string) error {
		c := oaChunk{ID: id, Object: "chat.completion.chunk", Created: Created, Model: model,
			SystemFingerprint: "fp_mock", Choices: []oaChunkChoice{{Delta: d}}}
		if finish != "" {
			c.Choices[0].FinishReason = &finish
		}
		return s.send(sseData(mustJSON(c)))
	}
	empty := ""
	if tool != "" {
		zero := 0
		if send(oaDelta{Role: "assistant", ToolCalls: []oaToolCall{{Index: &zero, ID: callID, Type: "function",
			Function: oaFunction{Name: tool}}}}, "") != nil {
			return
		}
		for _, f := range toolArgFragments {
			if send(oaDelta{ToolCalls: []oaToolCall{{Index: &zero, Function: oaFunction{Arguments: f}}}}, "") != nil {
				return
			}
		}
	} else {
		if send(oaDelta{Role: "assistant", Content: &empty}, "") != nil {
			return
		}
		for i, p := range pieces {
			if x.midstream() && i == 2 {
				s.send(sseData(mustJSON(map[string]any{"error": map[string]any{
					"message": "mock upstream failure mid-stream", "type": "server_error", "param": nil, "code": nil,
				}})))
				return
			}
			if send(oaDelta{Content: &p}, "") != nil {
				return
			}
		}
	}
	finish := "stop"
	if tool != "" {
		finish = "tool_calls"
	}
	if send(oaDelta{}, finish) != nil {
		return
	}
	if x.req.Get("stream_options.include_usage").Bool() {
		c := oaChunk{ID: id, Object: "chat.completion.chunk", Created: Created, Model: model,
			SystemFingerprint: "fp_mock", Choices: []oaChunkChoice{}, Usage: &usage}
		if s.send(sseData(mustJSON(c))) != nil {
			return
		}
	}
	s.send([]byte("data: [DONE]\n\n"))
}

func sseData(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, "\n\n"...)
}

type oaEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// DefaultDimensions is the length of embedding vectors when the request names none.
const DefaultDimensions = 1536

func (x *exchange) openaiEmbeddings() {
	texts := inputTexts(x.req.Get("input"))
	dims := int(x.req.Get("dimensions").Int())
	if dims <= 0 {
		dims = DefaultDimensions
	}
	b64 := x.req.Get("encoding_format").String() == "base64"
	data := make([]oaEmbedding, len(texts))
	for i, t := range texts {
		v := vector(t, dims)
		var e any = v
		if b64 {
			e = base64.StdEncoding.EncodeToString(float32Bytes(v))
		}
		data[i] = oaEmbedding{Object: "embedding", Index: i, Embedding: e}
	}
	n := tokenCount(texts)
	writeJSON(x.w, map[string]any{
		"object": "list",
		"data":   data,
		"model":  x.model(),
		"usage":  map[string]int{"prompt_tokens": n, "total_tokens": n},
	})
}

func (x *exchange) openaiModels() {
	data := make([]map[string]any, len(MockModels))
	for i, m := range MockModels {
		data[i] = map[string]any{"id": m, "object": "model", "created": Created, "owned_by": "mock"}
	}
	writeJSON(x.w, map[string]any{"object": "list", "data": data})
}
