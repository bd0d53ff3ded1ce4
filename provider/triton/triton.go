// Package triton converts between the OpenAI chat completions protocol and the generate
// extension of NVIDIA Triton Inference Server:
//
//	POST /v2/models/{model}[/versions/{version}]/generate         → one JSON object
//	POST /v2/models/{model}[/versions/{version}]/generate_stream  → SSE, one object per event
//
// Requests are {"text_input", "parameters"}: the messages become one text
// (translator.AppendTranscript: a single message as it is, several as a role-labelled
// transcript; only text parts), and parameters carry stream and the sampling fields a
// client set among temperature, top_p, max_tokens (also from max_completion_tokens),
// seed, frequency_penalty and presence_penalty. Parameters are model-specific in Triton;
// these are the names its vLLM and TensorRT-LLM backends read.
//
// Answers are {"model_name", "model_version", "text_output"}; in a stream each event's
// text_output is the next piece of text. Triton reports no token usage. Errors are
// {"error": "<message>"}: with an HTTP error status before inference, or as an event of
// a 200 stream; both become OpenAI errors. Triton's stream has no terminal event: it
// ends when the body does, so the finish chunk is written then; a stream whose body ends
// inside an event gets the stream-cut error.
package triton

import (
	"errors"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Converter converts one chat completion exchange. Create one per request with New.
type Converter struct {
	// Now returns the Unix time stamped on answers; tests fix it.
	Now     func() int64
	model   string
	stream  bool
	served  string // model_name of the answer
	rd      sse.Reader
	created int64
	role    bool
	done    bool
}

// New returns the converter for one request.
func New() *Converter { return &Converter{Now: func() int64 { return time.Now().Unix() }} }

// sampling are the OpenAI fields passed as Triton parameters of the same name.
var sampling = [...]string{"temperature", "top_p", "seed", "frequency_penalty", "presence_penalty"}

// RequestBody implements translator.Translator.
func (t *Converter) RequestBody(body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	t.model = strings.Clone(root.Get("model").String())
	t.stream = root.Get("stream").Bool()
	out := make([]byte, 0, len(body)+64)
	out = append(out, `{"text_input":`...)
	text, err := translator.AppendTranscript(nil, root.Get("messages"), false, nil)
	if err != nil {
		return nil, err
	}
	out = translator.AppendString(out, translator.View(text))
	out = append(out, `,"parameters":{"stream":`...)
	if t.stream {
		out = append(out, "true"...)
	} else {
		out = append(out, "false"...)
	}
	param := func(name string, v gjson.Result) error {
		if !v.Exists() || v.Type == gjson.Null {
			return nil
		}
		if v.Type != gjson.Number {
			return errors.New(name + ": must be a number")
		}
		out = append(out, ',', '"')
		out = append(out, name...)
		out = append(out, '"', ':')
		out = append(out, v.Raw...)
		return nil
	}
	for _, name := range sampling {
		if err := param(name, root.Get(name)); err != nil {
			return nil, err
		}
	}
	max := root.Get("max_completion_tokens")
	if !max.Exists() || max.Type == gjson.Null {
		max = root.Get("max_tokens")
	}
	if err := param("max_tokens", max); err != nil {
		return nil, err
	}
	return append(out, "}}"...), nil
}

// EditUpstream implements translator.UpstreamEditor: streams go to generate_stream.
func (t *Converter) EditUpstream(path string, setHeader func(name, value string)) string {
	if !t.stream {
		return path
	}
	p, q, hasQuery := strings.Cut(path, "?")
	if !strings.HasSuffix(p, "/generate") {
		return path // a `capabilities` path of the operator's own
	}
	p += "_stream"
	if hasQuery {
		return p + "?" + q
	}
	return p
}

// ResponseBody implements translator.Translator.
func (t *Converter) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		e := translator.ReadUpstreamError(status, body)
		return translator.AppendOpenAIError(nil, "Triton: "+e.Message, translator.ErrorType(status), e.Code), nil
	}
	if !gjson.ValidBytes(body) {
		return nil, errors.New("upstream answer is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if e := root.Get("error"); e.Exists() && e.Type != gjson.Null {
		return nil, &translator.StatusError{Status: 500, Message: "Triton: " + e.String(), Type: "server_error", Code: "inference_error"}
	}
	text := root.Get("text_output")
	if text.Type != gjson.String {
		return nil, errors.New("Triton answer has no text_output string")
	}
	t.served = strings.Clone(root.Get("model_name").String())
	out := make([]byte, 0, len(text.Raw)+200)
	out = t.head(out, "chat.completion", t.Now())
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	out = append(out, text.Raw...)
	return append(out, `},"finish_reason":"stop"}]}`...), nil
}

// head appends {"id","object","created","model" of a completion or chunk.
func (t *Converter) head(dst []byte, object string, created int64) []byte {
	dst = append(dst, `{"id":"chatcmpl-triton","object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	return translator.AppendString(dst, t.model)
}

// ResponseStream implements translator.Translator: Triton's SSE in, OpenAI chunks out,
// with a finish chunk and `data: [DONE]` when the stream ends.
func (t *Converter) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.done {
		return dst, nil
	}
	t.rd.Feed(chunk)
	for !t.done {
		ev, ok := t.rd.Next()
		if !ok {
			break
		}
		dst = t.event(dst, ev.Data)
	}
	if !end || t.done {
		return dst, nil
	}
	if t.rd.Pending() {
		// The body ended inside an event: what it held is incomplete.
		ev, ok := t.rd.Flush()
		if ok && len(strings.TrimSpace(translator.View(ev.Data))) > 0 {
			return t.fail(dst, translator.StreamCutMessage, "server_error", "stream_cut"), nil
		}
	}
	t.done = true
	dst = append(t.chunkHead(dst, ""), `},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n"...)
	return dst, nil
}

func (t *Converter) fail(dst []byte, msg, typ, code string) []byte {
	t.done = true
	return append(translator.AppendOpenAIErrorEvent(dst, msg, typ, code), "data: [DONE]\n\n"...)
}

// chunkHead appends a chunk up to its delta object, opened; sep is written after the
// role when the delta holds it (the first chunk) and more follows.
func (t *Converter) chunkHead(dst []byte, sep string) []byte {
	if t.created == 0 {
		t.created = t.Now()
	}
	dst = append(dst, "data: "...)
	dst = t.head(dst, "chat.completion.chunk", t.created)
	dst = append(dst, `,"choices":[{"index":0,"delta":{`...)
	if !t.role {
		t.role = true
		dst = append(append(dst, `"role":"assistant"`...), sep...)
	}
	return dst
}

// event converts one SSE event's data.
func (t *Converter) event(dst, data []byte) []byte {
	s := strings.TrimSpace(translator.View(data))
	if s == "" {
		return dst
	}
	var text, errMsg, served string
	sc := translator.NewScan(s)
	for sc.Next() {
		switch sc.Key() {
		case "text_output":
			text = sc.Value()
		case "error":
			errMsg = sc.Value()
		case "model_name":
			served = sc.Value()
		}
	}
	if !sc.Valid() || s[0] != '{' {
		return t.fail(dst, "Triton sent an event that is not a JSON object", "server_error", "bad_upstream_response")
	}
	if errMsg != "" && errMsg != "null" {
		msg := translator.Str(errMsg)
		if msg == "" {
			msg = errMsg
		}
		return t.fail(dst, "Triton: "+msg, "server_error", "inference_error")
	}
	if t.served == "" && len(served) > 2 && served[0] == '"' {
		t.served = strings.Clone(translator.Str(served))
	}
	if len(text) < 2 || text[0] != '"' || text == `""` {
		return dst
	}
	dst = append(t.chunkHead(dst, ","), `"content":`...)
	dst = append(dst, text...)
	return append(dst, "},\"finish_reason\":null}]}\n\n"...)
}

// Usage implements translator.Translator: Triton counts no tokens; the model is the one
// Triton says served.
func (t *Converter) Usage() translator.Usage {
	if t.served != "" {
		return translator.Usage{Model: t.served}
	}
	return translator.Usage{Model: t.model}
}
