package minimax

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

var errNotJSON = errors.New("upstream answer is not valid JSON")

// DefaultBotName is the bot a Pro request speaks as when the client sends no system
// message with a name (MiniMax's own default assistant name).
const DefaultBotName = "MM智能助理"

// defaultUserName is the sender_name of user messages without a name.
const defaultUserName = "用户"

// defaultBotSetting is the bot_setting content when the client sends no system message:
// Pro requires at least one bot.
const defaultBotSetting = "You are a helpful assistant."

// proRequestKeys are the top-level request fields proRequest reads, in one pass:
// first the OpenAI parameters named proParams[i] in Pro's request, then the others
// (rMessages, ...).
var proRequestKeys = [...]string{"max_tokens", "max_completion_tokens", "temperature", "top_p", "tokens_to_generate",
	"mask_sensitive_info", "sample_messages", "plugins", "messages", "stream", "tools", "tool_choice"}

var proParams = [...]string{"tokens_to_generate", "tokens_to_generate", "temperature", "top_p", "tokens_to_generate",
	"mask_sensitive_info", "sample_messages", "plugins"}

const (
	rMessages = len(proParams) + iota
	rStream
	rTools
	rToolChoice
)

// proRequest converts an OpenAI chat request into a ChatCompletion Pro request.
func (t *Chat) proRequest(body []byte) ([]byte, error) {
	var f [len(proRequestKeys)]string
	if !translator.Members(translator.View(body), proRequestKeys[:], f[:]) {
		return nil, errors.New("request body is not valid JSON")
	}
	get := func(i int) gjson.Result { return gjson.Parse(f[i]) }
	msgs := get(rMessages)
	if !msgs.IsArray() {
		return nil, errors.New("messages: must be a list")
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"model":`...)
	out = translator.AppendString(out, t.model)
	if s := get(rStream); s.Type == gjson.True {
		out = append(out, `,"stream":true`...)
	}
	tokens := false
	for i, name := range proParams {
		if v := get(i); v.Exists() && v.Type != gjson.Null {
			if name == "tokens_to_generate" {
				if tokens {
					continue
				}
				tokens = true
			}
			out = append(out, ',', '"')
			out = append(out, name...)
			out = append(out, `":`...)
			out = append(out, v.Raw...)
		}
	}

	// bot_setting from the system messages; the first bot answers.
	var bots []byte
	nbots := 0
	var err error
	msgs.ForEach(func(_, m gjson.Result) bool {
		if r := m.Get("role").Str; r != "system" && r != "developer" {
			return true
		}
		name := m.Get("name").Str
		if name == "" {
			name = DefaultBotName
		}
		if nbots == 0 {
			t.bot = strings.Clone(name)
		} else {
			bots = append(bots, ',')
		}
		nbots++
		var text []byte
		if text, err = contentText(nil, m.Get("content")); err != nil {
			return false
		}
		bots = append(bots, `{"bot_name":`...)
		bots = translator.AppendString(bots, name)
		bots = append(bots, `,"content":`...)
		bots = translator.AppendString(bots, translator.View(text))
		bots = append(bots, '}')
		return true
	})
	if err != nil {
		return nil, err
	}
	if nbots == 0 {
		t.bot = DefaultBotName
		bots = append(bots, `{"bot_name":"`+DefaultBotName+`","content":"`+defaultBotSetting+`"}`...)
	}
	out = append(out, `,"bot_setting":[`...)
	out = append(out, bots...)
	out = append(out, `],"reply_constraints":{"sender_type":"BOT","sender_name":`...)
	out = translator.AppendString(out, t.bot)
	out = append(out, `},"messages":[`...)

	calls := map[string]string{} // tool call id → function name
	n := 0
	msg := func() {
		if n > 0 {
			out = append(out, ',')
		}
		n++
	}
	msgs.ForEach(func(i, m gjson.Result) bool {
		var text []byte
		if text, err = contentText(nil, m.Get("content")); err != nil {
			return false
		}
		switch role := m.Get("role").Str; role {
		case "system", "developer":
		case "user":
			name := m.Get("name").Str
			if name == "" {
				name = defaultUserName
			}
			msg()
			out = appendMessage(out, "USER", name, text)
			out = append(out, '}')
		case "assistant":
			tcs := m.Get("tool_calls").Array()
			if len(tcs) == 0 {
				msg()
				out = appendMessage(out, "BOT", t.bot, text)
				out = append(out, '}')
				break
			}
			// Pro carries one function_call per message: one BOT message per call, the
			// text with the first.
			for j, tc := range tcs {
				name := tc.Get("function.name").String()
				calls[tc.Get("id").String()] = name
				msg()
				if j > 0 {
					text = nil
				}
				out = appendMessage(out, "BOT", t.bot, text)
				out = append(out, `,"function_call":{"name":`...)
				out = translator.AppendString(out, name)
				out = append(out, `,"arguments":`...)
				out = translator.AppendString(out, tc.Get("function.arguments").String())
				out = append(out, "}}"...)
			}
		case "tool", "function":
			name := m.Get("name").Str
			if name == "" {
				name = calls[m.Get("tool_call_id").String()]
			}
			msg()
			out = appendMessage(out, "FUNCTION", name, text)
			out = append(out, '}')
		default:
			err = errors.New("messages[" + i.Raw + "].role: " + strconv.Quote(role) + " is not one of system, user, assistant, tool")
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	out = append(out, ']')

	if tools := get(rTools); tools.IsArray() && len(tools.Array()) > 0 {
		out = append(out, `,"functions":[`...)
		k := 0
		tools.ForEach(func(_, tool gjson.Result) bool {
			f := tool.Get("function")
			if !f.IsObject() {
				return true
			}
			if k > 0 {
				out = append(out, ',')
			}
			k++
			out = append(out, `{"name":`...)
			out = translator.AppendString(out, f.Get("name").String())
			if d := f.Get("description"); d.Exists() {
				out = append(out, `,"description":`...)
				out = translator.AppendString(out, d.String())
			}
			out = append(out, `,"parameters":`...)
			out = translator.AppendRawOr(out, f.Get("parameters").Raw, `{"type":"object","properties":{}}`)
			out = append(out, '}')
			return true
		})
		out = append(out, ']')
		switch tc := get(rToolChoice); {
		case tc.Str == "none":
			out = append(out, `,"function_call":{"type":"none"}`...)
		case tc.IsObject() && tc.Get("function.name").Exists():
			out = append(out, `,"function_call":{"type":"specific","name":`...)
			out = translator.AppendString(out, tc.Get("function.name").String())
			out = append(out, '}')
		default: // auto, required (Pro has no forced call without a name)
			out = append(out, `,"function_call":{"type":"auto"}`...)
		}
	}
	return append(out, '}'), nil
}

func appendMessage(dst []byte, sender, name string, text []byte) []byte {
	dst = append(dst, `{"sender_type":"`...)
	dst = append(dst, sender...)
	dst = append(dst, `","sender_name":`...)
	dst = translator.AppendString(dst, name)
	dst = append(dst, `,"text":`...)
	return translator.AppendString(dst, translator.View(text))
}

// contentText appends the text of an OpenAI message content (a string or text parts).
func contentText(dst []byte, c gjson.Result) ([]byte, error) {
	switch {
	case c.Type == gjson.String:
		return append(dst, c.Str...), nil
	case !c.Exists() || c.Type == gjson.Null:
		return dst, nil
	case c.IsArray():
		var err error
		c.ForEach(func(_, p gjson.Result) bool {
			if err = translator.CheckPart("messages.content", p.Raw); err != nil {
				return false
			}
			if typ := p.Get("type").Str; typ != "text" {
				err = errors.New("messages.content: MiniMax ChatCompletion Pro takes text only, got a " + strconv.Quote(typ) + " part")
				return false
			}
			dst = append(dst, p.Get("text").String()...)
			return true
		})
		return dst, err
	}
	return nil, errors.New("messages.content: must be a string or a list of parts")
}

// proFinish maps a Pro finish_reason.
func proFinish(r string, call bool) string {
	if call {
		return "tool_calls"
	}
	switch r {
	case "length", "max_output":
		return "length"
	}
	return "stop"
}

// botReply returns the text of the BOT messages of a Pro choice and its function call
// (raw object, or ""). Each message is read in one pass.
func botReply(dst []byte, c gjson.Result) ([]byte, gjson.Result) {
	var call string
	list := translator.NewScan(c.Get("messages").Raw)
	for list.Next() {
		var sender, text, fc string
		m := list.Enter()
		for m.Next() {
			switch m.Key() { // the first of each, as gjson's Get
			case "sender_type":
				sender = first(sender, m.Value())
			case "text":
				text = first(text, m.Value())
			case "function_call":
				fc = first(fc, m.Value())
			}
		}
		list.Leave(&m)
		if st := translator.Str(sender); st != "" && st != "BOT" {
			continue
		}
		if len(text) > 0 && text[0] == '"' {
			dst = translator.AppendUnquoted(dst, text)
		} else if text != "" {
			dst = append(dst, gjson.Parse(text).String()...)
		}
		if len(fc) > 0 && fc[0] == '{' {
			call = fc
		}
	}
	return dst, gjson.Parse(call)
}

// first returns v unless it is "" (not read yet), then next.
func first(v, next string) string {
	if v != "" {
		return v
	}
	return next
}

func (t *Chat) proUsage(root gjson.Result) { t.proUsageOf(root.Get("usage"), root.Get("model")) }

func (t *Chat) proUsageOf(u, model gjson.Result) {
	if !u.IsObject() {
		return
	}
	t.readUsage(u)
	if m := model.Str; m != "" {
		t.usage.Model = strings.Clone(m)
	}
}

func appendCall(dst []byte, n int, call gjson.Result, withIndex bool) []byte {
	dst = append(dst, `"tool_calls":[{`...)
	if withIndex {
		dst = append(dst, `"index":`...)
		dst = translator.AppendInt(dst, int64(n))
		dst = append(dst, ',')
	}
	dst = append(dst, `"id":"call_`...)
	dst = translator.AppendInt(dst, int64(n))
	dst = append(dst, `","type":"function","function":{"name":`...)
	dst = translator.AppendString(dst, call.Get("name").String())
	dst = append(dst, `,"arguments":`...)
	args := call.Get("arguments")
	if args.Type == gjson.String {
		dst = translator.AppendString(dst, args.Str)
	} else {
		dst = translator.AppendString(dst, args.Raw)
	}
	return append(dst, "}}]"...)
}

func (t *Chat) head(dst []byte, id, object, model string, created int64) []byte {
	dst = append(dst, `{"id":`...)
	if id == "" {
		id = "chatcmpl-minimax"
	}
	dst = translator.AppendString(dst, id)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	if model == "" {
		model = t.model
	}
	return translator.AppendString(dst, model)
}

// proResponse converts a ChatCompletion Pro answer into an OpenAI chat completion.
func (t *Chat) proResponse(body []byte, a *answer) ([]byte, error) {
	model := gjson.Parse(a[aModel])
	t.proUsageOf(gjson.Parse(a[aUsage]), model)
	created := gjson.Parse(a[aCreated]).Int()
	if created == 0 {
		created = t.Now()
	}
	out := make([]byte, 0, len(body)+128)
	out = t.head(out, gjson.Parse(a[aID]).String(), "chat.completion", model.String(), created)
	out = append(out, `,"choices":[`...)
	n := 0
	var text []byte
	gjson.Parse(a[aChoices]).ForEach(func(_, c gjson.Result) bool {
		if n > 0 {
			out = append(out, ',')
		}
		var call gjson.Result
		text, call = botReply(text[:0], c)
		if !call.Exists() && n == 0 {
			if fc := gjson.Parse(a[aFunctionCall]); fc.IsObject() {
				call = fc
			}
		}
		out = append(out, `{"index":`...)
		out = translator.AppendInt(out, int64(n))
		out = append(out, `,"message":{"role":"assistant","content":`...)
		out = translator.AppendString(out, translator.View(text))
		if call.Exists() {
			out = append(out, ',')
			out = appendCall(out, 0, call, false)
		}
		out = append(out, `},"finish_reason":`...)
		out = translator.AppendString(out, proFinish(c.Get("finish_reason").String(), call.Exists()))
		out = append(out, '}')
		n++
		return true
	})
	if n == 0 {
		return nil, errors.New("upstream answer has no choices")
	}
	out = append(out, `],"usage":`...)
	out = translator.AppendOpenAIUsage(out, t.usage)
	return append(out, '}'), nil
}

func (t *Chat) chunkHead(dst []byte) []byte {
	dst = append(dst, "data: "...)
	return t.head(dst, t.st.id, "chat.completion.chunk", t.model, t.st.created)
}

// proEvent converts one event of a Pro stream. The events before the last carry the
// new text; the last (with finish_reason) repeats the whole reply, the function call
// and the usage.
func (t *Chat) proEvent(dst, data []byte) []byte {
	st := &t.st
	s := translator.View(data)
	if len(s) == 0 || s == "[DONE]" {
		return dst
	}
	if text, _, ok := t.shape.Match(s); ok {
		st.text = translator.AppendUnquoted(st.text, text)
		return t.shape.Append(dst, text)
	}
	t.shape.Reset()
	if !gjson.Valid(s) {
		st.done = true
		return appendError(dst, "upstream stream event is not valid JSON", "server_error", "bad_upstream_response")
	}
	root := gjson.Parse(s)
	if out, bad := t.inbandError(dst, root); bad {
		return out
	}
	if st.created == 0 {
		if st.created = root.Get("created").Int(); st.created == 0 {
			st.created = t.Now()
		}
	}
	if st.id == "" { // the first event's id, if it has one, names the whole stream
		if st.id = strings.Clone(root.Get("id").Str); st.id == "" {
			st.id = "chatcmpl-minimax"
		}
	}
	c := root.Get("choices.0")
	reason := c.Get("finish_reason").String()
	text, call := botReply(nil, c)
	if reason != "" {
		// The whole reply: write only what the deltas did not.
		if len(text) >= len(st.text) && string(text[:len(st.text)]) == string(st.text) {
			text = text[len(st.text):]
		} else {
			text = nil
		}
	} else {
		st.text = append(st.text, text...)
	}
	if len(text) > 0 || !st.role {
		// A text event after the role was sent converts the same way whatever the
		// text: its shape may serve the next events (when the text is its one message's).
		start, shaped := len(dst), st.role && reason == ""
		dst = t.chunkHead(dst)
		dst = append(dst, `,"choices":[{"index":0,"delta":{`...)
		if !st.role {
			dst = append(dst, `"role":"assistant",`...)
			st.role = true
		}
		dst = append(dst, `"content":`...)
		at := len(dst) - start
		dst = translator.AppendString(dst, translator.View(text))
		dst = append(dst, "},\"finish_reason\":null}]}\n\n"...)
		if msgs := c.Get("messages"); shaped && msgs.Get("#").Int() == 1 {
			t.shape.Set(s, msgs.Get("0.text").Raw, "", dst[start:], at)
		}
	}
	if reason == "" {
		return dst
	}
	if !call.Exists() {
		if fc := root.Get("function_call"); fc.IsObject() {
			call = fc
		}
	}
	if call.Exists() {
		dst = t.chunkHead(dst)
		dst = append(dst, `,"choices":[{"index":0,"delta":{`...)
		dst = appendCall(dst, 0, call, true)
		dst = append(dst, "},\"finish_reason\":null}]}\n\n"...)
	}
	dst = t.chunkHead(dst)
	dst = append(dst, `,"choices":[{"index":0,"delta":{},"finish_reason":`...)
	dst = translator.AppendString(dst, proFinish(reason, call.Exists()))
	dst = append(dst, "}]}\n\n"...)
	t.proUsage(root)
	dst = t.chunkHead(dst)
	dst = append(dst, `,"choices":[],"usage":`...)
	dst = translator.AppendOpenAIUsage(dst, t.usage)
	dst = append(dst, "}\n\n"...)
	st.done, st.finished = true, true
	return append(dst, "data: [DONE]\n\n"...)
}
