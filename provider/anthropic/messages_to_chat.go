package anthropic

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// MessagesToChat serves an Anthropic Messages client from an OpenAI-compatible chat
// completions upstream: the /v1/messages request becomes a chat completions body, the
// answer an Anthropic message or event stream (message_start, content blocks,
// message_delta, message_stop), and upstream errors Anthropic error JSON / `event:
// error`. Create one per request with NewMessagesToChat; it is not safe for concurrent
// use.
type MessagesToChat struct {
	model  string
	stream bool

	status int
	rawErr bool
	errBuf []byte

	rd    sse.Reader
	s     msgStream
	usage translator.Usage

	// The last text chunk, to recognize the next ones like it cheaply.
	tmpl     translator.Template
	tmplKind byte // 't'ext or 'k' thinking

	// reused scratch
	parts, tools []byte
}

// NewMessagesToChat returns the converter for one Anthropic messages request served by
// an OpenAI-compatible chat completions upstream.
func NewMessagesToChat() *MessagesToChat { return &MessagesToChat{status: 200} }

// Usage implements translator.Translator.
func (t *MessagesToChat) Usage() translator.Usage { return t.usage }

// SetUpstreamStatus implements translator.StreamStatus: a non-2xx answer that is not
// SSE is collected whole and converted into an Anthropic error event.
func (t *MessagesToChat) SetUpstreamStatus(status int, contentType string) {
	t.status = status
	t.rawErr = !is2xx(status) && !strings.Contains(contentType, "text/event-stream")
}

type messagesRequest struct {
	model, system, messages, maxTokens, temperature, topP, stop, stream, tools,
	toolChoice, thinking, metadata, outputConfig gjson.Result
}

// RequestBody implements translator.Translator: an Anthropic /v1/messages body in, an
// OpenAI chat completions body out. A streamed request asks for usage in the last chunk
// (stream_options.include_usage). Server tools (web search, code execution, ...) have no
// OpenAI form and are left out; content blocks that cannot be expressed are errors.
func (t *MessagesToChat) RequestBody(body []byte) ([]byte, error) {
	// One pass checks the body and picks the top-level fields.
	var f messagesRequest
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		var v *gjson.Result
		switch sc.Key() {
		case "model":
			v = &f.model
		case "system":
			v = &f.system
		case "messages":
			v = &f.messages
		case "max_tokens":
			v = &f.maxTokens
		case "temperature":
			v = &f.temperature
		case "top_p":
			v = &f.topP
		case "stop_sequences":
			v = &f.stop
		case "stream":
			v = &f.stream
		case "tools":
			v = &f.tools
		case "tool_choice":
			v = &f.toolChoice
		case "thinking":
			v = &f.thinking
		case "metadata":
			v = &f.metadata
		case "output_config":
			v = &f.outputConfig
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

	dst := make([]byte, 0, len(body)+256)
	dst = append(dst, `{"model":`...)
	dst = appendJSONString(dst, f.model)
	dst = append(dst, `,"messages":[`...)
	n := 0
	// Claude's one system prompt becomes a leading system message.
	switch {
	case f.system.Type == gjson.String && len(f.system.Raw) > 2:
		dst = append(dst, `{"role":"system","content":`...)
		dst = append(dst, f.system.Raw...)
		dst = append(dst, '}')
		n++
	case f.system.IsArray():
		mark := len(dst)
		dst = append(dst, `{"role":"system","content":"`...)
		start, texts := len(dst), 0
		f.system.ForEach(func(_, b gjson.Result) bool {
			if text := b.Get("text"); text.Type == gjson.String && len(text.Raw) > 2 {
				if texts > 0 {
					dst = append(dst, `\n`...)
				}
				dst = appendStringBody(dst, text.Raw)
				texts++
			}
			return true
		})
		if len(dst) == start {
			dst = dst[:mark]
		} else {
			dst = append(dst, `"}`...)
			n++
		}
	}
	if !f.messages.IsArray() {
		return nil, errors.New("messages: must be an array")
	}
	var err error
	i := 0
	f.messages.ForEach(func(_, m gjson.Result) bool {
		dst, n, err = t.message(dst, n, m, i)
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	dst = append(dst, ']')

	if f.maxTokens.Type == gjson.Number {
		dst = append(dst, `,"max_tokens":`...)
		dst = append(dst, f.maxTokens.Raw...)
	}
	if f.temperature.Type == gjson.Number {
		dst = append(dst, `,"temperature":`...)
		dst = append(dst, f.temperature.Raw...)
	}
	if f.topP.Type == gjson.Number {
		dst = append(dst, `,"top_p":`...)
		dst = append(dst, f.topP.Raw...)
	}
	if f.stop.IsArray() && len(f.stop.Raw) > 2 {
		dst = append(dst, `,"stop":`...)
		dst = append(dst, f.stop.Raw...)
	}
	dst = t.appendTools(dst, f.tools, f.toolChoice)

	effort := ""
	if e := f.outputConfig.Get("effort"); e.Type == gjson.String {
		effort = e.Str
		if effort == "max" || effort == "xhigh" {
			effort = "high"
		}
	} else if f.thinking.Get("type").Str == "enabled" {
		effort = budgetEffort(f.thinking.Get("budget_tokens").Int())
	}
	if effort != "" {
		dst = append(dst, `,"reasoning_effort":`...)
		dst = translator.AppendString(dst, effort)
	}
	if format := f.outputConfig.Get("format"); format.Get("type").Str == "json_schema" && format.Get("schema").IsObject() {
		dst = append(dst, `,"response_format":{"type":"json_schema","json_schema":{"name":"output","strict":true,"schema":`...)
		dst = append(dst, format.Get("schema").Raw...)
		dst = append(dst, "}}"...)
	}
	if u := f.metadata.Get("user_id"); u.Type == gjson.String && len(u.Raw) > 2 {
		dst = append(dst, `,"user":`...)
		dst = append(dst, u.Raw...)
	}
	if t.stream {
		dst = append(dst, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	return append(dst, '}'), nil
}

// message appends the OpenAI messages for one Anthropic message: tool_result blocks
// become tool messages (first, as OpenAI wants them right after the assistant's
// calls), the other blocks one user or assistant message.
func (t *MessagesToChat) message(dst []byte, n int, m gjson.Result, i int) ([]byte, int, error) {
	var role, content gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v
		case "content":
			content = v
		}
		return true
	})
	if role.Str != "user" && role.Str != "assistant" {
		return dst, n, errors.New("messages[" + itoa(i) + "].role: must be user or assistant")
	}
	if content.Type == gjson.String {
		dst = appendMessageStart(dst, n, role.Str)
		dst = append(dst, `,"content":`...)
		dst = append(dst, content.Raw...)
		return append(dst, '}'), n + 1, nil
	}
	if !content.IsArray() {
		return dst, n, errors.New("messages[" + itoa(i) + "].content: must be a string or an array")
	}
	if role.Str == "assistant" {
		return t.assistant(dst, n, content, i)
	}
	// user: tool results out first, other blocks collected as parts.
	t.parts = t.parts[:0]
	parts, texts := 0, 0
	var single gjson.Result // the text of a lone text block
	var err error
	content.ForEach(func(_, b gjson.Result) bool {
		switch typ := b.Get("type").Str; typ {
		case "tool_result":
			dst = appendMessageStart(dst, n, "tool")
			n++
			dst = append(dst, `,"tool_call_id":`...)
			dst = appendJSONString(dst, b.Get("tool_use_id"))
			dst = append(dst, `,"content":`...)
			c := b.Get("content")
			switch {
			case c.Type == gjson.String:
				dst = append(dst, c.Raw...)
			case c.IsArray():
				// OpenAI tool messages carry text only; images follow in the user message.
				dst = append(dst, '"')
				k := 0
				c.ForEach(func(_, cb gjson.Result) bool {
					switch cb.Get("type").Str {
					case "text":
						if k > 0 {
							dst = append(dst, `\n`...)
						}
						dst = appendStringBody(dst, cb.Get("text").Raw)
						k++
					case "image":
						if t.parts, err = appendChatPart(t.parts, parts, cb, i); err == nil {
							parts++
						}
					}
					return err == nil
				})
				dst = append(dst, '"')
			default:
				dst = append(dst, `""`...)
			}
			dst = append(dst, '}')
		case "text":
			text := b.Get("text")
			if text.Type != gjson.String || len(text.Raw) <= 2 {
				return true
			}
			single = text
			texts++
			t.parts, err = appendChatPart(t.parts, parts, b, i)
			parts++
		default:
			t.parts, err = appendChatPart(t.parts, parts, b, i)
			parts++
		}
		return err == nil
	})
	if err != nil || parts == 0 {
		return dst, n, err
	}
	dst = appendMessageStart(dst, n, "user")
	dst = append(dst, `,"content":`...)
	if parts == 1 && texts == 1 {
		dst = append(dst, single.Raw...)
	} else {
		dst = append(dst, '[')
		dst = append(dst, t.parts...)
		dst = append(dst, ']')
	}
	return append(dst, '}'), n + 1, nil
}

func appendMessageStart(dst []byte, n int, role string) []byte {
	if n > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"role":"`...)
	dst = append(dst, role...)
	return append(dst, '"')
}

// appendChatPart appends the OpenAI content part for an Anthropic user content block;
// k is the number of parts already in dst.
func appendChatPart(dst []byte, k int, b gjson.Result, i int) ([]byte, error) {
	if err := translator.CheckPart("messages["+itoa(i)+"]", b.Raw); err != nil {
		return dst, err
	}
	if k > 0 {
		dst = append(dst, ',')
	}
	switch typ := b.Get("type").Str; typ {
	case "text":
		dst = append(dst, `{"type":"text","text":`...)
		dst = appendJSONString(dst, b.Get("text"))
		return append(dst, '}'), nil
	case "image", "document":
		src := b.Get("source")
		switch src.Get("type").Str {
		case "base64":
			if typ == "image" {
				dst = append(dst, `{"type":"image_url","image_url":{"url":"data:`...)
			} else {
				dst = append(dst, `{"type":"file","file":{"filename":"document.pdf","file_data":"data:`...)
			}
			dst = appendStringBody(dst, src.Get("media_type").Raw)
			dst = append(dst, `;base64,`...)
			dst = appendStringBody(dst, src.Get("data").Raw)
			return append(dst, `"}}`...), nil
		case "url":
			if typ == "image" {
				dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
				dst = appendJSONString(dst, src.Get("url"))
				return append(dst, "}}"...), nil
			}
		case "text":
			dst = append(dst, `{"type":"text","text":`...)
			dst = appendJSONString(dst, src.Get("data"))
			return append(dst, '}'), nil
		}
		return dst, errors.New("messages[" + itoa(i) + "]: " + typ + " source type " + src.Get("type").Raw + " is not supported by OpenAI-compatible providers")
	}
	return dst, errors.New("messages[" + itoa(i) + "]: content block type " + b.Get("type").Raw + " is not supported by OpenAI-compatible providers")
}

// assistant appends one OpenAI assistant message: text blocks joined as content,
// thinking as reasoning_content, tool_use blocks as tool_calls.
func (t *MessagesToChat) assistant(dst []byte, n int, content gjson.Result, i int) ([]byte, int, error) {
	t.parts, t.tools = t.parts[:0], t.tools[:0]
	var think []byte
	texts, tools := 0, 0
	var err error
	content.ForEach(func(_, b gjson.Result) bool {
		if err = translator.CheckPart("messages["+itoa(i)+"]", b.Raw); err != nil {
			return false
		}
		switch typ := b.Get("type").Str; typ {
		case "text":
			t.parts = appendStringBody(t.parts, b.Get("text").Raw)
			texts++
		case "thinking":
			think = appendStringBody(think, b.Get("thinking").Raw)
		case "redacted_thinking":
			// Encrypted for Claude only; nothing another model can read.
		case "tool_use":
			if tools > 0 {
				t.tools = append(t.tools, ',')
			}
			t.tools = append(t.tools, `{"id":`...)
			t.tools = appendJSONString(t.tools, b.Get("id"))
			t.tools = append(t.tools, `,"type":"function","function":{"name":`...)
			t.tools = appendJSONString(t.tools, b.Get("name"))
			t.tools = append(t.tools, `,"arguments":`...)
			if in := b.Get("input"); in.Exists() {
				t.tools = translator.AppendString(t.tools, in.Raw)
			} else {
				t.tools = append(t.tools, `"{}"`...)
			}
			t.tools = append(t.tools, "}}"...)
			tools++
		default:
			err = errors.New("messages[" + itoa(i) + "]: assistant content block type " + b.Get("type").Raw + " is not supported by OpenAI-compatible providers")
		}
		return err == nil
	})
	if err != nil {
		return dst, n, err
	}
	dst = appendMessageStart(dst, n, "assistant")
	dst = append(dst, `,"content":`...)
	if texts == 0 && tools > 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = append(dst, t.parts...)
		dst = append(dst, '"')
	}
	if len(think) > 0 {
		dst = append(dst, `,"reasoning_content":"`...)
		dst = append(dst, think...)
		dst = append(dst, '"')
	}
	if tools > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		dst = append(dst, t.tools...)
		dst = append(dst, ']')
	}
	return append(dst, '}'), n + 1, nil
}

var claudeToolKeys = [...]string{"type", "name", "description", "input_schema", "strict"}

// appendTools appends tools and tool_choice (and parallel_tool_calls:false for
// disable_parallel_tool_use).
func (t *MessagesToChat) appendTools(dst []byte, tools, choice gjson.Result) []byte {
	n := 0
	// One pass over each tool (schemas are big): no Get per field.
	sc := translator.NewScan(tools.Raw)
	for sc.Next() {
		var tool [5]string // type, name, description, input_schema, strict
		pick(sc.Value(), claudeToolKeys[:], tool[:])
		if typ := translator.Str(tool[0]); typ != "" && typ != "custom" {
			continue // a server tool: only Anthropic runs it
		}
		name := tool[1]
		if !isText(name) {
			continue
		}
		if n == 0 {
			dst = append(dst, `,"tools":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"type":"function","function":{"name":`...)
		dst = append(dst, name...)
		if d := tool[2]; isStr(d) {
			dst = append(dst, `,"description":`...)
			dst = append(dst, d...)
		}
		dst = append(dst, `,"parameters":`...)
		if s := tool[3]; isObj(s) {
			dst = append(dst, s...)
		} else {
			dst = append(dst, `{"type":"object","properties":{}}`...)
		}
		if tool[4] == "true" {
			dst = append(dst, `,"strict":true`...)
		}
		dst = append(dst, "}}"...)
		n++
	}
	if n == 0 {
		return dst
	}
	dst = append(dst, ']')
	switch choice.Get("type").Str {
	case "auto":
		dst = append(dst, `,"tool_choice":"auto"`...)
	case "any":
		dst = append(dst, `,"tool_choice":"required"`...)
	case "none":
		dst = append(dst, `,"tool_choice":"none"`...)
	case "tool":
		dst = append(dst, `,"tool_choice":{"type":"function","function":{"name":`...)
		dst = appendJSONString(dst, choice.Get("name"))
		dst = append(dst, "}}"...)
	}
	if choice.Get("disable_parallel_tool_use").Type == gjson.True {
		dst = append(dst, `,"parallel_tool_calls":false`...)
	}
	return dst
}
