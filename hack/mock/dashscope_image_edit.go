package mock

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// DashScope's asynchronous image editing, POST
// /api/v1/services/aigc/image2image/image-synthesis (wanx2.1-imageedit: input.function,
// input.prompt, input.base_image_url, input.mask_image_url; wan2.5-i2i-preview:
// input.prompt, input.images[]): only with X-DashScope-Async: enable, as DashScope
// refuses synchronous calls there. Images are URLs or data URLs
// (data:image/<type>;base64,...); a data URL that does not decode is a 400
// InvalidParameter. The answer is the task, {"output":{"task_id","task_status":
// "PENDING"},"request_id"}; its id is derived from the request, so the same request
// gets the same task.

const pathImageSynthesis = "/api/v1/services/aigc/image2image/image-synthesis"

// dashscopeImageSynthesis answers an image2image task submission.
func (x *exchange) dashscopeImageSynthesis() {
	if !strings.EqualFold(x.r.Header.Get("X-DashScope-Async"), "enable") {
		x.fail(http.StatusForbidden, "current user api does not support synchronous calls")
		return
	}
	in := x.req.Get("input")
	if in.Get("prompt").String() == "" && in.Get("function").String() != "remove_watermark" {
		x.fail(http.StatusBadRequest, "input.prompt is required")
		return
	}
	var images []string
	if u := in.Get("base_image_url"); u.Exists() {
		images = append(images, u.String())
		if in.Get("function").String() == "" {
			x.fail(http.StatusBadRequest, "input.function is required")
			return
		}
	}
	in.Get("images").ForEach(func(_, v gjson.Result) bool { images = append(images, v.String()); return true })
	if m := in.Get("mask_image_url"); m.Exists() {
		images = append(images, m.String())
	}
	if len(images) == 0 {
		x.fail(http.StatusBadRequest, "input.base_image_url or input.images is required")
		return
	}
	for _, u := range images {
		if _, err := DecodeImageURL(u); err != nil {
			x.fail(http.StatusBadRequest, err.Error())
			return
		}
	}
	x.h.jobs.add("task-"+x.id, &job{kind: "image", model: x.model(), prompt: in.Get("prompt").String()}) // polled on /api/v1/tasks (video.go)
	writeJSON(x.w, map[string]any{
		"output":     map[string]any{"task_id": "task-" + x.id, "task_status": "PENDING"},
		"request_id": x.id,
	})
}

// DecodeImageURL returns the bytes of an image data URL (nil for an http(s) URL), or
// the error DashScope gives for an image it cannot read.
func DecodeImageURL(u string) ([]byte, error) {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "oss://") {
		return nil, nil
	}
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !strings.HasPrefix(u, "data:") || !ok || !strings.HasPrefix(meta, "image/") || !strings.HasSuffix(meta, ";base64") {
		return nil, errInvalidImage
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(b) == 0 {
		return nil, errInvalidImage
	}
	return b, nil
}

type mockError string

func (e mockError) Error() string { return string(e) }

const errInvalidImage = mockError("InvalidParameter: the image must be a URL or a data URL data:image/<type>;base64,<data>")
