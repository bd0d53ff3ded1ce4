package bedrock

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

var errAnswerNotJSON = errors.New("upstream answer is not a JSON object")

// finishReason maps a Converse stopReason to OpenAI's finish_reason.
func finishReason(r string) string {
	switch r {
	case "end_turn", "stop_sequence", "":
		return "stop"
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "content_filtered", "guardrail_intervened":
		return "content_filter"
	}
	return "stop"
}

// readUsage reads a Converse usage object into OpenAI's meaning.
func (t *Chat) readUsage(raw string) {
	if raw == "" {
		return
	}
	var in, out, read, write int64
	gjson.Parse(raw).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "inputTokens":
			in = v.Int()
		case "outputTokens":
			out = v.Int()
		case "cacheReadInputTokens":
			read = v.Int()
		case "cacheWriteInputTokens":
			write = v.Int()
		}
		return true
	})
	prompt := in + read + write
	t.usage = translator.Usage{
		PromptTokens: prompt, CompletionTokens: out, TotalTokens: prompt + out,
		CachedTokens: read, CacheCreationTokens: write, Model: t.model,
	}
}

func appendUsage(dst []byte, u translator.Usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = translator.AppendInt(dst, u.PromptTokens)
	dst = append(dst, `,"completion_tokens":`...)
	dst = translator.AppendInt(dst, u.CompletionTokens)
	dst = append(dst, `,"total_tokens":`...)
	dst = translator.AppendInt(dst, u.TotalTokens)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
	dst = translator.AppendInt(dst, u.CachedTokens)
	return append(dst, "}}"...)
}

// exceptionCode names the Bedrock exception an HTTP status stands for: the OpenAI
// error code of a converted error (the x-amzn-errortype header does not reach the
// converter).
func exceptionCode(status int) string {
	switch status {
	case 400:
		return "ValidationException"
	case 403:
		return "AccessDeniedException"
	case 404:
		return "ResourceNotFoundException"
	case 408:
		return "ModelTimeoutException"
	case 424:
		return "ModelErrorException"
	case 429:
		return "ThrottlingException"
	case 500:
		return "InternalServerException"
	case 503:
		return "ServiceUnavailableException"
	}
	return ""
}

// appendError appends the OpenAI error for a Bedrock error answer ({"message": ...}).
func appendError(dst []byte, status int, body []byte) []byte {
	e := translator.ReadUpstreamError(status, body)
	if m := gjson.GetBytes(body, "Message"); e.Message == "" || (m.Type == gjson.String && strings.HasPrefix(e.Message, "upstream answered")) {
		if m.Str != "" {
			e.Message = m.Str
		}
	}
	code := e.Code
	if code == "" {
		code = exceptionCode(status)
	}
	return translator.AppendOpenAIError(dst, e.Message, translator.ErrorType(status), code)
}

func (t *Chat) appendHead(dst []byte, object string) []byte {
	t.begin()
	dst = append(dst, `{"id":"`...)
	dst = append(dst, t.id...)
	dst = append(dst, `","object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, t.created)
	dst = append(dst, `,"model":`...)
	dst = translator.AppendString(dst, t.model)
	return dst
}

// ResponseBody implements translator.Translator: a Converse answer (or Bedrock error)
// in, an OpenAI chat completion (or error) out.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		return appendError(nil, status, body), nil
	}
	s := translator.View(body)
	if !gjson.Valid(s) || !gjson.Parse(s).IsObject() {
		return nil, errAnswerNotJSON
	}
	root := gjson.Parse(s)
	t.readUsage(root.Get("usage").Raw)
	var text, reasoning strings.Builder
	calls := make([]byte, 0, 64)
	nCalls := 0
	root.Get("output.message.content").ForEach(func(_, b gjson.Result) bool {
		if v := b.Get("text"); v.Exists() {
			text.WriteString(v.String())
		}
		if v := b.Get("reasoningContent.reasoningText.text"); v.Exists() {
			reasoning.WriteString(v.String())
		}
		if tu := b.Get("toolUse"); tu.IsObject() {
			if nCalls > 0 {
				calls = append(calls, ',')
			}
			calls = append(calls, `{"index":`...)
			calls = translator.AppendInt(calls, int64(nCalls))
			calls = append(calls, `,"id":`...)
			calls = translator.AppendString(calls, tu.Get("toolUseId").String())
			calls = append(calls, `,"type":"function","function":{"name":`...)
			calls = translator.AppendString(calls, tu.Get("name").String())
			calls = append(calls, `,"arguments":`...)
			args := tu.Get("input").Raw
			if args == "" {
				args = "{}"
			}
			calls = translator.AppendString(calls, args)
			calls = append(calls, "}}"...)
			nCalls++
		}
		return true
	})
	out := make([]byte, 0, len(body)+256)
	out = t.appendHead(out, "chat.completion")
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if text.Len() == 0 && nCalls > 0 {
		out = append(out, "null"...)
	} else {
		out = translator.AppendString(out, text.String())
	}
	if reasoning.Len() > 0 {
		out = append(out, `,"reasoning_content":`...)
		out = translator.AppendString(out, reasoning.String())
	}
	if nCalls > 0 {
		out = append(out, `,"tool_calls":[`...)
		out = append(out, calls...)
		out = append(out, ']')
	}
	out = append(out, `},"finish_reason":"`...)
	out = append(out, finishReason(root.Get("stopReason").String())...)
	out = append(out, `"}],"usage":`...)
	out = appendUsage(out, t.usage)
	return append(out, '}'), nil
}

// streamState is what a ConverseStream conversion remembers between events.
type streamState struct {
	started bool    // the role chunk was written
	stopped bool    // messageStop arrived
	done    bool    // [DONE] was written
	finish  string  // OpenAI finish_reason from messageStop
	tools   []int64 // contentBlockIndex of each tool call, by OpenAI tool index
}

// ResponseStream implements translator.Translator: ConverseStream's event-stream in,
// OpenAI chunks out. messageStart gives the role chunk, contentBlockStart (toolUse) a
// tool call's id and name, contentBlockDelta text, tool arguments and reasoning,
// messageStop the finish_reason, and metadata the usage chunk and `data: [DONE]`. An
// exception message, a bad checksum or a stream that ends before messageStop ends
// the stream with an OpenAI error chunk and `data: [DONE]`.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	st := &t.st
	if !st.done {
		t.dec.Feed(chunk)
		for !st.done {
			m, ok, err := t.dec.Next()
			if err != nil {
				dst = t.fail(dst, "cannot read upstream event stream: "+err.Error(), "server_error", "bad_upstream_response")
				break
			}
			if !ok {
				break
			}
			dst = t.message(dst, &m)
		}
	}
	if end && !st.done {
		if st.stopped {
			dst = t.finishStream(dst)
		} else {
			dst = t.fail(dst, translator.StreamCutMessage, "server_error", "stream_cut")
		}
	}
	return dst, nil
}

func (t *Chat) fail(dst []byte, msg, typ, code string) []byte {
	t.st.done = true
	dst = append(dst, "data: "...)
	dst = translator.AppendOpenAIError(dst, msg, typ, code)
	return append(dst, "\n\ndata: [DONE]\n\n"...)
}

// finishStream writes the usage chunk and [DONE].
func (t *Chat) finishStream(dst []byte) []byte {
	t.st.done = true
	dst = append(dst, "data: "...)
	dst = t.appendHead(dst, "chat.completion.chunk")
	dst = append(dst, `,"choices":[],"usage":`...)
	dst = appendUsage(dst, t.usage)
	return append(dst, "}\n\ndata: [DONE]\n\n"...)
}

// chunkStart opens a chunk's single choice delta.
func (t *Chat) chunkStart(dst []byte) []byte {
	dst = append(dst, "data: "...)
	dst = t.appendHead(dst, "chat.completion.chunk")
	return append(dst, `,"choices":[{"index":0,"delta":{`...)
}

func chunkEnd(dst []byte) []byte { return append(dst, `},"finish_reason":null}]}`+"\n\n"...) }

// role writes the role chunk once.
func (t *Chat) role(dst []byte) []byte {
	if t.st.started {
		return dst
	}
	t.st.started = true
	dst = t.chunkStart(dst)
	dst = append(dst, `"role":"assistant","content":""`...)
	return chunkEnd(dst)
}

func (t *Chat) message(dst []byte, m *Message) []byte {
	st := &t.st
	switch m.MessageType {
	case "exception", "error":
		name := m.ExceptionType
		if name == "" {
			name = m.ErrorCode
		}
		msg := gjson.GetBytes(m.Payload, "message").String()
		if msg == "" {
			msg = gjson.GetBytes(m.Payload, "Message").String()
		}
		if msg == "" {
			msg = "upstream stream failed: " + name
		}
		return t.fail(dst, msg, exceptionType(name), name)
	case "event", "":
	default:
		return dst
	}
	p := translator.View(m.Payload)
	switch m.EventType {
	case "messageStart":
		return t.role(dst)
	case "contentBlockStart":
		tu := gjson.Get(p, "start.toolUse")
		if !tu.IsObject() {
			return dst
		}
		dst = t.role(dst)
		idx := int64(len(st.tools))
		st.tools = append(st.tools, gjson.Get(p, "contentBlockIndex").Int())
		dst = t.chunkStart(dst)
		dst = append(dst, `"tool_calls":[{"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, `,"id":`...)
		dst = translator.AppendString(dst, tu.Get("toolUseId").String())
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = translator.AppendString(dst, tu.Get("name").String())
		dst = append(dst, `,"arguments":""}}]`...)
		return chunkEnd(dst)
	case "contentBlockDelta":
		d := gjson.Get(p, "delta")
		if v := d.Get("text"); v.Type == gjson.String {
			if v.Str == "" {
				return dst
			}
			dst = t.role(dst)
			dst = t.chunkStart(dst)
			dst = append(dst, `"content":`...)
			dst = append(dst, v.Raw...)
			return chunkEnd(dst)
		}
		if v := d.Get("toolUse.input"); v.Type == gjson.String {
			block := gjson.Get(p, "contentBlockIndex").Int()
			idx := int64(-1)
			for i, b := range st.tools {
				if b == block {
					idx = int64(i)
				}
			}
			if idx < 0 || v.Str == "" {
				return dst
			}
			dst = t.chunkStart(dst)
			dst = append(dst, `"tool_calls":[{"index":`...)
			dst = translator.AppendInt(dst, idx)
			dst = append(dst, `,"function":{"arguments":`...)
			dst = append(dst, v.Raw...)
			dst = append(dst, "}}]"...)
			return chunkEnd(dst)
		}
		if v := d.Get("reasoningContent.text"); v.Type == gjson.String && v.Str != "" {
			dst = t.role(dst)
			dst = t.chunkStart(dst)
			dst = append(dst, `"reasoning_content":`...)
			dst = append(dst, v.Raw...)
			return chunkEnd(dst)
		}
		return dst
	case "messageStop":
		st.stopped = true
		st.finish = finishReason(gjson.Get(p, "stopReason").String())
		dst = t.role(dst)
		dst = append(dst, "data: "...)
		dst = t.appendHead(dst, "chat.completion.chunk")
		dst = append(dst, `,"choices":[{"index":0,"delta":{},"finish_reason":"`...)
		dst = append(dst, st.finish...)
		return append(dst, `"}]}`+"\n\n"...)
	case "metadata":
		t.readUsage(gjson.Get(p, "usage").Raw)
		if st.stopped {
			return t.finishStream(dst)
		}
	}
	return dst
}

// exceptionType is the OpenAI error type of a Bedrock stream exception.
func exceptionType(name string) string {
	switch strings.ToLower(name) {
	case "throttlingexception", "servicequotaexceededexception":
		return "rate_limit_error"
	case "validationexception":
		return "invalid_request_error"
	case "accessdeniedexception":
		return "permission_error"
	}
	return "server_error"
}
