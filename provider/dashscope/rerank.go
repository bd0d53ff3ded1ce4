package dashscope

import (
	"errors"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Rerank converts a Cohere-style rerank request (`/v1/rerank`: model, query,
// documents as strings or {"text"}, top_n, return_documents) to DashScope's native
// text-rerank API (input.query, input.documents, parameters.top_n/return_documents/
// instruct) and its answer back to the Cohere shape: results[].index,
// relevance_score, document {"text"}, plus id, model and usage.
type Rerank struct {
	o     Options
	model string
	usage translator.Usage
	buf   []byte
	resp  []byte // the converted answer; separate so the converted request stays valid
	jsonAnswer
}

// NewRerank returns the native rerank converter for one request.
func NewRerank(o Options) *Rerank { return &Rerank{o: o} }

// RequestBody implements translator.Translator.
func (t *Rerank) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.model = root.Get("model").String()
	t.usage.Model = t.model
	q := root.Get("query")
	if q.Type != gjson.String {
		return nil, errors.New("query: required, a string")
	}
	docs := root.Get("documents")
	if !docs.IsArray() {
		return nil, errors.New("documents: required, an array")
	}
	out := append(t.buf[:0], `{"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{"query":`...)
	out = append(out, q.Raw...)
	out = append(out, `,"documents":[`...)
	var err error
	n := 0
	docs.ForEach(func(_, d gjson.Result) bool {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		switch {
		case d.Type == gjson.String:
			out = append(out, d.Raw...)
		case d.IsObject() && d.Get("text").Type == gjson.String:
			out = append(out, d.Get("text").Raw...)
		default:
			err = errors.New("documents: each document must be a string or {\"text\": string}")
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	out = append(out, `]},"parameters":{`...)
	n = 0
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "top_n", "return_documents", "instruct":
			if n > 0 {
				out = append(out, ',')
			}
			n++
			out = translator.AppendString(out, k.Str)
			out = append(out, ':')
			out = append(out, v.Raw...)
		}
		return true
	})
	out = append(out, "}}"...)
	t.buf = out
	return out, nil
}

// ResponseBody implements translator.Translator.
func (t *Rerank) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 || !gjson.ValidBytes(body) || isError(gjson.ParseBytes(body)) {
		return appendError(nil, status, body), nil
	}
	root := gjson.ParseBytes(body)
	out := append(t.resp[:0], `{"id":`...)
	out = translator.AppendString(out, root.Get("request_id").String())
	out = append(out, `,"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"results":[`...)
	i := 0
	root.Get("output.results").ForEach(func(_, r gjson.Result) bool {
		if i > 0 {
			out = append(out, ',')
		}
		i++
		out = append(out, `{"index":`...)
		out = translator.AppendInt(out, r.Get("index").Int())
		out = append(out, `,"relevance_score":`...)
		out = translator.AppendRawOr(out, r.Get("relevance_score").Raw, "0")
		if d := r.Get("document"); d.Exists() && d.Type != gjson.Null {
			out = append(out, `,"document":`...)
			if d.Type == gjson.String {
				out = append(out, `{"text":`...)
				out = append(out, d.Raw...)
				out = append(out, '}')
			} else {
				out = append(out, d.Raw...)
			}
		}
		out = append(out, '}')
		return true
	})
	readUsage(root.Get("usage"), &t.usage)
	t.usage.PromptTokens = t.usage.TotalTokens
	out = append(out, `],"usage":{"prompt_tokens":`...)
	out = translator.AppendInt(out, t.usage.TotalTokens)
	out = append(out, `,"total_tokens":`...)
	out = translator.AppendInt(out, t.usage.TotalTokens)
	out = append(out, "}}"...)
	t.resp = out
	return out, nil
}

// ResponseStream implements translator.Translator (rerank is never streamed).
func (t *Rerank) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return t.collect(dst, chunk, end, t.ResponseBody)
}

// Usage implements translator.Translator.
func (t *Rerank) Usage() translator.Usage { return t.usage }
