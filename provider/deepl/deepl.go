// Package deepl serves OpenAI chat completions clients from DeepL's text translation API
// (POST /v2/translate on api-free.deepl.com or api.deepl.com), as Higress's ai-proxy
// does for provider type "deepl":
//
//   - The request's model, "Free" or "Pro", is the DeepL service tier: it selects the
//     host (api-free.deepl.com, api.deepl.com).
//   - A system message is the translation `context` (DeepL reads it, does not translate
//     it); the text of every other message is one entry of `text`, translated into the
//     configured target language.
//   - Each translation becomes one choice, in order: message content is the
//     translation, message name DeepL's detected_source_language. Usage is `{}`: DeepL
//     bills characters, not tokens.
//   - DeepL has no streaming: a streaming request gets the whole answer as one chunk
//     per choice, then `data: [DONE]`.
//   - DeepL's errors become OpenAI errors: 456 (quota exceeded) is 429
//     insufficient_quota, 403 (bad key) is 401 authentication_error, 429 stays
//     rate_limit_error.
package deepl

import (
	"errors"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// The DeepL hosts of the two service tiers.
const (
	HostFree = "api-free.deepl.com"
	HostPro  = "api.deepl.com"
)

// Options configure the converter.
type Options struct {
	TargetLang string // `targetLang`, e.g. ZH
	// KeepHost leaves the upstream authority alone (the config names its own host with
	// providerDomain) instead of choosing it by tier.
	KeepHost bool
}

// Chat converts one chat completion exchange. Create one per request with NewChat.
type Chat struct {
	// Now returns the Unix time stamped on answers; tests fix it.
	Now   func() int64
	opts  Options
	model string
	buf   []byte // a streamed answer, read whole at the end
	done  bool
}

// NewChat returns the converter for one request.
func NewChat(o Options) *Chat { return &Chat{opts: o, Now: func() int64 { return time.Now().Unix() }} }

// passKeys are DeepL request parameters a client may send beside the OpenAI fields;
// they reach DeepL unchanged.
var passKeys = requestKeys[2:]

// requestKeys are the request fields RequestBody reads: model, messages, passKeys.
var requestKeys = [...]string{"model", "messages", "source_lang", "formality", "glossary_id", "split_sentences",
	"preserve_formatting", "tag_handling", "model_type", "ignore_tags", "non_splitting_tags",
	"splitting_tags", "outline_detection"}

// RequestBody implements translator.Translator: an OpenAI chat request in, a DeepL
// translate request out.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	var f [len(requestKeys)]string // one pass for all the fields read
	if !translator.Members(translator.View(body), requestKeys[:], f[:]) {
		return nil, errors.New("request body is not valid JSON")
	}
	t.model = strings.Clone(gjson.Parse(f[0]).String())
	if t.model != "Free" && t.model != "Pro" {
		return nil, errors.New(`model: DeepL takes "Free" or "Pro" (the service tier), got ` + quote(t.model))
	}
	msgs := gjson.Parse(f[1])
	if !msgs.IsArray() {
		return nil, errors.New("messages: must be a list")
	}
	out := make([]byte, 0, len(body)+32)
	out = append(out, `{"text":[`...)
	var ctx []byte
	n := 0
	var err error
	msgs.ForEach(func(_, m gjson.Result) bool {
		var text []byte
		if text, err = messageText(nil, m.Get("content")); err != nil {
			return false
		}
		if m.Get("role").Str == "system" || m.Get("role").Str == "developer" {
			if len(ctx) > 0 {
				ctx = append(ctx, '\n')
			}
			ctx = append(ctx, text...)
			return true
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = translator.AppendString(out, translator.View(text))
		return true
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("messages: no text to translate (system messages are only context)")
	}
	out = append(out, `],"target_lang":`...)
	out = translator.AppendString(out, t.opts.TargetLang)
	if len(ctx) > 0 {
		out = append(out, `,"context":`...)
		out = translator.AppendString(out, translator.View(ctx))
	}
	for i, k := range passKeys {
		if v := f[2+i]; v != "" {
			out = append(out, ',', '"')
			out = append(out, k...)
			out = append(out, '"', ':')
			out = append(out, v...)
		}
	}
	return append(out, '}'), nil
}

// messageText appends the text of an OpenAI message content: a string, or the text
// parts of a list. Other parts cannot be translated and are refused.
func messageText(dst []byte, c gjson.Result) ([]byte, error) {
	switch {
	case c.Type == gjson.String:
		return append(dst, c.Str...), nil
	case c.Type == gjson.Null || !c.Exists():
		return dst, nil
	case c.IsArray():
		var err error
		c.ForEach(func(_, p gjson.Result) bool {
			if err = translator.CheckPart("messages.content", p.Raw); err != nil {
				return false
			}
			if p.Get("type").Str != "text" {
				err = errors.New("messages.content: DeepL translates text only, got a " + quote(p.Get("type").Str) + " part")
				return false
			}
			dst = append(dst, p.Get("text").String()...)
			return true
		})
		return dst, err
	}
	return nil, errors.New("messages.content: must be a string or a list of parts")
}

func quote(s string) string { return string(translator.AppendString(nil, s)) }

// EditUpstream implements translator.UpstreamEditor: the tier selects the host.
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	if !t.opts.KeepHost {
		host := HostFree
		if t.model == "Pro" {
			host = HostPro
		}
		setHeader(":authority", host)
	}
	return path
}

// ResponseBody implements translator.Translator: DeepL's translations (or error) in,
// an OpenAI chat completion (or error) out.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		return nil, errorAnswer(status, body)
	}
	if !gjson.ValidBytes(body) {
		return nil, errors.New("upstream answer is not valid JSON")
	}
	tr := gjson.GetBytes(body, "translations")
	if !tr.IsArray() {
		return nil, errorAnswer(502, body)
	}
	out := make([]byte, 0, len(body)+160)
	out = append(out, `{"choices":[`...)
	i := 0
	tr.ForEach(func(_, v gjson.Result) bool {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"index":`...)
		out = translator.AppendInt(out, int64(i))
		out = append(out, `,"message":`...)
		out = appendMessage(out, v)
		out = append(out, `,"finish_reason":"stop"}`...)
		i++
		return true
	})
	out = append(out, `],"created":`...)
	out = translator.AppendInt(out, t.Now())
	out = append(out, `,"model":`...)
	out = translator.AppendString(out, t.model)
	return append(out, `,"object":"chat.completion","usage":{}}`...), nil
}

// appendMessage appends {"name","role","content"} for one DeepL translation.
func appendMessage(dst []byte, v gjson.Result) []byte {
	dst = append(dst, `{"name":`...)
	dst = translator.AppendString(dst, v.Get("detected_source_language").String())
	dst = append(dst, `,"role":"assistant","content":`...)
	return append(translator.AppendString(dst, v.Get("text").String()), '}')
}

// errorAnswer converts a DeepL error ({"message": ...}, any other shape too) into an
// OpenAI error with the status an OpenAI client understands.
func errorAnswer(status int, body []byte) error {
	e := translator.ReadUpstreamError(status, body)
	out, typ, code := status, translator.ErrorType(status), e.Code
	switch status {
	case 456:
		out, typ, code = 429, "insufficient_quota", "insufficient_quota"
		e.Message = "DeepL quota exceeded: " + e.Message
	case 403:
		out, typ, code = 401, "authentication_error", "invalid_api_key"
	case 429:
		code = "rate_limit_exceeded"
	case 529:
		out, typ = 503, "server_error"
	}
	if code == "" {
		code = "deepl_" + itoa(status)
	}
	return &translator.StatusError{Status: out, Message: e.Message, Type: typ, Code: code}
}

func itoa(n int) string { return string(translator.AppendInt(nil, int64(n))) }

// ResponseStream implements translator.Translator for a streaming request: DeepL
// answers one JSON body, read whole at the end and written as one chunk per choice, then
// `data: [DONE]`. A body that is cut or no translation ends with an error chunk.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.done {
		return dst, nil
	}
	t.buf = append(t.buf, chunk...)
	if !end {
		return dst, nil
	}
	t.done = true
	tr := gjson.GetBytes(t.buf, "translations")
	if !gjson.ValidBytes(t.buf) || !tr.IsArray() {
		msg, code := translator.StreamCutMessage, "stream_cut"
		if gjson.ValidBytes(t.buf) {
			msg, code = translator.ReadUpstreamError(200, t.buf).Message, "bad_upstream_response"
		}
		dst = append(dst, "data: "...)
		dst = translator.AppendOpenAIError(dst, msg, "server_error", code)
		return append(dst, "\n\ndata: [DONE]\n\n"...), nil
	}
	created := t.Now()
	i := 0
	tr.ForEach(func(_, v gjson.Result) bool {
		dst = append(dst, `data: {"id":"chatcmpl-deepl","object":"chat.completion.chunk","created":`...)
		dst = translator.AppendInt(dst, created)
		dst = append(dst, `,"model":`...)
		dst = translator.AppendString(dst, t.model)
		dst = append(dst, `,"choices":[{"index":`...)
		dst = translator.AppendInt(dst, int64(i))
		dst = append(dst, `,"delta":`...)
		dst = appendMessage(dst, v)
		dst = append(dst, `,"finish_reason":"stop"}]}`+"\n\n"...)
		i++
		return true
	})
	return append(dst, "data: [DONE]\n\n"...), nil
}

// Usage implements translator.Translator: DeepL counts characters, not tokens.
func (t *Chat) Usage() translator.Usage { return translator.Usage{Model: t.model} }

var _ translator.UpstreamEditor = (*Chat)(nil)
