package mock

import (
	"strings"
)

// iFLYTEK Spark's HTTP API (spark-api-open.xf-yun.com/v1/chat/completions, recognised by
// the host): OpenAI-like requests with `Authorization: Bearer APIKey:APISecret` (the
// mock wants the colon); answers carry code 0, message "Success" and sid; tool calls
// come as one object (not a list), without an id; streams are `data:` lines without a
// space, usage on the last event, then `data:[DONE]`. Errors (mock-error-NNN) are
// answered with HTTP 200 and Spark's code: 400 → 10163, 403 → 11200, 429 → 11202,
// 5xx → 10012; 401 is an HTTP 401 with an OpenAI-shaped body, as Spark sends.
func (x *exchange) spark() {
	if !strings.Contains(bearer(x.r), ":") {
		x.fail(401, "invalid user")
		return
	}
	cv := summarise(x.req.Get("messages"), "content")
	pieces := x.reply(cv)
	tool := x.openaiTool(cv)
	model := x.model()
	sid := "cha000mock@dx" + x.id
	completion := len(pieces)
	if tool != "" {
		completion = 9
	}
	usage := map[string]any{"prompt_tokens": cv.promptTokens, "completion_tokens": completion, "total_tokens": cv.promptTokens + completion}
	call := map[string]any{"type": "function", "function": map[string]any{"name": tool, "arguments": ToolArguments}}
	if !x.req.Get("stream").Bool() {
		msg := map[string]any{"role": "assistant", "content": join(pieces)}
		if tool != "" {
			msg["content"], msg["tool_calls"] = "", call
		}
		writeJSON(x.w, map[string]any{"code": 0, "message": "Success", "sid": sid,
			"choices": []any{map[string]any{"message": msg, "index": 0}}, "usage": usage})
		_ = model
		return
	}
	s := x.startStream()
	send := func(delta map[string]any, u any) error {
		ev := map[string]any{"code": 0, "message": "Success", "sid": sid, "id": sid, "created": Created,
			"choices": []any{map[string]any{"delta": delta, "index": 0}}}
		if u != nil {
			ev["usage"] = u
		}
		return s.send(append(append([]byte("data:"), mustJSON(ev)...), '\n', '\n'))
	}
	if tool != "" {
		if send(map[string]any{"role": "assistant", "content": "", "tool_calls": call}, nil) != nil {
			return
		}
	} else {
		for _, p := range pieces {
			if send(map[string]any{"role": "assistant", "content": p}, nil) != nil {
				return
			}
		}
	}
	if x.midstream() {
		s.send([]byte(`data:{"code":10013,"message":"output content audit failed","sid":"` + sid + `"}` + "\n\n"))
		return
	}
	if send(map[string]any{"role": "assistant", "content": ""}, usage) != nil {
		return
	}
	s.send([]byte("data:[DONE]\n\n"))
}

func sparkCode(status int) int {
	switch {
	case status == 401:
		return 0
	case status == 403:
		return 11200
	case status == 429:
		return 11202
	case status >= 500:
		return 10012
	}
	return 10163
}
