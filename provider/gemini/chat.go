package gemini

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Options are the provider settings that shape every chat request.
type Options struct {
	// SafetySettings is `geminiSafetySetting`: harm category → block threshold, sent as
	// safetySettings on every request.
	SafetySettings map[string]string
	// ThinkingBudget is `geminiThinkingBudget`: when non-zero, the thinking budget (-1:
	// dynamic) of requests that set no reasoning_effort, with thought summaries.
	ThinkingBudget int64
}

// Chat serves an OpenAI chat completions client from Gemini generateContent (or
// streamGenerateContent?alt=sse for stream requests). Create one per request with
// NewChat; it is not safe for concurrent use.
type Chat struct {
	// Now returns the Unix time written as `created`; nil means the wall clock.
	Now func() int64

	safety []byte // the safetySettings array, written once
	budget int64

	model  string
	stream bool

	rd    sse.Reader
	st    streamState
	shape translator.Shape // the last text event's, for the next ones
	usage translator.Usage
	buf   []byte // scratch for one converted answer
}

// NewChat returns the converter for one OpenAI chat request to Gemini.
func NewChat(o Options) *Chat {
	t := &Chat{budget: o.ThinkingBudget}
	t.shape.Verbatim = true // texts are copied as Gemini escapes them
	if len(o.SafetySettings) > 0 {
		keys := make([]string, 0, len(o.SafetySettings))
		for k := range o.SafetySettings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.safety = append(t.safety, '[')
		for i, k := range keys {
			if i > 0 {
				t.safety = append(t.safety, ',')
			}
			t.safety = append(t.safety, `{"category":`...)
			t.safety = translator.AppendString(t.safety, k)
			t.safety = append(t.safety, `,"threshold":`...)
			t.safety = translator.AppendString(t.safety, o.SafetySettings[k])
			t.safety = append(t.safety, '}')
		}
		t.safety = append(t.safety, ']')
	}
	return t
}

func (t *Chat) now() int64 {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now().Unix()
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }

// EditUpstream implements translator.UpstreamEditor: a stream request goes to
// :streamGenerateContent?alt=sse instead of :generateContent.
func (t *Chat) EditUpstream(path string, _ func(name, value string)) string {
	if !t.stream {
		return path
	}
	const from, to = ":generateContent", ":streamGenerateContent"
	i := strings.Index(path, from)
	if i < 0 {
		return path
	}
	rest := path[i+len(from):]
	q := "?alt=sse"
	if strings.HasPrefix(rest, "?") {
		q, rest = "?alt=sse&", rest[1:]
	}
	return path[:i] + to + q + rest
}

var (
	errNotJSON   = errors.New("request body is not valid JSON")
	errNotObject = errors.New("request body must be a JSON object")
)

// chatRequest holds the top-level fields of an OpenAI chat request, read in one pass.
type chatRequest struct {
	model, messages, maxTokens, maxCompletion, temperature, topP, topK, stop, tools,
	toolChoice, effort, format, stream, n, seed, presence, frequency gjson.Result
}

// RequestBody implements translator.Translator: an OpenAI chat completions body in, a
// Gemini GenerateContentRequest out. Fields Gemini has no equivalent for (user,
// logprobs, parallel_tool_calls, stream_options, ...) are dropped; content Gemini
// cannot carry is an error.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
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
		case "reasoning_effort":
			v = &f.effort
		case "response_format":
			v = &f.format
		case "stream":
			v = &f.stream
		case "n":
			v = &f.n
		case "seed":
			v = &f.seed
		case "presence_penalty":
			v = &f.presence
		case "frequency_penalty":
			v = &f.frequency
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
	if !f.messages.IsArray() {
		return nil, errors.New("messages: must be a list")
	}

	w := contentWriter{dst: make([]byte, 0, len(body)+256)}
	w.dst = append(w.dst, `{"contents":[`...)
	if err := w.messages(f.messages); err != nil {
		return nil, err
	}
	w.flushTools()
	w.end()
	w.dst = append(w.dst, ']')
	dst := w.dst
	if len(w.sys) > 0 {
		dst = append(dst, `,"systemInstruction":{"parts":[`...)
		dst = append(dst, w.sys...)
		dst = append(dst, "]}"...)
	}
	var err error
	if dst, err = appendTools(dst, f.tools, f.toolChoice); err != nil {
		return nil, err
	}
	if len(t.safety) > 0 {
		dst = append(dst, `,"safetySettings":`...)
		dst = append(dst, t.safety...)
	}

	// generationConfig
	mark := len(dst)
	dst = append(dst, `,"generationConfig":{`...)
	open := len(dst)
	field := func(name string) {
		if len(dst) > open {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
	}
	num := func(name string, v gjson.Result) {
		if v.Type == gjson.Number {
			field(name)
			dst = append(dst, v.Raw...)
		}
	}
	num("temperature", f.temperature)
	num("topP", f.topP)
	num("topK", f.topK)
	if f.maxCompletion.Type == gjson.Number {
		num("maxOutputTokens", f.maxCompletion)
	} else {
		num("maxOutputTokens", f.maxTokens)
	}
	num("candidateCount", f.n)
	num("seed", f.seed)
	num("presencePenalty", f.presence)
	num("frequencyPenalty", f.frequency)
	switch {
	case f.stop.Type == gjson.String && f.stop.Str != "":
		field("stopSequences")
		dst = append(dst, '[')
		dst = append(dst, f.stop.Raw...)
		dst = append(dst, ']')
	case f.stop.IsArray() && len(f.stop.Array()) > 0:
		field("stopSequences")
		dst = append(dst, '[')
		k := 0
		for _, s := range f.stop.Array() {
			if s.Type != gjson.String {
				return nil, errors.New("stop: must be a string or a list of strings")
			}
			if k > 0 {
				dst = append(dst, ',')
			}
			k++
			dst = append(dst, s.Raw...)
		}
		dst = append(dst, ']')
	}
	switch f.format.Get("type").Str {
	case "json_object":
		field("responseMimeType")
		dst = append(dst, `"application/json"`...)
	case "json_schema":
		field("responseMimeType")
		dst = append(dst, `"application/json"`...)
		if s := f.format.Get("json_schema.schema"); s.IsObject() {
			field("responseSchema")
			dst = appendSchema(dst, s.Raw, 0)
		}
	}
	budget, thinking := t.budget, t.budget != 0
	if f.effort.Type == gjson.String {
		b, ok := effortBudget(f.effort.Str)
		if !ok {
			return nil, errors.New("reasoning_effort: " + f.effort.Raw + " is not one of none, minimal, low, medium, high")
		}
		budget, thinking = b, true
	}
	if thinking {
		field("thinkingConfig")
		dst = append(dst, `{"thinkingBudget":`...)
		dst = translator.AppendInt(dst, budget)
		if budget != 0 {
			dst = append(dst, `,"includeThoughts":true`...)
		}
		dst = append(dst, '}')
	}
	if len(dst) == open {
		dst = dst[:mark]
	} else {
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// appendTools writes tools (function declarations) and tool_choice (toolConfig).
func appendTools(dst []byte, tools, choice gjson.Result) ([]byte, error) {
	if tools.IsArray() && len(tools.Array()) > 0 {
		dst = append(dst, `,"tools":[{"functionDeclarations":[`...)
		for i, tool := range tools.Array() {
			if tt := tool.Get("type").Str; tt != "" && tt != "function" {
				return nil, errors.New("tools[" + itoa(i) + "]: type " + tool.Get("type").Raw + " is not supported by Gemini; only function tools are")
			}
			fn := tool.Get("function")
			name := fn.Get("name")
			if name.Type != gjson.String || name.Str == "" {
				return nil, errors.New("tools[" + itoa(i) + "].function.name: required")
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = append(dst, name.Raw...)
			if d := fn.Get("description"); d.Type == gjson.String {
				dst = append(dst, `,"description":`...)
				dst = append(dst, d.Raw...)
			}
			// A function without properties takes no parameters: Gemini refuses an
			// object schema with no properties.
			if p := fn.Get("parameters"); p.IsObject() && len(p.Get("properties").Map()) > 0 {
				dst = append(dst, `,"parameters":`...)
				dst = appendSchema(dst, p.Raw, 0)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, "]}]"...)
	}
	mode, name := "", ""
	switch {
	case choice.Type == gjson.String:
		switch choice.Str {
		case "none":
			mode = "NONE"
		case "auto":
			mode = "AUTO"
		case "required":
			mode = "ANY"
		default:
			return nil, errors.New("tool_choice: " + choice.Raw + " is not one of none, auto, required")
		}
	case choice.IsObject():
		n := choice.Get("function.name")
		if n.Type != gjson.String || n.Str == "" {
			return nil, errors.New("tool_choice.function.name: required")
		}
		mode, name = "ANY", n.Raw
	}
	if mode != "" {
		dst = append(dst, `,"toolConfig":{"functionCallingConfig":{"mode":"`...)
		dst = append(dst, mode...)
		dst = append(dst, '"')
		if name != "" {
			dst = append(dst, `,"allowedFunctionNames":[`...)
			dst = append(dst, name...)
			dst = append(dst, ']')
		}
		dst = append(dst, "}}"...)
	}
	return dst, nil
}

// contentWriter writes Gemini contents. Consecutive messages of one Gemini role are
// merged into one turn; tool results following a model turn's calls become one user
// turn of functionResponse parts in the order of the calls.
type contentWriter struct {
	dst   []byte
	sys   []byte // systemInstruction parts, comma-separated
	open  bool
	role  string
	turns int

	calls []toolCall  // the function calls of the last model turn
	resps []toolReply // tool results waiting for their turn
}

type toolCall struct{ id, name string }

type toolReply struct {
	order int // position of the call it answers; unknown ones last
	part  []byte
}

// begin prepares dst for one more part in a turn of role.
func (w *contentWriter) begin(role string) {
	if w.open {
		if w.role == role {
			w.dst = append(w.dst, ',')
			return
		}
		w.dst = append(w.dst, "]}"...)
	}
	if w.turns > 0 {
		w.dst = append(w.dst, ',')
	}
	w.turns++
	w.dst = append(w.dst, `{"role":"`...)
	w.dst = append(w.dst, role...)
	w.dst = append(w.dst, `","parts":[`...)
	w.open, w.role = true, role
}

func (w *contentWriter) end() {
	if w.open {
		w.dst = append(w.dst, "]}"...)
		w.open = false
	}
}

// flushTools writes the waiting tool results as functionResponse parts, in call order.
func (w *contentWriter) flushTools() {
	if len(w.resps) == 0 {
		return
	}
	sort.SliceStable(w.resps, func(i, j int) bool { return w.resps[i].order < w.resps[j].order })
	for _, r := range w.resps {
		w.begin("user")
		w.dst = append(w.dst, r.part...)
	}
	w.resps = w.resps[:0]
}

func (w *contentWriter) messages(msgs gjson.Result) error {
	for i, m := range msgs.Array() {
		field := "messages[" + itoa(i) + "]"
		if !m.IsObject() {
			return errors.New(field + ": must be an object")
		}
		role := m.Get("role").String()
		if role != "tool" {
			w.flushTools()
		}
		content := m.Get("content")
		switch role {
		case "system", "developer":
			if err := w.systemParts(content, field); err != nil {
				return err
			}
		case "user":
			if err := w.parts("user", content, field); err != nil {
				return err
			}
		case "assistant":
			if err := w.assistant(m, content, field); err != nil {
				return err
			}
		case "tool":
			if err := w.tool(m, content, field); err != nil {
				return err
			}
		case "function":
			return errors.New(field + ".role: the deprecated function role is not supported; use tool messages")
		default:
			return errors.New(field + ".role: " + m.Get("role").Raw + " is not one of system, developer, user, assistant, tool")
		}
	}
	return nil
}

// systemParts adds the text of a system message to systemInstruction.
func (w *contentWriter) systemParts(content gjson.Result, field string) error {
	add := func(text gjson.Result) {
		if len(w.sys) > 0 {
			w.sys = append(w.sys, ',')
		}
		w.sys = append(w.sys, `{"text":`...)
		w.sys = append(w.sys, text.Raw...)
		w.sys = append(w.sys, '}')
	}
	switch {
	case content.Type == gjson.String:
		if content.Str != "" {
			add(content)
		}
	case content.IsArray():
		for j, p := range content.Array() {
			pf := field + ".content[" + itoa(j) + "]"
			if err := translator.CheckPart(pf, p.Raw); err != nil {
				return err
			}
			if p.Get("type").Str != "text" {
				return errors.New(pf + ": system messages hold text parts only")
			}
			if tx := p.Get("text"); tx.Type == gjson.String {
				add(tx)
			}
		}
	case content.Type == gjson.Null || !content.Exists():
	default:
		return errors.New(field + ".content: must be a string or a list of parts")
	}
	return nil
}

// parts writes the content of a user (or assistant) message as parts of a turn.
func (w *contentWriter) parts(role string, content gjson.Result, field string) error {
	switch {
	case content.Type == gjson.String:
		if content.Str != "" || role == "user" {
			w.begin(role)
			w.dst = append(w.dst, `{"text":`...)
			w.dst = append(w.dst, content.Raw...)
			w.dst = append(w.dst, '}')
		}
		return nil
	case content.Type == gjson.Null || !content.Exists():
		return nil
	case !content.IsArray():
		return errors.New(field + ".content: must be a string or a list of parts")
	}
	for j, p := range content.Array() {
		pf := field + ".content[" + itoa(j) + "]"
		if err := translator.CheckPart(pf, p.Raw); err != nil {
			return err
		}
		switch typ := p.Get("type").Str; typ {
		case "text":
			tx := p.Get("text")
			if tx.Type != gjson.String {
				return errors.New(pf + ".text: must be a string")
			}
			w.begin(role)
			w.dst = append(w.dst, `{"text":`...)
			w.dst = append(w.dst, tx.Raw...)
			w.dst = append(w.dst, '}')
		case "refusal":
			w.begin(role)
			w.dst = append(w.dst, `{"text":`...)
			w.dst = append(w.dst, p.Get("refusal").Raw...)
			w.dst = append(w.dst, '}')
		case "image_url":
			url := p.Get("image_url.url")
			if url.Type != gjson.String {
				url = p.Get("image_url") // the short form some clients send
			}
			if url.Type != gjson.String {
				return errors.New(pf + ".image_url.url: required")
			}
			if err := w.media(role, url.Str, pf); err != nil {
				return err
			}
		case "input_audio":
			data, format := p.Get("input_audio.data"), p.Get("input_audio.format").Str
			if data.Type != gjson.String || format == "" {
				return errors.New(pf + ".input_audio: data and format are required")
			}
			w.begin(role)
			w.dst = append(w.dst, `{"inlineData":{"mimeType":`...)
			w.dst = translator.AppendString(w.dst, "audio/"+format)
			w.dst = append(w.dst, `,"data":`...)
			w.dst = append(w.dst, data.Raw...)
			w.dst = append(w.dst, "}}"...)
		case "file":
			data := p.Get("file.file_data")
			if data.Type != gjson.String || !strings.HasPrefix(data.Str, "data:") {
				return errors.New(pf + ".file: only file_data (a data: URL) is supported by Gemini; file_id is not")
			}
			if err := w.media(role, data.Str, pf); err != nil {
				return err
			}
		default:
			return errors.New(pf + ": content part type " + p.Get("type").Raw + " is not supported by Gemini")
		}
	}
	return nil
}

// media writes an image (or file) URL: a data: URL inline, an http(s) URL as fileData
// with the MIME type its extension names. A URL without a known extension is refused
// (Gemini does not fetch arbitrary URLs and needs the type); Files API URIs
// (generativelanguage.googleapis.com/.../files/...) pass without one.
func (w *contentWriter) media(role, url, field string) error {
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		meta, data, found := strings.Cut(rest, ",")
		mime, isB64 := strings.CutSuffix(meta, ";base64")
		if !found || !isB64 || mime == "" {
			return errors.New(field + ": a data URL must be data:<mime type>;base64,<data>")
		}
		w.begin(role)
		w.dst = append(w.dst, `{"inlineData":{"mimeType":`...)
		w.dst = translator.AppendString(w.dst, mime)
		w.dst = append(w.dst, `,"data":`...)
		w.dst = translator.AppendString(w.dst, data)
		w.dst = append(w.dst, "}}"...)
		return nil
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return errors.New(field + ": image URL must be a data: URL or an http(s) URL")
	}
	mime := mimeByExt(url)
	filesAPI := strings.Contains(url, "generativelanguage.googleapis.com/") && strings.Contains(url, "/files/")
	if mime == "" && !filesAPI {
		return errors.New(field + ": cannot tell the media type of " + url +
			" from its extension (.png, .jpg, .webp, .gif, .heic, .pdf, ...); send it as a data: URL")
	}
	w.begin(role)
	w.dst = append(w.dst, `{"fileData":{`...)
	if mime != "" {
		w.dst = append(w.dst, `"mimeType":`...)
		w.dst = translator.AppendString(w.dst, mime)
		w.dst = append(w.dst, ',')
	}
	w.dst = append(w.dst, `"fileUri":`...)
	w.dst = translator.AppendString(w.dst, url)
	w.dst = append(w.dst, "}}"...)
	return nil
}

// assistant writes an assistant message as a model turn: its text, then its tool calls
// as functionCall parts (with the thought signature their id carries).
func (w *contentWriter) assistant(m, content gjson.Result, field string) error {
	if err := w.parts("model", content, field); err != nil {
		return err
	}
	calls := m.Get("tool_calls")
	if !calls.Exists() || calls.Type == gjson.Null {
		return nil
	}
	if !calls.IsArray() {
		return errors.New(field + ".tool_calls: must be a list")
	}
	w.calls = w.calls[:0]
	for j, c := range calls.Array() {
		cf := field + ".tool_calls[" + itoa(j) + "]"
		name := c.Get("function.name")
		if name.Type != gjson.String || name.Str == "" {
			return errors.New(cf + ".function.name: required")
		}
		id := c.Get("id").String()
		w.calls = append(w.calls, toolCall{id: id, name: name.Str})
		args := c.Get("function.arguments")
		argsRaw := "{}"
		switch {
		case args.Type == gjson.String && strings.TrimSpace(args.Str) != "":
			a := gjson.Parse(args.Str)
			if !a.IsObject() || !gjson.Valid(args.Str) {
				return errors.New(cf + ".function.arguments: must be a JSON object")
			}
			argsRaw = a.Raw
		case args.IsObject():
			argsRaw = args.Raw
		}
		w.begin("model")
		w.dst = append(w.dst, `{"functionCall":{"name":`...)
		w.dst = append(w.dst, name.Raw...)
		w.dst = append(w.dst, `,"args":`...)
		w.dst = append(w.dst, argsRaw...)
		w.dst = append(w.dst, '}')
		if sig := signatureOf(id); sig != "" {
			w.dst = append(w.dst, `,"thoughtSignature":"`...)
			w.dst = append(w.dst, sig...)
			w.dst = append(w.dst, '"')
		}
		w.dst = append(w.dst, '}')
	}
	return nil
}

// tool queues a tool result as a functionResponse part: the function's name comes from
// the call its tool_call_id answers; a result that is a JSON object is the response as
// it is, any other result becomes {"result": <text>}.
func (w *contentWriter) tool(m, content gjson.Result, field string) error {
	id := m.Get("tool_call_id").String()
	order, name := len(w.calls), ""
	for k, c := range w.calls {
		if c.id == id {
			order, name = k, c.name
			break
		}
	}
	if name == "" {
		name = m.Get("name").String()
	}
	if name == "" {
		return errors.New(field + ".tool_call_id: " + m.Get("tool_call_id").Raw + " answers no tool call of the assistant message before it")
	}
	var text []byte
	switch {
	case content.Type == gjson.String:
		text = append(text, content.Str...)
	case content.IsArray():
		for j, p := range content.Array() {
			if err := translator.CheckPart(field+".content["+itoa(j)+"]", p.Raw); err != nil {
				return err
			}
			text = append(text, p.Get("text").Str...)
		}
	}
	part := make([]byte, 0, len(text)+64)
	part = append(part, `{"functionResponse":{"name":`...)
	part = translator.AppendString(part, name)
	part = append(part, `,"response":`...)
	if s := strings.TrimSpace(string(text)); strings.HasPrefix(s, "{") && gjson.Valid(s) {
		part = append(part, s...)
	} else {
		part = append(part, `{"result":`...)
		part = translator.AppendString(part, string(text))
		part = append(part, '}')
	}
	part = append(part, "}}"...)
	w.resps = append(w.resps, toolReply{order: order, part: part})
	return nil
}

func itoa(n int) string { return string(translator.AppendInt(nil, int64(n))) }
