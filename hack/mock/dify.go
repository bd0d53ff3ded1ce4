package mock

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// The protocols of dify.go, triton.go and coze.go.
const (
	protoDify protocol = 200 + iota
	protoTriton
	protoCoze
)

// Dify's service API (api.dify.ai/v1 or a self-hosted Dify), `Authorization: Bearer
// <app key>`: POST /v1/chat-messages (Chat and Agent apps: "query", "inputs", "user",
// "response_mode", "conversation_id"), /v1/completion-messages (the text in
// inputs.query) and /v1/workflows/run (any inputs; the answer is outputs.answer). A
// missing field is a 400 invalid_param, as Dify checks. A key containing "agent" is an
// Agent app: it streams agent_thought and agent_message events, and refuses blocking
// mode as Dify does. Conversations: a request without conversation_id starts
// "conv-<id>"; one naming a conversation that does not start with "conv-" gets 404
// "Conversation Not Exists.". A text containing mock-error-NNN gets status NNN in Dify's
// error shape {"code", "message", "status"}; mock-error-midstream breaks the stream with
// an `error` event. Streams are `data:` events without event names (a `event: ping`
// after the first), usage in message_end (workflow_finished for workflows).
func (x *exchange) dify() {
	path := x.r.URL.Path
	mode := x.req.Get("response_mode").String()
	user := x.req.Get("user").String()
	inputs := x.req.Get("inputs")
	var text string
	switch {
	case mode != "streaming" && mode != "blocking":
		x.fail(400, "response_mode is required and must be streaming or blocking")
		return
	case user == "":
		x.fail(400, "user is required")
		return
	case inputs.Exists() && !inputs.IsObject():
		x.fail(400, "inputs must be an object")
		return
	case path == "/v1/chat-messages":
		if text = x.req.Get("query").String(); text == "" {
			x.fail(400, "query is required")
			return
		}
	case path == "/v1/completion-messages":
		if text = inputs.Get("query").String(); text == "" {
			x.fail(400, "query is required in input form")
			return
		}
	default: // workflows/run: the first string input
		inputs.ForEach(func(_, v gjson.Result) bool {
			if text == "" && v.Type == gjson.String {
				text = v.Str
			}
			return true
		})
		if text == "" {
			x.fail(400, "inputs must hold at least one variable")
			return
		}
	}
	if status, ok := errorModel(errorWord(text)); ok {
		x.fail(status, "mock error requested by the message")
		return
	}
	agent := strings.Contains(bearer(x.r), "agent") && path == "/v1/chat-messages"
	if agent && mode == "blocking" {
		x.fail(400, "Agent Chat App does not support blocking mode")
		return
	}
	conv := x.req.Get("conversation_id").String()
	if conv != "" && !strings.HasPrefix(conv, "conv-") {
		x.fail(404, "Conversation Not Exists.")
		return
	}
	if conv == "" {
		conv = "conv-" + x.id
	}
	app := map[string]string{"/v1/chat-messages": "chat", "/v1/completion-messages": "completion", "/v1/workflows/run": "workflow"}[path]
	if agent {
		app = "agent"
	}
	pieces := x.difyReply(app, text)
	answer := join(pieces)
	prompt := 1 + len(text)/4
	usage := map[string]any{"prompt_tokens": prompt, "prompt_unit_price": "0.001", "prompt_price_unit": "0.001",
		"prompt_price": "0.0000100", "completion_tokens": len(pieces), "completion_unit_price": "0.002",
		"completion_price_unit": "0.001", "completion_price": "0.0000200", "total_tokens": prompt + len(pieces),
		"total_price": "0.0000300", "currency": "USD", "latency": 0.5}
	msgID, task, run := "msg-"+x.id, "task-"+x.id, "run-"+x.id
	if mode == "blocking" {
		if app == "workflow" {
			writeJSON(x.w, map[string]any{"workflow_run_id": run, "task_id": task, "data": map[string]any{
				"id": run, "workflow_id": "wf-mock", "status": "succeeded", "outputs": map[string]any{"answer": answer},
				"error": nil, "elapsed_time": 0.5, "total_tokens": prompt + len(pieces), "total_steps": 3,
				"created_at": Created, "finished_at": Created + 1}})
			return
		}
		body := map[string]any{"event": "message", "task_id": task, "id": msgID, "message_id": msgID, "mode": app,
			"answer": answer, "metadata": map[string]any{"usage": usage, "retriever_resources": []any{}}, "created_at": Created}
		if app != "completion" {
			body["conversation_id"] = conv
		}
		writeJSON(x.w, body)
		return
	}
	s := x.startStream()
	send := func(ev map[string]any) error { return s.send(sseData(mustJSON(ev))) }
	if app == "workflow" {
		wf := func(event string, data map[string]any) error {
			return send(map[string]any{"event": event, "task_id": task, "workflow_run_id": run, "data": data})
		}
		if wf("workflow_started", map[string]any{"id": run, "workflow_id": "wf-mock", "created_at": Created}) != nil ||
			wf("node_started", map[string]any{"id": "node-1", "node_id": "llm", "node_type": "llm", "title": "LLM", "index": 1, "inputs": map[string]any{}, "created_at": Created}) != nil {
			return
		}
		for i, p := range pieces {
			if send(map[string]any{"event": "text_chunk", "task_id": task, "workflow_run_id": run,
				"data": map[string]any{"text": p, "from_variable_selector": []string{"llm", "text"}}}) != nil {
				return
			}
			if i == 0 && s.send([]byte("event: ping\n\n")) != nil {
				return
			}
		}
		if x.midstream() || strings.Contains(text, "mock-error-midstream") {
			wf("workflow_finished", map[string]any{"id": run, "workflow_id": "wf-mock", "status": "failed", "outputs": nil,
				"error": "mock node failure requested by the message", "total_tokens": 0, "created_at": Created})
			return
		}
		if wf("node_finished", map[string]any{"id": "node-1", "node_id": "llm", "node_type": "llm", "title": "LLM", "index": 1,
			"outputs": map[string]any{"text": answer}, "status": "succeeded", "elapsed_time": 0.4, "created_at": Created}) != nil {
			return
		}
		wf("workflow_finished", map[string]any{"id": run, "workflow_id": "wf-mock", "status": "succeeded",
			"outputs": map[string]any{"answer": answer}, "elapsed_time": 0.5, "total_tokens": prompt + len(pieces),
			"total_steps": 3, "created_at": Created, "finished_at": Created + 1})
		return
	}
	msg := func(event, p string) map[string]any {
		ev := map[string]any{"event": event, "task_id": task, "id": msgID, "message_id": msgID, "answer": p, "created_at": Created}
		if app != "completion" {
			ev["conversation_id"] = conv
		}
		return ev
	}
	if agent && send(map[string]any{"event": "agent_thought", "id": "thought-" + x.id, "task_id": task, "message_id": msgID,
		"position": 1, "thought": "", "observation": "", "tool": "", "tool_input": "", "created_at": Created,
		"message_files": []any{}, "conversation_id": conv}) != nil {
		return
	}
	event := "message"
	if agent {
		event = "agent_message"
	}
	for i, p := range pieces {
		if send(msg(event, p)) != nil {
			return
		}
		if i == 0 && s.send([]byte("event: ping\n\n")) != nil {
			return
		}
	}
	if strings.Contains(text, "mock-error-midstream") {
		send(map[string]any{"event": "error", "task_id": task, "message_id": msgID, "status": 400,
			"code": "provider_quota_exceeded", "message": "Your quota for Dify Hosted Model Provider has been exhausted."})
		return
	}
	end := map[string]any{"event": "message_end", "task_id": task, "id": msgID, "message_id": msgID,
		"metadata": map[string]any{"usage": usage, "retriever_resources": []any{}}}
	if app != "completion" {
		end["conversation_id"] = conv
	}
	send(end)
}

// difyReply is the answer text of a Dify app: it echoes the last line of the text it got.
func (x *exchange) difyReply(app, text string) []string {
	if x.words > 0 {
		return generatedWords(x.words)
	}
	text = strings.TrimRight(text, "\n")
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	}
	return splitWords("Hello from the mock Dify " + app + " app! You said: " + truncate(text, 120))
}

// errorWord is the mock-error-... word of a text, if it has one.
func errorWord(text string) string {
	i := strings.Index(text, "mock-error-")
	if i < 0 {
		return ""
	}
	w := text[i:]
	if j := strings.IndexAny(w, " \n\t\"'.,"); j >= 0 {
		w = w[:j]
	}
	return w
}

// difyErrorCode is the `code` Dify names for an error status.
func difyErrorCode(status int) string {
	switch {
	case status == 401:
		return "unauthorized"
	case status == 404:
		return "not_found"
	case status == 429:
		return "too_many_requests"
	case status >= 500:
		return "internal_server_error"
	}
	return "invalid_param"
}

// agentsError is the error body of the Dify, Triton and Coze endpoints, or nil for the
// others.
func (x *exchange) agentsError(status int, msg string) []byte {
	switch x.proto {
	case protoDify:
		if status == http.StatusUnauthorized {
			msg = "Access token is invalid"
		}
		return mustJSON(map[string]any{"code": difyErrorCode(status), "message": msg, "status": status})
	case protoTriton:
		return mustJSON(map[string]any{"error": msg})
	case protoCoze:
		return mustJSON(map[string]any{"code": cozeCode(status), "msg": msg,
			"detail": map[string]any{"logid": "mock" + x.id}})
	}
	return nil
}

// agentsInband is the in-stream error event of the Dify, Triton and Coze streams, or
// nil for the others.
func (x *exchange) agentsInband() []byte {
	switch x.proto {
	case protoDify:
		return sseData(mustJSON(map[string]any{"event": "error", "task_id": "task-" + x.id, "message_id": "msg-" + x.id,
			"status": 500, "code": "internal_server_error", "message": "mock in-band error requested by " + FaultHeader}))
	case protoTriton:
		return sseData(mustJSON(map[string]any{"error": "mock in-band error requested by " + FaultHeader}))
	case protoCoze:
		return []byte("event:error\ndata:" + string(mustJSON(map[string]any{"code": 5000, "msg": "mock in-band error requested by " + FaultHeader})) + "\n\n")
	}
	return nil
}
