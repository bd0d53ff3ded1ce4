package dashscope

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Images converts OpenAI image generation (`/v1/images/generations`) and JSON image
// edits (`/v1/images/edits`) to DashScope, and the answers to the OpenAI images
// response ({"created","data":[{"url"}],"usage"}).
//
// Generation with Qwen-Image models (qwen-image, qwen-image-plus, ...) is synchronous:
// multimodal-generation with the prompt as the user message's text, size "1024x1024"
// sent as "1024*1024", n, negative_prompt, watermark, prompt_extend and seed as
// parameters. Edits with qwen-image-edit models are synchronous the same way, the
// images first and the prompt last in the message.
//
// Wan models (wanx*, wan2.*) are asynchronous: generation goes to
// text2image/image-synthesis and edits to image2image/image-synthesis with header
// X-DashScope-Async: enable. DashScope then answers with a task, not images; the client
// gets an OpenAI-shaped answer with empty `data` and the task to poll:
//
//	{"created":1700000000,"data":[],"task_id":"T","task_status":"PENDING",
//	 "task_url":"/api/v1/tasks/T","request_id":"R"}
//
// The client polls GET /api/v1/tasks/T through this gateway (the plugin classifies it
// as the DashScope task API and forwards it with the provider's credentials) until
// output.task_status is SUCCEEDED; output.results[].url holds the images. DashScope
// only returns image URLs: response_format "b64_json" still yields `url`.
//
// Edits take JSON — `image` (a URL or data URL, or a list of them), `images` (strings
// or {"image_url"}), `mask` — or OpenAI's multipart form (image_edit_form.go), whose
// files are sent on as data URLs.
type Images struct {
	o     Options
	edit  bool
	async bool
	sync  bool // synchronous multimodal-generation
	model string
	// a multipart form (image_edit_form.go): its boundary, and the mapped model
	boundary, formModel string
	usage               translator.Usage
	buf                 []byte
	resp                []byte // the converted answer; separate so the converted request stays valid
	jsonAnswer
}

// NewImageGeneration returns the converter for one image generation request.
func NewImageGeneration(o Options) *Images { return &Images{o: o} }

// NewImageEdit returns the converter for one JSON image edit request.
func NewImageEdit(o Options) *Images { return &Images{o: o, edit: true} }

// isWanModel reports the asynchronous image-synthesis family.
func isWanModel(m string) bool { return strings.HasPrefix(strings.ToLower(m), "wan") }

// imageSize converts OpenAI's "WxH" to DashScope's "W*H"; "" for auto or absent.
func imageSize(s string) string {
	if s == "" || s == "auto" {
		return ""
	}
	return strings.Replace(s, "x", "*", 1)
}

// imageURLs collects image references from `image`, `images` and their variants.
func imageURLs(root gjson.Result) ([]string, error) {
	var out []string
	var err error
	var add func(v gjson.Result)
	add = func(v gjson.Result) {
		switch {
		case v.Type == gjson.String:
			out = append(out, v.Str)
		case v.IsArray():
			v.ForEach(func(_, e gjson.Result) bool { add(e); return err == nil })
		case v.IsObject():
			if u := v.Get("image_url"); u.Exists() {
				add(u)
			} else if u := v.Get("url"); u.Type == gjson.String {
				out = append(out, u.Str)
			} else {
				err = errors.New("image: only image URLs and data URLs are supported (no file_id)")
			}
		case v.Exists() && v.Type != gjson.Null:
			err = errors.New("image: must be a URL string or {\"image_url\": URL}")
		}
	}
	add(root.Get("image"))
	add(root.Get("images"))
	return out, err
}

// RequestBody implements translator.Translator.
func (t *Images) RequestBody(body []byte) ([]byte, error) {
	if t.boundary != "" {
		return t.requestForm(body)
	}
	root := gjson.ParseBytes(body)
	in := imageRequest{model: root.Get("model").String()}
	prompt := root.Get("prompt")
	if prompt.Type != gjson.String {
		return nil, errors.New("prompt: required, a string")
	}
	in.prompt = prompt.Raw
	if t.edit {
		urls, err := imageURLs(root)
		if err != nil {
			return nil, err
		}
		if len(urls) == 0 {
			return nil, errors.New("image: required, an image URL or data URL (or a multipart upload)")
		}
		for _, u := range urls {
			in.images = append(in.images, imageRef{url: u})
		}
		if m := root.Get("mask"); m.IsObject() {
			in.mask.url = m.Get("image_url").String()
		} else {
			in.mask.url = m.String()
		}
		in.function = root.Get("function").String()
	}
	if np := root.Get("negative_prompt"); np.Type == gjson.String {
		in.negative = np.Raw
	}
	root.ForEach(func(k, v gjson.Result) bool {
		if k.Str == "parameters" {
			v.ForEach(func(k, v gjson.Result) bool { in.params = append(in.params, rawParam{k.Str, v.Raw}); return true })
		} else if imageParam(k.Str) {
			in.params = append(in.params, rawParam{k.Str, v.Raw})
		}
		return true
	})
	return t.build(&in), nil
}

// imageRef is one image of a request: a URL (or data URL) as the client gave it, or a
// file's bytes sent on as a data URL.
type imageRef struct {
	url  string
	data []byte
	mime string
}

func (r imageRef) empty() bool { return r.url == "" && r.data == nil }

// appendImage writes r as a JSON string; a file is base64-encoded straight into dst.
func appendImage(dst []byte, r imageRef) []byte {
	if r.data == nil {
		return translator.AppendString(dst, r.url)
	}
	dst = append(dst, `"data:`...)
	dst = append(dst, r.mime...)
	dst = append(dst, ";base64,"...)
	dst = base64.StdEncoding.AppendEncode(dst, r.data)
	return append(dst, '"')
}

// rawParam is one request field that becomes a DashScope parameter: its name and its
// value as JSON.
type rawParam struct{ key, raw string }

// imageRequest is what an image generation or edit asks for, read from JSON or a form.
type imageRequest struct {
	model    string
	prompt   string // JSON string
	images   []imageRef
	mask     imageRef
	function string // wanx2.1-imageedit's function; "" picks one
	negative string // JSON string, "" without one
	params   []rawParam
}

// imageParam reports the request fields sent on as DashScope parameters.
func imageParam(k string) bool {
	switch k {
	case "size", "negative_prompt", "n", "watermark", "prompt_extend", "seed", "strength", "upscale_factor",
		"is_sketch", "top_scale", "bottom_scale", "left_scale", "right_scale":
		return true
	}
	return false
}

// build writes the DashScope request for in.
func (t *Images) build(in *imageRequest) []byte {
	t.model = in.model
	t.usage.Model = t.model
	t.async = isWanModel(t.model)
	t.sync = !t.async
	out := append(t.buf[:0], `{"model":`...)
	out = translator.AppendString(out, t.model)
	out = append(out, `,"input":{`...)
	switch {
	case t.sync:
		out = append(out, `"messages":[{"role":"user","content":[`...)
		for _, u := range in.images {
			out = append(out, `{"image":`...)
			out = appendImage(out, u)
			out = append(out, `},`...)
		}
		out = append(out, `{"text":`...)
		out = append(out, in.prompt...)
		out = append(out, `}]}]`...)
	case t.edit && strings.HasPrefix(strings.ToLower(t.model), "wanx2.1-imageedit"):
		fn := in.function
		if fn == "" {
			fn = "description_edit"
			if !in.mask.empty() {
				fn = "description_edit_with_mask"
			}
		}
		out = append(out, `"function":`...)
		out = translator.AppendString(out, fn)
		out = append(out, `,"prompt":`...)
		out = append(out, in.prompt...)
		out = append(out, `,"base_image_url":`...)
		out = appendImage(out, in.images[0])
		if !in.mask.empty() {
			out = append(out, `,"mask_image_url":`...)
			out = appendImage(out, in.mask)
		}
	default:
		out = append(out, `"prompt":`...)
		out = append(out, in.prompt...)
		if t.edit {
			out = append(out, `,"images":[`...)
			for i, u := range in.images {
				if i > 0 {
					out = append(out, ',')
				}
				out = appendImage(out, u)
			}
			out = append(out, ']')
		}
		if in.negative != "" {
			out = append(out, `,"negative_prompt":`...)
			out = append(out, in.negative...)
		}
	}
	out = append(out, `},"parameters":{`...)
	n := 0
	for _, p := range in.params {
		raw := p.raw
		switch p.key {
		case "size":
			s := imageSize(gjson.Parse(raw).String())
			if s == "" {
				continue
			}
			raw = string(translator.AppendString(nil, s))
		case "negative_prompt":
			if !t.sync {
				continue
			}
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = translator.AppendString(out, p.key)
		out = append(out, ':')
		out = append(out, raw...)
	}
	out = append(out, "}}"...)
	t.buf = out
	return out
}

// EditUpstream implements translator.UpstreamEditor: it picks the synchronous or the
// asynchronous DashScope route for the model and sets X-DashScope-Async.
func (t *Images) EditUpstream(path string, setHeader func(name, value string)) string {
	from, to := PathMultimodalGeneration, PathText2Image // generation defaults to sync
	if t.edit {
		from, to = PathImage2Image, PathMultimodalGeneration // edits default to async
	}
	if t.async == t.edit {
		// The configured default already fits the model.
		from = ""
	}
	if from != "" {
		if i := strings.Index(path, from); i >= 0 {
			path = path[:i] + to + path[i+len(from):]
		}
	}
	if AsyncOnly(path) {
		setHeader("x-dashscope-async", "enable")
	}
	return path
}

// ResponseBody implements translator.Translator.
func (t *Images) ResponseBody(status int, body []byte) ([]byte, error) {
	if status/100 != 2 || !gjson.ValidBytes(body) || isError(gjson.ParseBytes(body)) {
		return appendError(nil, status, body), nil
	}
	root := gjson.ParseBytes(body)
	output := root.Get("output")
	out := append(t.resp[:0], `{"created":`...)
	out = translator.AppendInt(out, t.o.now())
	out = append(out, `,"data":[`...)
	n := 0
	item := func(url, revised string) {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = append(out, `{"url":`...)
		out = translator.AppendString(out, url)
		if revised != "" {
			out = append(out, `,"revised_prompt":`...)
			out = translator.AppendString(out, revised)
		}
		out = append(out, '}')
	}
	output.Get("results").ForEach(func(_, r gjson.Result) bool {
		if u := r.Get("url"); u.Type == gjson.String {
			item(u.Str, r.Get("actual_prompt").String())
		}
		return true
	})
	output.Get("choices").ForEach(func(_, c gjson.Result) bool {
		c.Get("message.content").ForEach(func(_, p gjson.Result) bool {
			if u := p.Get("image"); u.Type == gjson.String {
				item(u.Str, "")
			}
			return true
		})
		return true
	})
	out = append(out, ']')
	if id := output.Get("task_id"); id.Type == gjson.String && n == 0 {
		out = append(out, `,"task_id":`...)
		out = append(out, id.Raw...)
		out = append(out, `,"task_status":`...)
		out = translator.AppendString(out, output.Get("task_status").String())
		out = append(out, `,"task_url":`...)
		out = translator.AppendString(out, PathTasks+id.Str)
	}
	if rid := root.Get("request_id"); rid.Type == gjson.String {
		out = append(out, `,"request_id":`...)
		out = append(out, rid.Raw...)
	}
	if u := root.Get("usage"); u.Get("input_tokens").Exists() || u.Get("output_tokens").Exists() {
		readUsage(u, &t.usage)
		out = append(out, `,"usage":{"input_tokens":`...)
		out = translator.AppendInt(out, t.usage.PromptTokens)
		out = append(out, `,"output_tokens":`...)
		out = translator.AppendInt(out, t.usage.CompletionTokens)
		out = append(out, `,"total_tokens":`...)
		out = translator.AppendInt(out, t.usage.TotalTokens)
		out = append(out, '}')
	}
	out = append(out, '}')
	t.resp = out
	return out, nil
}

// ResponseStream implements translator.Translator (image answers are never streamed).
func (t *Images) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	return t.collect(dst, chunk, end, t.ResponseBody)
}

// Usage implements translator.Translator.
func (t *Images) Usage() translator.Usage { return t.usage }
