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
	params  reqParams
	resp    []byte // the converted answer; separate so the converted request stays valid
	parts   []byte // joins multimodal text parts
	created int64

	// response stream state
	rd        sse.Reader
	id        string
	head      []byte // the start of every chunk event (see appendHead)
	chunk     []byte // an event's choices, converted
	started   bool   // the first chunk (with the role) was written
	done      bool   // [DONE] written
	finished  bool   // a choice had a finish_reason: the answer is complete
	hasUsage  bool
	usageRaw  []byte  // the last usage object of the stream, read on demand
	usageNew  bool    // usageRaw is not read into usage yet
	think     []uint8 // per choice index: concat-mode reasoning state
	tools     toolStarts
	shape     translator.Shape // the last event's
	content   string           // the content literal of the event's last choice, copied raw
	contentAt int              // where it is in chunk
	stateful  bool             // the event's chunk depends on the stream so far (tool calls)
	noShape   bool             // tests: always walk the event
	status    int
	raw       bool // a non-SSE answer on the streaming path: collected whole
	rawBuf    []byte
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

// errMedia stops a text-generation conversion at the first non-text content part: the
// request goes to multimodal-generation, converted again in that format.
var errMedia = errors.New("a media content part")

// reqParams collects the request's parameters in one pass over the body.
type reqParams struct {
	buf              []byte // "k":v,... for the parameters object
	maxTokens        string // raw
	effort           string // raw
	explicitThinking bool
	explicitSearch   bool
}

func (p *reqParams) add(k, v string) {
	switch k {
	case "result_format", "incremental_output", "stream":
		return // set by the converter
	case "max_tokens", "max_completion_tokens":
		if p.maxTokens == "" || k == "max_completion_tokens" {
			p.maxTokens = v
		}
		return
	case "reasoning_effort":
		p.effort = v
		return
	case "enable_thinking":
		p.explicitThinking = true
	case "enable_search":
		p.explicitSearch = true
	}
	if len(p.buf) > 0 {
		p.buf = append(p.buf, ',')
	}
	p.buf = translator.AppendString(p.buf, k)
	p.buf = append(p.buf, ':')
	p.buf = append(p.buf, v...)
}

// RequestBody implements translator.Translator. The body (valid JSON, checked by the
// caller) is read in one pass; messages are converted in a second one, appended to a
// buffer the converter reuses.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	var messages string
	p := &t.params
	if p.buf == nil {
		p.buf = make([]byte, 0, 256)
	}
	*p = reqParams{buf: p.buf[:0]}
	t.model = ""
	t.head = t.head[:0]
	t.shape.Reset()
	for it := members(translator.View(body)); ; {
		k, v, ok := it.member()
		if !ok {
			break
		}
		switch k {
		case "model":
			t.model = strings.Clone(stringOf(v).value()) // v views the body
		case "messages":
			messages = v
		case "stream":
			t.stream = boolOf(v)
		case "stream_options", "input":
		case "parameters":
			if !isObject(v) {
				return nil, errors.New("parameters: must be an object")
			}
			for pi := members(v); ; {
				pk, pv, ok := pi.member()
				if !ok {
					break
				}
				p.add(pk, pv)
			}
		default:
			if !dropParam(k) {
				p.add(k, v)
			}
		}
	}
	if !isArray(messages) {
		return nil, errNoMessages
	}
	t.usage.Model = t.model
	t.mm = IsMultimodalModel(t.model)
	if cap(t.buf) < len(body)+256 {
		t.buf = make([]byte, 0, len(body)+256) // one allocation: the request grows little
	}
	out := append(t.buf[:0], `{"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{"messages":[`...)
	mark := len(out)
	out, n, err := t.appendMessages(out, messages)
	if err == errMedia {
		t.mm = true
		out, n, err = t.appendMessages(out[:mark], messages)
	}
	t.buf = out
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
	if p.maxTokens != "" {
		out = append(out, `,"max_tokens":`...)
		out = append(out, p.maxTokens...)
	}
	if p.effort != "" && !p.explicitThinking {
		switch e := stringOf(p.effort); {
		case e.is("none"), e.is("minimal"):
			out = append(out, `,"enable_thinking":false`...)
		case e.is("low"), e.is("medium"), e.is("high"):
			out = append(out, `,"enable_thinking":true`...)
		}
	}
	if t.o.EnableSearch && !p.explicitSearch {
		out = append(out, `,"enable_search":true`...)
	}
	if len(p.buf) > 0 {
		out = append(out, ',')
		out = append(out, p.buf...)
	}
	out = append(out, `}}`...)
	t.buf = out
	return out, nil
}

// appendMessages writes the messages (with the qwenFileIds system message first) in
// t.mm's format and counts them. In text-generation format it stops with errMedia at
// the first non-text content part.
func (t *Chat) appendMessages(dst []byte, messages string) ([]byte, int, error) {
	n := 0
	if len(t.o.FileIDs) > 0 {
		dst = append(dst, `{"role":"system","content":`...)
		dst = t.appendText(dst, text{s: fileIDContent(t.o.FileIDs)})
		dst = append(dst, '}')
		n++
	}
	for it := elements(messages); ; {
		m, ok := it.next()
		if !ok {
			break
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		var err error
		if dst, err = t.appendMessage(dst, m); err != nil {
			return dst, n, err
		}
	}
	return dst, n, nil
}

// appendText writes a text content: a string for text-generation, [{"text":s}] for
// multimodal-generation.
func (t *Chat) appendText(dst []byte, s text) []byte {
	if !t.mm {
		return s.appendJSON(dst)
	}
	dst = append(dst, `[{"text":`...)
	dst = s.appendJSON(dst)
	return append(dst, `}]`...)
}

func (t *Chat) appendMessage(dst []byte, m string) ([]byte, error) {
	if !isObject(m) {
		return dst, errors.New("messages: every message must be an object")
	}
	var role, content, toolCalls, toolCallID, name, reasoning, partial string
	for it := members(m); ; {
		k, v, ok := it.member()
		if !ok {
			break
		}
		switch k {
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
	}
	var r string
	switch ro := stringOf(role); {
	case ro.is("developer"), ro.is("system"):
		r = `"system"`
	case ro.is("user"):
		r = `"user"`
	case ro.is("assistant"):
		r = `"assistant"`
	case ro.is("tool"), ro.is("function"):
		r = `"tool"`
	default:
		return dst, errors.New("messages: unsupported role " + strings.TrimSpace(role))
	}
	dst = append(dst, `{"role":`...)
	dst = append(dst, r...)
	dst = append(dst, `,"content":`...)
	var err error
	if dst, err = t.appendContent(dst, content); err != nil {
		return dst, err
	}
	if !strOf(name).empty() {
		dst = append(dst, `,"name":`...)
		dst = append(dst, name...)
	}
	if isArray(toolCalls) && len(toolCalls) > 2 {
		dst = append(dst, `,"tool_calls":`...)
		dst = append(dst, toolCalls...)
	}
	if len(toolCallID) > 0 && toolCallID[0] == '"' {
		dst = append(dst, `,"tool_call_id":`...)
		dst = append(dst, toolCallID...)
	}
	if !strOf(reasoning).empty() {
		dst = append(dst, `,"reasoning_content":`...)
		dst = append(dst, reasoning...)
	}
	if partial == "true" {
		dst = append(dst, `,"partial":true`...)
	}
	return append(dst, '}'), nil
}

// appendContent converts one message's content (raw).
func (t *Chat) appendContent(dst []byte, c string) ([]byte, error) {
	switch {
	case len(c) > 0 && c[0] == '"':
		return t.appendText(dst, strOf(c)), nil
	case c == "" || c == "null":
		if t.mm {
			return append(dst, `[]`...), nil
		}
		return append(dst, `""`...), nil
	case !isArray(c):
		return dst, errors.New("messages: content must be a string or an array of parts")
	}
	if !t.mm {
		// Text parts only: one string, parts joined by "\n".
		dst = append(dst, '"')
		first := true
		for it := elements(c); ; {
			p, ok := it.next()
			if !ok {
				break
			}
			if err := translator.CheckPart("messages", p); err != nil {
				return dst, err
			}
			var f [2]string
			getFields(p, partNames[:2], f[:])
			typ, txt := f[0], f[1]
			if ty := strOf(typ); !ty.empty() && !ty.is("text") {
				return dst, errMedia
			}
			if !first {
				dst = append(dst, `\n`...)
			}
			first = false
			dst = stringOf(txt).appendInner(dst)
		}
		return append(dst, '"'), nil
	}
	dst = append(dst, '[')
	n := 0
	for it := elements(c); ; {
		p, ok := it.next()
		if !ok {
			break
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		var err error
		if dst, err = appendPart(dst, p); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendEscaped appends s escaped as inside a JSON string, without the quotes.
func appendEscaped(dst []byte, s string) []byte {
	mark := len(dst)
	dst = translator.AppendString(dst, s)
	n := copy(dst[mark:], dst[mark+1:len(dst)-1])
	return dst[:mark+n]
}

// appendPart converts one OpenAI content part (raw) to a DashScope multimodal item.
func appendPart(dst []byte, p string) ([]byte, error) {
	if err := translator.CheckPart("messages", p); err != nil {
		return dst, err
	}
	var f [6]string
	getFields(p, partNames, f[:])
	typ, txt, image, audio, videoURL, video := f[0], f[1], f[2], f[3], f[4], f[5]
	ty := stringOf(typ)
	switch {
	case ty.empty(), ty.is("text"):
		dst = append(dst, `{"text":`...)
		dst = stringOf(txt).appendJSON(dst)
	case ty.is("image_url"):
		if isObject(image) {
			image = field(image, "url")
		}
		dst = append(dst, `{"image":`...)
		dst = stringOf(image).appendJSON(dst)
	case ty.is("input_audio"):
		data := stringOf(field(audio, "data")).value()
		dst = append(dst, `{"audio":`...)
		if strings.Contains(data, "://") || strings.HasPrefix(data, "data:") {
			dst = translator.AppendString(dst, data)
		} else {
			// DashScope takes inline audio as a data URL.
			dst = translator.AppendString(dst, "data:audio/"+stringOf(field(audio, "format")).value()+";base64,"+data)
		}
	case ty.is("video_url"):
		if isObject(videoURL) {
			videoURL = field(videoURL, "url")
		}
		dst = append(dst, `{"video":`...)
		dst = stringOf(videoURL).appendJSON(dst)
	case ty.is("video"):
		// DashScope's own extension: a video as a list of frame image URLs.
		dst = append(dst, `{"video":`...)
		dst = translator.AppendRawOr(dst, video, "[]")
	default:
		return dst, errors.New("messages: content part type " + ty.value() + " is not supported by DashScope")
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
func (t *Chat) Usage() translator.Usage {
	t.readStreamUsage()
	return t.usage
}

// readStreamUsage reads the last usage object a stream sent into t.usage.
func (t *Chat) readStreamUsage() {
	if t.usageNew {
		readUsageRaw(translator.View(t.usageRaw), &t.usage)
		t.usageNew = false
	}
}

func (t *Chat) stamp() {
	if t.created == 0 {
		t.created = t.o.now()
	}
}

// The members read with getFields, in the order of their values.
var (
	partNames     = []string{"type", "text", "image_url", "input_audio", "video_url", "video"}
	outputNames   = []string{"choices", "text", "finish_reason"}
	choiceNames   = []string{"message", "index", "finish_reason", "logprobs"}
	messageNames  = []string{"content", "reasoning_content", "tool_calls"}
	toolCallNames = []string{"index", "id", "function"}
	functionNames = []string{"name", "arguments"}
)

// answerTop holds the raw top-level fields of a DashScope answer or stream event.
type answerTop struct {
	output, usage, requestID, code string
}

// scanTop reads the top level of a DashScope answer in one pass (for repeated keys the
// last counts). whole is false when body is not an object read to its end.
func scanTop(body string) (top answerTop, whole bool) {
	it := members(body)
	for {
		k, v, ok := it.member()
		if !ok {
			break
		}
		switch k {
		case "output":
			top.output = v
		case "usage":
			top.usage = v
		case "request_id":
			top.requestID = v
		case "code":
			top.code = v
		}
	}
	return top, it.opened && it.rest()
}

// isError reports whether a 2xx-looking answer is in fact a DashScope error.
func (a *answerTop) isError() bool { return a.output == "" && !strOf(a.code).empty() }

// ResponseBody implements translator.Translator. The answer is read in one pass at
// each level, not validated first: a body that breaks off is still caught (it is not
// read to its end), and every value written is re-encoded or checked.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	top, whole := scanTop(translator.View(body))
	if status/100 != 2 {
		return appendError(nil, status, body), nil
	}
	if !whole && !gjson.ValidBytes(body) {
		return nil, errors.New("upstream answer is not JSON")
	}
	if top.isError() {
		return appendError(nil, status, body), nil
	}
	t.stamp()
	if cap(t.resp) < len(body)+512 {
		t.resp = make([]byte, 0, len(body)+512) // one allocation: answers grow little
	}
	out := append(t.resp[:0], `{"id":`...)
	out = stringOf(top.requestID).appendJSON(out)
	out = append(out, `,"object":"chat.completion","created":`...)
	out = translator.AppendInt(out, t.created)
	out = append(out, `,"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"choices":[`...)
	var f [3]string
	getFields(top.output, outputNames, f[:])
	choices, txt, finish := f[0], f[1], f[2]
	if isArray(choices) {
		i := 0
		for it := elements(choices); ; {
			c, ok := it.next()
			if !ok {
				break
			}
			if i > 0 {
				out = append(out, ',')
			}
			out = t.appendChoice(out, c, i)
			i++
		}
	} else if txt != "" {
		// result_format "text" (a model that ignores "message").
		out = append(out, `{"index":0,"message":{"role":"assistant","content":`...)
		out = stringOf(txt).appendJSON(out)
		out = append(out, `},"finish_reason":`...)
		out = appendFinish(out, stringOf(finish))
		out = append(out, '}')
	}
	out = append(out, `],"usage":`...)
	out = appendUsage(out, top.usage, &t.usage)
	out = append(out, '}')
	t.resp = out
	return out, nil
}

// validRaw returns a raw value to copy out, or "" when it is absent or not valid JSON.
func validRaw(raw string) string {
	if raw == "" || raw == "null" || !gjson.Valid(raw) {
		return ""
	}
	return raw
}

func (t *Chat) appendChoice(dst []byte, c string, i int) []byte {
	var f [7]string
	getFields(c, choiceNames, f[:4])
	getFields(f[0], messageNames, f[4:])
	index, finish, logprobs := f[1], f[2], f[3]
	content, reasoningRaw, toolCalls := f[4], f[5], f[6]
	idx := int64(i)
	if index != "" {
		idx = intOf(index)
	}
	dst = append(dst, `{"index":`...)
	dst = translator.AppendInt(dst, idx)
	dst = append(dst, `,"message":{"role":"assistant","content":`...)
	reasoning := stringOf(reasoningRaw)
	switch {
	case t.o.ReasoningMode == ReasoningConcat && !reasoning.empty():
		dst = append(dst, `"`+thinkStart...)
		dst = reasoning.appendInner(dst)
		dst = append(dst, thinkEnd+`\n`...)
		dst = t.contentText(content).appendInner(dst)
		dst = append(dst, '"')
	case (content == "" || content == "null") && isArray(toolCalls):
		dst = append(dst, "null"...)
	default:
		dst = t.contentText(content).appendJSON(dst)
	}
	if !reasoning.empty() && t.o.ReasoningMode != ReasoningIgnore && t.o.ReasoningMode != ReasoningConcat {
		dst = append(dst, `,"reasoning_content":`...)
		dst = reasoning.appendJSON(dst)
	}
	if isArray(toolCalls) && len(toolCalls) > 2 {
		dst = append(dst, `,"tool_calls":[`...)
		j := 0
		for it := elements(toolCalls); ; {
			tc, ok := it.next()
			if !ok {
				break
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCall(dst, tc, j, nil, 0)
			j++
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"logprobs":`...)
	dst = translator.AppendRawOr(dst, validRaw(logprobs), "null")
	dst = append(dst, `,"finish_reason":`...)
	dst = appendFinish(dst, stringOf(finish))
	return append(dst, '}')
}

// contentText returns a DashScope content (a string, or multimodal [{"text"}...]) as
// one text. Several parts are joined in t.parts, which the result may view until the
// next call.
func (t *Chat) contentText(c string) text {
	if !isArray(c) {
		return stringOf(c)
	}
	var one text
	n := 0
	t.parts = append(t.parts[:0], '"')
	for it := elements(c); ; {
		p, ok := it.next()
		if !ok {
			break
		}
		raw := field(p, "text")
		if raw == "" {
			continue
		}
		s := stringOf(raw)
		if s.empty() {
			continue
		}
		if s.lit == "" {
			return contentTextSlow(c) // join values, not escaped literals
		}
		one = s
		n++
		t.parts = s.appendInner(t.parts)
	}
	if n <= 1 {
		return one
	}
	t.parts = append(t.parts, '"')
	return text{lit: translator.View(t.parts)}
}

// contentTextSlow is contentText for parts that are not all canonical literals.
func contentTextSlow(c string) text {
	var b strings.Builder
	for it := elements(c); ; {
		p, ok := it.next()
		if !ok {
			break
		}
		if raw := field(p, "text"); raw != "" {
			b.WriteString(stringOf(raw).value())
		}
	}
	return text{s: b.String()}
}

// appendToolCall writes an OpenAI tool call from a raw DashScope one; in a stream
// (started not nil) as a delta of the given choice.
func appendToolCall(dst []byte, tc string, pos int, started *toolStarts, choice int64) []byte {
	var f [5]string
	getFields(tc, toolCallNames, f[:3])
	getFields(f[2], functionNames, f[3:])
	index, args := f[0], f[4]
	id, nm := stringOf(f[1]), stringOf(f[3])
	delta := started != nil
	dst = append(dst, '{')
	if delta {
		idx := int64(pos)
		if index != "" {
			idx = intOf(index)
		}
		dst = append(dst, `"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, ',')
		// Clients concatenate the fields of deltas: the id and the name go in the
		// call's first delta only, also where the upstream repeats them.
		id, nm = started.once(choice, idx, id, nm)
	}
	if !id.empty() || !delta {
		dst = append(dst, `"id":`...)
		dst = id.appendJSON(dst)
		dst = append(dst, `,"type":"function",`...)
	}
	dst = append(dst, `"function":{`...)
	if !nm.empty() || !delta {
		dst = append(dst, `"name":`...)
		dst = nm.appendJSON(dst)
		dst = append(dst, ',')
	}
	dst = append(dst, `"arguments":`...)
	dst = stringOf(args).appendJSON(dst)
	return append(dst, "}}"...)
}

// toolStarts records the tool calls a stream has started, with the id and the name
// sent for each.
type toolStarts []toolStart

type toolStart struct {
	choice, index int64
	id, name      string
}

// once returns id and name, each emptied when the call was already sent with it.
func (ts *toolStarts) once(choice, index int64, id, name text) (text, text) {
	for i := range *ts {
		if s := &(*ts)[i]; s.choice == choice && s.index == index {
			id = onceText(id, &s.id)
			name = onceText(name, &s.name)
			return id, name
		}
	}
	if !id.empty() || !name.empty() {
		*ts = append(*ts, toolStart{choice, index, strings.Clone(id.value()), strings.Clone(name.value())})
	}
	return id, name
}

// onceText returns x, or nothing when it repeats sent; it records x as sent.
func onceText(x text, sent *string) text {
	switch v := x.value(); {
	case v == *sent:
		return text{}
	case v != "":
		*sent = strings.Clone(v) // v may view the event's bytes
	}
	return x
}

// appendFinish writes a finish_reason; DashScope streams "null" (a string) meanwhile.
func appendFinish(dst []byte, f text) []byte {
	if f.empty() || f.is("null") {
		return append(dst, "null"...)
	}
	return f.appendJSON(dst)
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
		// An event the stream ends inside is discarded (SSE); without a finish_reason
		// the answer was cut, which the client must learn as an error.
		if !t.finished && !t.done {
			return t.errorEnd(dst, translator.AppendOpenAIError(nil, translator.StreamCutMessage, "server_error", "stream_truncated")), nil
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

// appendHead writes the start of a chunk event, `data: {"id":...,"choices":[`. It is
// the same for every event of the stream, so it is kept once written.
func (t *Chat) appendHead(dst []byte) []byte {
	if len(t.head) == 0 || t.created == 0 {
		h := append(t.head[:0], `data: {"id":`...)
		h = translator.AppendString(h, t.id)
		h = append(h, `,"object":"chat.completion.chunk","created":`...)
		h = translator.AppendInt(h, t.created)
		h = append(h, `,"model":`...)
		h = translator.AppendString(h, t.model)
		t.head = append(h, `,"choices":[`...)
	}
	return append(dst, t.head...)
}

func (t *Chat) finish(dst []byte) []byte {
	if t.done {
		return dst
	}
	if t.hasUsage {
		t.stamp()
		t.readStreamUsage()
		dst = t.appendHead(dst)
		dst = append(dst, `],"usage":`...)
		dst = appendUsageFrom(dst, &t.usage)
		dst = append(dst, "}\n\n"...)
	}
	t.done = true
	return append(dst, sse.Done...)
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
// whose message is taken as one delta). The event is walked once, descending into
// output, usage and the choices in place; there is no validation pass: a malformed
// event reads as one with less in it, and everything written is re-encoded, or checked
// when copied raw (logprobs). The choices go to t.chunk first, since request_id (the
// chunk's id) comes last.
func (t *Chat) data(dst, data []byte) []byte {
	if content, usage, ok := t.shape.Match(translator.View(data)); ok && !t.noShape {
		if usage != "" {
			t.usageRaw = append(t.usageRaw[:0], usage...)
			t.usageNew = true
		}
		return t.shape.Append(dst, content)
	}
	t.shape.Reset()
	t.content, t.stateful = "", false
	var code, reqID text
	var usage string
	hasOutput := false
	n := 0
	for it := members(translator.View(data)); ; {
		k, ok := it.key()
		if !ok {
			break
		}
		switch k { // for repeated keys the last counts
		case "output":
			hasOutput = true
			t.chunk = t.chunk[:0]
			n = t.outputDeltas(&it)
		case "usage":
			usage = it.raw()
		case "request_id":
			if t.id == "" {
				reqID, _ = it.text()
			}
		case "code":
			code, _ = it.text()
		}
	}
	if !hasOutput && !code.empty() {
		return t.errorEnd(dst, appendError(nil, 0, data))
	}
	if isObject(usage) {
		// Kept raw and read when asked for: only the last one counts.
		t.usageRaw = append(t.usageRaw[:0], usage...)
		t.usageNew, t.hasUsage = true, true
	}
	if t.id == "" && !reqID.empty() {
		t.id = strings.Clone(reqID.value()) // reqID views the event's bytes
		t.head = t.head[:0]
	}
	t.stamp()
	if n == 0 {
		return dst
	}
	// The chunk depends on the event's bytes alone (the role is sent, no think state):
	// the next event may match its shape.
	shaped := t.started && t.content != "" && !t.stateful && t.o.ReasoningMode != ReasoningConcat
	t.started = true
	start := len(dst)
	dst = t.appendHead(dst)
	at := len(dst) - start + t.contentAt
	dst = append(dst, t.chunk...)
	dst = append(dst, "]}\n\n"...)
	if shaped {
		t.shape.Set(translator.View(data), t.content, usage, dst[start:], at)
	}
	return dst
}

// outputDeltas converts the output object at it into chunk choices in t.chunk and
// counts them.
func (t *Chat) outputDeltas(it *iter) int {
	var txt, finish text
	var hasText, seen, isArray bool
	n := 0
	o := it.enterObject()
	for {
		k, ok := o.key()
		if !ok {
			break
		}
		switch k { // the first of each counts, as with gjson's Get
		case "choices":
			if seen {
				continue
			}
			seen = true
			cs := o.enterArray()
			if isArray = cs.opened; isArray {
				n = t.choiceDeltas(&cs)
				o.leave(&cs)
			}
		case "text":
			if !hasText {
				txt, hasText = o.str(), true
			}
		case "finish_reason":
			if finish.empty() {
				finish = o.str()
			}
		}
	}
	it.leave(&o)
	if !isArray && hasText {
		var ok bool
		if t.chunk, ok = t.appendTextDelta(t.chunk, txt, finish); ok {
			n++
		}
	}
	return n
}

// message holds the fields of a choice's message that a delta needs.
type message struct {
	content   string // raw, when an array of parts
	text      text   // the content, when a string
	reasoning text
	toolCalls string // raw
}

// choiceDeltas converts the choices array at cs into chunk choices in t.chunk.
func (t *Chat) choiceDeltas(cs *iter) int {
	i, n := 0, 0
	for cs.item() {
		idx := int64(i)
		i++
		var msg message
		var finish text
		var logprobs string
		c := cs.enterObject()
		for {
			k, ok := c.key()
			if !ok {
				break
			}
			switch k { // the last of each counts
			case "index":
				idx = intOf(c.raw())
			case "message":
				msg = message{}
				m := c.enterObject()
				for {
					k, ok := m.key()
					if !ok {
						break
					}
					switch k {
					case "content":
						msg.content, msg.text = "", text{}
						if x, raw := m.text(); isArray(raw) {
							msg.content = raw
						} else {
							msg.text = x
						}
					case "reasoning_content":
						msg.reasoning, _ = m.text()
					case "tool_calls":
						msg.toolCalls = m.raw()
					}
				}
				c.leave(&m)
			case "finish_reason":
				finish = c.str()
			case "logprobs":
				logprobs = c.raw()
			}
		}
		cs.leave(&c)
		mark := len(t.chunk)
		if n > 0 {
			t.chunk = append(t.chunk, ',')
		}
		var ok bool
		if t.chunk, ok = t.appendDelta(t.chunk, &msg, finish, logprobs, idx); ok {
			n++
		} else {
			t.chunk = t.chunk[:mark]
		}
	}
	return n
}

func (t *Chat) appendTextDelta(dst []byte, txt, finish text) ([]byte, bool) {
	hasFinish := !finish.empty() && !finish.is("null")
	t.finished = t.finished || hasFinish
	if txt.empty() && !hasFinish {
		return dst, false
	}
	dst = append(dst, `{"index":0,"delta":{`...)
	if !t.started {
		dst = append(dst, `"role":"assistant",`...)
	}
	dst = append(dst, `"content":`...)
	dst = txt.appendJSON(dst)
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

// deltaText is a delta's content: in concat mode pre + a + mid + b, where pre and mid
// are think markers (already escaped) and a is the reasoning; otherwise b alone.
type deltaText struct {
	pre, mid string
	a, b     text
}

func (d *deltaText) empty() bool {
	return d.pre == "" && d.mid == "" && d.a.empty() && d.b.empty()
}

func (d *deltaText) appendJSON(dst []byte) []byte {
	if d.pre == "" && d.mid == "" && d.a.empty() {
		return d.b.appendJSON(dst)
	}
	dst = append(dst, '"')
	dst = append(dst, d.pre...)
	dst = d.a.appendInner(dst)
	dst = append(dst, d.mid...)
	dst = d.b.appendInner(dst)
	return append(dst, '"')
}

// appendDelta writes one chunk choice; ok is false when it carries nothing.
func (t *Chat) appendDelta(dst []byte, msg *message, finish text, logprobs string, idx int64) ([]byte, bool) {
	var txt deltaText
	if msg.content != "" {
		txt.b = t.contentText(msg.content)
	} else {
		txt.b = msg.text
	}
	var r text
	if t.o.ReasoningMode != ReasoningIgnore {
		r = msg.reasoning
	}
	toolCalls := msg.toolCalls
	hasTools := isArray(toolCalls) && len(toolCalls) > 2
	hasFinish := !finish.empty() && !finish.is("null")
	t.finished = t.finished || hasFinish
	if t.o.ReasoningMode == ReasoningConcat {
		st := t.thinkState(idx)
		// Close an open think block before content, tools or the end.
		if *st == thinkOpen && (!txt.b.empty() || hasTools || hasFinish) && r.empty() {
			txt.pre = thinkEnd + `\n`
			*st = thinkClosed
		}
		if !r.empty() {
			if *st == thinkNone {
				txt.pre = thinkStart
				*st = thinkOpen
			}
			if !txt.b.empty() {
				txt.mid = thinkEnd + `\n`
				*st = thinkClosed
			}
			txt.a, r = r, text{}
		}
	}
	logprobs = validRaw(logprobs)
	if txt.empty() && r.empty() && !hasTools && !hasFinish && logprobs == "" {
		return dst, false
	}
	// Few appends, each a call in wasm: commas go with the names (`,"name":`), cut
	// for the first field.
	if idx == 0 {
		dst = append(dst, `{"index":0,"delta":{`...)
	} else {
		dst = append(dst, `{"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, `,"delta":{`...)
	}
	first := true
	if !t.started {
		dst = append(dst, `"role":"assistant"`...)
		first = false
	}
	if !txt.empty() || (!t.started && !hasTools && r.empty()) {
		dst = appendName(dst, `,"content":`, &first)
		if txt.pre == "" && txt.mid == "" && txt.a.empty() && txt.b.lit != "" {
			t.content, t.contentAt = txt.b.lit, len(dst) // for the event's shape
		}
		dst = txt.appendJSON(dst)
	}
	if !r.empty() {
		dst = appendName(dst, `,"reasoning_content":`, &first)
		dst = r.appendJSON(dst)
	}
	if hasTools {
		t.stateful = true // a tool call's id and name are sent once
		dst = appendName(dst, `,"tool_calls":[`, &first)
		j := 0
		for it := elements(toolCalls); ; {
			tc, ok := it.next()
			if !ok {
				break
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCall(dst, tc, j, &t.tools, idx)
			j++
		}
		dst = append(dst, ']')
	}
	if logprobs == "" {
		dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	} else {
		dst = append(dst, `},"logprobs":`...)
		dst = append(dst, logprobs...)
		dst = append(dst, `,"finish_reason":`...)
	}
	if finish.empty() || finish.is("null") {
		return append(dst, "null}"...), true
	}
	dst = finish.appendJSON(dst)
	return append(dst, '}'), true
}

// appendName writes name (`,"name":`), without its comma when it is the first field.
func appendName(dst []byte, name string, first *bool) []byte {
	if *first {
		*first = false
		return append(dst, name[1:]...)
	}
	return append(dst, name...)
}
