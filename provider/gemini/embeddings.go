package gemini

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Embeddings serves OpenAI /v1/embeddings from Gemini batchEmbedContents: each input
// string becomes one EmbedContentRequest, `dimensions` its outputDimensionality.
// Gemini reports no token usage for embeddings; usage is answered as zeros. Create
// one per request with NewEmbeddings.
type Embeddings struct {
	model   string
	base64  bool
	predict bool // Vertex AI's :predict
	usage   translator.Usage
}

// NewEmbeddings returns the converter for one embeddings request.
func NewEmbeddings() *Embeddings { return &Embeddings{} }

// NewPredictEmbeddings returns the converter for one embeddings request to a Vertex AI
// text-embedding model's :predict: {"instances":[{"content":...}],"parameters":
// {"outputDimensionality":N}} out, {"predictions":[{"embeddings":{"values":[...],
// "statistics":{"token_count":N}}}]} in; the token counts add up to the usage.
func NewPredictEmbeddings() *Embeddings { return &Embeddings{predict: true} }

// Usage implements translator.Translator.
func (t *Embeddings) Usage() translator.Usage { return t.usage }

// RequestBody implements translator.Translator.
func (t *Embeddings) RequestBody(body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errNotJSON
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, errNotObject
	}
	t.model = root.Get("model").String()
	if t.model == "" {
		return nil, errors.New("model: required")
	}
	switch f := root.Get("encoding_format"); f.Str {
	case "", "float":
	case "base64":
		t.base64 = true
	default:
		return nil, errors.New("encoding_format: " + f.Raw + " is not one of float, base64")
	}
	in := root.Get("input")
	var inputs []gjson.Result
	switch {
	case in.Type == gjson.String:
		inputs = []gjson.Result{in}
	case in.IsArray():
		inputs = in.Array()
	}
	if len(inputs) == 0 {
		return nil, errors.New("input: must be a string or a non-empty list of strings")
	}
	dims := root.Get("dimensions")
	dst := make([]byte, 0, len(body)+64*len(inputs))
	if t.predict {
		return t.predictRequest(dst, inputs, dims)
	}
	dst = append(dst, `{"requests":[`...)
	for i, s := range inputs {
		if s.Type != gjson.String {
			return nil, errors.New("input[" + itoa(i) + "]: Gemini embeds text; token arrays are not supported")
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"model":`...)
		dst = translator.AppendString(dst, "models/"+strings.TrimPrefix(t.model, "models/"))
		dst = append(dst, `,"content":{"parts":[{"text":`...)
		dst = append(dst, s.Raw...)
		dst = append(dst, `}]}`...)
		if dims.Type == gjson.Number {
			dst = append(dst, `,"outputDimensionality":`...)
			dst = append(dst, dims.Raw...)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}

func (t *Embeddings) predictRequest(dst []byte, inputs []gjson.Result, dims gjson.Result) ([]byte, error) {
	dst = append(dst, `{"instances":[`...)
	for i, s := range inputs {
		if s.Type != gjson.String {
			return nil, errors.New("input[" + itoa(i) + "]: Vertex AI embeds text; token arrays are not supported")
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"content":`...)
		dst = append(dst, s.Raw...)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if dims.Type == gjson.Number {
		dst = append(dst, `,"parameters":{"outputDimensionality":`...)
		dst = append(dst, dims.Raw...)
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// ResponseBody implements translator.Translator: {"embeddings":[{"values":[...]}]} in
// (Vertex AI: {"predictions":[{"embeddings":{"values":[...]}}]}), an OpenAI embedding
// list out.
func (t *Embeddings) ResponseBody(status int, body []byte) ([]byte, error) {
	if !is2xx(status) {
		return appendError(nil, status, body), nil
	}
	if !gjson.ValidBytes(body) {
		return nil, errAnswerNotJSON
	}
	t.usage = translator.Usage{Model: t.model}
	dst := make([]byte, 0, len(body)+128)
	dst = append(dst, `{"object":"list","data":[`...)
	var fail error
	list, tokens := gjson.GetBytes(body, "embeddings"), int64(0)
	if t.predict {
		list = gjson.GetBytes(body, "predictions")
	}
	for i, e := range list.Array() {
		if t.predict {
			e = e.Get("embeddings")
			tokens += e.Get("statistics.token_count").Int()
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"object":"embedding","index":`...)
		dst = translator.AppendInt(dst, int64(i))
		dst = append(dst, `,"embedding":`...)
		values := e.Get("values")
		switch {
		case !values.IsArray():
			dst = append(dst, "[]"...)
		case t.base64:
			// OpenAI's base64 form: the little-endian float32 values.
			vals := values.Array()
			raw := make([]byte, 0, 4*len(vals))
			for _, v := range vals {
				f, err := strconv.ParseFloat(v.Raw, 32)
				if err != nil {
					fail = errAnswerNotJSON
				}
				b := math.Float32bits(float32(f))
				raw = append(raw, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, raw)
			dst = append(dst, '"')
		default:
			dst = append(dst, values.Raw...)
		}
		dst = append(dst, '}')
	}
	if fail != nil {
		return nil, fail
	}
	dst = append(dst, `],"model":`...)
	dst = translator.AppendString(dst, t.model)
	t.usage.PromptTokens, t.usage.TotalTokens = tokens, tokens
	dst = append(dst, `,"usage":{"prompt_tokens":`...)
	dst = translator.AppendInt(dst, tokens)
	dst = append(dst, `,"total_tokens":`...)
	dst = translator.AppendInt(dst, tokens)
	return append(dst, "}}"...), nil
}

// ResponseStream implements translator.Translator; embeddings never stream, so the
// body is passed on as it comes.
func (t *Embeddings) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return append(dst, chunk...), nil
}

// Models serves OpenAI /v1/models (and /v1/models/{id}) from Gemini's model list
// ({"models":[{"name":"models/gemini-2.5-flash",...}]}) or one model: each becomes
// {"id","object":"model","created":0,"owned_by":"google"}, the id without "models/".
type Models struct{}

// NewModels returns the converter for one models request.
func NewModels() *Models { return &Models{} }

// Usage implements translator.Translator; listing models costs no tokens.
func (*Models) Usage() translator.Usage { return translator.Usage{} }

// RequestBody implements translator.Translator: a models request has no body to change.
func (*Models) RequestBody(body []byte) ([]byte, error) { return body, nil }

// ResponseStream implements translator.Translator; model lists never stream.
func (*Models) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return append(dst, chunk...), nil
}

// ResponseBody implements translator.Translator.
func (*Models) ResponseBody(status int, body []byte) ([]byte, error) {
	if !is2xx(status) {
		return appendError(nil, status, body), nil
	}
	if !gjson.ValidBytes(body) {
		return nil, errAnswerNotJSON
	}
	root := gjson.ParseBytes(body)
	model := func(dst []byte, m gjson.Result) []byte {
		dst = append(dst, `{"id":`...)
		dst = translator.AppendString(dst, strings.TrimPrefix(m.Get("name").String(), "models/"))
		dst = append(dst, `,"object":"model","created":0,"owned_by":"google"`...)
		if d := m.Get("displayName"); d.Type == gjson.String {
			dst = append(dst, `,"display_name":`...)
			dst = append(dst, d.Raw...)
		}
		return append(dst, '}')
	}
	if !root.Get("models").Exists() && root.Get("name").Exists() {
		return model(nil, root), nil
	}
	dst := append(make([]byte, 0, len(body)/2), `{"object":"list","data":[`...)
	for i, m := range root.Get("models").Array() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = model(dst, m)
	}
	return append(dst, "]}"...), nil
}
