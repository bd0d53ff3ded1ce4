package dashscope

import (
	"bytes"
	"errors"
	"path"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/multipart"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// NewImageEditForm returns the converter for one image edit sent as OpenAI's SDKs send
// it: a multipart/form-data body with the given boundary. model is the model to ask
// DashScope for (the form's, mapped); the form's own `model` field is not read again.
//
// The form's fields mean what the JSON edit's do (see Images): `image` / `image[]` files
// (one or more; qwen-image-edit and wan2.5-i2i take up to three, wanx2.1-imageedit
// the first), `mask`, `prompt`, and the parameters n, size, seed, watermark, ... Files
// become data URLs (data:<type>;base64,...) encoded straight into the request;
// text values of `image` are image URLs. OpenAI's own fields DashScope has no
// equivalent for (quality, background, response_format, input_fidelity, ...) are
// dropped, as they are for JSON edits.
func NewImageEditForm(o Options, boundary, model string) *Images {
	return &Images{o: o, edit: true, boundary: boundary, formModel: model}
}

// requestForm reads the form in place (the files are not copied before their base64
// encoding into the converted request).
func (t *Images) requestForm(body []byte) ([]byte, error) {
	fields, err := multipart.Parse(body, t.boundary)
	if err != nil {
		return nil, err
	}
	in := imageRequest{model: t.formModel}
	for _, f := range fields {
		switch name := strings.TrimSuffix(f.Name, "[]"); {
		case name == "image" || name == "mask":
			ref := imageRef{url: string(f.Value)}
			if f.FileName != "" || f.ContentType != "" {
				ref = imageRef{data: f.Value, mime: imageType(f.ContentType, f.FileName, f.Value)}
			}
			if name == "mask" {
				in.mask = ref
			} else {
				in.images = append(in.images, ref)
			}
		case name == "prompt":
			in.prompt = string(translator.AppendString(nil, string(f.Value)))
		case name == "function":
			in.function = string(f.Value)
		case name == "negative_prompt":
			in.negative = string(translator.AppendString(nil, string(f.Value)))
			in.params = append(in.params, rawParam{name, in.negative})
		case imageParam(name):
			in.params = append(in.params, rawParam{name, formValue(f.Value)})
		}
	}
	if in.prompt == "" {
		return nil, errors.New("prompt: required")
	}
	if len(in.images) == 0 {
		return nil, errors.New("image: required, an image file")
	}
	return t.build(&in), nil
}

// formValue turns a form field (always text) into the JSON value it stands for: numbers
// and booleans as themselves (n=2, watermark=false), anything else as a string.
func formValue(v []byte) string {
	s := string(bytes.TrimSpace(v))
	if r := gjson.Parse(s); s != "" && gjson.Valid(s) && (r.Type == gjson.Number || r.Type == gjson.True || r.Type == gjson.False) {
		return s
	}
	return string(translator.AppendString(nil, string(v)))
}

// imageType is the media type of an uploaded image: the part's own, unless it is
// missing or generic (SDKs often send application/octet-stream), then the file's
// signature, then its name's extension.
func imageType(contentType, name string, data []byte) string {
	if ct, _, _ := strings.Cut(contentType, ";"); mediaType(strings.TrimSpace(ct)) && ct != "application/octet-stream" {
		return strings.TrimSpace(ct)
	}
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(data, []byte("GIF8")):
		return "image/gif"
	case bytes.HasPrefix(data, []byte("BM")):
		return "image/bmp"
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".webp":
		return "image/webp"
	case ".bmp":
		return "image/bmp"
	}
	return "application/octet-stream"
}

// mediaType reports a plausible type/subtype: token characters around one slash (it is
// written into a data URL as it is).
func mediaType(s string) bool {
	slash := strings.IndexByte(s, '/')
	if slash <= 0 || slash == len(s)-1 || strings.Count(s, "/") != 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/!#$&^_.+-", c) >= 0) {
			return false
		}
	}
	return true
}
