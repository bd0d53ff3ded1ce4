package anthropic

import (
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// chatUsage is an OpenAI usage object's counts.
type chatUsage struct {
	prompt, completion, cached, reasoning int64
}

func (u *chatUsage) read(v gjson.Result) {
	v.ForEach(func(k, n gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			u.prompt = n.Int()
		case "completion_tokens":
			u.completion = n.Int()
		case "prompt_tokens_details":
			if c := n.Get("cached_tokens"); c.Type == gjson.Number {
				u.cached = c.Int()
			}
		case "prompt_cache_hit_tokens": // DeepSeek's name for cached prompt tokens
			if u.cached == 0 {
				u.cached = n.Int()
			}
		case "completion_tokens_details":
			u.reasoning = n.Get("reasoning_tokens").Int()
		}
		return true
	})
}

func (u *chatUsage) translator(model string) translator.Usage {
	return translator.Usage{
		PromptTokens:     u.prompt,
		CompletionTokens: u.completion,
		TotalTokens:      u.prompt + u.completion,
		CachedTokens:     u.cached,
		ReasoningTokens:  u.reasoning,
		Model:            model,
	}
}

// appendClaudeUsage appends an Anthropic usage object: input_tokens exclude the cached
// prompt tokens, which are cache_read_input_tokens.
func appendClaudeUsage(dst []byte, u *chatUsage) []byte {
	in := u.prompt - u.cached
	if in < 0 {
		in = 0
	}
	dst = append(dst, `{"input_tokens":`...)
	dst = translator.AppendInt(dst, in)
	dst = append(dst, `,"output_tokens":`...)
	dst = translator.AppendInt(dst, u.completion)
	dst = append(dst, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	dst = translator.AppendInt(dst, u.cached)
	return append(dst, '}')
}

// claudeErrorBody converts an upstream error body of any shape into Anthropic error
// JSON; the type follows the HTTP status, as Anthropic's own errors do.
func claudeErrorBody(dst []byte, status int, body []byte) []byte {
	msg, _ := upstreamErrorMessage(status, body)
	return translator.AppendAnthropicError(dst, msg, translator.AnthropicErrorType(status))
}

// ResponseBody implements translator.Translator: an OpenAI chat completion (or error)
// in, an Anthropic message (or error) out.
func (t *MessagesToChat) ResponseBody(status int, body []byte) ([]byte, error) {
	t.status = status
	if !is2xx(status) {
		return claudeErrorBody(nil, status, body), nil
	}
	if !gjson.ValidBytes(body) {
		return nil, errAnswerNotJSON
	}
	var id, model, choices, usage, errObj gjson.Result
	gjson.Parse(bstr(body)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "model":
			model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			errObj = v
		}
		return true
	})
	if errObj.Exists() && errObj.Type != gjson.Null {
		return claudeErrorBody(nil, 500, body), nil
	}
	choice := choices.Get("0")
	var content, reasoning, toolCalls, refusal gjson.Result
	choice.Get("message").ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			content = v
		case "reasoning_content":
			if v.Type == gjson.String {
				reasoning = v
			}
		case "reasoning":
			if v.Type == gjson.String && reasoning.Type != gjson.String {
				reasoning = v
			}
		case "tool_calls":
			toolCalls = v
		case "refusal":
			refusal = v
		}
		return true
	})
	var u chatUsage
	u.read(usage)
	m := model.String()
	if m == "" {
		m = t.model
	}
	t.usage = u.translator(m)

	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"id":`...)
	if id.Type == gjson.String {
		out = append(out, id.Raw...)
	} else {
		out = append(out, `"msg_proxy"`...)
	}
	out = append(out, `,"type":"message","role":"assistant","model":`...)
	out = translator.AppendString(out, m)
	out = append(out, `,"content":[`...)
	blocks := 0
	sep := func() {
		if blocks > 0 {
			out = append(out, ',')
		}
		blocks++
	}
	if len(reasoning.Raw) > 2 {
		sep()
		out = append(out, `{"type":"thinking","thinking":`...)
		out = append(out, reasoning.Raw...)
		out = append(out, `,"signature":""}`...)
	}
	text := content
	if text.Type != gjson.String || len(text.Raw) <= 2 {
		text = refusal
	}
	if text.Type == gjson.String && len(text.Raw) > 2 {
		sep()
		out = append(out, `{"type":"text","text":`...)
		out = append(out, text.Raw...)
		out = append(out, '}')
	}
	toolCalls.ForEach(func(_, tc gjson.Result) bool {
		sep()
		fn := tc.Get("function")
		out = append(out, `{"type":"tool_use","id":`...)
		out = appendJSONString(out, tc.Get("id"))
		out = append(out, `,"name":`...)
		out = appendJSONString(out, fn.Get("name"))
		out = append(out, `,"input":`...)
		out = appendToolInput(out, fn.Get("arguments"))
		out = append(out, '}')
		return true
	})
	out = append(out, `],"stop_reason":"`...)
	out = append(out, stopReason(choice.Get("finish_reason").Str)...)
	out = append(out, `","stop_sequence":null,"usage":`...)
	out = appendClaudeUsage(out, &u)
	return append(out, '}'), nil
}

// appendToolInput appends OpenAI tool-call arguments (a JSON string) as an Anthropic
// tool_use input object. Arguments that are no JSON object (a model's broken output)
// become {}, as Claude clients require an object.
func appendToolInput(dst []byte, args gjson.Result) []byte {
	s := args.Raw
	if args.Type == gjson.String {
		s = args.Str
	}
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t' || s[0] == '\r') {
		s = s[1:]
	}
	if len(s) > 0 && s[0] == '{' && gjson.Valid(s) {
		return append(dst, s...)
	}
	return append(dst, "{}"...)
}

// msgStream is the state of one OpenAI chunk stream converted to Anthropic events.
type msgStream struct {
	started  bool
	finished bool // message_stop written; later input is ignored
	next     int64
	cur      byte // kind of the open block: text 't', thinking 'k', tool_use 'u'; 0 for none
	curIndex int64
	tools    []msgTool
	finish   string // Anthropic stop_reason once a finish_reason arrived
	usage    chatUsage
	model    string
}

// msgTool is one tool call of the stream and the tool_use block carrying it.
type msgTool struct {
	call  int64 // OpenAI tool call index
	index int64 // Anthropic block index
}

// ResponseStream implements translator.Translator: OpenAI chunks in, Anthropic events
// out, always ending in message_stop. An error chunk, or a stream cut before a
// finish_reason, becomes an `event: error` before it.
func (t *MessagesToChat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.rawErr {
		t.errBuf = append(t.errBuf, chunk...)
		if end && !t.s.finished {
			msg, _ := upstreamErrorMessage(t.status, t.errBuf)
			dst = t.streamError(dst, msg, translator.AnthropicErrorType(t.status))
		}
		return dst, nil
	}
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		dst = t.event(dst, ev.Data, false)
	}
	if !end {
		return dst, nil
	}
	for ev, ok := t.rd.Flush(); ok; ev, ok = t.rd.Flush() {
		dst = t.event(dst, ev.Data, true)
	}
	if !t.s.finished {
		if t.s.finish != "" {
			dst = t.done(dst) // some upstreams never send [DONE]
		} else {
			dst = t.streamError(dst, "upstream stream ended before the message was complete", "api_error")
		}
	}
	return dst, nil
}

func appendEventStart(dst []byte, name string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	return dst
}

const messageStop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

// streamError writes an Anthropic error event and ends the stream.
func (t *MessagesToChat) streamError(dst []byte, msg, typ string) []byte {
	dst = appendEventStart(dst, "error")
	dst = translator.AppendAnthropicError(dst, msg, typ)
	dst = append(dst, "\n\n"...)
	dst = append(dst, messageStop...)
	t.s.finished = true
	return dst
}

// start writes message_start.
func (t *MessagesToChat) start(dst []byte, id, model gjson.Result) []byte {
	s := &t.s
	s.started = true
	s.model = model.String()
	if s.model == "" {
		s.model = t.model
	}
	dst = appendEventStart(dst, "message_start")
	dst = append(dst, `{"type":"message_start","message":{"id":`...)
	if id.Type == gjson.String && len(id.Raw) > 2 {
		dst = append(dst, id.Raw...)
	} else {
		dst = append(dst, `"msg_proxy"`...)
	}
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = translator.AppendString(dst, s.model)
	return append(dst, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`+"\n\n"...)
}

func appendBlockStop(dst []byte, index int64) []byte {
	dst = appendEventStart(dst, "content_block_stop")
	dst = append(dst, `{"type":"content_block_stop","index":`...)
	dst = translator.AppendInt(dst, index)
	return append(dst, "}\n\n"...)
}

func appendDeltaStart(dst []byte, index int64, typ string) []byte {
	dst = appendEventStart(dst, "content_block_delta")
	dst = append(dst, `{"type":"content_block_delta","index":`...)
	dst = translator.AppendInt(dst, index)
	dst = append(dst, `,"delta":{"type":"`...)
	dst = append(dst, typ...)
	return append(dst, `",`...)
}

// closeCur closes the open block. Blocks are sent one after the other, as Claude
// does: a new block closes the previous one.
func (t *MessagesToChat) closeCur(dst []byte) []byte {
	if t.s.cur != 0 {
		dst = appendBlockStop(dst, t.s.curIndex)
		t.s.cur = 0
	}
	return dst
}

// text writes a text or thinking delta, opening its block first if needed.
func (t *MessagesToChat) text(dst []byte, kind byte, raw string) []byte {
	s := &t.s
	if s.cur != kind {
		dst = t.closeCur(dst)
		s.cur, s.curIndex = kind, s.next
		s.next++
		dst = appendEventStart(dst, "content_block_start")
		dst = append(dst, `{"type":"content_block_start","index":`...)
		dst = translator.AppendInt(dst, s.curIndex)
		if kind == 'k' {
			dst = append(dst, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`+"\n\n"...)
		} else {
			dst = append(dst, `,"content_block":{"type":"text","text":""}}`+"\n\n"...)
		}
	}
	if kind == 'k' {
		dst = appendDeltaStart(dst, s.curIndex, "thinking_delta")
		dst = append(dst, `"thinking":`...)
	} else {
		dst = appendDeltaStart(dst, s.curIndex, "text_delta")
		dst = append(dst, `"text":`...)
	}
	dst = append(dst, raw...)
	return append(dst, "}}\n\n"...)
}

// toolCall writes one OpenAI tool-call delta: the first for a call index opens its
// tool_use block, arguments become input_json_delta. Upstreams send the calls one after
// the other; arguments for a call whose block was already closed (interleaved parallel
// calls) still go to that block's index, which the SDKs accept.
func (t *MessagesToChat) toolCall(dst []byte, tc gjson.Result, ordinal int64) []byte {
	s := &t.s
	var idx, id, fn gjson.Result
	tc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			idx = v
		case "id":
			id = v
		case "function":
			fn = v
		}
		return true
	})
	call := ordinal
	if idx.Type == gjson.Number {
		call = idx.Int()
	}
	var name, args gjson.Result
	fn.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			name = v
		case "arguments":
			args = v
		}
		return true
	})
	var tool *msgTool
	for i := range s.tools {
		if s.tools[i].call == call {
			tool = &s.tools[i]
			break
		}
	}
	if tool == nil {
		if len(s.tools) >= maxBlocks {
			return dst
		}
		dst = t.closeCur(dst)
		s.tools = append(s.tools, msgTool{call: call, index: s.next})
		tool = &s.tools[len(s.tools)-1]
		s.cur, s.curIndex = 'u', s.next
		s.next++
		dst = appendEventStart(dst, "content_block_start")
		dst = append(dst, `{"type":"content_block_start","index":`...)
		dst = translator.AppendInt(dst, tool.index)
		dst = append(dst, `,"content_block":{"type":"tool_use","id":`...)
		if id.Type == gjson.String && len(id.Raw) > 2 {
			dst = append(dst, id.Raw...)
		} else {
			dst = append(dst, `"toolu_proxy_`...)
			dst = translator.AppendInt(dst, call)
			dst = append(dst, '"')
		}
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, name)
		dst = append(dst, `,"input":{}}}`+"\n\n"...)
	}
	if args.Type == gjson.String && len(args.Raw) > 2 {
		dst = appendDeltaStart(dst, tool.index, "input_json_delta")
		dst = append(dst, `"partial_json":`...)
		dst = append(dst, args.Raw...)
		dst = append(dst, "}}\n\n"...)
	}
	return dst
}

// done closes the open blocks and writes message_delta and message_stop.
func (t *MessagesToChat) done(dst []byte) []byte {
	s := &t.s
	if !s.started {
		dst = t.start(dst, gjson.Result{}, gjson.Result{})
	}
	dst = t.closeCur(dst)
	if s.finish == "" {
		s.finish = "end_turn"
	}
	t.usage = s.usage.translator(s.model)
	dst = appendEventStart(dst, "message_delta")
	dst = append(dst, `{"type":"message_delta","delta":{"stop_reason":"`...)
	dst = append(dst, s.finish...)
	dst = append(dst, `","stop_sequence":null},"usage":`...)
	dst = appendClaudeUsage(dst, &s.usage)
	dst = append(dst, "}\n\n"...)
	dst = append(dst, messageStop...)
	s.finished = true
	return dst
}

// event converts one OpenAI chunk. At EOF a chunk that is no valid JSON is the
// remnant of a cut stream and is dropped; the stream then ends as cut.
func (t *MessagesToChat) event(dst, data []byte, atEOF bool) []byte {
	s := &t.s
	if s.finished || len(data) == 0 {
		return dst
	}
	if string(data) == "[DONE]" {
		return t.done(dst)
	}
	if !gjson.ValidBytes(data) {
		if atEOF {
			return dst
		}
		return t.streamError(dst, "upstream sent an event that is not valid JSON", "api_error")
	}
	var id, model, choices, usage, errObj gjson.Result
	gjson.Parse(bstr(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "model":
			model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			errObj = v
		}
		return true
	})
	if errObj.Exists() && errObj.Type != gjson.Null {
		msg, _ := upstreamErrorMessage(500, data)
		return t.streamError(dst, msg, "api_error")
	}
	if !s.started {
		dst = t.start(dst, id, model)
	}
	if usage.IsObject() {
		s.usage.read(usage)
		t.usage = s.usage.translator(s.model)
	}
	choices.ForEach(func(_, c gjson.Result) bool {
		if i := c.Get("index"); i.Exists() && i.Int() != 0 {
			return true // only the first choice has an Anthropic form
		}
		var delta, finish gjson.Result
		c.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "delta":
				delta = v
			case "finish_reason":
				finish = v
			}
			return true
		})
		var reasoning, alt, content, calls gjson.Result
		delta.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "reasoning_content":
				reasoning = v
			case "reasoning": // OpenRouter's and newer vLLM's name
				alt = v
			case "content":
				content = v
			case "tool_calls":
				calls = v
			}
			return true
		})
		if !reasoning.Exists() || reasoning.Type == gjson.Null {
			reasoning = alt
		}
		if reasoning.Type == gjson.String && len(reasoning.Raw) > 2 {
			dst = t.text(dst, 'k', reasoning.Raw)
		}
		if content.Type == gjson.String && len(content.Raw) > 2 {
			dst = t.text(dst, 't', content.Raw)
		}
		var n int64
		calls.ForEach(func(_, tc gjson.Result) bool {
			dst = t.toolCall(dst, tc, n)
			n++
			return true
		})
		if finish.Type == gjson.String && finish.Str != "" {
			s.finish = stopReason(finish.Str)
			// Blocks end with the choice; usage may still follow before [DONE].
			dst = t.closeCur(dst)
		}
		return false
	})
	return dst
}
