package dashscope

import (
	"bytes"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Compatible edits an OpenAI chat request for DashScope's OpenAI-compatible mode and
// passes the answer through unchanged, counting its usage. It exists only for the
// provider settings the compatible API has no header for: qwenEnableSearch becomes
// `enable_search: true`, qwenFileIds a first system message "fileid://a,fileid://b"
// (qwen-long). Everything else in the body is left as the client wrote it.
type Compatible struct {
	o      Options
	stream bool
	usage  translator.Usage
	rd     sse.Reader
	buf    []byte
}

// NewCompatible returns the compatible-mode editor for one chat request.
func NewCompatible(o Options) *Compatible { return &Compatible{o: o} }

// RequestBody implements translator.Translator.
func (t *Compatible) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.stream = root.Get("stream").Bool()
	t.usage.Model = root.Get("model").String()
	var err error
	if t.o.EnableSearch && !root.Get("enable_search").Exists() {
		if body, err = sjson.SetRawBytes(body, "enable_search", []byte("true")); err != nil {
			return nil, err
		}
	}
	if t.stream && !root.Get("stream_options.include_usage").Exists() {
		// The plugin only adds this for untranslated requests; usage must come back.
		if body, err = sjson.SetRawBytes(body, "stream_options.include_usage", []byte("true")); err != nil {
			return nil, err
		}
	}
	if len(t.o.FileIDs) > 0 {
		msgs := gjson.GetBytes(body, "messages")
		if !msgs.IsArray() {
			return nil, errNoMessages
		}
		sys := append(make([]byte, 0, 64), `{"role":"system","content":`...)
		sys = translator.AppendString(sys, fileIDContent(t.o.FileIDs))
		sys = append(sys, '}')
		inner := bytes.TrimSpace([]byte(msgs.Raw[1 : len(msgs.Raw)-1]))
		out := make([]byte, 0, len(body)+len(sys)+1)
		out = append(out, body[:msgs.Index]...)
		out = append(out, '[')
		out = append(out, sys...)
		if len(inner) > 0 {
			out = append(out, ',')
			out = append(out, inner...)
		}
		out = append(out, ']')
		out = append(out, body[msgs.Index+len(msgs.Raw):]...)
		body = out
	}
	return body, nil
}

// ResponseBody implements translator.Translator: the answer is already OpenAI's; only
// an error that is not JSON (from a proxy in front of DashScope) is wrapped into one.
func (t *Compatible) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 && !gjson.ValidBytes(body) {
		return appendError(nil, status, body), nil
	}
	if u := gjson.GetBytes(body, "usage"); u.IsObject() {
		readUsage(u, &t.usage)
	}
	if m := gjson.GetBytes(body, "model"); m.Type == gjson.String {
		t.usage.Model = m.Str
	}
	return body, nil
}

// ResponseStream implements translator.Translator: the stream passes through byte
// for byte; events are only read for usage.
func (t *Compatible) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	dst = append(dst, chunk...)
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		t.scan(ev)
	}
	if end {
		for ev, ok := t.rd.Flush(); ok; ev, ok = t.rd.Flush() {
			t.scan(ev)
		}
	}
	return dst, nil
}

func (t *Compatible) scan(ev sse.Event) {
	if !bytes.Contains(ev.Data, []byte(`"usage"`)) {
		return
	}
	if u := gjson.GetBytes(ev.Data, "usage"); u.IsObject() {
		readUsage(u, &t.usage)
	}
}

// Usage implements translator.Translator.
func (t *Compatible) Usage() translator.Usage { return t.usage }
