package bedrock

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Images converts an OpenAI image generation to an InvokeModel request of Bedrock's
// image models (Amazon Nova Canvas, Titan Image Generator: taskType TEXT_IMAGE), as
// Higress serves it, and their answer back. It reuses Chat's path and SigV4 editing.
type Images struct{ Chat }

// NewImages returns the converter of one image generation.
func NewImages(o *Options) *Images { return &Images{Chat{opts: o}} }

// RequestBody implements translator.Translator: prompt → textToImageParams.text; n →
// numberOfImages; size "WxH" → width, height (default 1024x1024); quality standard / hd
// → standard / premium. Bedrock answers base64 images only, so response_format is not
// sent: the answer always carries b64_json.
func (t *Images) RequestBody(body []byte) ([]byte, error) {
	root := gjson.ParseBytes(body)
	t.model = root.Get("model").String()
	prompt := root.Get("prompt")
	if prompt.Type != gjson.String || prompt.Str == "" {
		return nil, errors.New("prompt: required")
	}
	n := int64(1)
	if v := root.Get("n"); v.Exists() {
		if n = v.Int(); n < 1 || v.Type != gjson.Number {
			return nil, errors.New("n: must be a positive integer")
		}
	}
	width, height := int64(1024), int64(1024)
	if s := root.Get("size").String(); s != "" && s != "auto" {
		w, h, ok := strings.Cut(s, "x")
		var err1, err2 error
		width, err1 = strconv.ParseInt(w, 10, 32)
		height, err2 = strconv.ParseInt(h, 10, 32)
		if !ok || err1 != nil || err2 != nil || width <= 0 || height <= 0 {
			return nil, errors.New("size: " + strconv.Quote(s) + " is not WIDTHxHEIGHT")
		}
	}
	out := make([]byte, 0, len(prompt.Str)+160)
	out = append(out, `{"taskType":"TEXT_IMAGE","textToImageParams":{"text":`...)
	out = translator.AppendString(out, prompt.Str)
	out = append(out, `},"imageGenerationConfig":{"numberOfImages":`...)
	out = translator.AppendInt(out, n)
	out = append(out, `,"width":`...)
	out = translator.AppendInt(out, width)
	out = append(out, `,"height":`...)
	out = translator.AppendInt(out, height)
	switch root.Get("quality").String() {
	case "standard", "medium", "low":
		out = append(out, `,"quality":"standard"`...)
	case "hd", "high":
		out = append(out, `,"quality":"premium"`...)
	}
	out = append(out, "}}"...)
	if t.opts.Key != nil {
		t.payloadHash = sign.PayloadHash(out)
	}
	return out, nil
}

// ResponseBody implements translator.Translator: {"images":[base64...]} →
// {"created","data":[{"b64_json"}]}; an "error" in a 200 answer (Nova's content
// filter) is a 400 content_filter error.
func (t *Images) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		return appendError(nil, status, body), nil
	}
	// gjson reads broken JSON leniently; the images are copied as they are, so the
	// answer is validated first.
	root := gjson.ParseBytes(body)
	if !root.IsObject() || !gjson.ValidBytes(body) {
		return nil, errAnswerNotJSON
	}
	if e := root.Get("error"); e.Type == gjson.String && e.Str != "" {
		return nil, &translator.StatusError{Status: 400, Message: e.Str, Code: "content_filter"}
	}
	images := root.Get("images")
	if !images.IsArray() {
		return nil, errors.New("bedrock image answer without images")
	}
	t.begin()
	out := make([]byte, 0, len(body)+64)
	out = append(out, `{"created":`...)
	out = translator.AppendInt(out, t.created)
	out = append(out, `,"data":[`...)
	i := 0
	var err error
	images.ForEach(func(_, img gjson.Result) bool {
		if img.Type != gjson.String {
			err = errors.New("bedrock image answer: an image that is not a base64 string")
			return false
		}
		if i > 0 {
			out = append(out, ',')
		}
		i++
		out = append(out, `{"b64_json":`...)
		out = append(out, img.Raw...)
		out = append(out, '}')
		return true
	})
	if err != nil {
		return nil, err
	}
	return append(out, "]}"...), nil
}

// ResponseStream implements translator.Translator: InvokeModel of an image model does
// not stream; a stream-shaped answer is read whole.
func (t *Images) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return dst, errors.New("bedrock image generation does not stream")
}
