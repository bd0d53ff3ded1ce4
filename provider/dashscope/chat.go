package dashscope

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Chat converts OpenAI chat completions to DashScope's native text-generation or
// multimodal-generation API and back, JSON and SSE.
//
// The request goes as {"model","input":{"messages"},"parameters":{...}} with
// result_format "message"; a streamed request adds parameters.incremental_output and
// the header X-DashScope-SSE: enable. Vision, omni and audio models, and requests with
// any non-text content part, go to multimodal-generation (EditUpstream rewrites the
// text-generation path). Each DashScope SSE event becomes one chat.completion.chunk;
// the stream ends with a usage chunk (choices: []) and `data: [DONE]`, also after an
// upstream `event:error`, which becomes an OpenAI error chunk.
type Chat struct {
	o       Options
	usage   translator.Usage
	model   string
	stream  bool
	mm      bool // multimodal-generation
	buf     []byte
	resp    []byte // the converted answer; separate so the converted request stays valid
	created int64

	// response stream state
	rd       sse.Reader
	id       string
	started  bool // the first chunk (with the role) was written
	done     bool // [DONE] written
	hasUsage bool
	think    []uint8 // per choice index: concat-mode reasoning state
	status   int
	raw      bool // a non-SSE answer on the streaming path: collected whole
	rawBuf   []byte
}

// NewChat returns the native chat converter for one request.
func NewChat(o Options) *Chat { return &Chat{o: o} }

var errNoMessages = errors.New("messages: required, a non-empty array")

// dropParam reports the OpenAI request fields DashScope has no use for; every other
// unknown field is kept as a parameter, so DashScope extensions (top_k,
// enable_thinking, thinking_budget, search_options, ...) reach it.
func dropParam(k string) bool {
	switch k {
	case "user", "store", "metadata", "service_tier", "logit_bias", "prediction", "functions",
		"function_call", "web_search_options", "safety_identifier", "prompt_cache_key", "verbosity":
		return true
	}
	return false
}

// RequestBody implements translator.Translator.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	var messages gjson.Result
	var maxTokens, effort gjson.Result
	explicitThinking, explicitSearch := false, false
	t.model = ""
	out := append(t.buf[:0], `{"model":`...)
	params := make([]byte, 0, 256)
	param := func(k string, raw string) {
		if len(params) > 0 {
			params = append(params, ',')
		}
		params = translator.AppendString(params, k)
		params = append(params, ':')
		params = append(params, raw...)
	}
	var perr error
	addParam := func(k, v gjson.Result) {
		switch k.Str {
		case "result_format", "incremental_output", "stream":
			return // set below
		case "max_tokens", "max_completion_tokens":
			if !maxTokens.Exists() || k.Str == "max_completion_tokens" {
				maxTokens = v
			}
			return
		case "reasoning_effort":
			effort = v
			return
		case "enable_thinking":
			explicitThinking = true
		case "enable_search":
			explicitSearch = true
		}
		param(k.Str, v.Raw)
	}
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			t.model = v.String()
		case "messages":
			messages = v
		case "stream":
			t.stream = v.Bool()
		case "stream_options", "input":
		case "parameters":
			if !v.IsObject() {
				perr = errors.New("parameters: must be an object")
				return false
			}
			v.ForEach(func(k, v gjson.Result) bool { addParam(k, v); return true })
		default:
			if !dropParam(k.Str) {
				addParam(k, v)
			}
		}
		return true
	})
	if perr != nil {
		return nil, perr
	}
	if !messages.IsArray() {
		return nil, errNoMessages
	}
	t.usage.Model = t.model
	t.mm = IsMultimodalModel(t.model) || hasMediaParts(messages)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{"messages":[`...)
	n := 0
	if len(t.o.FileIDs) > 0 {
		out = append(out, `{"role":"system","content":`...)
		out = t.appendText(out, fileIDContent(t.o.FileIDs))
		out = append(out, '}')
		n++
	}
	var err error
	messages.ForEach(func(_, m gjson.Result) bool {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out, err = t.appendMessage(out, m)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errNoMessages
	}
	out = append(out, `]},"parameters":{"result_format":"message"`...)
	if t.stream {
		out = append(out, `,"incremental_output":true`...)
	}
	if maxTokens.Exists() {
		out = append(out, `,"max_tokens":`...)
		out = append(out, maxTokens.Raw...)
	}
	if effort.Exists() && !explicitThinking {
		switch effort.String() {
		case "none", "minimal":
			out = append(out, `,"enable_thinking":false`...)
		case "low", "medium", "high":
			out = append(out, `,"enable_thinking":true`...)
		}
	}
	if t.o.EnableSearch && !explicitSearch {
		out = append(out, `,"enable_search":true`...)
	}
	if len(params) > 0 {
		out = append(out, ',')
		out = append(out, params...)
	}
	out = append(out, `}}`...)
	t.buf = out
	return out, nil
}

// hasMediaParts reports whether any message has a content part that is not text.
func hasMediaParts(messages gjson.Result) bool {
	found := false
	messages.ForEach(func(_, m gjson.Result) bool {
		c := m.Get("content")
		if c.IsArray() {
			c.ForEach(func(_, p gjson.Result) bool {
				if typ := p.Get("type").Str; typ != "text" && typ != "" {
					found = true
				}
				return !found
			})
		}
		return !found
	})
	return found
}

// appendText writes a text content: a string for text-generation, [{"text":s}] for
// multimodal-generation.
func (t *Chat) appendText(dst []byte, s string) []byte {
	if !t.mm {
		return translator.AppendString(dst, s)
	}
	dst = append(dst, `[{"text":`...)
	dst = translator.AppendString(dst, s)
	return append(dst, `}]`...)
}

func (t *Chat) appendMessage(dst []byte, m gjson.Result) ([]byte, error) {
	if !m.IsObject() {
		return dst, errors.New("messages: every message must be an object")
	}
	var role, content, toolCalls, toolCallID, name, reasoning, partial gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v
		case "content":
			content = v
		case "tool_calls":
			toolCalls = v
		case "tool_call_id":
			toolCallID = v
		case "name":
			name = v
		case "reasoning_content":
			reasoning = v
		case "partial":
			partial = v
		}
		return true
	})
	r := role.String()
	switch r {
	case "developer":
		r = "system"
	case "system", "user", "assistant", "tool":
	case "function":
		r = "tool"
	default:
		return dst, errors.New("messages: unsupported role " + strings.TrimSpace(role.Raw))
	}
	dst = append(dst, `{"role":`...)
	dst = translator.AppendString(dst, r)
	dst = append(dst, `,"content":`...)
	var err error
	if dst, err = t.appendContent(dst, content); err != nil {
		return dst, err
	}
	if name.Type == gjson.String && name.Str != "" {
		dst = append(dst, `,"name":`...)
		dst = append(dst, name.Raw...)
	}
	if toolCalls.IsArray() && len(toolCalls.Raw) > 2 {
		dst = append(dst, `,"tool_calls":`...)
		dst = append(dst, toolCalls.Raw...)
	}
	if toolCallID.Type == gjson.String {
		dst = append(dst, `,"tool_call_id":`...)
		dst = append(dst, toolCallID.Raw...)
	}
	if reasoning.Type == gjson.String && reasoning.Str != "" {
		dst = append(dst, `,"reasoning_content":`...)
		dst = append(dst, reasoning.Raw...)
	}
	if partial.Type == gjson.True {
		dst = append(dst, `,"partial":true`...)
	}
	return append(dst, '}'), nil
}

// appendContent converts one message's content.
func (t *Chat) appendContent(dst []byte, c gjson.Result) ([]byte, error) {
	switch {
	case c.Type == gjson.String:
		return t.appendText(dst, c.Str), nil
	case !c.Exists() || c.Type == gjson.Null:
		if t.mm {
			return append(dst, `[]`...), nil
		}
		return append(dst, `""`...), nil
	case !c.IsArray():
		return dst, errors.New("messages: content must be a string or an array of parts")
	}
	if !t.mm {
		// Text parts only (hasMediaParts said so): one string, parts joined by "\n".
		dst = append(dst, '"')
		first := true
		c.ForEach(func(_, p gjson.Result) bool {
			if !first {
				dst = append(dst, `\n`...)
			}
			first = false
			dst = appendEscaped(dst, p.Get("text").String())
			return true
		})
		return append(dst, '"'), nil
	}
	dst = append(dst, '[')
	n := 0
	var err error
	c.ForEach(func(_, p gjson.Result) bool {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst, err = appendPart(dst, p)
		return err == nil
	})
	return append(dst, ']'), err
}

// appendEscaped appends s escaped as inside a JSON string, without the quotes.
func appendEscaped(dst []byte, s string) []byte {
	mark := len(dst)
	dst = translator.AppendString(dst, s)
	n := copy(dst[mark:], dst[mark+1:len(dst)-1])
	return dst[:mark+n]
}

// appendPart converts one OpenAI content part to a DashScope multimodal item.
func appendPart(dst []byte, p gjson.Result) ([]byte, error) {
	typ := p.Get("type").String()
	switch typ {
	case "text", "":
		dst = append(dst, `{"text":`...)
		dst = translator.AppendString(dst, p.Get("text").String())
	case "image_url":
		u := p.Get("image_url")
		if u.IsObject() {
			u = u.Get("url")
		}
		dst = append(dst, `{"image":`...)
		dst = translator.AppendString(dst, u.String())
	case "input_audio":
		a := p.Get("input_audio")
		data := a.Get("data").String()
		dst = append(dst, `{"audio":`...)
		if strings.Contains(data, "://") || strings.HasPrefix(data, "data:") {
			dst = translator.AppendString(dst, data)
		} else {
			// DashScope takes inline audio as a data URL.
			dst = translator.AppendString(dst, "data:audio/"+a.Get("format").String()+";base64,"+data)
		}
	case "video_url":
		u := p.Get("video_url")
		if u.IsObject() {
			u = u.Get("url")
		}
		dst = append(dst, `{"video":`...)
		dst = translator.AppendString(dst, u.String())
	case "video":
		// DashScope's own extension: a video as a list of frame image URLs.
		dst = append(dst, `{"video":`...)
		dst = translator.AppendRawOr(dst, p.Get("video").Raw, "[]")
	default:
		return dst, errors.New("messages: content part type " + typ + " is not supported by DashScope")
	}
	return append(dst, '}'), nil
}

// EditUpstream implements translator.UpstreamEditor: multimodal requests go to
// multimodal-generation, streams get X-DashScope-SSE.
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	if t.stream {
		setHeader("x-dashscope-sse", "enable")
	}
	if t.mm {
		if i := strings.Index(path, PathTextGeneration); i >= 0 {
			path = path[:i] + PathMultimodalGeneration + path[i+len(PathTextGeneration):]
		}
	}
	return path
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }

func (t *Chat) stamp() {
	if t.created == 0 {
		t.created = t.o.now()
	}
}

// ResponseBody implements translator.Translator.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		if status/100 != 2 {
			return appendError(nil, status, body), nil
		}
		return nil, errors.New("upstream answer is not JSON")
	}
	root := gjson.ParseBytes(body)
	if status/100 != 2 || isError(root) {
		return appendError(nil, status, body), nil
	}
	t.stamp()
	if cap(t.resp) < len(body)+512 {
		t.resp = make([]byte, 0, len(body)+512) // one allocation: answers grow little
	}
	out := append(t.resp[:0], `{"id":`...)
	out = translator.AppendString(out, root.Get("request_id").String())
	out = append(out, `,"object":"chat.completion","created":`...)
	out = translator.AppendInt(out, t.created)
	out = append(out, `,"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"choices":[`...)
	output := root.Get("output")
	if choices := output.Get("choices"); choices.IsArray() {
		i := 0
		choices.ForEach(func(_, c gjson.Result) bool {
			if i > 0 {
				out = append(out, ',')
			}
			out = t.appendChoice(out, c, i)
			i++
			return true
		})
	} else if text := output.Get("text"); text.Exists() {
		// result_format "text" (a model that ignores "message").
		out = append(out, `{"index":0,"message":{"role":"assistant","content":`...)
		out = translator.AppendString(out, text.String())
		out = append(out, `},"finish_reason":`...)
		out = appendFinish(out, output.Get("finish_reason").String())
		out = append(out, '}')
	}
	out = append(out, `],"usage":`...)
	out = appendUsage(out, root.Get("usage"), &t.usage)
	out = append(out, '}')
	t.resp = out
	return out, nil
}

func (t *Chat) appendChoice(dst []byte, c gjson.Result, i int) []byte {
	msg := c.Get("message")
	idx := int64(i)
	if x := c.Get("index"); x.Exists() {
		idx = x.Int()
	}
	dst = append(dst, `{"index":`...)
	dst = translator.AppendInt(dst, idx)
	dst = append(dst, `,"message":{"role":"assistant","content":`...)
	content := msg.Get("content")
	reasoning := msg.Get("reasoning_content").String()
	toolCalls := msg.Get("tool_calls")
	switch {
	case t.o.ReasoningMode == ReasoningConcat && reasoning != "":
		dst = translator.AppendString(dst, thinkStart+reasoning+thinkEnd+"\n"+contentText(content))
	case (!content.Exists() || content.Type == gjson.Null) && toolCalls.IsArray():
		dst = append(dst, "null"...)
	default:
		dst = appendContentText(dst, content)
	}
	if reasoning != "" && t.o.ReasoningMode != ReasoningIgnore && t.o.ReasoningMode != ReasoningConcat {
		dst = append(dst, `,"reasoning_content":`...)
		dst = translator.AppendString(dst, reasoning)
	}
	if toolCalls.IsArray() && len(toolCalls.Raw) > 2 {
		dst = append(dst, `,"tool_calls":[`...)
		j := 0
		toolCalls.ForEach(func(_, tc gjson.Result) bool {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCall(dst, tc, j, false)
			j++
			return true
		})
		dst = append(dst, ']')
	}
	dst = append(dst, `},"logprobs":`...)
	dst = translator.AppendRawOr(dst, c.Get("logprobs").Raw, "null")
	dst = append(dst, `,"finish_reason":`...)
	dst = appendFinish(dst, c.Get("finish_reason").String())
	return append(dst, '}')
}

// contentText returns a DashScope content (a string, or multimodal [{"text"}...]) as
// one string.
func contentText(c gjson.Result) string {
	if !c.IsArray() {
		return c.String()
	}
	var b strings.Builder
	c.ForEach(func(_, p gjson.Result) bool {
		if s := p.Get("text"); s.Exists() {
			b.WriteString(s.String())
		}
		return true
	})
	return b.String()
}

// appendContentText writes contentText(c) as a JSON string.
func appendContentText(dst []byte, c gjson.Result) []byte {
	if c.Type == gjson.String {
		return translator.AppendString(dst, c.Str)
	}
	return translator.AppendString(dst, contentText(c))
}

// appendToolCall writes an OpenAI tool call from a DashScope one. In a stream delta
// (delta true) empty ids and names are left out, since clients concatenate fields.
func appendToolCall(dst []byte, tc gjson.Result, pos int, delta bool) []byte {
	dst = append(dst, '{')
	if delta {
		idx := int64(pos)
		if x := tc.Get("index"); x.Exists() {
			idx = x.Int()
		}
		dst = append(dst, `"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, ',')
	}
	id := tc.Get("id").String()
	if id != "" || !delta {
		dst = append(dst, `"id":`...)
		dst = translator.AppendString(dst, id)
		dst = append(dst, `,"type":"function",`...)
	}
	fn := tc.Get("function")
	dst = append(dst, `"function":{`...)
	name := fn.Get("name").String()
	if name != "" || !delta {
		dst = append(dst, `"name":`...)
		dst = translator.AppendString(dst, name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"arguments":`...)
	dst = translator.AppendString(dst, fn.Get("arguments").String())
	return append(dst, "}}"...)
}

// appendFinish writes a finish_reason; DashScope streams "null" (a string) meanwhile.
func appendFinish(dst []byte, f string) []byte {
	if f == "" || f == "null" {
		return append(dst, "null"...)
	}
	return translator.AppendString(dst, f)
}

// SetUpstreamStatus implements translator.StreamStatus: an answer on the streaming
// path that is not SSE (an error JSON, or a whole JSON answer) is collected and
// converted at the end of the stream.
func (t *Chat) SetUpstreamStatus(status int, contentType string) {
	t.status = status
	t.raw = status/100 != 2 || strings.Contains(contentType, "json")
}

// ResponseStream implements translator.Translator.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.raw {
		t.rawBuf = append(t.rawBuf, chunk...)
		if !end {
			return dst, nil
		}
		return t.finishRaw(dst), nil
	}
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		dst = t.event(dst, ev)
	}
	if end {
		for ev, ok := t.rd.Flush(); ok; ev, ok = t.rd.Flush() {
			dst = t.event(dst, ev)
		}
		dst = t.finish(dst)
	}
	return dst, nil
}

// finishRaw converts a collected non-SSE answer into stream events.
func (t *Chat) finishRaw(dst []byte) []byte {
	body := t.rawBuf
	if t.status/100 == 2 && gjson.ValidBytes(body) && !isError(gjson.ParseBytes(body)) {
		dst = t.data(dst, body)
		return t.finish(dst)
	}
	st := t.status
	if st/100 == 2 {
		st = 0
	}
	return t.errorEnd(dst, appendError(nil, st, body))
}

func (t *Chat) errorEnd(dst, errJSON []byte) []byte {
	dst = sse.AppendData(dst, errJSON)
	dst = append(dst, sse.Done...)
	t.done = true
	return dst
}

func (t *Chat) finish(dst []byte) []byte {
	if t.done {
		return dst
	}
	if t.hasUsage {
		t.stamp()
		dst = append(dst, `data: {"id":`...)
		dst = translator.AppendString(dst, t.id)
		dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
		dst = translator.AppendInt(dst, t.created)
		dst = append(dst, `,"model":`...)
		dst = translator.AppendString(dst, t.model)
		dst = append(dst, `,"choices":[],"usage":`...)
		dst = appendUsageFrom(dst, &t.usage)
		dst = append(dst, "}\n\n"...)
	}
	t.done = true
	return append(dst, sse.Done...)
}

// appendUsageFrom writes an OpenAI usage object from recorded numbers.
func appendUsageFrom(dst []byte, u *translator.Usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = translator.AppendInt(dst, u.PromptTokens)
	dst = append(dst, `,"completion_tokens":`...)
	dst = translator.AppendInt(dst, u.CompletionTokens)
	dst = append(dst, `,"total_tokens":`...)
	dst = translator.AppendInt(dst, u.TotalTokens)
	if u.CachedTokens > 0 || u.CacheCreationTokens > 0 {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = translator.AppendInt(dst, u.CachedTokens)
		if u.CacheCreationTokens > 0 {
			dst = append(dst, `,"cache_creation_tokens":`...)
			dst = translator.AppendInt(dst, u.CacheCreationTokens)
		}
		dst = append(dst, '}')
	}
	if u.ReasoningTokens > 0 {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = translator.AppendInt(dst, u.ReasoningTokens)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func (t *Chat) event(dst []byte, ev sse.Event) []byte {
	if t.done {
		return dst
	}
	if string(ev.Name) == "error" {
		return t.errorEnd(dst, appendError(nil, 0, ev.Data))
	}
	if len(ev.Data) == 0 || ev.Data[0] != '{' {
		return dst // keep-alives and foreign lines carry nothing to convert
	}
	return t.data(dst, ev.Data)
}

// data converts one DashScope result (an SSE event's data, or a whole JSON answer
// whose message is taken as one delta).
func (t *Chat) data(dst, data []byte) []byte {
	// One scan of the top level; the output is never validated whole: everything
	// written is re-encoded, and the one raw copy (logprobs) is validated alone.
	var output, usage, reqID, code gjson.Result
	gjson.Parse(view(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "output":
			output = v
		case "usage":
			usage = v
		case "request_id":
			reqID = v
		case "code":
			code = v
		}
		return true
	})
	if code.Type == gjson.String && code.Str != "" && !output.Exists() {
		return t.errorEnd(dst, appendError(nil, 0, data))
	}
	if usage.IsObject() {
		readUsage(usage, &t.usage)
		t.hasUsage = true
	}
	if t.id == "" && reqID.Str != "" {
		t.id = strings.Clone(reqID.Str) // reqID views the event's bytes
	}
	t.stamp()
	start := len(dst)
	dst = append(dst, `data: {"id":`...)
	dst = translator.AppendString(dst, t.id)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = translator.AppendInt(dst, t.created)
	dst = append(dst, `,"model":`...)
	dst = translator.AppendString(dst, t.model)
	dst = append(dst, `,"choices":[`...)
	n := 0
	if choices := output.Get("choices"); choices.IsArray() {
		i := 0
		choices.ForEach(func(_, c gjson.Result) bool {
			idx := int64(i)
			i++
			var msg, finish, logprobs gjson.Result
			c.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "index":
					idx = v.Int()
				case "message":
					msg = v
				case "finish_reason":
					finish = v
				case "logprobs":
					logprobs = v
				}
				return true
			})
			var ok bool
			mark := len(dst)
			if n > 0 {
				dst = append(dst, ',')
			}
			dst, ok = t.appendDelta(dst, msg, finish.String(), logprobs, idx)
			if ok {
				n++
			} else {
				dst = dst[:mark]
			}
			return true
		})
	} else if text := output.Get("text"); text.Exists() {
		var ok bool
		dst, ok = t.appendTextDelta(dst, text.String(), output.Get("finish_reason").String())
		if ok {
			n++
		}
	}
	if n == 0 {
		return dst[:start]
	}
	t.started = true
	return append(dst, "]}\n\n"...)
}

func (t *Chat) appendTextDelta(dst []byte, text, finish string) ([]byte, bool) {
	if text == "" && (finish == "" || finish == "null") {
		return dst, false
	}
	dst = append(dst, `{"index":0,"delta":{`...)
	if !t.started {
		dst = append(dst, `"role":"assistant",`...)
	}
	dst = append(dst, `"content":`...)
	dst = translator.AppendString(dst, text)
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	dst = appendFinish(dst, finish)
	return append(dst, '}'), true
}

// Concat-mode reasoning states per choice.
const (
	thinkNone uint8 = iota
	thinkOpen
	thinkClosed
)

func (t *Chat) thinkState(idx int64) *uint8 {
	if idx < 0 || idx > 64 {
		idx = 0
	}
	for int64(len(t.think)) <= idx {
		t.think = append(t.think, thinkNone)
	}
	return &t.think[idx]
}

// appendDelta writes one chunk choice; ok is false when it carries nothing.
func (t *Chat) appendDelta(dst []byte, msg gjson.Result, finish string, logprobs gjson.Result, idx int64) ([]byte, bool) {
	var content, reasoning, toolCalls gjson.Result
	msg.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			content = v
		case "reasoning_content":
			reasoning = v
		case "tool_calls":
			toolCalls = v
		}
		return true
	})
	text := content.Str
	if content.IsArray() {
		text = contentText(content)
	}
	r := reasoning.Str
	if t.o.ReasoningMode == ReasoningIgnore {
		r = ""
	}
	hasTools := toolCalls.IsArray() && len(toolCalls.Raw) > 2
	hasFinish := finish != "" && finish != "null"
	concat := t.o.ReasoningMode == ReasoningConcat
	var st *uint8
	if concat {
		st = t.thinkState(idx)
		// Close an open think block before content, tools or the end.
		if *st == thinkOpen && (text != "" || hasTools || hasFinish) && r == "" {
			text = thinkEnd + "\n" + text
			*st = thinkClosed
		}
		if r != "" {
			if *st == thinkNone {
				r = thinkStart + r
				*st = thinkOpen
			}
			if text != "" {
				r += thinkEnd + "\n"
				*st = thinkClosed
			}
			text = r + text
			r = ""
		}
	}
	if logprobs.Raw != "" && (logprobs.Type == gjson.Null || !gjson.Valid(logprobs.Raw)) {
		logprobs = gjson.Result{}
	}
	if text == "" && r == "" && !hasTools && !hasFinish && logprobs.Raw == "" {
		return dst, false
	}
	dst = append(dst, `{"index":`...)
	dst = translator.AppendInt(dst, idx)
	dst = append(dst, `,"delta":{`...)
	comma := false
	if !t.started {
		dst = append(dst, `"role":"assistant"`...)
		comma = true
	}
	if text != "" || (!t.started && !hasTools && r == "") {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, `"content":`...)
		dst = translator.AppendString(dst, text)
		comma = true
	}
	if r != "" {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, `"reasoning_content":`...)
		dst = translator.AppendString(dst, r)
		comma = true
	}
	if hasTools {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, `"tool_calls":[`...)
		j := 0
		toolCalls.ForEach(func(_, tc gjson.Result) bool {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCall(dst, tc, j, true)
			j++
			return true
		})
		dst = append(dst, ']')
	}
	dst = append(dst, `},"logprobs":`...)
	dst = translator.AppendRawOr(dst, logprobs.Raw, "null")
	dst = append(dst, `,"finish_reason":`...)
	dst = appendFinish(dst, finish)
	return append(dst, '}'), true
}
