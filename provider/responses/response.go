package responses

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var errAnswerNotJSON = errors.New("upstream answer is not valid JSON")

// chatUsage is an OpenAI usage object's counts.
type chatUsage struct {
	prompt, completion, cached, reasoning int64
	seen                                  bool
}

func (u *chatUsage) read(v string) {
	s := translator.NewScan(v)
	u.seen = true
	for s.Next() {
		n := s.Value()
		switch s.Key() {
		case "prompt_tokens":
			u.prompt = rawInt(n)
		case "completion_tokens":
			u.completion = rawInt(n)
		case "prompt_tokens_details":
			if c := field(n, "cached_tokens"); isNum(c) {
				u.cached = rawInt(c)
			}
		case "prompt_cache_hit_tokens": // DeepSeek's name
			if u.cached == 0 {
				u.cached = rawInt(n)
			}
		case "completion_tokens_details":
			u.reasoning = rawInt(field(n, "reasoning_tokens"))
		}
	}
}

func (u *chatUsage) translator(model string) translator.Usage {
	return translator.Usage{
		PromptTokens: u.prompt, CompletionTokens: u.completion, TotalTokens: u.prompt + u.completion,
		CachedTokens: u.cached, ReasoningTokens: u.reasoning, Model: model,
	}
}

// appendUsage appends a Responses usage object (input_tokens include cached ones, as
// chat's prompt_tokens do).
func appendUsage(dst []byte, u *chatUsage) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = translator.AppendInt(dst, u.prompt)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":`...)
	dst = translator.AppendInt(dst, u.cached)
	dst = append(dst, `},"output_tokens":`...)
	dst = translator.AppendInt(dst, u.completion)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = translator.AppendInt(dst, u.reasoning)
	dst = append(dst, `},"total_tokens":`...)
	dst = translator.AppendInt(dst, u.prompt+u.completion)
	return append(dst, '}')
}

// appendErrorBody converts an upstream error body of any shape into OpenAI error JSON.
func appendErrorBody(dst []byte, status int, body []byte) []byte {
	e := translator.ReadUpstreamError(status, body)
	code := e.Code
	if code == "" {
		code = "upstream_error"
	}
	return translator.AppendOpenAIError(dst, e.Message, translator.ErrorType(status), code)
}

// head is what a Response object starts with.
type head struct {
	id      string // body of the chat id, escapes kept
	model   string // the model, unescaped
	created int64
}

// status of a finished answer, from the chat finish_reason.
func finishStatus(finish string) (status, reason string) {
	switch finish {
	case "length":
		return "incomplete", "max_output_tokens"
	case "content_filter":
		return "incomplete", "content_filter"
	}
	return "completed", ""
}

// appendResponse appends a Response object; items is the output array's inside, usage
// nil for none, errMsg the message of a failed one.
func (t *ResponsesToChat) appendResponse(dst []byte, h *head, status, reason string, items []byte, u *chatUsage, errMsg string) []byte {
	dst = append(dst, `{"id":"resp_`...)
	if h.id != "" {
		dst = append(dst, h.id...)
	} else {
		dst = append(dst, "proxy"...)
	}
	dst = append(dst, `","object":"response","created_at":`...)
	dst = translator.AppendInt(dst, h.created)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","error":`...)
	if errMsg != "" {
		dst = append(dst, `{"code":"server_error","message":`...)
		dst = translator.AppendString(dst, errMsg)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"incomplete_details":`...)
	if reason != "" {
		dst = append(dst, `{"reason":"`...)
		dst = append(dst, reason...)
		dst = append(dst, `"}`...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"model":`...)
	dst = translator.AppendString(dst, h.model)
	dst = append(dst, `,"output":[`...)
	dst = append(dst, items...)
	dst = append(dst, ']')
	if len(t.echo) > 0 {
		dst = append(dst, t.echo...)
	} else {
		dst = appendEcho(dst, &reqFields{})
	}
	dst = append(dst, `,"usage":`...)
	if u != nil {
		dst = appendUsage(dst, u)
	} else {
		dst = append(dst, "null"...)
	}
	return append(dst, '}')
}

// item ids: prefix, the chat id, the output index.
func appendItemID(dst []byte, prefix string, h *head, index int64) []byte {
	dst = append(dst, '"')
	dst = append(dst, prefix...)
	if h.id != "" {
		dst = append(dst, h.id...)
	} else {
		dst = append(dst, "proxy"...)
	}
	dst = append(dst, '_')
	dst = translator.AppendInt(dst, index)
	return append(dst, '"')
}

func appendReasoningItem(dst, id []byte, text string) []byte {
	dst = append(dst, `{"id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"type":"reasoning","summary":[{"type":"summary_text","text":"`...)
	dst = append(dst, text...)
	return append(dst, `"}]}`...)
}

// appendMessageItem: text is the escaped body of the text; refusal says it is one.
func appendMessageItem(dst, id []byte, status, text string, refusal bool) []byte {
	dst = append(dst, `{"id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"type":"message","status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","role":"assistant","content":[`...)
	if refusal {
		dst = append(dst, `{"type":"refusal","refusal":"`...)
		dst = append(dst, text...)
		dst = append(dst, `"}`...)
	} else if status == "completed" {
		dst = appendTextPart(dst, text)
	}
	return append(dst, "]}"...)
}

func appendTextPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"output_text","text":"`...)
	dst = append(dst, text...)
	return append(dst, `","annotations":[],"logprobs":[]}`...)
}

// appendCallItem: args is the escaped body of the arguments string.
func appendCallItem(dst, id []byte, status, callID, name, args string) []byte {
	dst = append(dst, `{"id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"type":"function_call","status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","call_id":"`...)
	dst = append(dst, callID...)
	dst = append(dst, `","name":"`...)
	dst = append(dst, name...)
	dst = append(dst, `","arguments":"`...)
	dst = append(dst, args...)
	return append(dst, `"}`...)
}

// ResponseBody implements translator.Translator: a chat.completion (or error) in, a
// Response object (or OpenAI error) out.
func (t *ResponsesToChat) ResponseBody(status int, body []byte) ([]byte, error) {
	t.status = status
	if !is2xx(status) {
		return appendErrorBody(nil, status, body), nil
	}
	var id, model, created, choices, usage, errObj string
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "id":
			id = v
		case "model":
			model = v
		case "created":
			created = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			errObj = v
		}
	}
	if !sc.Valid() || !isObj(trimLeft(translator.View(body))) {
		return nil, errAnswerNotJSON
	}
	if !isNull(errObj) {
		return nil, errors.New("upstream answered 200 with an error: " + translator.ReadUpstreamError(500, body).Message)
	}
	var message, finish string
	if isArr(choices) {
		cs := translator.NewScan(choices)
		if cs.Next() {
			var v [2]string
			pick(cs.Value(), choiceKeys[:], v[:])
			message, finish = v[0], v[1]
		}
	}
	var v [len(messageKeys)]string // content, reasoning_content, reasoning, tool_calls, refusal
	pick(message, messageKeys[:], v[:])
	var u chatUsage
	if isObj(usage) {
		u.read(usage)
	}
	h := head{id: strBody(id), model: translator.Str(model), created: rawInt(created)}
	if !isNum(created) {
		h.created = t.Now()
	}
	if h.model == "" {
		h.model = t.model
	}
	t.usage = u.translator(strings.Clone(h.model))

	items := t.out[:0]
	var idBuf []byte
	n := int64(0)
	sep := func() {
		if n > 0 {
			items = append(items, ',')
		}
	}
	reasoning := v[1]
	if !isText(reasoning) {
		reasoning = v[2]
	}
	if isText(reasoning) {
		idBuf = appendItemID(idBuf[:0], "rs_", &h, n)
		items = appendReasoningItem(items, idBuf, strBody(reasoning))
		n++
	}
	switch {
	case isText(v[0]):
		sep()
		idBuf = appendItemID(idBuf[:0], "msg_", &h, n)
		items = appendMessageItem(items, idBuf, "completed", strBody(v[0]), false)
		n++
	case isText(v[4]):
		sep()
		idBuf = appendItemID(idBuf[:0], "msg_", &h, n)
		items = appendMessageItem(items, idBuf, "completed", strBody(v[4]), true)
		n++
	}
	if isArr(v[3]) {
		cs := translator.NewScan(v[3])
		for cs.Next() {
			var tc [2]string
			pick(cs.Value(), callKeys[:], tc[:])
			var fn [2]string
			pick(tc[1], fnKeys[:], fn[:])
			sep()
			idBuf = appendItemID(idBuf[:0], "fc_", &h, n)
			items = appendCallItem(items, idBuf, "completed", strBody(tc[0]), strBody(fn[0]), strBody(fn[1]))
			n++
		}
	}
	st, reason := finishStatus(translator.Str(finish))
	out := make([]byte, 0, len(items)+len(t.echo)+512)
	out = t.appendResponse(out, &h, st, reason, items, &u, "")
	t.out = items
	return out, nil
}

var (
	choiceKeys  = [...]string{"message", "finish_reason"}
	messageKeys = [...]string{"content", "reasoning_content", "reasoning", "tool_calls", "refusal"}
	callKeys    = [...]string{"id", "function"}
	fnKeys      = [...]string{"name", "arguments"}
)
