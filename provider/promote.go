package provider

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// promoteThinking is `promoteThinkingOnEmpty` on an OpenAI chat answer: a model that
// puts its whole reply into reasoning (reasoning_content, or OpenRouter's reasoning)
// and leaves content empty would give the client an empty reply; the reasoning becomes
// the content instead.
//
// A JSON answer is edited per choice. A stream holds back the reasoning deltas of the
// first choice until it knows: when a content delta arrives the held reasoning is sent
// as one reasoning chunk before it (Higress drops it there), and a stream that ends
// without content gets the reasoning as one content chunk before [DONE]. Requests pass
// unchanged. It is only set up when the option is on, so its per-event work costs
// nothing otherwise.
type promoteThinking struct {
	rd      sse.Reader
	held    []byte // reasoning held back, JSON string contents unescaped
	content bool   // a content delta was seen: the rest passes through
	done    bool   // [DONE] was written
	id      []byte // envelope of the last chunk, for the chunk written from held
	model   []byte
	created []byte
	usage   translator.Usage
}

func (p *promoteThinking) RequestBody(body []byte) ([]byte, error) { return body, nil }

func (p *promoteThinking) Usage() translator.Usage { return p.usage }

func (p *promoteThinking) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 {
		if isJSONError(body) {
			return body, nil
		}
		e := translator.ReadUpstreamError(status, body)
		return translator.AppendOpenAIError(nil, e.Message, translator.ErrorType(status), "upstream_error"), nil
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, errNotJSON
	}
	p.usage, _ = translator.ReadOpenAIUsage(root.Get("usage"), root.Get("model").String())
	out := body
	var err error
	i := -1
	root.Get("choices").ForEach(func(_, c gjson.Result) bool {
		i++
		m := c.Get("message")
		if !emptyContent(m.Get("content")) {
			return true
		}
		key := "reasoning_content"
		r := m.Get(key)
		if r.Type != gjson.String || r.Str == "" {
			key, r = "reasoning", m.Get("reasoning")
		}
		if r.Type != gjson.String || r.Str == "" {
			return true
		}
		at := "choices." + strconv.Itoa(i) + ".message."
		if out, err = sjson.SetBytes(out, at+"content", r.Str); err == nil {
			out, err = sjson.DeleteBytes(out, at+key)
		}
		return err == nil
	})
	return out, err
}

var errNotJSON = &translator.StatusError{Status: 502, Message: "upstream answer is not a JSON object", Code: "bad_upstream_response"}

func emptyContent(c gjson.Result) bool {
	return !c.Exists() || c.Type == gjson.Null || (c.Type == gjson.String && strings.TrimSpace(c.Str) == "")
}

func (p *promoteThinking) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	p.rd.Feed(chunk)
	for {
		ev, ok := p.rd.Next()
		if !ok && end {
			ev, ok = p.rd.Flush()
		}
		if !ok {
			break
		}
		dst = p.event(dst, ev)
	}
	if end && !p.done {
		dst = p.flushHeld(dst, "content")
		dst = translator.AppendOpenAIErrorEvent(dst, translator.StreamCutMessage, "server_error", "stream_cut")
		dst = append(dst, sse.Done...)
	}
	return dst, nil
}

func (p *promoteThinking) event(dst []byte, ev sse.Event) []byte {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 && len(ev.Name) == 0 {
		return dst // a comment or empty event: nothing to pass on
	}
	if bytes.Equal(data, []byte("[DONE]")) {
		if !p.content {
			dst = p.flushHeld(dst, "content")
		}
		p.done = true
		return append(dst, sse.Done...)
	}
	if len(data) == 0 || data[0] != '{' {
		return appendRaw(dst, ev)
	}
	root := gjson.ParseBytes(data)
	if u, ok := translator.ReadOpenAIUsage(root.Get("usage"), root.Get("model").String()); ok {
		p.usage = u
	}
	if p.content {
		return appendRaw(dst, ev)
	}
	p.id = append(p.id[:0], root.Get("id").Raw...)
	p.model = append(p.model[:0], root.Get("model").Raw...)
	p.created = append(p.created[:0], root.Get("created").Raw...)
	delta := root.Get("choices.0.delta")
	if c := delta.Get("content"); !emptyContent(c) {
		p.content = true
		dst = p.flushHeld(dst, "reasoning_content")
		return appendRaw(dst, ev)
	}
	out := data
	for _, key := range [2]string{"reasoning_content", "reasoning"} {
		if r := delta.Get(key); r.Type == gjson.String && r.Str != "" {
			p.held = append(p.held, r.Str...)
			out, _ = sjson.DeleteBytes(out, "choices.0.delta."+key)
		}
	}
	if len(out) == len(data) {
		return appendRaw(dst, ev)
	}
	return sse.AppendData(dst, out)
}

// flushHeld writes the held reasoning as one chunk whose delta field is key.
func (p *promoteThinking) flushHeld(dst []byte, key string) []byte {
	if len(p.held) == 0 {
		return dst
	}
	dst = append(dst, `data: {"id":`...)
	dst = appendRawOr(dst, p.id, `""`)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = appendRawOr(dst, p.created, "0")
	dst = append(dst, `,"model":`...)
	dst = appendRawOr(dst, p.model, `""`)
	dst = append(dst, `,"choices":[{"index":0,"delta":{"role":"assistant","`...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = translator.AppendString(dst, string(p.held))
	dst = append(dst, "}}]}\n\n"...)
	p.held = p.held[:0]
	return dst
}

func appendRawOr(dst, raw []byte, def string) []byte {
	if len(raw) == 0 {
		return append(dst, def...)
	}
	return append(dst, raw...)
}

// appendRaw writes an event as it came (name and data).
func appendRaw(dst []byte, ev sse.Event) []byte {
	if len(ev.Name) > 0 {
		return sse.AppendEvent(dst, string(ev.Name), ev.Data)
	}
	return sse.AppendData(dst, ev.Data)
}
