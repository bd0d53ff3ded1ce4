package mock

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// openaiResponses answers OpenAI's Responses API (any path ending in /responses) as
// OpenAI does: a Response object, or the event stream (response.created ...
// response.completed) with `event:` lines and sequence numbers. It is written
// independently of the plugin's converter, so passthrough tests check the real format.
// The reply echoes the last user text; with tools declared (and the last input item not
// a function_call_output) it is a function_call of the first tool.
func (x *exchange) openaiResponses() {
	cv := x.responsesConversation()
	tool := ""
	if !cv.lastIsTool && x.req.Get("tool_choice").String() != "none" {
		tool = x.req.Get("tools.0.name").String()
	}
	pieces := x.reply(cv)
	model := x.model()
	id := "resp_mock" + x.id
	msgID, fcID, callID := "msg_mock"+x.id, "fc_mock"+x.id, "call_mock"+x.id[:8]
	completion := len(pieces)
	if tool != "" {
		completion = 12
	}
	usage := map[string]any{
		"input_tokens": cv.promptTokens, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": completion, "output_tokens_details": map[string]any{"reasoning_tokens": 0},
		"total_tokens": cv.promptTokens + completion,
	}
	text := join(pieces)
	var item map[string]any
	if tool != "" {
		item = map[string]any{"id": fcID, "type": "function_call", "status": "completed", "call_id": callID, "name": tool, "arguments": ToolArguments}
	} else {
		item = map[string]any{"id": msgID, "type": "message", "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}}
	}
	resp := func(status string, output []any, u any) map[string]any {
		tools := x.req.Get("tools").Value()
		if tools == nil {
			tools = []any{}
		}
		return map[string]any{
			"id": id, "object": "response", "created_at": Created, "status": status, "error": nil,
			"incomplete_details": nil, "instructions": x.req.Get("instructions").Value(), "metadata": map[string]any{},
			"model": model, "output": output, "parallel_tool_calls": true, "temperature": 1.0, "top_p": 1.0,
			"tool_choice": "auto", "tools": tools, "text": map[string]any{"format": map[string]any{"type": "text"}},
			"usage": u,
		}
	}
	if !x.req.Get("stream").Bool() {
		writeJSON(x.w, resp("completed", []any{item}, usage))
		return
	}
	s := x.startStream()
	seq := 0
	// OpenAI writes "type" and "sequence_number" first: a reader of the stream's end
	// (the passthrough's last-event check) finds the event's name kilobytes before it.
	send := func(typ string, fields map[string]any) error {
		data := fmt.Appendf(nil, `{"type":%q,"sequence_number":%d`, typ, seq)
		if rest := mustJSON(fields); len(rest) > 2 {
			data = append(append(data, ','), rest[1:]...)
		} else {
			data = append(data, '}')
		}
		seq++
		b := append([]byte("event: "+typ+"\n"), sseData(data)...)
		return s.send(b)
	}
	if send("response.created", map[string]any{"response": resp("in_progress", []any{}, nil)}) != nil ||
		send("response.in_progress", map[string]any{"response": resp("in_progress", []any{}, nil)}) != nil {
		return
	}
	if tool != "" {
		added := map[string]any{"id": fcID, "type": "function_call", "status": "in_progress", "call_id": callID, "name": tool, "arguments": ""}
		if send("response.output_item.added", map[string]any{"output_index": 0, "item": added}) != nil {
			return
		}
		for _, f := range toolArgFragments {
			if send("response.function_call_arguments.delta", map[string]any{"item_id": fcID, "output_index": 0, "delta": f}) != nil {
				return
			}
		}
		if send("response.function_call_arguments.done", map[string]any{"item_id": fcID, "output_index": 0, "name": tool, "arguments": ToolArguments}) != nil {
			return
		}
	} else {
		added := map[string]any{"id": msgID, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}
		part := func(t string) map[string]any {
			return map[string]any{"type": "output_text", "text": t, "annotations": []any{}}
		}
		ref := func(m map[string]any) map[string]any {
			m["item_id"], m["output_index"], m["content_index"] = msgID, 0, 0
			return m
		}
		if send("response.output_item.added", map[string]any{"output_index": 0, "item": added}) != nil ||
			send("response.content_part.added", ref(map[string]any{"part": part("")})) != nil {
			return
		}
		for i, p := range pieces {
			if x.midstream() && i == 2 {
				send("error", map[string]any{"code": "server_error", "message": "mock upstream failure mid-stream", "param": nil})
				return
			}
			if send("response.output_text.delta", ref(map[string]any{"delta": p, "logprobs": []any{}})) != nil {
				return
			}
		}
		if send("response.output_text.done", ref(map[string]any{"text": text, "logprobs": []any{}})) != nil ||
			send("response.content_part.done", ref(map[string]any{"part": part(text)})) != nil {
			return
		}
	}
	if send("response.output_item.done", map[string]any{"output_index": 0, "item": item}) != nil {
		return
	}
	send("response.completed", map[string]any{"response": resp("completed", []any{item}, usage)})
}

// responsesConversation reads a Responses input (a string or items) like summarise.
func (x *exchange) responsesConversation() conversation {
	var cv conversation
	in := x.req.Get("input")
	total := len(x.req.Get("instructions").String())
	if in.Type == gjson.String {
		cv.lastUser = in.String()
		cv.promptTokens = 1 + (total+len(cv.lastUser))/4
		return cv
	}
	items := in.Array()
	for i, it := range items {
		last := i == len(items)-1
		switch it.Get("type").String() {
		case "function_call_output":
			out := it.Get("output")
			text := out.String()
			if out.IsArray() {
				var b strings.Builder
				for _, p := range out.Array() {
					b.WriteString(p.Get("text").String())
				}
				text = b.String()
			}
			total += len(text)
			if last {
				cv.lastIsTool, cv.toolResult = true, text
			}
		case "", "message":
			text := contentText(it.Get("content"))
			total += len(text)
			if it.Get("role").String() == "user" {
				cv.lastUser = text
			}
		}
	}
	cv.promptTokens = 1 + total/4
	return cv
}
