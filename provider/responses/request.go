// Package responses serves OpenAI Responses API clients (POST /v1/responses) from a
// provider's chat completions API: ResponsesToChat converts the request into a chat
// completions body and the answer (a chat.completion or a chunk stream) back into a
// Response object or the Responses event stream.
//
// What is converted and what is refused:
//
//   - input (a string or items): message items (user, assistant, system; developer
//     becomes system) with string content or input_text / output_text / refusal /
//     input_image / input_audio parts; function_call items become assistant tool_calls
//     (consecutive ones, and the assistant text before them, one assistant message);
//     function_call_output items become tool messages. reasoning items are dropped:
//     chat providers take no reasoning back. input_image with a file_id, input_file and
//     item_reference are refused: they need the provider's file or response store.
//   - instructions become the first system message; function tools, tool_choice,
//     text.format (json_schema, json_object), reasoning.effort, max_output_tokens (as
//     max_tokens, which every chat provider reads; max_completion_tokens is OpenAI's
//     newer name that many providers ignore), temperature, top_p, parallel_tool_calls,
//     user and stream (with stream_options.include_usage) are carried over.
//   - Built-in tools (web_search, file_search, computer_use, code_interpreter, mcp,
//     image_generation, ...) are refused with a 400 naming the tool: chat providers
//     have none.
//   - There is no server-side state: store and metadata are ignored (nothing is
//     stored), and previous_response_id, conversation and background are refused; the
//     client sends the whole conversation in input.
//
// Everything is read with translator.Scan and written by appending to buffers the
// converter reuses; streams are converted event by event with sse.Reader.
package responses

import (
	"errors"
	"strconv"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// ResponsesToChat is the converter for one Responses request served by a chat
// completions upstream. Create one per request with NewResponsesToChat.
type ResponsesToChat struct {
	// Now gives created_at when the upstream names no `created`; tests fix it.
	Now func() int64

	model  string
	stream bool
	echo   []byte // the request fields a Response repeats, as `,"key":value...`

	status int
	rawErr bool
	errBuf []byte

	rd    sse.Reader
	s     stream
	usage translator.Usage
	tmpl  translator.Template
	tmplK byte

	out []byte // scratch
}

// NewResponsesToChat returns the converter for one Responses request.
func NewResponsesToChat() *ResponsesToChat {
	return &ResponsesToChat{status: 200, Now: func() int64 { return time.Now().Unix() }}
}

// Usage implements translator.Translator.
func (t *ResponsesToChat) Usage() translator.Usage { return t.usage }

// SetUpstreamStatus implements translator.StreamStatus: a non-2xx answer that is no
// SSE is collected and ends the stream as response.failed.
func (t *ResponsesToChat) SetUpstreamStatus(status int, contentType string) {
	t.status = status
	t.rawErr = !is2xx(status) && !contains(contentType, "text/event-stream")
}

func is2xx(s int) bool { return s >= 200 && s < 300 }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// passKeys are chat completions fields a Responses body may carry (an operator's
// customSettings writes them before the conversion): they are passed on as they are.
var passKeys = map[string]bool{
	"stop": true, "seed": true, "frequency_penalty": true, "presence_penalty": true,
	"top_k": true, "enable_thinking": true, "thinking": true, "max_tokens": true,
	"max_completion_tokens": true, "response_format": true, "reasoning_effort": true,
}

type reqFields struct {
	model, input, instructions, tools, toolChoice, text, reasoning, maxOut,
	temperature, topP, parallel, user, stream, metadata string
}

// RequestBody implements translator.Translator: a Responses body in, a chat
// completions body out.
func (t *ResponsesToChat) RequestBody(body []byte) ([]byte, error) {
	var f reqFields
	out := make([]byte, 0, len(body)+128)
	var extra []byte
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		v := sc.Value()
		switch k := sc.Key(); k {
		case "model":
			f.model = v
		case "input":
			f.input = v
		case "instructions":
			f.instructions = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "text":
			f.text = v
		case "reasoning":
			f.reasoning = v
		case "max_output_tokens":
			f.maxOut = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "parallel_tool_calls":
			f.parallel = v
		case "user":
			f.user = v
		case "stream":
			f.stream = v
		case "metadata":
			f.metadata = v
		case "previous_response_id":
			if !isNull(v) {
				return nil, errors.New("previous_response_id needs server-side state; this provider does not serve the Responses API natively: send the whole conversation in input")
			}
		case "conversation":
			if !isNull(v) {
				return nil, errors.New("conversation needs server-side state; this provider does not serve the Responses API natively: send the whole conversation in input")
			}
		case "background":
			if v == "true" {
				return nil, errors.New("background responses need server-side state; this provider does not serve the Responses API natively")
			}
		case "prompt":
			if !isNull(v) {
				return nil, errors.New("prompt templates are stored by OpenAI; this provider does not serve the Responses API natively: send instructions and input")
			}
		default:
			if passKeys[k] {
				extra = append(extra, ',')
				extra = translator.AppendString(extra, k)
				extra = append(extra, ':')
				extra = append(extra, v...)
			}
		}
	}
	if !sc.Valid() || len(body) == 0 {
		return nil, errors.New("request body is not valid JSON")
	}
	if !isObj(trimLeft(translator.View(body))) {
		return nil, errors.New("request body must be a JSON object")
	}
	t.model = translator.Str(f.model)
	t.model = string([]byte(t.model)) // kept after body is gone
	t.stream = f.stream == "true"

	out = append(out, '{')
	if f.model != "" {
		out = append(out, `"model":`...)
		out = append(out, f.model...)
		out = append(out, ',')
	}
	out = append(out, `"messages":[`...)
	w := msgWriter{out: out}
	if !isNull(f.instructions) {
		if !isStr(f.instructions) {
			return nil, errors.New("instructions: must be a string")
		}
		w.sep()
		w.out = append(w.out, `{"role":"system","content":`...)
		w.out = append(w.out, f.instructions...)
		w.out = append(w.out, '}')
	}
	if err := w.input(f.input); err != nil {
		return nil, err
	}
	w.close()
	if w.n == 0 {
		return nil, errors.New("input: must hold at least one message")
	}
	out = append(w.out, ']')
	var err error
	if isArr(f.tools) {
		if out, err = appendTools(out, f.tools); err != nil {
			return nil, err
		}
	} else if !isNull(f.tools) {
		return nil, errors.New("tools: must be a list")
	}
	if !isNull(f.toolChoice) {
		if out, err = appendToolChoice(out, f.toolChoice); err != nil {
			return nil, err
		}
	}
	if isObj(f.text) {
		if out, err = appendTextFormat(out, field(f.text, "format")); err != nil {
			return nil, err
		}
	}
	if e := field(f.reasoning, "effort"); isStr(e) {
		out = append(out, `,"reasoning_effort":`...)
		out = append(out, e...)
	}
	for _, kv := range [...]struct{ k, v string }{
		{"max_tokens", f.maxOut}, {"temperature", f.temperature}, {"top_p", f.topP},
		{"parallel_tool_calls", f.parallel}, {"user", f.user},
	} {
		if !isNull(kv.v) {
			out = append(out, `,"`...)
			out = append(out, kv.k...)
			out = append(out, `":`...)
			out = append(out, kv.v...)
		}
	}
	out = append(out, extra...)
	if t.stream {
		out = append(out, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	out = append(out, '}')
	t.echo = appendEcho(t.echo[:0], &f)
	return out, nil
}

func trimLeft(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t' || s[0] == '\r') {
		s = s[1:]
	}
	return s
}

// appendEcho writes the request fields a Response object repeats, with the defaults
// OpenAI reports when the request left them out.
func appendEcho(dst []byte, f *reqFields) []byte {
	or := func(k, v, def string) {
		dst = append(dst, `,"`...)
		dst = append(dst, k...)
		dst = append(dst, `":`...)
		if isNull(v) {
			dst = append(dst, def...)
		} else {
			dst = append(dst, v...)
		}
	}
	or("instructions", f.instructions, "null")
	or("max_output_tokens", f.maxOut, "null")
	if isObj(f.metadata) {
		or("metadata", f.metadata, "{}")
	} else {
		or("metadata", "", "{}")
	}
	or("parallel_tool_calls", f.parallel, "true")
	dst = append(dst, `,"previous_response_id":null`...)
	if isObj(f.reasoning) {
		or("reasoning", f.reasoning, "")
	} else {
		or("reasoning", "", `{"effort":null,"summary":null}`)
	}
	dst = append(dst, `,"store":false`...)
	or("temperature", f.temperature, "1")
	if isObj(f.text) {
		or("text", f.text, "")
	} else {
		or("text", "", `{"format":{"type":"text"}}`)
	}
	or("tool_choice", f.toolChoice, `"auto"`)
	if isArr(f.tools) {
		or("tools", f.tools, "")
	} else {
		or("tools", "", "[]")
	}
	or("top_p", f.topP, "1")
	dst = append(dst, `,"truncation":"disabled"`...)
	or("user", f.user, "null")
	return dst
}

// msgWriter writes the chat messages array. An assistant message stays open after its
// content so that function_call items after it become its tool_calls.
type msgWriter struct {
	out  []byte
	n    int
	open byte // 'a': an assistant message without tool_calls is open; 'c': inside its tool_calls
}

func (w *msgWriter) close() {
	switch w.open {
	case 'a':
		w.out = append(w.out, '}')
	case 'c':
		w.out = append(w.out, "]}"...)
	}
	w.open = 0
}

// sep closes the open message and starts the next element.
func (w *msgWriter) sep() {
	w.close()
	if w.n > 0 {
		w.out = append(w.out, ',')
	}
	w.n++
}

func (w *msgWriter) input(in string) error {
	switch {
	case isStr(in):
		w.sep()
		w.out = append(w.out, `{"role":"user","content":`...)
		w.out = append(w.out, in...)
		w.out = append(w.out, '}')
		return nil
	case isNull(in):
		return errors.New("input: missing")
	case !isArr(in):
		return errors.New("input: must be a string or a list of items")
	}
	sc := translator.NewScan(in)
	for i := 0; sc.Next(); i++ {
		if err := w.item(sc.Value(), i); err != nil {
			return err
		}
	}
	return nil
}

var (
	itemKeys = [...]string{"type", "role", "content", "call_id", "name", "arguments", "output"}
)

func (w *msgWriter) item(raw string, i int) error {
	at := "input[" + strconv.Itoa(i) + "]"
	if !isObj(raw) {
		return errors.New(at + ": items must be objects")
	}
	var v [len(itemKeys)]string // type, role, content, call_id, name, arguments, output
	pick(raw, itemKeys[:], v[:])
	typ := translator.Str(v[0])
	if typ == "" && v[1] != "" {
		typ = "message"
	}
	switch typ {
	case "message":
		role := translator.Str(v[1])
		switch role {
		case "user", "assistant", "system":
		case "developer":
			role = "system"
		default:
			return errors.New(at + ": unknown role " + strconv.Quote(role))
		}
		w.sep()
		w.out = append(w.out, `{"role":"`...)
		w.out = append(w.out, role...)
		w.out = append(w.out, `","content":`...)
		var err error
		if w.out, err = appendContent(w.out, role, v[2], at); err != nil {
			return err
		}
		if role == "assistant" {
			w.open = 'a'
		} else {
			w.out = append(w.out, '}')
		}
	case "function_call":
		switch w.open {
		case 'a':
			w.out = append(w.out, `,"tool_calls":[`...)
		case 'c':
			w.out = append(w.out, ',')
		default:
			w.sep()
			w.out = append(w.out, `{"role":"assistant","content":null,"tool_calls":[`...)
		}
		w.open = 'c'
		if !isText(v[3]) || !isText(v[4]) {
			return errors.New(at + ": function_call needs call_id and name")
		}
		w.out = append(w.out, `{"id":`...)
		w.out = append(w.out, v[3]...)
		w.out = append(w.out, `,"type":"function","function":{"name":`...)
		w.out = append(w.out, v[4]...)
		w.out = append(w.out, `,"arguments":`...)
		if isStr(v[5]) {
			w.out = append(w.out, v[5]...)
		} else {
			w.out = append(w.out, `"{}"`...)
		}
		w.out = append(w.out, "}}"...)
	case "function_call_output":
		if !isText(v[3]) {
			return errors.New(at + ": function_call_output needs call_id")
		}
		w.sep()
		w.out = append(w.out, `{"role":"tool","tool_call_id":`...)
		w.out = append(w.out, v[3]...)
		w.out = append(w.out, `,"content":`...)
		switch {
		case isStr(v[6]):
			w.out = append(w.out, v[6]...)
		case isArr(v[6]):
			var err error
			if w.out, err = appendJoinedText(w.out, v[6], at+".output"); err != nil {
				return err
			}
		default:
			return errors.New(at + ": function_call_output needs output (a string or text parts)")
		}
		w.out = append(w.out, '}')
	case "reasoning":
		// Chat providers take no reasoning back; the conversation goes on without it.
	case "item_reference":
		return errors.New(at + ": item_reference needs server-side state; this provider does not serve the Responses API natively: send the items themselves")
	case "":
		return errors.New(at + ": item without type")
	default:
		return errors.New(at + ": item type " + strconv.Quote(typ) + " is a built-in tool's and cannot be sent to a chat completions provider")
	}
	return nil
}

var partKeys = [...]string{"type", "text", "image_url", "file_id", "detail", "refusal", "input_audio"}

// appendContent writes a message's content: a string as it is; text parts joined into
// one string (one part, or a system or assistant message, which many providers want
// as a string); other parts as chat content parts.
func appendContent(dst []byte, role, raw, at string) ([]byte, error) {
	if isStr(raw) {
		return append(dst, raw...), nil
	}
	if !isArr(raw) {
		return dst, errors.New(at + ": content must be a string or a list of parts")
	}
	n, allText := 0, true
	sc := translator.NewScan(raw)
	for sc.Next() {
		n++
		if err := translator.CheckPart(at+".content", sc.Value()); err != nil {
			return dst, err
		}
		switch translator.Str(field(sc.Value(), "type")) {
		case "input_text", "output_text", "text", "refusal":
		default:
			allText = false
		}
	}
	if allText && (n == 1 || role != "user") {
		return appendJoinedText(dst, raw, at+".content")
	}
	if role != "user" {
		return dst, errors.New(at + ": " + role + " content can only hold text parts")
	}
	dst = append(dst, '[')
	sc = translator.NewScan(raw)
	for j := 0; sc.Next(); j++ {
		if j > 0 {
			dst = append(dst, ',')
		}
		var v [len(partKeys)]string
		pick(sc.Value(), partKeys[:], v[:])
		switch typ := translator.Str(v[0]); typ {
		case "input_text", "output_text", "text":
			dst = append(dst, `{"type":"text","text":`...)
			dst = appendJSONStr(dst, v[1])
			dst = append(dst, '}')
		case "refusal":
			dst = append(dst, `{"type":"text","text":`...)
			dst = appendJSONStr(dst, v[5])
			dst = append(dst, '}')
		case "input_image":
			if !isText(v[2]) {
				if isText(v[3]) {
					return dst, errors.New(at + ": input_image with a file_id refers to a file stored by OpenAI, which this provider cannot read: send image_url (a URL or a data: URL)")
				}
				return dst, errors.New(at + ": input_image needs image_url")
			}
			dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
			dst = append(dst, v[2]...)
			if isText(v[4]) {
				dst = append(dst, `,"detail":`...)
				dst = append(dst, v[4]...)
			}
			dst = append(dst, "}}"...)
		case "input_audio":
			if !isObj(v[6]) {
				return dst, errors.New(at + ": input_audio needs input_audio {data, format}")
			}
			dst = append(dst, `{"type":"input_audio","input_audio":`...)
			dst = append(dst, v[6]...)
			dst = append(dst, '}')
		case "input_file":
			return dst, errors.New(at + ": input_file is not supported on a provider without the Responses API: send the text, or images as input_image")
		default:
			return dst, errors.New(at + ": content part type " + strconv.Quote(typ) + " is not supported")
		}
	}
	return append(dst, ']'), nil
}

// appendJoinedText writes the text parts of a list as one JSON string.
func appendJoinedText(dst []byte, parts, at string) ([]byte, error) {
	dst = append(dst, '"')
	sc := translator.NewScan(parts)
	for sc.Next() {
		if err := translator.CheckPart(at, sc.Value()); err != nil {
			return dst, err
		}
		var v [len(partKeys)]string
		pick(sc.Value(), partKeys[:], v[:])
		switch typ := translator.Str(v[0]); typ {
		case "input_text", "output_text", "text":
			dst = appendBody(dst, v[1])
		case "refusal":
			dst = appendBody(dst, v[5])
		default:
			return dst, errors.New(at + ": only text parts can be sent here, got " + strconv.Quote(typ))
		}
	}
	return append(dst, '"'), nil
}

// appendBody appends the escaped inside of a string value, or the text of another value.
func appendBody(dst []byte, v string) []byte {
	if isStr(v) {
		return append(dst, strBody(v)...)
	}
	if isNull(v) {
		return dst
	}
	s := appendJSONStr(nil, v)
	return append(dst, s[1:len(s)-1]...)
}

var toolKeys = [...]string{"type", "name", "description", "parameters", "strict", "function"}

// appendTools converts function tools from Responses' flat shape to chat's nested one.
func appendTools(dst []byte, tools string) ([]byte, error) {
	dst = append(dst, `,"tools":[`...)
	sc := translator.NewScan(tools)
	for i := 0; sc.Next(); i++ {
		at := "tools[" + strconv.Itoa(i) + "]"
		if !isObj(sc.Value()) {
			return dst, errors.New(at + ": must be an object")
		}
		var v [len(toolKeys)]string
		pick(sc.Value(), toolKeys[:], v[:])
		if typ := translator.Str(v[0]); typ != "function" {
			return dst, errors.New(at + ": built-in tool " + strconv.Quote(typ) +
				" is not available: this provider serves chat completions, which take function tools only")
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if isObj(v[5]) { // already chat's shape
			dst = append(dst, `{"type":"function","function":`...)
			dst = append(dst, v[5]...)
			dst = append(dst, '}')
			continue
		}
		if !isText(v[1]) {
			return dst, errors.New(at + ": function tool needs a name")
		}
		dst = append(dst, `{"type":"function","function":{"name":`...)
		dst = append(dst, v[1]...)
		if isStr(v[2]) {
			dst = append(dst, `,"description":`...)
			dst = append(dst, v[2]...)
		}
		if isObj(v[3]) {
			dst = append(dst, `,"parameters":`...)
			dst = append(dst, v[3]...)
		}
		if v[4] == "true" || v[4] == "false" {
			dst = append(dst, `,"strict":`...)
			dst = append(dst, v[4]...)
		}
		dst = append(dst, "}}"...)
	}
	return append(dst, ']'), nil
}

func appendToolChoice(dst []byte, tc string) ([]byte, error) {
	dst = append(dst, `,"tool_choice":`...)
	if isStr(tc) {
		switch translator.Str(tc) {
		case "auto", "none", "required":
			return append(dst, tc...), nil
		}
		return dst, errors.New("tool_choice: must be auto, none, required or a function")
	}
	if !isObj(tc) {
		return dst, errors.New("tool_choice: must be a string or an object")
	}
	switch typ := translator.Str(field(tc, "type")); typ {
	case "function":
		name := field(tc, "name")
		if !isText(name) {
			name = field(field(tc, "function"), "name")
		}
		if !isText(name) {
			return dst, errors.New("tool_choice: function needs a name")
		}
		dst = append(dst, `{"type":"function","function":{"name":`...)
		dst = append(dst, name...)
		return append(dst, "}}"...), nil
	case "allowed_tools":
		// Chat has no subset: the mode is what survives.
		if m := field(tc, "mode"); isStr(m) {
			return append(dst, m...), nil
		}
		return append(dst, `"auto"`...), nil
	default:
		return dst, errors.New("tool_choice: " + strconv.Quote(typ) + " names a built-in tool, which this provider does not have")
	}
}

var formatKeys = [...]string{"type", "name", "schema", "strict", "description"}

func appendTextFormat(dst []byte, format string) ([]byte, error) {
	if !isObj(format) {
		return dst, nil
	}
	var v [len(formatKeys)]string
	pick(format, formatKeys[:], v[:])
	switch translator.Str(v[0]) {
	case "json_schema":
		if !isObj(v[2]) {
			return dst, errors.New("text.format: json_schema needs a schema")
		}
		dst = append(dst, `,"response_format":{"type":"json_schema","json_schema":{"name":`...)
		if isText(v[1]) {
			dst = append(dst, v[1]...)
		} else {
			dst = append(dst, `"response"`...)
		}
		if isStr(v[4]) {
			dst = append(dst, `,"description":`...)
			dst = append(dst, v[4]...)
		}
		dst = append(dst, `,"schema":`...)
		dst = append(dst, v[2]...)
		if v[3] == "true" || v[3] == "false" {
			dst = append(dst, `,"strict":`...)
			dst = append(dst, v[3]...)
		}
		return append(dst, "}}"...), nil
	case "json_object":
		return append(dst, `,"response_format":{"type":"json_object"}`...), nil
	case "text", "":
		return dst, nil
	default:
		return dst, errors.New("text.format: unknown type " + strconv.Quote(translator.Str(v[0])))
	}
}
