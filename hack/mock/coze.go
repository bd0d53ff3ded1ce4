package mock

import "strings"

// Coze's chat API v3 (api.coze.cn), `Authorization: Bearer <personal access token>`:
// POST /v3/chat?conversation_id=... with {"bot_id", "user_id", "stream",
// "additional_messages": [{"role", "content", "content_type"}]}. Without stream it
// answers the chat object {"code": 0, "msg": "", "data": {"id", "conversation_id",
// "bot_id", "created_at", "status": "in_progress"}} (the client then polls); with stream
// the events are `event:conversation.chat.created`, `conversation.chat.in_progress`,
// `conversation.message.delta` (one per piece), `conversation.message.completed`,
// `conversation.chat.completed` (with usage) and `event:done` `data:"[DONE]"`. Errors
// are {"code", "msg", "detail": {"logid"}}: 4000 for a bad request (no bot_id, no
// user_id), 4100 for a bad token, 4013 for the rate limit, 5000 for server errors; a
// message mock-error-NNN asks for status NNN, mock-error-midstream for an `event:error`.
func (x *exchange) coze() {
	if x.r.URL.Path != "/v3/chat" {
		x.fail(404, "mock: only /v3/chat is served")
		return
	}
	bot, user := x.req.Get("bot_id").String(), x.req.Get("user_id").String()
	if bot == "" || user == "" {
		x.fail(400, "bot_id and user_id are required")
		return
	}
	var text string
	for _, m := range x.req.Get("additional_messages").Array() {
		if m.Get("role").String() == "user" {
			text = m.Get("content").String()
		}
	}
	if status, ok := errorModel(errorWord(text)); ok {
		x.fail(status, "mock error requested by the message")
		return
	}
	conv := x.r.URL.Query().Get("conversation_id")
	if conv == "" {
		conv = "73" + x.id[:10]
	}
	chatID, msgID := "74"+x.id[:10], "75"+x.id[:10]
	chat := func(status string, usage any) map[string]any {
		c := map[string]any{"id": chatID, "conversation_id": conv, "bot_id": bot, "created_at": Created,
			"last_error": map[string]any{"code": 0, "msg": ""}, "status": status}
		if usage != nil {
			c["usage"], c["completed_at"] = usage, Created+1
		}
		return c
	}
	if !x.req.Get("stream").Bool() {
		writeJSON(x.w, map[string]any{"code": 0, "msg": "", "data": chat("in_progress", nil)})
		return
	}
	pieces := splitWords("Hello from the mock Coze bot " + bot + "! You said: " + truncate(text, 120))
	s := x.startStream()
	send := func(event string, data any) error {
		return s.send([]byte("event:" + event + "\ndata:" + string(mustJSON(data)) + "\n\n"))
	}
	msg := func(content string) map[string]any {
		return map[string]any{"id": msgID, "conversation_id": conv, "bot_id": bot, "chat_id": chatID, "role": "assistant",
			"type": "answer", "content": content, "content_type": "text"}
	}
	if send("conversation.chat.created", chat("created", nil)) != nil || send("conversation.chat.in_progress", chat("in_progress", nil)) != nil {
		return
	}
	for _, p := range pieces {
		if send("conversation.message.delta", msg(p)) != nil {
			return
		}
	}
	if strings.Contains(text, "mock-error-midstream") {
		send("error", map[string]any{"code": 5000, "msg": "mock in-stream error"})
		return
	}
	in := 1 + len(text)/4
	if send("conversation.message.completed", msg(join(pieces))) != nil ||
		send("conversation.chat.completed", chat("completed", map[string]any{"token_count": in + len(pieces), "output_count": len(pieces), "input_count": in})) != nil {
		return
	}
	s.send([]byte("event:done\ndata:\"[DONE]\"\n\n"))
}

// cozeCode is Coze's error code for an HTTP status.
func cozeCode(status int) int {
	switch {
	case status == 401:
		return 4100
	case status == 429:
		return 4013
	case status >= 500:
		return 5000
	}
	return 4000
}
