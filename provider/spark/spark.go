// Package spark converts between the OpenAI chat completions protocol and iFLYTEK
// Spark's HTTP API (POST https://spark-api-open.xf-yun.com/v1/chat/completions,
// `Authorization: Bearer APIKey:APISecret`). Spark's API looks like OpenAI's but differs
// where a client notices:
//
//   - Answers carry `code` and `message`: a code other than 0 is an error even with HTTP
//     200. It becomes an OpenAI error with the status the code means (see statusOf); in
//     a stream, an error chunk and `data: [DONE]`.
//   - `sid` (the session id) is the completion id.
//   - Tool calls come as an object or a list, without an index in stream deltas and
//     sometimes without an id: they are written as OpenAI tool_calls with an index and
//     an id (`call_<n>` when Spark gives none). A function_call object is read too.
//   - finish_reason is not always sent: a finished answer gets "tool_calls" when it
//     called a tool, else "stop". Usage is Spark's prompt/completion/total tokens.
//   - Requests: content part lists are flattened to their text (Spark takes strings),
//     stream_options is dropped (Spark sends usage anyway), and the model "general" is
//     written "lite" (both name Spark Lite; the current API lists lite).
package spark

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Chat converts one chat completion exchange. Create one per request with NewChat.
type Chat struct {
	// Now returns the Unix time stamped on answers that carry none; tests fix it.
	Now   func() int64
	model string
	usage translator.Usage
	rd    sse.Reader
	st    stream
	shape translator.Shape // the last text event's, for the next ones
}

// stream is the state of a streamed answer.
type stream struct {
	id       string
	created  int64
	calls    int  // tool calls written so far
	role     bool // the role was sent
	finished bool // a finish_reason was sent
	usage    bool
	done     bool
}

// NewChat returns the converter for one request.
func NewChat() *Chat { return &Chat{Now: func() int64 { return time.Now().Unix() }} }

// RequestBody implements translator.Translator.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	if model, ok := plainRequest(translator.View(body)); ok {
		t.model = strings.Clone(model)
		return body, nil
	}
	return t.editRequest(body)
}

// editRequest is RequestBody for any body.
func (t *Chat) editRequest(body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("request body is not valid JSON")
	}
	t.model = strings.Clone(gjson.GetBytes(body, "model").String())
	var err error
	if t.model == "general" {
		t.model = "lite"
		if body, err = sjson.SetBytes(body, "model", t.model); err != nil {
			return nil, err
		}
	}
	if gjson.GetBytes(body, "stream_options").Exists() {
		body, _ = sjson.DeleteBytes(body, "stream_options")
	}
	msgs := gjson.GetBytes(body, "messages")
	if !msgs.IsArray() {
		return nil, errors.New("messages: must be a list")
	}
	for i, m := range msgs.Array() {
		c := m.Get("content")
		if !c.IsArray() {
			continue
		}
		var text []byte
		for _, p := range c.Array() {
			if err := translator.CheckPart("messages["+strconv.Itoa(i)+"].content", p.Raw); err != nil {
				return nil, err
			}
			if typ := p.Get("type").Str; typ != "text" {
				return nil, errors.New("messages[" + strconv.Itoa(i) + "].content: Spark takes text only, got a " + strconv.Quote(typ) + " part")
			}
			text = append(text, p.Get("text").String()...)
		}
		if body, err = sjson.SetBytes(body, "messages."+strconv.Itoa(i)+".content", string(text)); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// plainRequest reports whether body is a valid JSON request that Spark takes as it
// is (a string model other than "general", no stream_options, a list of messages
// whose contents are no part lists), and returns its model. It reads the body once,
// where the edits need several passes; other bodies take them.
func plainRequest(body string) (model string, ok bool) {
	sc := translator.NewScan(body)
	var hasModel, hasMessages bool
	for sc.Next() {
		switch sc.Key() {
		case "model":
			v := sc.Value()
			if hasModel || len(v) == 0 || v[0] != '"' {
				return "", false
			}
			model, hasModel = translator.Str(v), true
		case "stream_options":
			return "", false
		case "messages":
			if hasMessages || body[sc.Offset()] != '[' {
				return "", false
			}
			hasMessages = true
			list := sc.Enter()
			for list.Next() {
				m := list.Enter()
				for m.Next() {
					if v := m.Value(); m.Key() == "content" && len(v) > 0 && v[0] == '[' {
						return "", false
					}
				}
				list.Leave(&m)
			}
			sc.Leave(&list)
		}
	}
	return model, sc.Valid() && hasMessages && model != "general"
}

// statusOf is the HTTP status of a Spark error code (Spark HTTP API error codes).
func statusOf(code int64) (status int, typ, name string) {
	switch code {
	case 10163, 10907, 10160, 10161, 10162:
		return 400, "invalid_request_error", "invalid_request" // bad parameters, too many tokens
	case 10013, 10014, 10019:
		return 400, "invalid_request_error", "content_filter" // content moderation
	case 11200:
		return 403, "permission_error", "no_authorization" // no licence for the function, or quota
	case 11201, 11202, 11203, 10007:
		return 429, "rate_limit_error", "rate_limit_exceeded" // daily, per-second, concurrency limits
	case 401, 10110:
		return 401, "authentication_error", "invalid_api_key"
	}
	return 500, "server_error", "upstream_error"
}

// codeError is the OpenAI error for a Spark answer with a non-zero code.
func codeError(code int64, msg string) *translator.StatusError {
	status, typ, name := statusOf(code)
	if msg == "" {
		msg = "Spark error"
	}
	msg = "Spark error " + strconv.FormatInt(code, 10) + ": " + msg
	return &translator.StatusError{Status: status, Message: msg, Type: typ, Code: name}
}

// ResponseBody implements translator.Translator.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		e := translator.ReadUpstreamError(status, body)
		return translator.AppendOpenAIError(nil, e.Message, translator.ErrorType(status), e.Code), nil
	}
	if out, ok := t.plainAnswer(translator.View(body)); ok {
		return out, nil
	}
	return t.answer(body)
}

// answer is ResponseBody for any 2xx body.
func (t *Chat) answer(body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("upstream answer is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if code := root.Get("code").Int(); code != 0 {
		return nil, codeError(code, root.Get("message").String())
	}
	if e := root.Get("error"); e.IsObject() {
		return nil, &translator.StatusError{Status: 500, Message: e.Get("message").String(), Code: e.Get("code").String()}
	}
	t.readUsage(root.Get("usage"))
	out := make([]byte, 0, len(body)+128)
	id := root.Get("sid").String()
	if id == "" {
		id = root.Get("id").String()
	}
	out = t.head(out, id, "chat.completion", t.Now())
	out = append(out, `,"choices":[`...)
	n := 0
	root.Get("choices").ForEach(func(_, c gjson.Result) bool {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"index":`...)
		out = translator.AppendInt(out, c.Get("index").Int())
		m := c.Get("message")
		out = append(out, `,"message":{"role":"assistant","content":`...)
		out = translator.AppendString(out, m.Get("content").String())
		calls := 0
		out, calls = appendCalls(out, m, 0, false)
		out = append(out, `},"finish_reason":`...)
		out = translator.AppendString(out, finishReason(c.Get("finish_reason").String(), calls > 0))
		out = append(out, '}')
		n++
		return true
	})
	out = append(out, `],"usage":`...)
	out = translator.AppendOpenAIUsage(out, t.usage)
	return append(out, '}'), nil
}

// plainAnswer converts the common answer in one pass: code 0, no error, choices whose
// message is a text (no tool calls). It reports false for other bodies, which answer
// converts.
func (t *Chat) plainAnswer(body string) ([]byte, bool) {
	var choices, usage, sid, id string
	seen := 0 // keys read, as bits: a repeated one is left to answer (gjson reads the first)
	sc := translator.NewScan(body)
	for sc.Next() {
		bit := 0
		switch k := sc.Key(); k {
		case "code":
			if sc.Value() != "0" {
				return nil, false
			}
			bit = 1
		case "error":
			return nil, false
		case "usage":
			usage, bit = sc.Value(), 2
		case "sid":
			sid, bit = sc.Value(), 4
		case "id":
			id, bit = sc.Value(), 8
		case "choices":
			choices, bit = sc.Value(), 16
		}
		if seen&bit != 0 {
			return nil, false
		}
		seen |= bit
	}
	if !sc.Valid() || body[0] != '{' || !isStringOr(sid) || !isStringOr(id) || len(choices) == 0 || choices[0] != '[' {
		return nil, false
	}
	if usage != "" {
		t.readUsage(gjson.Parse(usage))
	}
	if translator.Str(sid) != "" {
		id = sid
	}
	out := make([]byte, 0, len(body)+128)
	out = t.head(out, translator.Str(id), "chat.completion", t.Now())
	out = append(out, `,"choices":[`...)
	list := translator.NewScan(choices)
	for n := 0; list.Next(); n++ {
		var index, content, finish string
		var hasMessage bool
		c := list.Enter()
		for c.Next() {
			switch c.Key() {
			case "index":
				if index != "" {
					return nil, false
				}
				index = c.Value()
			case "finish_reason":
				if finish != "" {
					return nil, false
				}
				finish = c.Value()
			case "message":
				if hasMessage {
					return nil, false
				}
				hasMessage = true
				m := c.Enter()
				for m.Next() {
					switch m.Key() {
					case "content":
						if content != "" {
							return nil, false
						}
						content = m.Value()
					case "tool_calls", "function_call":
						return nil, false
					}
				}
				c.Leave(&m)
			}
		}
		list.Leave(&c)
		idx, ok := translator.Int(index)
		if index == "" {
			idx, ok = 0, true
		}
		if !ok || !isStringOr(content) || !isStringOr(finish) {
			return nil, false
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"index":`...)
		out = translator.AppendInt(out, idx)
		out = append(out, `,"message":{"role":"assistant","content":`...)
		out = translator.AppendString(out, translator.Str(content))
		out = append(out, `},"finish_reason":`...)
		out = translator.AppendString(out, finishReason(translator.Str(finish), false))
		out = append(out, '}')
	}
	out = append(out, `],"usage":`...)
	out = translator.AppendOpenAIUsage(out, t.usage)
	return append(out, '}'), true
}

// isStringOr reports whether raw is a JSON string, null or absent: what gjson's
// String reads as a string ("" for the last two).
func isStringOr(raw string) bool { return raw == "" || raw == "null" || raw[0] == '"' }

// head appends {"id","object","created","model" of a completion or chunk.
func (t *Chat) head(dst []byte, id, object string, created int64) []byte {
	if id == "" {
		id = "chatcmpl-spark"
	}
	dst = append(dst, `{"id":`...)
	dst = translator.AppendString(dst, id)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	return translator.AppendString(dst, t.model)
}

// appendCalls appends `,"tool_calls":[...]` for the tool calls of a Spark message or
// delta m (tool_calls as a list or one object, or a function_call object), numbering
// them from first; withIndex writes each call's index (stream deltas). It returns how
// many it wrote.
func appendCalls(dst []byte, m gjson.Result, first int, withIndex bool) ([]byte, int) {
	var calls []gjson.Result
	switch tc := m.Get("tool_calls"); {
	case tc.IsArray():
		calls = tc.Array()
	case tc.IsObject():
		calls = []gjson.Result{tc}
	}
	if fc := m.Get("function_call"); len(calls) == 0 && fc.IsObject() {
		calls = []gjson.Result{gjson.Parse(`{"function":` + fc.Raw + `}`)}
	}
	n := 0
	for _, c := range calls {
		f := c.Get("function")
		if !f.IsObject() {
			continue
		}
		if n == 0 {
			dst = append(dst, `,"tool_calls":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if withIndex {
			dst = append(dst, `"index":`...)
			dst = translator.AppendInt(dst, int64(first+n))
			dst = append(dst, ',')
		}
		dst = append(dst, `"id":`...)
		if id := c.Get("id").String(); id != "" {
			dst = translator.AppendString(dst, id)
		} else {
			dst = append(dst, `"call_`...)
			dst = translator.AppendInt(dst, int64(first+n))
			dst = append(dst, '"')
		}
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = translator.AppendString(dst, f.Get("name").String())
		dst = append(dst, `,"arguments":`...)
		args := f.Get("arguments")
		if args.Type == gjson.String {
			dst = translator.AppendString(dst, args.Str)
		} else if args.Exists() {
			dst = translator.AppendString(dst, args.Raw) // an object: OpenAI wants it as a string
		} else {
			dst = append(dst, `"{}"`...)
		}
		dst = append(dst, "}}"...)
		n++
	}
	if n > 0 {
		dst = append(dst, ']')
	}
	return dst, n
}

func finishReason(r string, calls bool) string {
	switch r {
	case "stop", "length", "content_filter", "tool_calls":
		return r
	case "function_call":
		return "tool_calls"
	}
	if calls {
		return "tool_calls"
	}
	return "stop"
}

func (t *Chat) readUsage(u gjson.Result) bool {
	usage, ok := translator.ReadOpenAIUsage(u, t.model)
	if ok {
		t.usage = usage
	}
	return ok
}

// ResponseStream implements translator.Translator: Spark's SSE stream in, OpenAI chunks
// out, ending with a usage chunk and `data: [DONE]`. A non-zero code ends the stream
// with an error chunk; a stream that ends before Spark's [DONE] ends with the
// stream-cut error. An event the stream ends inside is discarded.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	st := &t.st
	if !st.done {
		t.rd.Feed(chunk)
		for !st.done {
			ev, ok := t.rd.Next()
			if !ok {
				break
			}
			dst = t.event(dst, ev.Data)
		}
	}
	if end && !st.done {
		dst = appendError(dst, translator.StreamCutMessage, "server_error", "stream_cut")
		st.done = true
	}
	return dst, nil
}

// appendError ends the client's stream with an error chunk and [DONE].
func appendError(dst []byte, msg, typ, code string) []byte {
	return append(translator.AppendOpenAIErrorEvent(dst, msg, typ, code), "data: [DONE]\n\n"...)
}

func (t *Chat) chunkHead(dst []byte) []byte {
	dst = append(dst, "data: "...)
	return t.head(dst, t.st.id, "chat.completion.chunk", t.st.created)
}

// event converts one SSE event's data.
func (t *Chat) event(dst, data []byte) []byte {
	st := &t.st
	s := strings.TrimSpace(translator.View(data))
	if s == "" {
		return dst
	}
	if s == "[DONE]" {
		if !st.finished {
			dst = t.chunkHead(dst)
			reason := "stop"
			if st.calls > 0 {
				reason = "tool_calls"
			}
			dst = append(dst, `,"choices":[{"index":0,"delta":{},"finish_reason":"`...)
			dst = append(dst, reason...)
			dst = append(dst, "\"}]}\n\n"...)
		}
		if st.usage {
			dst = t.chunkHead(dst)
			dst = append(dst, `,"choices":[],"usage":`...)
			dst = translator.AppendOpenAIUsage(dst, t.usage)
			dst = append(dst, "}\n\n"...)
		}
		st.done = true
		return append(dst, "data: [DONE]\n\n"...)
	}
	if text, usage, ok := t.shape.Match(s); ok {
		if usage != "" && t.readUsage(gjson.Parse(usage)) {
			st.usage = true
		}
		return t.shape.Append(dst, text)
	}
	t.shape.Reset()
	if !gjson.Valid(s) {
		st.done = true
		return appendError(dst, "upstream stream event is not valid JSON", "server_error", "bad_upstream_response")
	}
	root := gjson.Parse(s)
	if code := root.Get("code").Int(); code != 0 {
		st.done = true
		b := codeError(code, root.Get("message").String()).OpenAI()
		_, typ, name := statusOf(code)
		return appendError(dst, gjson.GetBytes(b, "error.message").Str, typ, name)
	}
	if e := root.Get("error"); e.IsObject() {
		st.done = true
		return appendError(dst, e.Get("message").String(), "server_error", "upstream_error")
	}
	if st.id == "" {
		if st.id = strings.Clone(root.Get("sid").String()); st.id == "" {
			st.id = strings.Clone(root.Get("id").String())
		}
		if st.created = root.Get("created").Int(); st.created == 0 {
			st.created = t.Now()
		}
	}
	usage := root.Get("usage")
	if t.readUsage(usage) {
		st.usage = true
	}
	// An event whose one chunk is one text after the role was sent converts the same
	// way whatever the text: its shape may serve the next events.
	start, choices, textAt, text, shaped := len(dst), 0, 0, "", st.role
	root.Get("choices").ForEach(func(_, c gjson.Result) bool {
		choices++
		d := c.Get("delta")
		raw := d.Get("content")
		content := raw.String()
		reason := c.Get("finish_reason").String()
		var calls []byte
		n := 0
		calls, n = appendCalls(nil, d, st.calls, true)
		if content == "" && n == 0 && reason == "" && st.role {
			return true
		}
		dst = t.chunkHead(dst)
		dst = append(dst, `,"choices":[{"index":`...)
		dst = translator.AppendInt(dst, c.Get("index").Int())
		dst = append(dst, `,"delta":{`...)
		sep := false
		if !st.role {
			dst = append(dst, `"role":"assistant"`...)
			st.role, sep = true, true
		}
		if content != "" || n == 0 {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"content":`...)
			textAt, text = len(dst), raw.Raw
			dst = translator.AppendString(dst, content)
			sep = true
		}
		if n > 0 {
			shaped = false
			if !sep {
				calls = calls[1:] // the leading comma
			}
			dst = append(dst, calls...)
			st.calls += n
		}
		dst = append(dst, `},"finish_reason":`...)
		if reason != "" {
			shaped = false
			dst = translator.AppendString(dst, finishReason(reason, st.calls > 0))
			st.finished = true
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, "}]}\n\n"...)
		return true
	})
	if shaped && choices == 1 && text != "" {
		t.shape.Set(s, text, usage.Raw, dst[start:], textAt-start)
	}
	return dst
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }
