package mock

import (
	"net/http"
)

// MiniMax's chat APIs: /v1/text/chatcompletion_v2 (OpenAI-like, with base_resp) and
// /v1/text/chatcompletion_pro?GroupId=... (bot_setting, messages with sender_type USER /
// BOT / FUNCTION and sender_name, reply_constraints naming one of the bots, functions and
// function_call). Pro checks what MiniMax checks: a GroupId, a bot_setting, a
// reply_constraints.sender_name that is one of the bots, known sender types; a request
// with functions whose last message is no FUNCTION result is answered with a
// function_call of the first function (ToolArguments). A Pro stream sends the new text
// in each event and the whole reply again in the last (finish_reason, usage,
// base_resp); v2 streams OpenAI chunks, the last with usage and base_resp, no [DONE].
// Errors (mock-error-NNN, bad Pro requests) are HTTP 200 with base_resp.status_code:
// 401 → 1004, 429 → 1002, 402 → 1008 (balance), 400 → 2013, 5xx → 1000.
func (x *exchange) minimax() {
	if x.r.URL.Path == "/v1/text/chatcompletion_pro" {
		x.minimaxPro()
		return
	}
	cv := summarise(x.req.Get("messages"), "content")
	pieces := x.reply(cv)
	model := x.model()
	id := "mm" + x.id
	usage := map[string]any{"total_tokens": cv.promptTokens + len(pieces), "prompt_tokens": cv.promptTokens, "completion_tokens": len(pieces)}
	ok := map[string]any{"status_code": 0, "status_msg": ""}
	if !x.req.Get("stream").Bool() {
		writeJSON(x.w, map[string]any{"id": id, "object": "chat.completion", "created": Created, "model": model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": join(pieces)}}},
			"usage":   usage, "input_sensitive": false, "output_sensitive": false, "base_resp": ok})
		return
	}
	s := x.startStream()
	for _, p := range pieces {
		if s.send(sseData(mustJSON(map[string]any{"id": id, "object": "chat.completion.chunk", "created": Created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": p}}}}))) != nil {
			return
		}
	}
	if x.midstream() {
		s.send(sseData(mustJSON(map[string]any{"id": id, "choices": nil, "base_resp": map[string]any{"status_code": 1000, "status_msg": "unknown error"}})))
		return
	}
	s.send(sseData(mustJSON(map[string]any{"id": id, "object": "chat.completion.chunk", "created": Created, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "delta": map[string]any{},
			"message": map[string]any{"role": "assistant", "content": join(pieces)}}},
		"usage": usage, "base_resp": ok})))
}

func (x *exchange) minimaxPro() {
	bots := map[string]bool{}
	for _, b := range x.req.Get("bot_setting").Array() {
		bots[b.Get("bot_name").String()] = true
	}
	switch {
	case x.r.URL.Query().Get("GroupId") == "":
		x.fail(http.StatusBadRequest, "invalid params, GroupId is required")
		return
	case len(bots) == 0:
		x.fail(http.StatusBadRequest, "invalid params, bot_setting is required")
		return
	case !bots[x.req.Get("reply_constraints.sender_name").String()] || x.req.Get("reply_constraints.sender_type").String() != "BOT":
		x.fail(http.StatusBadRequest, "invalid params, reply_constraints.sender_name must name a bot")
		return
	}
	msgs := x.req.Get("messages").Array()
	var lastUser, toolResult string
	lastIsFunc := false
	for i, m := range msgs {
		switch st := m.Get("sender_type").String(); st {
		case "USER":
			lastUser = m.Get("text").String()
		case "BOT":
		case "FUNCTION":
			if i == len(msgs)-1 {
				lastIsFunc, toolResult = true, m.Get("text").String()
			}
		default:
			x.fail(http.StatusBadRequest, "invalid params, sender_type "+st)
			return
		}
	}
	cv := conversation{lastUser: lastUser, lastIsTool: lastIsFunc, toolResult: toolResult, promptTokens: 1 + len(x.body)/8}
	pieces := x.reply(cv)
	bot := x.req.Get("reply_constraints.sender_name").String()
	fn := ""
	if !lastIsFunc && x.req.Get("function_call.type").String() != "none" {
		fn = x.req.Get("functions.0.name").String()
	}
	model := x.model()
	id := "mmpro" + x.id
	total := cv.promptTokens + len(pieces)
	final := func() map[string]any {
		msg := map[string]any{"sender_type": "BOT", "sender_name": bot, "text": join(pieces)}
		r := map[string]any{"created": Created, "model": model, "reply": join(pieces), "id": id,
			"usage": map[string]any{"total_tokens": total}, "input_sensitive": false, "output_sensitive": false,
			"base_resp": map[string]any{"status_code": 0, "status_msg": ""}}
		if fn != "" {
			call := map[string]any{"name": fn, "arguments": ToolArguments}
			msg["text"], msg["function_call"], r["reply"], r["function_call"] = "", call, "", call
		}
		r["choices"] = []any{map[string]any{"finish_reason": "stop", "messages": []any{msg}}}
		return r
	}
	if !x.req.Get("stream").Bool() {
		writeJSON(x.w, final())
		return
	}
	s := x.startStream()
	if fn == "" {
		for _, p := range pieces {
			if s.send(sseData(mustJSON(map[string]any{"created": Created, "model": model, "reply": "",
				"choices": []any{map[string]any{"messages": []any{map[string]any{"sender_type": "BOT", "sender_name": bot, "text": p}}}}}))) != nil {
				return
			}
		}
	}
	if x.midstream() {
		s.send(sseData(mustJSON(map[string]any{"base_resp": map[string]any{"status_code": 1000, "status_msg": "unknown error"}})))
		return
	}
	s.send(sseData(mustJSON(final())))
}

func minimaxCode(status int) int {
	switch {
	case status == 401:
		return 1004
	case status == 429:
		return 1002
	case status == 402:
		return 1008
	case status >= 500:
		return 1000
	}
	return 2013
}
