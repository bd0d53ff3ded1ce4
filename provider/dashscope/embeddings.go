package dashscope

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Embeddings converts OpenAI embeddings to DashScope's native text-embedding API:
// `input` (a string or strings) becomes input.texts, `dimensions` parameters.dimension;
// DashScope extensions (text_type, output_type, instruct) pass as parameters. The
// answer's output.embeddings become OpenAI `data`; with encoding_format "base64" the
// vectors are encoded here (little-endian float32), as OpenAI does.
type Embeddings struct {
	o      Options
	model  string
	base64 bool
	usage  translator.Usage
	buf    []byte
	resp   []byte // the converted answer; separate so the converted request stays valid
	jsonAnswer
}

// NewEmbeddings returns the native embeddings converter for one request.
func NewEmbeddings(o Options) *Embeddings { return &Embeddings{o: o} }

// RequestBody implements translator.Translator.
func (t *Embeddings) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.model = root.Get("model").String()
	t.usage.Model = t.model
	t.base64 = root.Get("encoding_format").String() == "base64"
	out := append(t.buf[:0], `{"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{"texts":[`...)
	in := root.Get("input")
	switch {
	case in.Type == gjson.String:
		out = translator.AppendString(out, in.Str)
	case in.IsArray():
		var err error
		n := 0
		in.ForEach(func(_, v gjson.Result) bool {
			if v.Type != gjson.String {
				err = errors.New("input: DashScope embeds text only; token arrays are not supported")
				return false
			}
			if n > 0 {
				out = append(out, ',')
			}
			n++
			out = translator.AppendString(out, v.Str)
			return true
		})
		if err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("input: required, a string or an array of strings")
	}
	out = append(out, `]},"parameters":{`...)
	n := 0
	sep := func() {
		if n > 0 {
			out = append(out, ',')
		}
		n++
	}
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "dimensions":
			sep()
			out = append(out, `"dimension":`...)
			out = append(out, v.Raw...)
		case "text_type", "output_type", "instruct", "dimension":
			sep()
			out = translator.AppendString(out, k.Str)
			out = append(out, ':')
			out = append(out, v.Raw...)
		case "parameters":
			v.ForEach(func(k, v gjson.Result) bool {
				sep()
				out = translator.AppendString(out, k.Str)
				out = append(out, ':')
				out = append(out, v.Raw...)
				return true
			})
		}
		return true
	})
	out = append(out, "}}"...)
	t.buf = out
	return out, nil
}

// ResponseBody implements translator.Translator.
func (t *Embeddings) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 || !gjson.ValidBytes(body) || isError(gjson.ParseBytes(body)) {
		return appendError(nil, status, body), nil
	}
	root := gjson.ParseBytes(body)
	out := append(t.resp[:0], `{"object":"list","data":[`...)
	i := 0
	root.Get("output.embeddings").ForEach(func(_, e gjson.Result) bool {
		if i > 0 {
			out = append(out, ',')
		}
		idx := int64(i)
		if x := e.Get("text_index"); x.Exists() {
			idx = x.Int()
		}
		i++
		out = append(out, `{"object":"embedding","index":`...)
		out = translator.AppendInt(out, idx)
		out = append(out, `,"embedding":`...)
		vec := e.Get("embedding")
		if t.base64 {
			out = appendBase64Floats(out, vec)
		} else {
			out = translator.AppendRawOr(out, vec.Raw, "[]")
		}
		out = append(out, '}')
		return true
	})
	out = append(out, `],"model":`...)
	out = translator.AppendString(out, t.model)
	readUsage(root.Get("usage"), &t.usage)
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = translator.AppendInt(out, t.usage.TotalTokens)
	out = append(out, `,"total_tokens":`...)
	out = translator.AppendInt(out, t.usage.TotalTokens)
	out = append(out, "}}"...)
	t.usage.PromptTokens = t.usage.TotalTokens
	t.resp = out
	return out, nil
}

// appendBase64Floats writes a JSON number array as a base64 string of little-endian
// float32 values.
func appendBase64Floats(dst []byte, vec gjson.Result) []byte {
	raw := make([]byte, 0, 4096)
	vec.ForEach(func(_, v gjson.Result) bool {
		f, err := strconv.ParseFloat(v.Raw, 32)
		if err != nil {
			f = v.Num
		}
		b := math.Float32bits(float32(f))
		raw = append(raw, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
		return true
	})
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}

// ResponseStream implements translator.Translator (embeddings are never streamed).
func (t *Embeddings) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return t.collect(dst, chunk, end, t.ResponseBody)
}

// Usage implements translator.Translator.
func (t *Embeddings) Usage() translator.Usage { return t.usage }
