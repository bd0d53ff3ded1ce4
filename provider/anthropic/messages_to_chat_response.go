package anthropic

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// chatUsage is an OpenAI usage object's counts.
type chatUsage struct {
	prompt, completion, cached, reasoning int64
}

// read takes the counts of the raw usage object v.
func (u *chatUsage) read(v string) {
	s := translator.NewScan(v)
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
		case "prompt_cache_hit_tokens": // DeepSeek's name for cached prompt tokens
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
	var id, model, choices, usage, errObj string
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
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
	}
	if !sc.Valid() {
		return nil, errAnswerNotJSON
	}
	if errObj != "" && errObj != "null" {
		return claudeErrorBody(nil, 500, body), nil
	}
	choice := firstChoice(choices)
	var message, finish string
	sc = translator.NewScan(choice)
	for sc.Next() {
		switch sc.Key() {
		// The first of each, as gjson's Get.
		case "message":
			if message == "" {
				message = sc.Value()
			}
		case "finish_reason":
			if finish == "" {
				finish = sc.Value()
			}
		}
	}
	var content, reasoning, toolCalls, refusal string
	sc = translator.NewScan(message)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "content":
			content = v
		case "reasoning_content":
			if isStr(v) {
				reasoning = v
			}
		case "reasoning":
			if isStr(v) && !isStr(reasoning) {
				reasoning = v
			}
		case "tool_calls":
			toolCalls = v
		case "refusal":
			refusal = v
		}
	}
	var u chatUsage
	u.read(usage)
	m := rawString(model)
	if m == "" {
		m = t.model
	}
	m = strings.Clone(m) // kept in Usage after body is gone
	t.usage = u.translator(m)

	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"id":`...)
	if isStr(id) {
		out = append(out, id...)
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
	if len(reasoning) > 2 {
		sep()
		out = append(out, `{"type":"thinking","thinking":`...)
		out = append(out, reasoning...)
		out = append(out, `,"signature":""}`...)
	}
	text := content
	if !isText(text) {
		text = refusal
	}
	if isText(text) {
		sep()
		out = append(out, `{"type":"text","text":`...)
		out = append(out, text...)
		out = append(out, '}')
	}
	// Only an array holds calls: "tool_calls":null is no call.
	if isArr(toolCalls) {
		sc = translator.NewScan(toolCalls)
		for sc.Next() {
			sep()
			var tc [2]string // id, function
			pick(sc.Value(), toolCallKeys[:], tc[:])
			var fn [2]string // name, arguments
			pick(tc[1], callFunctionKeys[:], fn[:])
			out = append(out, `{"type":"tool_use","id":`...)
			out = appendJSONStr(out, tc[0])
			out = append(out, `,"name":`...)
			out = appendJSONStr(out, fn[0])
			out = append(out, `,"input":`...)
			out = appendToolInput(out, fn[1])
			out = append(out, '}')
		}
	}
	out = append(out, `],"stop_reason":"`...)
	out = append(out, stopReason(translator.Str(finish))...)
	out = append(out, `","stop_sequence":null,"usage":`...)
	out = appendClaudeUsage(out, &u)
	return append(out, '}'), nil
}

var (
	toolCallKeys     = [...]string{"id", "function"}
	callFunctionKeys = [...]string{"name", "arguments"}
)

// firstChoice returns the raw first element of a choices array (gjson's Get "0").
func firstChoice(choices string) string {
	s := translator.NewScan(choices)
	for s.Next() {
		if isArr(choices) || s.Key() == "0" {
			return s.Value()
		}
	}
	return ""
}

// appendToolInput appends OpenAI tool-call arguments (a JSON string) as an Anthropic
// tool_use input object. Arguments that are no JSON object (a model's broken output)
// become {}, as Claude clients require an object.
func appendToolInput(dst []byte, args string) []byte {
	s := args
	if isStr(args) {
		s = translator.Str(args)
	}
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t' || s[0] == '\r') {
		s = s[1:]
	}
	if len(s) > 0 && s[0] == '{' && validJSON(s) {
		return append(dst, s...)
	}
	return append(dst, "{}"...)
}

// msgStream is the state of one OpenAI chunk stream converted to Anthropic events.
type msgStream struct {
	started  bool
	finished bool // message_stop written; later input is ignored
	next     int64
	cur      byte   // kind of the open block: text 't', thinking 'k', tool_use 'u'; 0 for none
	head     []byte // the open text or thinking block's delta event up to the text
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
	// An event the stream ends inside is discarded, as SSE says.
	if !t.s.finished {
		if t.s.finish != "" {
			dst = t.done(dst) // some upstreams never send [DONE]
		} else {
			dst = t.streamError(dst, translator.StreamCutMessage, "api_error")
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
func (t *MessagesToChat) start(dst []byte, id, model string) []byte {
	s := &t.s
	s.started = true
	s.model = rawString(model)
	if s.model == "" {
		s.model = t.model
	} else {
		s.model = strings.Clone(s.model) // the event's bytes are reused
	}
	dst = appendEventStart(dst, "message_start")
	dst = append(dst, `{"type":"message_start","message":{"id":`...)
	if isText(id) {
		dst = append(dst, id...)
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
			s.head = appendDeltaStart(s.head[:0], s.curIndex, "thinking_delta")
			s.head = append(s.head, `"thinking":`...)
		} else {
			dst = append(dst, `,"content_block":{"type":"text","text":""}}`+"\n\n"...)
			s.head = appendDeltaStart(s.head[:0], s.curIndex, "text_delta")
			s.head = append(s.head, `"text":`...)
		}
	}
	dst = append(dst, s.head...)
	dst = append(dst, raw...)
	return append(dst, "}}\n\n"...)
}

// toolCall writes one OpenAI tool-call delta: the first for a call index opens its
// tool_use block, arguments become input_json_delta. Upstreams send the calls one after
// the other; arguments for a call whose block was already closed (interleaved parallel
// calls) still go to that block's index, which the SDKs accept.
func (t *MessagesToChat) toolCall(dst []byte, tc string, ordinal int64) []byte {
	s := &t.s
	var idx, id, fn string
	sc := translator.NewScan(tc)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "index":
			idx = v
		case "id":
			id = v
		case "function":
			fn = v
		}
	}
	call := ordinal
	if isNum(idx) {
		call = rawInt(idx)
	}
	var name, args string
	sc = translator.NewScan(fn)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "name":
			name = v
		case "arguments":
			args = v
		}
	}
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
		if isText(id) {
			dst = append(dst, id...)
		} else {
			dst = append(dst, `"toolu_proxy_`...)
			dst = translator.AppendInt(dst, call)
			dst = append(dst, '"')
		}
		dst = append(dst, `,"name":`...)
		dst = appendJSONStr(dst, name)
		dst = append(dst, `,"input":{}}}`+"\n\n"...)
	}
	if isText(args) {
		dst = appendDeltaStart(dst, tool.index, "input_json_delta")
		dst = append(dst, `"partial_json":`...)
		dst = append(dst, args...)
		dst = append(dst, "}}\n\n"...)
	}
	return dst
}

// done closes the open blocks and writes message_delta and message_stop.
func (t *MessagesToChat) done(dst []byte) []byte {
	s := &t.s
	if !s.started {
		dst = t.start(dst, "", "")
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
	// A chunk like the last one but for its text: only the text needs reading.
	if text, ok := t.tmpl.Match(translator.View(data)); ok {
		if isText(text) {
			dst = t.text(dst, t.tmplKind, text)
		}
		return dst
	}
	t.tmpl.Reset()
	// One pass picks the fields and checks the event is JSON.
	var id, model, usage, errObj string
	var c translator.ChatChoice
	sc := translator.NewScan(translator.View(data))
	for sc.Next() {
		switch sc.Key() {
		case "id":
			id = sc.Value()
		case "model":
			model = sc.Value()
		case "choices":
			c = translator.ReadChatChoices(&sc)
		case "usage":
			usage = sc.Value()
		case "error":
			errObj = sc.Value()
		}
	}
	if !sc.Valid() {
		if atEOF {
			return dst
		}
		return t.streamError(dst, "upstream sent an event that is not valid JSON", "api_error")
	}
	if errObj != "" && errObj != "null" {
		msg, _ := upstreamErrorMessage(500, data)
		return t.streamError(dst, msg, "api_error")
	}
	if !s.started {
		dst = t.start(dst, id, model)
	}
	if isObj(usage) {
		s.usage.read(usage)
		t.usage = s.usage.translator(s.model)
	} else if c.Found {
		t.setTemplate(data, &c)
	}
	return t.choice(dst, &c)
}

// setTemplate remembers a chunk whose only effect is one text or reasoning delta, as
// the next chunks will likely differ from it only in that text.
func (t *MessagesToChat) setTemplate(data []byte, c *translator.ChatChoice) {
	if v, reasoning, ok := c.TemplateText(); ok {
		t.tmpl.Set(translator.View(data), v)
		t.tmplKind = 't'
		if reasoning {
			t.tmplKind = 'k'
		}
	}
}

// choice converts the delta and finish_reason of the first choice.
func (t *MessagesToChat) choice(dst []byte, c *translator.ChatChoice) []byte {
	s := &t.s
	reasoning, content, calls, finish := c.Reasoning, c.Content, c.Calls, c.Finish
	if isText(reasoning) {
		dst = t.text(dst, 'k', reasoning)
	}
	if isText(content) {
		dst = t.text(dst, 't', content)
	}
	// Only an array holds calls: "tool_calls":null is no call.
	if isArr(calls) {
		var n int64
		sc := translator.NewScan(calls)
		for sc.Next() {
			dst = t.toolCall(dst, sc.Value(), n)
			n++
		}
	}
	if isStr(finish) && len(finish) > 2 {
		s.finish = stopReason(translator.Str(finish))
		// Blocks end with the choice; usage may still follow before [DONE].
		dst = t.closeCur(dst)
	}
	return dst
}
