package anthropic

import (
	"errors"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// DefaultMaxTokens is the max_tokens sent to Claude when the OpenAI request sets none:
// Anthropic requires the field, OpenAI does not.
const DefaultMaxTokens = 4096

// minThinkingBudget is the smallest thinking budget Claude accepts.
const minThinkingBudget = 1024

// ChatToMessages serves an OpenAI chat completions client from an Anthropic Messages
// upstream: the request becomes a /v1/messages body, the answer (JSON or SSE) an OpenAI
// chat completion or chunk stream, and upstream errors OpenAI error JSON. Create one per
// request with NewChatToMessages; it is not safe for concurrent use.
type ChatToMessages struct {
	// Now returns the Unix time written as `created`; nil means the wall clock.
	Now func() int64
	// BodyVersion, when set, is written as the body's anthropic_version in place of
	// model: Claude on Vertex AI (vertex-2023-10-16) names the model in its path.
	BodyVersion string

	model  string // the request's model, used when the answer names none
	stream bool

	status int
	rawErr bool   // a streamed answer that is an error body, not SSE
	errBuf []byte // that body, collected until the end

	rd    sse.Reader
	s     chatStream
	usage translator.Usage

	// The last content_block_delta, to recognize the next ones like it cheaply.
	tmpl      translator.Template
	tmplKind  byte // its deltaKind
	tmplIndex int64

	// reused scratch for the JSON answer
	text, think, blocks, tools []byte
}

// NewChatToMessages returns the converter for one OpenAI chat request to Claude.
func NewChatToMessages() *ChatToMessages { return &ChatToMessages{status: 200} }

func (t *ChatToMessages) now() int64 {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now().Unix()
}

// Usage implements translator.Translator.
func (t *ChatToMessages) Usage() translator.Usage { return t.usage }

// SetUpstreamStatus implements translator.StreamStatus: a non-2xx answer that is not
// SSE is collected whole and converted into an OpenAI error event.
func (t *ChatToMessages) SetUpstreamStatus(status int, contentType string) {
	t.status = status
	t.rawErr = !is2xx(status) && !strings.Contains(contentType, "text/event-stream")
}

var (
	errNotJSON   = errors.New("request body is not valid JSON")
	errNotObject = errors.New("request body must be a JSON object")
)

// chatRequest holds the top-level fields of an OpenAI chat request, read in one pass.
type chatRequest struct {
	model, messages, maxTokens, maxCompletion, temperature, topP, topK, stop, tools,
	toolChoice, parallel, effort, thinking, format, stream, user, safety, n gjson.Result
}

// RequestBody implements translator.Translator: an OpenAI chat completions body in, an
// Anthropic /v1/messages body out. Fields Claude has no equivalent for are dropped
// (Anthropic rejects unknown fields); n > 1 and content it cannot carry are errors.
func (t *ChatToMessages) RequestBody(body []byte) ([]byte, error) {
	// One pass checks the body and picks the top-level fields.
	var f chatRequest
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		var v *gjson.Result
		switch sc.Key() {
		case "model":
			v = &f.model
		case "messages":
			v = &f.messages
		case "max_tokens":
			v = &f.maxTokens
		case "max_completion_tokens":
			v = &f.maxCompletion
		case "temperature":
			v = &f.temperature
		case "top_p":
			v = &f.topP
		case "top_k":
			v = &f.topK
		case "stop":
			v = &f.stop
		case "tools":
			v = &f.tools
		case "tool_choice":
			v = &f.toolChoice
		case "parallel_tool_calls":
			v = &f.parallel
		case "reasoning_effort":
			v = &f.effort
		case "thinking":
			v = &f.thinking
		case "response_format":
			v = &f.format
		case "stream":
			v = &f.stream
		case "user":
			v = &f.user
		case "safety_identifier":
			v = &f.safety
		case "n":
			v = &f.n
		}
		if v != nil {
			*v = gjson.Parse(sc.Value())
		}
	}
	if !sc.Valid() {
		return nil, errNotJSON
	}
	if i := skipSpace(body); i == len(body) || body[i] != '{' {
		return nil, errNotObject
	}
	t.model = strings.Clone(f.model.String()) // kept for the answer
	t.stream = f.stream.Bool()
	if f.n.Type == gjson.Number && f.n.Int() > 1 {
		return nil, errors.New("n: Claude returns one choice per request; n > 1 is not supported")
	}

	w := reqWriter{dst: make([]byte, 0, len(body)+256)}
	if t.BodyVersion != "" {
		w.dst = append(w.dst, `{"anthropic_version":`...)
		w.dst = translator.AppendString(w.dst, t.BodyVersion)
	} else {
		w.dst = append(w.dst, `{"model":`...)
		w.dst = appendJSONString(w.dst, f.model)
	}

	// max_tokens is required by Claude and must exceed the thinking budget.
	maxTok, explicitMax := int64(DefaultMaxTokens), false
	if f.maxCompletion.Type == gjson.Number {
		maxTok, explicitMax = f.maxCompletion.Int(), true
	} else if f.maxTokens.Type == gjson.Number {
		maxTok, explicitMax = f.maxTokens.Int(), true
	}
	var budget int64
	thinkingRaw := ""
	if f.thinking.IsObject() {
		thinkingRaw = f.thinking.Raw
		if f.thinking.Get("type").Str == "enabled" {
			budget = f.thinking.Get("budget_tokens").Int()
		}
	} else if f.effort.Type == gjson.String {
		budget = effortBudget(f.effort.Str)
		// Claude refuses thinking with a forced tool; the effort level is only a hint.
		if forced := f.toolChoice.Str == "required" || f.toolChoice.IsObject(); forced && f.tools.IsArray() && f.tools.Raw != "[]" {
			budget = 0
		}
	}
	if budget > 0 && maxTok <= budget {
		switch {
		case !explicitMax:
			maxTok = budget + DefaultMaxTokens
		case thinkingRaw == "":
			// An effort level must not break a request whose max_tokens is small.
			if budget = maxTok / 2; budget < minThinkingBudget {
				budget = 0
			}
		}
		// An explicit thinking object is the client's word: Claude's own error explains it.
	}
	w.dst = append(w.dst, `,"max_tokens":`...)
	w.dst = translator.AppendInt(w.dst, maxTok)

	w.dst = append(w.dst, `,"messages":[`...)
	if err := w.messages(f.messages); err != nil {
		return nil, err
	}
	w.end()
	w.dst = append(w.dst, ']')
	if len(w.sys) > 0 {
		w.dst = append(w.dst, `,"system":[`...)
		w.dst = append(w.dst, w.sys...)
		w.dst = append(w.dst, ']')
	}
	if err := w.tools(f.tools, f.toolChoice, f.parallel); err != nil {
		return nil, err
	}
	switch {
	case f.stop.Type == gjson.String && f.stop.Str != "":
		w.dst = append(w.dst, `,"stop_sequences":[`...)
		w.dst = append(w.dst, f.stop.Raw...)
		w.dst = append(w.dst, ']')
	case f.stop.IsArray():
		n := 0
		f.stop.ForEach(func(_, s gjson.Result) bool {
			if s.Type != gjson.String || len(s.Raw) <= 2 {
				return true
			}
			if n == 0 {
				w.dst = append(w.dst, `,"stop_sequences":[`...)
			} else {
				w.dst = append(w.dst, ',')
			}
			w.dst = append(w.dst, s.Raw...)
			n++
			return true
		})
		if n > 0 {
			w.dst = append(w.dst, ']')
		}
	}
	if f.temperature.Type == gjson.Number {
		w.dst = append(w.dst, `,"temperature":`...)
		if f.temperature.Num > 1 { // OpenAI allows up to 2, Claude up to 1
			w.dst = append(w.dst, '1')
		} else {
			w.dst = append(w.dst, f.temperature.Raw...)
		}
	}
	if f.topP.Type == gjson.Number {
		w.dst = append(w.dst, `,"top_p":`...)
		w.dst = append(w.dst, f.topP.Raw...)
	}
	if f.topK.Type == gjson.Number {
		w.dst = append(w.dst, `,"top_k":`...)
		w.dst = append(w.dst, f.topK.Raw...)
	}
	if thinkingRaw != "" {
		w.dst = append(w.dst, `,"thinking":`...)
		w.dst = append(w.dst, thinkingRaw...)
	} else if budget > 0 {
		w.dst = append(w.dst, `,"thinking":{"type":"enabled","budget_tokens":`...)
		w.dst = translator.AppendInt(w.dst, budget)
		w.dst = append(w.dst, '}')
	}
	if f.format.Get("type").Str == "json_schema" {
		if schema := f.format.Get("json_schema.schema"); schema.IsObject() {
			w.dst = append(w.dst, `,"output_config":{"format":{"type":"json_schema","schema":`...)
			w.dst = append(w.dst, schema.Raw...)
			w.dst = append(w.dst, "}}"...)
		}
	}
	user := f.user
	if user.Type != gjson.String || user.Str == "" {
		user = f.safety
	}
	if user.Type == gjson.String && len(user.Raw) > 2 {
		w.dst = append(w.dst, `,"metadata":{"user_id":`...)
		w.dst = append(w.dst, user.Raw...)
		w.dst = append(w.dst, '}')
	}
	if t.stream {
		w.dst = append(w.dst, `,"stream":true`...)
	}
	return append(w.dst, '}'), nil
}

// reqWriter writes Anthropic messages. Consecutive OpenAI messages that map to the same
// Anthropic role (several tool results, a tool result and the user's next words) are
// merged into one turn, and a message that yields no block is left out, because
// Claude rejects empty content.
type reqWriter struct {
	dst  []byte
	sys  []byte // system blocks, comma-separated
	open bool   // a message is open, its content array awaiting more blocks
	role string
	msgs int
}

type writerState struct {
	open bool
	role string
	msgs int
}

func (w *reqWriter) state() writerState    { return writerState{w.open, w.role, w.msgs} }
func (w *reqWriter) restore(s writerState) { w.open, w.role, w.msgs = s.open, s.role, s.msgs }

// begin prepares dst for one more content block in a turn of role.
func (w *reqWriter) begin(role string) {
	if w.open {
		if w.role == role {
			w.dst = append(w.dst, ',')
			return
		}
		w.dst = append(w.dst, "]}"...)
	}
	if w.msgs > 0 {
		w.dst = append(w.dst, ',')
	}
	w.msgs++
	w.dst = append(w.dst, `{"role":"`...)
	w.dst = append(w.dst, role...)
	w.dst = append(w.dst, `","content":[`...)
	w.open, w.role = true, role
}

func (w *reqWriter) end() {
	if w.open {
		w.dst = append(w.dst, "]}"...)
		w.open = false
	}
}

// block writes one block of a turn of role with write; a write that appends nothing
// leaves no trace (no empty turn, no stray comma).
func (w *reqWriter) block(role string, write func(dst []byte) ([]byte, error)) error {
	mark, saved := len(w.dst), w.state()
	w.begin(role)
	n := len(w.dst)
	var err error
	w.dst, err = write(w.dst)
	if err == nil && len(w.dst) == n {
		w.dst = w.dst[:mark]
		w.restore(saved)
	}
	return err
}

// chatMessage holds one OpenAI message's fields, read in one pass.
type chatMessage struct {
	role, content, toolCalls, toolCallID, reasoning, signature, thinkingBlocks gjson.Result
}

func (w *reqWriter) messages(msgs gjson.Result) error {
	if !msgs.IsArray() {
		return errors.New("messages: must be an array")
	}
	var err error
	i := 0
	msgs.ForEach(func(_, v gjson.Result) bool {
		err = w.message(v, i)
		i++
		return err == nil
	})
	return err
}

func (w *reqWriter) message(v gjson.Result, i int) error {
	var m chatMessage
	v.ForEach(func(k, f gjson.Result) bool {
		switch k.Str {
		case "role":
			m.role = f
		case "content":
			m.content = f
		case "tool_calls":
			m.toolCalls = f
		case "tool_call_id":
			m.toolCallID = f
		case "reasoning_content":
			m.reasoning = f
		case "reasoning_signature":
			m.signature = f
		case "thinking_blocks":
			m.thinkingBlocks = f
		}
		return true
	})
	switch m.role.Str {
	case "system", "developer":
		return w.system(m.content, i)
	case "user":
		return w.content("user", m.content, i)
	case "assistant":
		return w.assistant(&m, i)
	case "tool":
		return w.block("user", func(dst []byte) ([]byte, error) {
			dst = append(dst, `{"type":"tool_result","tool_use_id":`...)
			dst = appendToolID(dst, m.toolCallID.String())
			switch {
			case m.content.Type == gjson.String && len(m.content.Raw) > 2:
				dst = append(dst, `,"content":`...)
				dst = append(dst, m.content.Raw...)
			case m.content.IsArray():
				dst = append(dst, `,"content":[`...)
				var err error
				if dst, err = appendParts(dst, m.content, i); err != nil {
					return dst, err
				}
				dst = append(dst, ']')
			}
			return append(dst, '}'), nil
		})
	}
	return errors.New("messages[" + itoa(i) + "].role: " + m.role.Raw + " is not one of system, developer, user, assistant, tool")
}

// system adds a system or developer message to the top-level system blocks: Claude has
// one system prompt, so every such message is kept there, in order.
func (w *reqWriter) system(content gjson.Result, i int) error {
	switch {
	case content.Type == gjson.String:
		w.sys = appendSystemText(w.sys, content, gjson.Result{})
	case content.IsArray():
		content.ForEach(func(_, p gjson.Result) bool {
			if p.Get("type").Str == "text" {
				w.sys = appendSystemText(w.sys, p.Get("text"), p.Get("cache_control"))
			}
			return true
		})
	case content.Exists() && content.Type != gjson.Null:
		return errors.New("messages[" + itoa(i) + "].content: must be a string or an array")
	}
	return nil
}

func appendSystemText(dst []byte, text, cache gjson.Result) []byte {
	if text.Type != gjson.String || len(text.Raw) <= 2 {
		return dst
	}
	if len(dst) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"type":"text","text":`...)
	dst = append(dst, text.Raw...)
	return appendCache(dst, cache)
}

// appendCache closes a block, copying an OpenAI-side cache_control marker (used by
// clients that know they talk to Claude) onto it.
var (
	toolKeys     = [...]string{"type", "function", "cache_control"}
	functionKeys = [...]string{"name", "description", "parameters", "strict"}
)

func appendCache(dst []byte, cache gjson.Result) []byte {
	if cache.IsObject() {
		dst = append(dst, `,"cache_control":`...)
		dst = append(dst, cache.Raw...)
	}
	return append(dst, '}')
}

// content writes a user or assistant message's content as blocks of a turn of role.
func (w *reqWriter) content(role string, content gjson.Result, i int) error {
	switch {
	case content.Type == gjson.String:
		if len(content.Raw) > 2 {
			w.begin(role)
			w.dst = append(w.dst, `{"type":"text","text":`...)
			w.dst = append(w.dst, content.Raw...)
			w.dst = append(w.dst, '}')
		}
	case content.IsArray():
		var err error
		content.ForEach(func(_, p gjson.Result) bool {
			err = w.block(role, func(dst []byte) ([]byte, error) { return appendPart(dst, p, i) })
			return err == nil
		})
		return err
	case content.Exists() && content.Type != gjson.Null:
		return errors.New("messages[" + itoa(i) + "].content: must be a string or an array")
	}
	return nil
}

// appendParts appends the blocks of an OpenAI content array, comma-separated.
func appendParts(dst []byte, parts gjson.Result, i int) ([]byte, error) {
	var err error
	first := true
	parts.ForEach(func(_, p gjson.Result) bool {
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		n := len(dst)
		if dst, err = appendPart(dst, p, i); err != nil {
			return false
		}
		if len(dst) == n {
			dst = dst[:mark]
		} else {
			first = false
		}
		return true
	})
	return dst, err
}

// appendPart appends the Anthropic block for one OpenAI content part, or nothing for
// an empty text part.
func appendPart(dst []byte, p gjson.Result, i int) ([]byte, error) {
	if err := translator.CheckPart("messages["+itoa(i)+"]", p.Raw); err != nil {
		return dst, err
	}
	var typ, text, image, file, cache gjson.Result
	p.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "text", "refusal":
			text = v
		case "image_url":
			image = v
		case "file":
			file = v
		case "cache_control":
			cache = v
		}
		return true
	})
	switch typ.Str {
	case "text", "refusal":
		if text.Type != gjson.String || len(text.Raw) <= 2 {
			return dst, nil
		}
		dst = append(dst, `{"type":"text","text":`...)
		dst = append(dst, text.Raw...)
		return appendCache(dst, cache), nil
	case "image_url":
		url := image
		if image.IsObject() {
			url = image.Get("url")
		}
		if url.Type != gjson.String || url.Str == "" {
			return dst, errors.New("messages[" + itoa(i) + "]: image_url part without a url")
		}
		dst = append(dst, `{"type":"image","source":`...)
		var ok bool
		if dst, ok = appendMediaSource(dst, url.Str); !ok {
			return dst, errors.New("messages[" + itoa(i) + "]: image data URL must be base64 (data:<type>;base64,...)")
		}
		return appendCache(dst, cache), nil
	case "file":
		data := file.Get("file_data").Str
		if !strings.HasPrefix(data, "data:") {
			return dst, errors.New("messages[" + itoa(i) + "]: file parts must carry file_data as a base64 data URL (file ids are not supported by Claude)")
		}
		dst = append(dst, `{"type":"document","source":`...)
		var ok bool
		if dst, ok = appendMediaSource(dst, data); !ok {
			return dst, errors.New("messages[" + itoa(i) + "]: file_data must be base64 (data:<type>;base64,...)")
		}
		return appendCache(dst, cache), nil
	}
	return dst, errors.New("messages[" + itoa(i) + "]: content part type " + typ.Raw + " is not supported by Claude")
}

// appendMediaSource appends an Anthropic image/document source for a URL: a base64 data
// URL becomes {"type":"base64",...}, anything else {"type":"url",...}.
func appendMediaSource(dst []byte, url string) ([]byte, bool) {
	rest, isData := strings.CutPrefix(url, "data:")
	if !isData {
		dst = append(dst, `{"type":"url","url":`...)
		dst = translator.AppendString(dst, url)
		return append(dst, '}'), true
	}
	mediaType, data, ok := strings.Cut(rest, ";base64,")
	if !ok {
		return dst, false
	}
	dst = append(dst, `{"type":"base64","media_type":`...)
	dst = translator.AppendString(dst, mediaType)
	dst = append(dst, `,"data":`...)
	dst = translator.AppendString(dst, data)
	return append(dst, '}'), true
}

// assistant writes an assistant message: thinking blocks first (Claude requires them
// to lead the turn), then text, then tool_use blocks.
func (w *reqWriter) assistant(m *chatMessage, i int) error {
	if m.thinkingBlocks.IsArray() {
		m.thinkingBlocks.ForEach(func(_, b gjson.Result) bool {
			switch b.Get("type").Str {
			case "thinking":
				sig := b.Get("signature")
				if sig.Type != gjson.String || len(sig.Raw) <= 2 {
					return true // Claude rejects thinking it did not sign
				}
				w.begin("assistant")
				w.dst = append(w.dst, `{"type":"thinking","thinking":`...)
				w.dst = appendJSONString(w.dst, b.Get("thinking"))
				w.dst = append(w.dst, `,"signature":`...)
				w.dst = append(w.dst, sig.Raw...)
				w.dst = append(w.dst, '}')
			case "redacted_thinking":
				w.begin("assistant")
				w.dst = append(w.dst, `{"type":"redacted_thinking","data":`...)
				w.dst = appendJSONString(w.dst, b.Get("data"))
				w.dst = append(w.dst, '}')
			}
			return true
		})
	} else if m.signature.Type == gjson.String && len(m.signature.Raw) > 2 {
		w.begin("assistant")
		w.dst = append(w.dst, `{"type":"thinking","thinking":`...)
		w.dst = appendJSONString(w.dst, m.reasoning)
		w.dst = append(w.dst, `,"signature":`...)
		w.dst = append(w.dst, m.signature.Raw...)
		w.dst = append(w.dst, '}')
	}
	if err := w.content("assistant", m.content, i); err != nil {
		return err
	}
	if !m.toolCalls.IsArray() {
		return nil
	}
	var err error
	j := 0
	m.toolCalls.ForEach(func(_, tc gjson.Result) bool {
		err = w.toolUse(tc, i, j)
		j++
		return err == nil
	})
	return err
}

func (w *reqWriter) toolUse(tc gjson.Result, i, j int) error {
	where := "messages[" + itoa(i) + "].tool_calls[" + itoa(j) + "]"
	id := tc.Get("id")
	fn := tc.Get("function")
	name := fn.Get("name")
	if id.Type != gjson.String || id.Str == "" {
		return errors.New(where + ".id: required")
	}
	if name.Type != gjson.String || len(name.Raw) <= 2 {
		return errors.New(where + ".function.name: required")
	}
	args := fn.Get("arguments")
	input := ""
	switch args.Type {
	case gjson.String:
		input = strings.TrimSpace(args.Str)
	case gjson.JSON:
		input = args.Raw
	}
	if input == "" {
		input = "{}"
	} else if input[0] != '{' || !gjson.Valid(input) {
		return errors.New(where + ".function.arguments: must be a JSON object")
	}
	w.begin("assistant")
	w.dst = append(w.dst, `{"type":"tool_use","id":`...)
	w.dst = appendToolID(w.dst, id.Str)
	w.dst = append(w.dst, `,"name":`...)
	w.dst = append(w.dst, name.Raw...)
	w.dst = append(w.dst, `,"input":`...)
	w.dst = append(w.dst, input...)
	w.dst = append(w.dst, '}')
	return nil
}

// tools writes tools and tool_choice. tool_choice needs tools: without them it is
// dropped, as Claude would reject it.
func (w *reqWriter) tools(tools, choice, parallel gjson.Result) error {
	if !tools.IsArray() {
		return nil
	}
	n := 0
	// One pass over each tool and its function (schemas are big): no Get per field.
	sc := translator.NewScan(tools.Raw)
	for sc.Next() {
		var tool [3]string // type, function, cache_control
		pick(sc.Value(), toolKeys[:], tool[:])
		if typ := translator.Str(tool[0]); typ != "" && typ != "function" {
			return errors.New("tools[" + itoa(n) + "].type: " + typ + " is not supported by Claude (only function tools)")
		}
		var fn [4]string // name, description, parameters, strict
		pick(tool[1], functionKeys[:], fn[:])
		name := fn[0]
		if !isText(name) {
			return errors.New("tools[" + itoa(n) + "].function.name: required")
		}
		if n == 0 {
			w.dst = append(w.dst, `,"tools":[`...)
		} else {
			w.dst = append(w.dst, ',')
		}
		w.dst = append(w.dst, `{"name":`...)
		w.dst = append(w.dst, name...)
		if d := fn[1]; isText(d) {
			w.dst = append(w.dst, `,"description":`...)
			w.dst = append(w.dst, d...)
		}
		w.dst = append(w.dst, `,"input_schema":`...)
		if p := fn[2]; isObj(p) {
			w.dst = append(w.dst, p...)
		} else {
			w.dst = append(w.dst, `{"type":"object","properties":{}}`...)
		}
		if fn[3] == "true" {
			w.dst = append(w.dst, `,"strict":true`...)
		}
		w.dst = appendCache(w.dst, gjson.Parse(tool[2]))
		n++
	}
	if n == 0 {
		return nil
	}
	w.dst = append(w.dst, ']')

	typ, name := "", ""
	switch {
	case choice.Type == gjson.String:
		switch choice.Str {
		case "auto":
			typ = "auto"
		case "none":
			typ = "none"
		case "required":
			typ = "any"
		}
	case choice.IsObject():
		if fn := choice.Get("function.name"); fn.Type == gjson.String {
			typ, name = "tool", fn.Raw
		}
	}
	noParallel := parallel.Type == gjson.False
	if typ == "" && noParallel {
		typ = "auto"
	}
	if typ == "" {
		return nil
	}
	w.dst = append(w.dst, `,"tool_choice":{"type":"`...)
	w.dst = append(w.dst, typ...)
	w.dst = append(w.dst, '"')
	if name != "" {
		w.dst = append(w.dst, `,"name":`...)
		w.dst = append(w.dst, name...)
	}
	if noParallel && typ != "none" {
		w.dst = append(w.dst, `,"disable_parallel_tool_use":true`...)
	}
	w.dst = append(w.dst, '}')
	return nil
}
