package hunyuan

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var errAnswerNotJSON = errors.New("upstream answer is not valid JSON")

// answer is a ChatCompletions answer (the object inside "Response", or a stream
// event, which is not wrapped), raw values.
type answer struct {
	choices, usage, id, requestID, created, err, errMsg string
}

func readAnswer(s string) (a answer, ok bool) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "Response":
			inner, ok := readAnswer(v)
			if !ok {
				return a, false
			}
			a = inner
		case "Choices":
			a.choices = v
		case "Usage":
			a.usage = v
		case "Id":
			a.id = v
		case "RequestId":
			a.requestID = v
		case "Created":
			a.created = v
		case "Error":
			a.err = v
		case "ErrorMsg":
			if v != "null" {
				a.errMsg = v
			}
		}
	}
	return a, sc.Valid()
}

// message is a Choice's Message or Delta, raw values.
type message struct {
	content, reasoning, calls string
}

type choice struct {
	index, finish string
	msg           message
}

func readChoice(s string) (c choice) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch sc.Key() {
		case "Index":
			c.index = sc.Value()
		case "FinishReason":
			c.finish = sc.Value()
		case "Message", "Delta":
			ms := sc.Enter()
			for ms.Next() {
				switch ms.Key() {
				case "Content":
					c.msg.content = ms.Value()
				case "ReasoningContent":
					c.msg.reasoning = ms.Value()
				case "ToolCalls":
					c.msg.calls = ms.Value()
				}
			}
			sc.Leave(&ms)
		}
	}
	return c
}

// toolCall is one Hunyuan ToolCall, raw values.
type toolCall struct{ id, index, name, args string }

func readToolCall(s string) (c toolCall) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch sc.Key() {
		case "Id":
			c.id = sc.Value()
		case "Index":
			c.index = sc.Value()
		case "Function":
			fs := sc.Enter()
			for fs.Next() {
				switch fs.Key() {
				case "Name":
					c.name = fs.Value()
				case "Arguments":
					c.args = fs.Value()
				}
			}
			sc.Leave(&fs)
		}
	}
	return c
}

// readUsage reads a Usage object in OpenAI's meaning (Hunyuan's is the same).
func readUsage(raw, model string) (u translator.Usage, ok bool) {
	var v [3]int64
	if found, flat := translator.FlatInts(raw, usageKeys[:], v[:]); flat {
		u.PromptTokens, u.CompletionTokens, u.TotalTokens, ok = v[0], v[1], v[2], found != 0
	} else {
		u, ok = scanUsage(raw)
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	u.Model = model
	return u, ok
}

var usageKeys = [...]string{"PromptTokens", "CompletionTokens", "TotalTokens"}

// scanUsage is readUsage for any Usage object.
func scanUsage(raw string) (u translator.Usage, ok bool) {
	sc := translator.NewScan(raw)
	for sc.Next() {
		n, isInt := translator.Int(sc.Value())
		if !isInt {
			continue
		}
		switch sc.Key() {
		case "PromptTokens":
			u.PromptTokens, ok = n, true
		case "CompletionTokens":
			u.CompletionTokens, ok = n, true
		case "TotalTokens":
			u.TotalTokens, ok = n, true
		}
	}
	return u, ok
}

// isString reports whether raw is a JSON string literal.
func isString(raw string) bool { return len(raw) >= 2 && raw[0] == '"' }

// appendStringOr appends raw when it is a JSON string, else fallback.
func appendStringOr(dst []byte, raw, fallback string) []byte {
	if isString(raw) {
		return append(dst, raw...)
	}
	return append(dst, fallback...)
}

// appendHead appends the id, object, created and model members.
func appendHead(dst []byte, id, object string, created int64, model string) []byte {
	dst = append(dst, `{"id":`...)
	dst = translator.AppendString(dst, id)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	return translator.AppendString(dst, model)
}

// answerID is the completion id: Hunyuan's Id, else the RequestId.
func answerID(a answer) string {
	if id := translator.Str(a.id); id != "" {
		return id
	}
	if id := translator.Str(a.requestID); id != "" {
		return id
	}
	return "chatcmpl-hunyuan"
}

func (t *Chat) createdOf(raw string) int64 {
	if n, ok := translator.Int(raw); ok && n > 0 {
		return n
	}
	return t.now()
}

// ResponseBody implements translator.Translator: a ChatCompletions answer in, an
// OpenAI chat completion out. A Response.Error (Tencent answers it with HTTP 200) is
// returned as a *translator.StatusError with the status its code means.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	s := translator.View(body)
	a, ok := readAnswer(s)
	if status < 200 || status > 299 {
		if e, found := readError(a.err); ok && found {
			return translator.AppendOpenAIError(nil, e.message, translator.ErrorType(status), e.code), nil
		}
		e := translator.ReadUpstreamError(status, body)
		return translator.AppendOpenAIError(nil, e.Message, translator.ErrorType(status), e.Code), nil
	}
	if !ok || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil, errAnswerNotJSON
	}
	if e, found := readError(a.err); found {
		return nil, &translator.StatusError{Status: ErrorStatus(e.code), Message: e.message, Code: e.code}
	}
	if a.choices == "" {
		return nil, errors.New("upstream answer has no Response.Choices")
	}
	t.usage, _ = readUsage(a.usage, t.model)

	dst := appendHead(make([]byte, 0, len(body)+256), answerID(a), "chat.completion", t.createdOf(a.created), t.model)
	dst = append(dst, `,"choices":[`...)
	n := 0
	sc := translator.NewScan(a.choices)
	for sc.Next() {
		c := readChoice(sc.Value())
		if n > 0 {
			dst = append(dst, ',')
		}
		idx, ok := translator.Int(c.index)
		if !ok {
			idx = int64(n)
		}
		n++
		dst = append(dst, `{"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, `,"message":{"role":"assistant","content":`...)
		calls := 0
		if isString(c.msg.content) && (c.msg.content != `""` || c.msg.calls == "") {
			dst = append(dst, c.msg.content...)
		} else {
			dst = append(dst, "null"...)
		}
		if isString(c.msg.reasoning) && c.msg.reasoning != `""` {
			dst = append(dst, `,"reasoning_content":`...)
			dst = append(dst, c.msg.reasoning...)
		}
		cs := translator.NewScan(c.msg.calls)
		for cs.Next() {
			tc := readToolCall(cs.Value())
			if calls == 0 {
				dst = append(dst, `,"tool_calls":[`...)
			} else {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			if isString(tc.id) && tc.id != `""` {
				dst = append(dst, tc.id...)
			} else {
				dst = append(dst, `"call_`...)
				dst = translator.AppendInt(dst, int64(calls))
				dst = append(dst, '"')
			}
			calls++
			dst = append(dst, `,"type":"function","function":{"name":`...)
			dst = appendStringOr(dst, tc.name, `""`)
			dst = append(dst, `,"arguments":`...)
			dst = appendStringOr(dst, tc.args, `"{}"`)
			dst = append(dst, "}}"...)
		}
		if calls > 0 {
			dst = append(dst, ']')
		}
		dst = append(dst, `},"finish_reason":"`...)
		f := finishReason(translator.Str(c.finish))
		if calls > 0 && f == "stop" {
			f = "tool_calls"
		}
		dst = append(dst, f...)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"usage":`...)
	dst = translator.AppendOpenAIUsage(dst, t.usage)
	return append(dst, '}'), nil
}

// streamState is what a stream conversion remembers between events.
type streamState struct {
	begun    bool
	id       string
	created  int64
	roleSent bool
	finished bool     // a choice carried its FinishReason
	done     bool     // the client's stream is terminated
	calls    []string // the ids of the tool calls so far, by OpenAI index
}

// ResponseStream implements translator.Translator: Hunyuan's SSE stream (each `data:`
// a ChatCompletions chunk with Choices[].Delta) in, OpenAI chunks out, ending with a
// usage chunk and `data: [DONE]`. A stream that ends before a FinishReason ends with
// an error chunk instead; an event the stream ends inside is discarded.
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
		if st.finished {
			dst = append(dst, "data: "...)
			dst = appendHead(dst, st.id, "chat.completion.chunk", t.streamCreated(""), t.model)
			dst = append(dst, `,"choices":[],"usage":`...)
			dst = translator.AppendOpenAIUsage(dst, t.usage)
			dst = append(dst, "}\n\n"...)
		} else {
			dst = translator.AppendOpenAIErrorEvent(dst, translator.StreamCutMessage, "server_error", "stream_cut")
		}
		dst = append(dst, "data: [DONE]\n\n"...)
		st.done = true
	}
	return dst, nil
}

func (t *Chat) streamCreated(raw string) int64 {
	if !t.st.begun {
		t.st.begun, t.st.created = true, t.createdOf(raw)
	}
	return t.st.created
}

// fail ends the client's stream with an error chunk.
func (t *Chat) fail(dst []byte, msg, typ, code string) []byte {
	t.st.done = true
	dst = translator.AppendOpenAIErrorEvent(dst, msg, typ, code)
	return append(dst, "data: [DONE]\n\n"...)
}

// event converts one SSE event's data.
func (t *Chat) event(dst, data []byte) []byte {
	st := &t.st
	s := strings.TrimSpace(translator.View(data))
	if s == "" || s == "[DONE]" {
		return dst
	}
	if text, usage, ok := t.shape.Match(s); ok {
		if usage != "" {
			if u, ok := readUsage(usage, t.model); ok {
				t.usage = u
			}
		}
		return t.shape.Append(dst, text)
	}
	t.shape.Reset()
	a, ok := readAnswer(s)
	if !ok || s[0] != '{' {
		return t.fail(dst, "upstream stream event is not valid JSON", "server_error", "bad_upstream_response")
	}
	if e, found := readError(a.err); found {
		return t.fail(dst, e.message, translator.ErrorType(ErrorStatus(e.code)), e.code)
	}
	if a.errMsg != "" {
		msg, code, status := "Hunyuan stream error", "", 500
		sc := translator.NewScan(a.errMsg)
		for sc.Next() {
			switch sc.Key() {
			case "Msg":
				if m := translator.Str(sc.Value()); m != "" {
					msg = m
				}
			case "Code":
				code = strings.Trim(sc.Value(), `"`)
			}
		}
		if code == "4001" { // request to the model timed out
			status = 504
		}
		return t.fail(dst, msg, translator.ErrorType(status), code)
	}
	created := t.streamCreated(a.created)
	if st.id == "" {
		st.id = strings.Clone(answerID(a))
	}
	if a.usage != "" {
		if u, ok := readUsage(a.usage, t.model); ok {
			t.usage = u
		}
	}
	// An event whose one chunk is one text after the role was sent converts the same
	// way whatever the text: its shape may serve the next events.
	start, chunks, textAt, text, shaped := len(dst), 0, 0, "", st.roleSent
	sc := translator.NewScan(a.choices)
	n := 0
	for sc.Next() {
		c := readChoice(sc.Value())
		idx, ok := translator.Int(c.index)
		if !ok {
			idx = int64(n)
		}
		n++
		if isString(c.msg.reasoning) && c.msg.reasoning != `""` {
			dst = t.chunkStart(dst, created, idx, true)
			dst = append(dst, `"reasoning_content":`...)
			textAt, text, chunks = len(dst), c.msg.reasoning, chunks+1
			dst = append(dst, c.msg.reasoning...)
			dst = append(dst, `},"finish_reason":null}]}`+"\n\n"...)
		}
		if isString(c.msg.content) && c.msg.content != `""` {
			dst = t.chunkStart(dst, created, idx, true)
			dst = append(dst, `"content":`...)
			textAt, text, chunks = len(dst), c.msg.content, chunks+1
			dst = append(dst, c.msg.content...)
			dst = append(dst, `},"finish_reason":null}]}`+"\n\n"...)
		}
		cs := translator.NewScan(c.msg.calls)
		for cs.Next() {
			shaped = false
			dst = t.toolDelta(dst, created, idx, readToolCall(cs.Value()))
		}
		if f := translator.Str(c.finish); f != "" {
			shaped = false
			fr := finishReason(f)
			if fr == "stop" && len(st.calls) > 0 {
				fr = "tool_calls"
			}
			dst = t.chunkStart(dst, created, idx, false)
			dst = append(dst, `},"finish_reason":"`...)
			dst = append(dst, fr...)
			dst = append(dst, `"}]}`+"\n\n"...)
			st.finished = true
		}
	}
	if shaped && chunks == 1 && n == 1 {
		t.shape.Set(s, text, a.usage, dst[start:], textAt-start)
	}
	return dst
}

// toolDelta writes one tool call delta. Hunyuan repeats a call's Id in each of its
// deltas (merge by Id); a new Id opens the next OpenAI tool call index, an empty one
// continues the last call.
func (t *Chat) toolDelta(dst []byte, created, idx int64, tc toolCall) []byte {
	st := &t.st
	id := translator.Str(tc.id)
	k := -1
	for i, c := range st.calls {
		if c == id && id != "" {
			k = i
		}
	}
	if k < 0 && id == "" && len(st.calls) > 0 {
		k = len(st.calls) - 1
	}
	dst = t.chunkStart(dst, created, idx, true)
	dst = append(dst, `"tool_calls":[{"index":`...)
	if k >= 0 {
		dst = translator.AppendInt(dst, int64(k))
		dst = append(dst, `,"function":{"arguments":`...)
		dst = appendStringOr(dst, tc.args, `""`)
	} else {
		k = len(st.calls)
		if id == "" {
			id = "call_" + itoa(k)
		}
		st.calls = append(st.calls, strings.Clone(id))
		dst = translator.AppendInt(dst, int64(k))
		dst = append(dst, `,"id":`...)
		dst = translator.AppendString(dst, id)
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = appendStringOr(dst, tc.name, `""`)
		dst = append(dst, `,"arguments":`...)
		dst = appendStringOr(dst, tc.args, `""`)
	}
	return append(dst, `}}]},"finish_reason":null}]}`+"\n\n"...)
}

// chunkStart opens a chunk for choice idx up to the inside of its delta object,
// with the role on the first chunk.
func (t *Chat) chunkStart(dst []byte, created, idx int64, more bool) []byte {
	dst = append(dst, "data: "...)
	dst = appendHead(dst, t.st.id, "chat.completion.chunk", created, t.model)
	dst = append(dst, `,"choices":[{"index":`...)
	dst = translator.AppendInt(dst, idx)
	dst = append(dst, `,"delta":{`...)
	if !t.st.roleSent {
		t.st.roleSent = true
		dst = append(dst, `"role":"assistant"`...)
		if more {
			dst = append(dst, ',')
		}
	}
	return dst
}
