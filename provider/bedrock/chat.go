package bedrock

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// RequestBody implements translator.Translator: an OpenAI chat request in, a Converse
// request out.
//
//   - system and developer messages become `system` text blocks;
//   - user content (text, images as data URLs) becomes text and image blocks; http(s)
//     image URLs are refused, Bedrock takes image bytes only;
//   - assistant tool_calls become toolUse blocks, tool messages toolResult blocks in a
//     user message; consecutive messages of one role are merged (Bedrock wants turns
//     to alternate);
//   - max_tokens (max_completion_tokens), temperature, top_p, stop → inferenceConfig;
//   - tools → toolConfig.tools[].toolSpec, tool_choice auto/required/{function} →
//     toolChoice auto/any/tool ("none" sends no toolChoice);
//   - bedrockAdditionalFields and, for Claude models, reasoning_effort (as thinking
//     with a token budget) → additionalModelRequestFields.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.model = root.Get("model").String()
	t.stream = root.Get("stream").Bool()
	msgs := root.Get("messages")
	if !msgs.IsArray() {
		return nil, errors.New("messages: must be a list")
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"messages":[`...)
	var sys []byte
	var err error
	w := msgWriter{out: out}
	msgs.ForEach(func(i, m gjson.Result) bool {
		field := "messages[" + strconv.Itoa(int(i.Int())) + "]"
		switch role := m.Get("role").String(); role {
		case "system", "developer":
			sys, err = appendSystem(sys, m.Get("content"), field)
		case "user":
			err = w.user(m.Get("content"), field)
		case "assistant":
			err = w.assistant(m, field)
		case "tool", "function":
			w.open("user")
			w.block()
			w.out = append(w.out, `{"toolResult":{"toolUseId":`...)
			w.out = translator.AppendString(w.out, m.Get("tool_call_id").String())
			w.out = append(w.out, `,"content":[`...)
			w.out = appendToolResult(w.out, m.Get("content"))
			w.out = append(w.out, "]}}"...)
		default:
			err = errors.New(field + ".role: unknown role " + strconv.Quote(role))
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	out = w.close()
	ttl, cache := t.cacheTTL(root)
	if cache {
		out = w.cachePoints(t.opts.CachePoints, ttl)
	}
	out = append(out, ']')
	if len(sys) > 0 && cache && t.opts.CachePoints.System {
		sys = append(sys, ',')
		sys = appendCachePoint(sys, ttl)
	}
	if len(sys) > 0 {
		out = append(out, `,"system":[`...)
		out = append(out, sys...)
		out = append(out, ']')
	}
	out = appendInference(out, root)
	if out, err = appendTools(out, root); err != nil {
		return nil, err
	}
	out = t.appendAdditional(out, root)
	out = append(out, '}')
	if t.opts.Key != nil {
		t.payloadHash = sign.PayloadHash(out)
	}
	return out, nil
}

// cacheTTL reports whether the request gets prompt-cache points, and their ttl: the
// request's prompt_cache_retention, else promptCacheRetention, on a model that caches.
func (t *Chat) cacheTTL(root gjson.Result) (string, bool) {
	if !isClaude(t.model) && !strings.Contains(t.model, "amazon.nova") {
		return "", false // no body scan for models that do not cache
	}
	retention := root.Get("prompt_cache_retention").String()
	if retention == "" {
		retention = t.opts.CacheRetention
	}
	return CacheTTL(retention)
}

func appendCachePoint(dst []byte, ttl string) []byte {
	dst = append(dst, `{"cachePoint":{"type":"default"`...)
	if ttl != "" {
		dst = append(dst, `,"ttl":`...)
		dst = translator.AppendString(dst, ttl)
	}
	return append(dst, "}}"...)
}

// cachePoints inserts cachePoint blocks at the end of the last user turn and of the last
// turn (one block when they are the same turn).
func (w *msgWriter) cachePoints(at CachePoints, ttl string) []byte {
	var ends []int // descending, so an insertion leaves the other offset valid
	if at.Last && w.lastEnd > 0 {
		ends = append(ends, w.lastEnd)
	}
	if at.LastUser && w.lastUserEnd > 0 && (!at.Last || w.lastUserEnd != w.lastEnd) {
		ends = append(ends, w.lastUserEnd)
	}
	for _, end := range ends {
		point := appendCachePoint([]byte{','}, ttl)
		w.out = append(w.out[:end], append(point, w.out[end:]...)...)
	}
	return w.out
}

// msgWriter appends Converse messages, merging consecutive ones of the same role.
type msgWriter struct {
	out    []byte
	role   string
	blocks int
	// Where the content lists of the last user turn and of the last turn end (the
	// offset of their closing bracket), for prompt-cache points; 0: none.
	lastUserEnd, lastEnd int
}

func (w *msgWriter) open(role string) {
	if w.role == role {
		return
	}
	w.close()
	if len(w.out) > 0 && w.out[len(w.out)-1] == '}' {
		w.out = append(w.out, ',')
	}
	w.out = append(w.out, `{"role":"`...)
	w.out = append(w.out, role...)
	w.out = append(w.out, `","content":[`...)
	w.role, w.blocks = role, 0
}

// block writes the separator before the next content block.
func (w *msgWriter) block() {
	if w.blocks > 0 {
		w.out = append(w.out, ',')
	}
	w.blocks++
}

func (w *msgWriter) close() []byte {
	if w.role != "" {
		if w.blocks == 0 {
			// Bedrock refuses empty content; a turn with nothing says so.
			w.out = append(w.out, `{"text":" "}`...)
		}
		w.lastEnd = len(w.out)
		if w.role == "user" {
			w.lastUserEnd = w.lastEnd
		}
		w.out = append(w.out, "]}"...)
		w.role = ""
	}
	return w.out
}

func (w *msgWriter) text(s string) {
	if s == "" {
		return
	}
	w.block()
	w.out = append(w.out, `{"text":`...)
	w.out = translator.AppendString(w.out, s)
	w.out = append(w.out, '}')
}

func (w *msgWriter) user(c gjson.Result, field string) error {
	w.open("user")
	if !c.IsArray() {
		w.text(c.String())
		return nil
	}
	var err error
	c.ForEach(func(j, p gjson.Result) bool {
		pf := field + ".content[" + strconv.Itoa(int(j.Int())) + "]"
		if err = translator.CheckPart(pf, p.Raw); err != nil {
			return false
		}
		switch typ := p.Get("type").String(); typ {
		case "text":
			w.text(p.Get("text").String())
		case "image_url":
			err = w.image(p.Get("image_url"), pf)
		default:
			err = errors.New(pf + ": content part type " + strconv.Quote(typ) + " is not supported by Bedrock Converse")
		}
		return err == nil
	})
	return err
}

// image writes an image block from a data URL (data:image/png;base64,...).
func (w *msgWriter) image(u gjson.Result, field string) error {
	url := u.String()
	if u.IsObject() {
		url = u.Get("url").String()
	}
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		return errors.New(field + ": Bedrock takes images as base64 data URLs (data:image/png;base64,...); it does not fetch http(s) image URLs")
	}
	meta, data, ok := strings.Cut(rest, ",")
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	format, isImage := strings.CutPrefix(mime, "image/")
	if !ok || !isB64 || !isImage {
		return errors.New(field + ": image data URL must be data:image/<format>;base64,<data>")
	}
	if format == "jpg" {
		format = "jpeg"
	}
	switch format {
	case "png", "jpeg", "gif", "webp":
	default:
		return errors.New(field + ": image format " + strconv.Quote(format) + " is not supported by Bedrock (png, jpeg, gif, webp)")
	}
	w.block()
	w.out = append(w.out, `{"image":{"format":"`...)
	w.out = append(w.out, format...)
	w.out = append(w.out, `","source":{"bytes":`...)
	w.out = translator.AppendString(w.out, data)
	w.out = append(w.out, "}}}"...)
	return nil
}

func (w *msgWriter) assistant(m gjson.Result, field string) error {
	w.open("assistant")
	c := m.Get("content")
	if c.IsArray() {
		c.ForEach(func(_, p gjson.Result) bool {
			if p.Get("type").String() == "text" {
				w.text(p.Get("text").String())
			}
			return true
		})
	} else {
		w.text(c.String())
	}
	var err error
	m.Get("tool_calls").ForEach(func(j, tc gjson.Result) bool {
		args := strings.TrimSpace(tc.Get("function.arguments").String())
		if args == "" {
			args = "{}"
		}
		if !gjson.Valid(args) || args[0] != '{' {
			err = errors.New(field + ".tool_calls[" + strconv.Itoa(int(j.Int())) + "].function.arguments: must be a JSON object")
			return false
		}
		w.block()
		w.out = append(w.out, `{"toolUse":{"toolUseId":`...)
		w.out = translator.AppendString(w.out, tc.Get("id").String())
		w.out = append(w.out, `,"name":`...)
		w.out = translator.AppendString(w.out, tc.Get("function.name").String())
		w.out = append(w.out, `,"input":`...)
		w.out = append(w.out, args...)
		w.out = append(w.out, "}}"...)
		return true
	})
	return err
}

func appendSystem(dst []byte, c gjson.Result, field string) ([]byte, error) {
	add := func(s string) {
		if s == "" {
			return
		}
		if len(dst) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"text":`...)
		dst = translator.AppendString(dst, s)
		dst = append(dst, '}')
	}
	if !c.IsArray() {
		add(c.String())
		return dst, nil
	}
	var err error
	c.ForEach(func(_, p gjson.Result) bool {
		if p.Get("type").String() != "text" {
			err = errors.New(field + ".content: system messages take text parts only")
			return false
		}
		add(p.Get("text").String())
		return true
	})
	return dst, err
}

// appendToolResult appends the content blocks of a tool message: its text (parts
// joined), or " " when empty (Bedrock refuses empty text).
func appendToolResult(dst []byte, c gjson.Result) []byte {
	s := c.String()
	if c.IsArray() {
		var b strings.Builder
		c.ForEach(func(_, p gjson.Result) bool {
			b.WriteString(p.Get("text").String())
			return true
		})
		s = b.String()
	}
	if s == "" {
		s = " "
	}
	dst = append(dst, `{"text":`...)
	dst = translator.AppendString(dst, s)
	return append(dst, '}')
}

func appendInference(dst []byte, root gjson.Result) []byte {
	start := len(dst)
	member := func(name, raw string) {
		if len(dst) == start {
			dst = append(dst, `,"inferenceConfig":{`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = append(dst, raw...)
	}
	mt := root.Get("max_completion_tokens")
	if !mt.Exists() || mt.Type == gjson.Null {
		mt = root.Get("max_tokens")
	}
	if mt.Type == gjson.Number {
		member("maxTokens", mt.Raw)
	}
	if v := root.Get("temperature"); v.Type == gjson.Number {
		member("temperature", v.Raw)
	}
	if v := root.Get("top_p"); v.Type == gjson.Number {
		member("topP", v.Raw)
	}
	switch v := root.Get("stop"); {
	case v.Type == gjson.String && v.Str != "":
		member("stopSequences", "["+v.Raw+"]")
	case v.IsArray() && len(v.Array()) > 0:
		member("stopSequences", v.Raw)
	}
	if len(dst) > start {
		dst = append(dst, '}')
	}
	return dst
}

func appendTools(dst []byte, root gjson.Result) ([]byte, error) {
	tools := root.Get("tools")
	if !tools.IsArray() || len(tools.Array()) == 0 {
		return dst, nil
	}
	dst = append(dst, `,"toolConfig":{"tools":[`...)
	n := 0
	var err error
	tools.ForEach(func(i, tl gjson.Result) bool {
		f := tl.Get("function")
		name := f.Get("name").String()
		if name == "" {
			err = errors.New("tools[" + strconv.Itoa(int(i.Int())) + "].function.name: required")
			return false
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, `{"toolSpec":{"name":`...)
		dst = translator.AppendString(dst, name)
		if d := f.Get("description").String(); d != "" {
			dst = append(dst, `,"description":`...)
			dst = translator.AppendString(dst, d)
		}
		dst = append(dst, `,"inputSchema":{"json":`...)
		if p := f.Get("parameters"); p.IsObject() {
			dst = append(dst, p.Raw...)
		} else {
			dst = append(dst, `{"type":"object","properties":{}}`...)
		}
		dst = append(dst, "}}}"...)
		return true
	})
	if err != nil {
		return nil, err
	}
	dst = append(dst, ']')
	switch tc := root.Get("tool_choice"); {
	case tc.Str == "required":
		dst = append(dst, `,"toolChoice":{"any":{}}`...)
	case tc.Str == "auto":
		dst = append(dst, `,"toolChoice":{"auto":{}}`...)
	case tc.IsObject():
		if name := tc.Get("function.name").String(); name != "" {
			dst = append(dst, `,"toolChoice":{"tool":{"name":`...)
			dst = translator.AppendString(dst, name)
			dst = append(dst, "}}"...)
		}
	}
	return append(dst, '}'), nil
}

// effortBudget is the thinking budget for an OpenAI reasoning_effort on Claude.
func effortBudget(effort string) int64 {
	switch effort {
	case "minimal", "low":
		return 1024
	case "medium":
		return 4096
	case "high", "xhigh":
		return 16384
	}
	return 0
}

// isClaude reports whether a Bedrock model id (or inference profile) is a Claude model.
func isClaude(model string) bool { return strings.Contains(model, "anthropic.claude") }

func (t *Chat) appendAdditional(dst []byte, root gjson.Result) []byte {
	extra := strings.TrimSpace(t.opts.AdditionalFields)
	budget := int64(0)
	if isClaude(t.model) {
		budget = effortBudget(root.Get("reasoning_effort").String())
	}
	hasExtra := len(extra) > 2 && gjson.Get(extra, "@this").IsObject()
	if !hasExtra && budget == 0 {
		return dst
	}
	dst = append(dst, `,"additionalModelRequestFields":{`...)
	n := 0
	if hasExtra {
		gjson.Parse(extra).ForEach(func(k, v gjson.Result) bool {
			if budget > 0 && k.Str == "thinking" {
				return true // the request's reasoning_effort wins
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, k.Raw...)
			dst = append(dst, ':')
			dst = append(dst, v.Raw...)
			return true
		})
	}
	if budget > 0 {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"thinking":{"type":"enabled","budget_tokens":`...)
		dst = translator.AppendInt(dst, budget)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// EditUpstream implements translator.UpstreamEditor: the model id in the path is
// percent-encoded (Bedrock ids hold ':' and, for inference-profile ARNs, '/'), a stream
// goes to converse-stream, and with AWS keys the request is signed (SigV4 over the body
// RequestBody returned, timestamped now).
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if t.model != "" {
		if enc := escapeLabel(t.model); enc != t.model {
			path = strings.Replace(path, "/"+t.model+"/", "/"+enc+"/", 1)
		}
	}
	if t.stream && strings.HasSuffix(path, "/converse") {
		path += "-stream"
	}
	setHeader("content-type", "application/json")
	if k := t.opts.Key; k != nil {
		date := sign.AmzDate(t.now())
		hs := make([]sign.Header, 2, 3)
		hs[0], hs[1] = sign.Header{Name: "host", Value: t.opts.Host}, sign.Header{Name: "x-amz-date", Value: date}
		setHeader("x-amz-date", date)
		if k.SessionToken != "" {
			hs = append(hs, sign.Header{Name: "x-amz-security-token", Value: k.SessionToken})
			setHeader("x-amz-security-token", k.SessionToken)
		}
		setHeader("authorization", k.Sign(&sign.Request{Method: "POST", Path: path, Query: query, Headers: hs, PayloadHash: t.payloadHash}, date))
	}
	if query != "" {
		return path + "?" + query
	}
	return path
}

// escapeLabel percent-encodes a path label: every byte but the unreserved ones.
func escapeLabel(s string) string {
	const hexd = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)+8), s[:i]...)
		}
		b = append(b, '%', hexd[c>>4], hexd[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}
