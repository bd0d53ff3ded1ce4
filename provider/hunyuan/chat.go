package hunyuan

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Options are the provider settings every chat request is signed and sent with.
type Options struct {
	// Credential signs the request (SecretId = hunyuanAuthId, SecretKey =
	// hunyuanAuthKey, Service "hunyuan"). It is shared, never written to.
	Credential *sign.TC3
	// Host is the :authority the request is sent to, and signed with.
	Host string
	// Region, when set, is sent as X-TC-Region (Hunyuan needs none).
	Region string
	// Now returns the Unix time of the request (X-TC-Timestamp, the signature's date)
	// and of answers without their own Created; nil means the wall clock.
	Now func() int64
}

// Chat serves an OpenAI chat completions client from Hunyuan ChatCompletions. Create
// one per request with NewChat; it is not safe for concurrent use.
type Chat struct {
	o Options

	model  string
	stream bool
	body   []byte // the converted body, as sent: what the signature covers

	rd    sse.Reader
	st    streamState
	shape translator.Shape // the last text event's, for the next ones
	usage translator.Usage
}

// NewChat returns the converter for one OpenAI chat request to Hunyuan.
func NewChat(o Options) *Chat {
	t := &Chat{o: o}
	t.shape.Verbatim = true // texts are copied as Hunyuan escapes them
	return t
}

func (t *Chat) now() int64 {
	if t.o.Now != nil {
		return t.o.Now()
	}
	return time.Now().Unix()
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }

// EditUpstream implements translator.UpstreamEditor. Called right after RequestBody,
// it sets the Tencent Cloud headers (X-TC-Action, X-TC-Version, X-TC-Timestamp,
// X-TC-Region when configured, the signed Content-Type) and the TC3 Authorization over
// the final body, with this request's timestamp. The path stays "/".
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	ts := t.now()
	setHeader("content-type", ContentType)
	setHeader("x-tc-action", Action)
	setHeader("x-tc-version", Version)
	setHeader("x-tc-timestamp", strconv.FormatInt(ts, 10))
	if t.o.Region != "" {
		setHeader("x-tc-region", t.o.Region)
	}
	if t.o.Credential != nil {
		auth := t.o.Credential.Authorization(make([]byte, 0, 192), &sign.TC3Request{
			ContentType: ContentType, Host: t.o.Host, Action: Action, Timestamp: ts, Payload: t.body,
		})
		setHeader("authorization", string(auth))
	}
	return path
}

var (
	errNotJSON   = errors.New("request body is not valid JSON")
	errNotObject = errors.New("request body must be a JSON object")
)

// chatRequest holds the top-level fields of an OpenAI chat request, read in one pass.
type chatRequest struct {
	model, messages, temperature, topP, stop, tools, toolChoice, stream, seed gjson.Result
	native                                                                    []nativeField
}

// nativeField is a top-level member named like Hunyuan's own fields (upper-case first
// letter), passed through.
type nativeField struct{ key, raw string }

func (f *chatRequest) hasNative(key string) bool {
	for _, n := range f.native {
		if n.key == key {
			return true
		}
	}
	return false
}

// RequestBody implements translator.Translator: an OpenAI chat completions body in, a
// Hunyuan ChatCompletions body out (see the package doc for what maps to what). The
// result is also what EditUpstream signs.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	var f chatRequest
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		var v *gjson.Result
		switch k := sc.Key(); k {
		case "model":
			v = &f.model
		case "messages":
			v = &f.messages
		case "temperature":
			v = &f.temperature
		case "top_p":
			v = &f.topP
		case "stop":
			v = &f.stop
		case "tools":
			v = &f.tools
		case "tool_choice":
			v = &f.toolChoice
		case "stream":
			v = &f.stream
		case "seed":
			v = &f.seed
		default:
			if k != "" && k[0] >= 'A' && k[0] <= 'Z' {
				f.native = append(f.native, nativeField{k, sc.Value()})
			}
		}
		if v != nil {
			*v = gjson.Parse(sc.Value())
		}
	}
	if !sc.Valid() {
		return nil, errNotJSON
	}
	if s := strings.TrimSpace(translator.View(body)); s == "" || s[0] != '{' {
		return nil, errNotObject
	}
	t.model = strings.Clone(f.model.String())
	t.stream = f.stream.Bool()
	if !f.messages.IsArray() && !f.hasNative("Messages") {
		return nil, errors.New("messages: must be a list")
	}

	w := &bodyWriter{dst: make([]byte, 0, len(body)+128), f: &f}
	w.dst = append(w.dst, '{')
	if f.model.Type == gjson.String && w.field("Model") {
		w.dst = append(w.dst, f.model.Raw...)
	}
	if f.messages.IsArray() && w.field("Messages") {
		var err error
		if w.dst, err = appendMessages(w.dst, f.messages); err != nil {
			return nil, err
		}
	}
	if f.stream.Exists() && f.stream.Type != gjson.Null && w.field("Stream") {
		w.dst = strconv.AppendBool(w.dst, t.stream)
	}
	if f.temperature.Type == gjson.Number && w.field("Temperature") {
		w.dst = append(w.dst, f.temperature.Raw...)
	}
	if f.topP.Type == gjson.Number && w.field("TopP") {
		w.dst = append(w.dst, f.topP.Raw...)
	}
	if f.seed.Type == gjson.Number && w.field("Seed") {
		w.dst = append(w.dst, f.seed.Raw...)
	}
	switch {
	case f.stop.Type == gjson.String && f.stop.Str != "":
		if w.field("Stop") {
			w.dst = append(w.dst, '[')
			w.dst = append(w.dst, f.stop.Raw...)
			w.dst = append(w.dst, ']')
		}
	case f.stop.IsArray() && len(f.stop.Array()) > 0:
		for _, s := range f.stop.Array() {
			if s.Type != gjson.String {
				return nil, errors.New("stop: must be a string or a list of strings")
			}
		}
		if w.field("Stop") {
			w.dst = append(w.dst, f.stop.Raw...)
		}
	}
	if err := w.tools(); err != nil {
		return nil, err
	}
	for _, nf := range f.native {
		if w.n > 0 {
			w.dst = append(w.dst, ',')
		}
		w.n++
		w.dst = translator.AppendString(w.dst, nf.key)
		w.dst = append(w.dst, ':')
		w.dst = append(w.dst, nf.raw...)
	}
	w.dst = append(w.dst, '}')
	t.body = w.dst
	return w.dst, nil
}

// bodyWriter writes the members of the Hunyuan body.
type bodyWriter struct {
	dst []byte
	n   int // members written
	f   *chatRequest
}

// field starts member name, unless the client sent Hunyuan's own field of that name
// (then false: the client's passes through instead).
func (w *bodyWriter) field(name string) bool {
	if w.f.hasNative(name) {
		return false
	}
	if w.n > 0 {
		w.dst = append(w.dst, ',')
	}
	w.n++
	w.dst = append(w.dst, '"')
	w.dst = append(w.dst, name...)
	w.dst = append(w.dst, `":`...)
	return true
}

// appendTools writes Tools, ToolChoice and CustomTool.
func (w *bodyWriter) tools() error {
	f := w.f
	tools := f.tools.Array()
	for i, tool := range tools {
		if tt := tool.Get("type").Str; tt != "" && tt != "function" {
			return errors.New("tools[" + itoa(i) + "]: type " + tool.Get("type").Raw + " is not supported by Hunyuan; only function tools are")
		}
		if n := tool.Get("function.name"); n.Type != gjson.String || n.Str == "" {
			return errors.New("tools[" + itoa(i) + "].function.name: required")
		}
	}
	if len(tools) > 0 && w.field("Tools") {
		w.dst = append(w.dst, '[')
		for i, tool := range tools {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			w.dst = appendTool(w.dst, tool.Get("function"))
		}
		w.dst = append(w.dst, ']')
	}
	choice := f.toolChoice
	var custom gjson.Result
	mode := ""
	switch {
	case choice.Type == gjson.String:
		switch choice.Str {
		case "none", "auto":
			mode = choice.Str
		case "required":
			if len(tools) != 1 {
				return errors.New(`tool_choice: "required" is supported by Hunyuan only with a single tool (it forces one named tool)`)
			}
			mode, custom = "custom", tools[0].Get("function")
		default:
			return errors.New("tool_choice: " + choice.Raw + " is not one of none, auto, required")
		}
	case choice.IsObject():
		name := choice.Get("function.name")
		if name.Type != gjson.String || name.Str == "" {
			return errors.New("tool_choice.function.name: required")
		}
		for _, tool := range tools {
			if tool.Get("function.name").Str == name.Str {
				custom = tool.Get("function")
			}
		}
		if !custom.Exists() {
			return errors.New("tool_choice.function.name: " + name.Raw + " names no tool in tools")
		}
		mode = "custom"
	}
	if mode != "" && w.field("ToolChoice") {
		w.dst = append(w.dst, '"')
		w.dst = append(w.dst, mode...)
		w.dst = append(w.dst, '"')
	}
	if custom.Exists() && w.field("CustomTool") {
		w.dst = appendTool(w.dst, custom)
	}
	return nil
}

// appendTool writes {"Type":"function","Function":{"Name","Description","Parameters"}}
// from an OpenAI function object; Hunyuan takes the parameters schema as a JSON string.
func appendTool(dst []byte, fn gjson.Result) []byte {
	dst = append(dst, `{"Type":"function","Function":{"Name":`...)
	dst = append(dst, fn.Get("name").Raw...)
	if d := fn.Get("description"); d.Type == gjson.String {
		dst = append(dst, `,"Description":`...)
		dst = append(dst, d.Raw...)
	}
	if p := fn.Get("parameters"); p.IsObject() {
		dst = append(dst, `,"Parameters":`...)
		dst = translator.AppendString(dst, p.Raw)
	}
	return append(dst, "}}"...)
}

// appendMessages writes the Messages array.
func appendMessages(dst []byte, msgs gjson.Result) ([]byte, error) {
	dst = append(dst, '[')
	for i, m := range msgs.Array() {
		field := "messages[" + itoa(i) + "]"
		if !m.IsObject() {
			return nil, errors.New(field + ": must be an object")
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		role := m.Get("role").Str
		switch role {
		case "system", "developer":
			role = "system"
		case "user", "assistant", "tool":
		case "function":
			return nil, errors.New(field + ".role: the deprecated function role is not supported; use tool messages")
		default:
			return nil, errors.New(field + ".role: " + m.Get("role").Raw + " is not one of system, developer, user, assistant, tool")
		}
		dst = append(dst, `{"Role":"`...)
		dst = append(dst, role...)
		dst = append(dst, '"')
		var err error
		if dst, err = appendContent(dst, m.Get("content"), role, field); err != nil {
			return nil, err
		}
		if role == "tool" {
			id := m.Get("tool_call_id")
			if id.Type != gjson.String || id.Str == "" {
				return nil, errors.New(field + ".tool_call_id: required")
			}
			dst = append(dst, `,"ToolCallId":`...)
			dst = append(dst, id.Raw...)
		}
		if role == "assistant" {
			if dst, err = appendToolCalls(dst, m.Get("tool_calls"), field); err != nil {
				return nil, err
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// appendContent writes Content for a string or text-only content, Contents for
// content with images (user messages only).
func appendContent(dst []byte, c gjson.Result, role, field string) ([]byte, error) {
	switch {
	case c.Type == gjson.String:
		dst = append(dst, `,"Content":`...)
		return append(dst, c.Raw...), nil
	case c.Type == gjson.Null || !c.Exists():
		return dst, nil
	case !c.IsArray():
		return nil, errors.New(field + ".content: must be a string or a list of parts")
	}
	parts := c.Array()
	images := false
	for j, p := range parts {
		pf := field + ".content[" + itoa(j) + "]"
		if err := translator.CheckPart(pf, p.Raw); err != nil {
			return nil, err
		}
		switch typ := p.Get("type").Str; typ {
		case "text":
			if p.Get("text").Type != gjson.String {
				return nil, errors.New(pf + ".text: must be a string")
			}
		case "image_url":
			if role != "user" {
				return nil, errors.New(pf + ": Hunyuan takes images in user messages only")
			}
			if imageURL(p).Type != gjson.String {
				return nil, errors.New(pf + ".image_url.url: required")
			}
			images = true
		default:
			return nil, errors.New(pf + ": content part type " + p.Get("type").Raw + " is not supported by Hunyuan (text and image_url are)")
		}
	}
	if !images {
		// Text parts joined: Content works with every model, Contents with vision ones.
		var text []byte
		for _, p := range parts {
			text = append(text, p.Get("text").Str...)
		}
		dst = append(dst, `,"Content":`...)
		return translator.AppendString(dst, string(text)), nil
	}
	dst = append(dst, `,"Contents":[`...)
	for j, p := range parts {
		if j > 0 {
			dst = append(dst, ',')
		}
		if p.Get("type").Str == "text" {
			dst = append(dst, `{"Type":"text","Text":`...)
			dst = append(dst, p.Get("text").Raw...)
			dst = append(dst, '}')
			continue
		}
		dst = append(dst, `{"Type":"image_url","ImageUrl":{"Url":`...)
		dst = append(dst, imageURL(p).Raw...)
		dst = append(dst, "}}"...)
	}
	return append(dst, ']'), nil
}

func imageURL(p gjson.Result) gjson.Result {
	if u := p.Get("image_url.url"); u.Type == gjson.String {
		return u
	}
	return p.Get("image_url") // the short form some clients send
}

// appendToolCalls writes an assistant message's ToolCalls.
func appendToolCalls(dst []byte, calls gjson.Result, field string) ([]byte, error) {
	if !calls.Exists() || calls.Type == gjson.Null {
		return dst, nil
	}
	if !calls.IsArray() {
		return nil, errors.New(field + ".tool_calls: must be a list")
	}
	list := calls.Array()
	if len(list) == 0 {
		return dst, nil
	}
	dst = append(dst, `,"ToolCalls":[`...)
	for j, c := range list {
		cf := field + ".tool_calls[" + itoa(j) + "]"
		name := c.Get("function.name")
		if name.Type != gjson.String || name.Str == "" {
			return nil, errors.New(cf + ".function.name: required")
		}
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Id":`...)
		dst = translator.AppendString(dst, c.Get("id").String())
		dst = append(dst, `,"Type":"function","Function":{"Name":`...)
		dst = append(dst, name.Raw...)
		dst = append(dst, `,"Arguments":`...)
		switch args := c.Get("function.arguments"); {
		case args.Type == gjson.String:
			dst = append(dst, args.Raw...)
		case args.IsObject():
			dst = translator.AppendString(dst, args.Raw)
		default:
			dst = append(dst, `"{}"`...)
		}
		dst = append(dst, "}}"...)
	}
	return append(dst, ']'), nil
}
