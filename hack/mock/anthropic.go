package mock

import "encoding/json"

// anthropicPreamble is the text block Claude-style answers put before a tool call.
const anthropicPreamble = "I'll look that up."

type anUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

type anMessage struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []map[string]any `json:"content"`
	StopReason   *string          `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        anUsage          `json:"usage"`
}

func (x *exchange) anthropicMessages() {
	cv := summarise(x.req.Get("messages"), "content", contentText(x.req.Get("system")))
	tool := ""
	if !cv.lastIsTool && x.req.Get("tool_choice.type").String() != "none" {
		tool = x.req.Get("tools.0.name").String()
	}
	pieces := x.reply(cv)
	if tool != "" {
		pieces = splitWords(anthropicPreamble)
	}
	id := "msg_mock" + x.id
	toolID := "toolu_mock" + x.id[:8]
	out := len(pieces)
	stop := "end_turn"
	if tool != "" {
		out += 12
		stop = "tool_use"
	}
	usage := anUsage{InputTokens: cv.promptTokens, OutputTokens: out}
	x.w.Header().Set("request-id", "req_mock_"+x.id)

	if !x.req.Get("stream").Bool() {
		content := []map[string]any{{"type": "text", "text": join(pieces)}}
		if tool != "" {
			content = append(content, map[string]any{"type": "tool_use", "id": toolID, "name": tool,
				"input": json.RawMessage(ToolArguments)})
		}
		writeJSON(x.w, anMessage{ID: id, Type: "message", Role: "assistant", Model: x.model(),
			Content: content, StopReason: &stop, Usage: usage})
		return
	}

	s := x.startStream()
	send := func(event string, v any) error {
		b := make([]byte, 0, 256)
		b = append(b, "event: "...)
		b = append(b, event...)
		b = append(b, "\ndata: "...)
		b = append(b, mustJSON(v)...)
		b = append(b, "\n\n"...)
		return s.send(b)
	}
	start := anMessage{ID: id, Type: "message", Role: "assistant", Model: x.model(),
		Content: []map[string]any{}, Usage: anUsage{InputTokens: cv.promptTokens, OutputTokens: 1}}
	if send("message_start", map[string]any{"type": "message_start", "message": start}) != nil {
		return
	}
	if send("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]any{"type": "text", "text": ""}}) != nil {
		return
	}
	if send("ping", map[string]any{"type": "ping"}) != nil {
		return
	}
	for i, p := range pieces {
		if x.midstream() && i == 2 {
			send("error", map[string]any{"type": "error", "error": map[string]any{
				"type": "overloaded_error", "message": "Overloaded"}})
			return
		}
		if send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": p}}) != nil {
			return
		}
	}
	if send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}) != nil {
		return
	}
	if tool != "" {
		if send("content_block_start", map[string]any{"type": "content_block_start", "index": 1,
			"content_block": map[string]any{"type": "tool_use", "id": toolID, "name": tool, "input": map[string]any{}}}) != nil {
			return
		}
		for _, f := range append([]string{""}, toolArgFragments...) {
			if send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 1,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": f}}) != nil {
				return
			}
		}
		if send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 1}) != nil {
			return
		}
	}
	if send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": out}}) != nil {
		return
	}
	send("message_stop", map[string]any{"type": "message_stop"})
}
