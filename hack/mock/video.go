package mock

import (
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
)

// Video generation, as DashScope and OpenAI serve it:
//
//   - DashScope: POST /api/v1/services/aigc/video-generation/video-synthesis (text- and
//     image-to-video: input.prompt, input.img_url for i2v models) and
//     .../image2video/video-synthesis (input.img_url required) create a task and need
//     X-DashScope-Async: enable (without it: 403 AccessDenied, "current user api does
//     not support synchronous calls", as DashScope answers). The answer is
//     {"output":{"task_id","task_status":"PENDING"},"request_id"}. GET /api/v1/tasks/{id}
//     reports the task: RUNNING on the first poll, SUCCEEDED with output.video_url (and
//     usage video_duration, video_ratio, video_count) from the second on; an unknown id
//     gets task_status UNKNOWN, as DashScope answers. POST /api/v1/tasks/{id}/cancel
//     cancels a task not polled yet. Image-synthesis tasks (dashscope_image_edit.go)
//     are polled the same way and succeed with output.results[].url.
//   - OpenAI: POST /v1/videos (multipart: prompt, model, seconds, size, as the SDKs send
//     it) creates a video job {"object":"video","status":"queued"}; GET /v1/videos/{id} is
//     in_progress (progress 50) on the first poll and completed after; GET
//     /v1/videos/{id}/content answers VideoBytes (video/mp4) once completed.
//
// Tasks and jobs live in the Handler until Reset.

// VideoURLPrefix starts the video_url of every DashScope video task the mock completes.
const VideoURLPrefix = "https://dashscope-result-mock.oss-cn-beijing.aliyuncs.com/mock/video/"

// VideoBytes is the content of every video the mock makes.
var VideoBytes = []byte("\x00\x00\x00\x18ftypmp42mock-video")

// jobs are the asynchronous tasks the mock has created (DashScope tasks, OpenAI video
// jobs, ComfyUI prompts): id → state. The zero value is ready.
type jobs struct {
	mu sync.Mutex
	m  map[string]*job
}

type job struct {
	kind     string // "video", "openai-video", "comfyui"
	model    string
	prompt   string
	size     string
	seconds  string
	polls    int
	canceled bool
}

func (j *jobs) add(id string, jb *job) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[string]*job{}
	}
	j.m[id] = jb
}

// poll returns a copy of the job as it is at this poll, counting it.
func (j *jobs) poll(id string, count bool) (job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.m[id]
	if !ok {
		return job{}, false
	}
	if count {
		jb.polls++
	}
	return *jb, true
}

func (j *jobs) cancel(id string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.m[id]
	if !ok || jb.polls > 0 || jb.canceled {
		return false
	}
	jb.canceled = true
	return true
}

func (j *jobs) reset() {
	j.mu.Lock()
	j.m = nil
	j.mu.Unlock()
}

// isDashScopeVideo reports DashScope's video-synthesis routes.
func isDashScopeVideo(p string) bool {
	return p == "/api/v1/services/aigc/video-generation/video-synthesis" || p == "/api/v1/services/aigc/image2video/video-synthesis"
}

// dashscopeVideo creates a DashScope video task.
func (x *exchange) dashscopeVideo() {
	if !strings.EqualFold(x.r.Header.Get("X-DashScope-Async"), "enable") {
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(http.StatusForbidden)
		x.w.Write(mustJSON(map[string]any{"code": "AccessDenied", "message": "current user api does not support synchronous calls", "request_id": x.id}))
		return
	}
	in := x.req.Get("input")
	i2v := strings.Contains(x.r.URL.Path, "image2video") || strings.Contains(x.model(), "i2v")
	if i2v && in.Get("img_url").String() == "" && in.Get("first_frame_url").String() == "" {
		x.fail(http.StatusBadRequest, "input.img_url is required for image-to-video")
		return
	}
	if !i2v && in.Get("prompt").String() == "" {
		x.fail(http.StatusBadRequest, "input.prompt is required")
		return
	}
	id := "task-" + x.id
	x.h.jobs.add(id, &job{kind: "video", model: x.model(), prompt: in.Get("prompt").String(), size: x.req.Get("parameters.size").String()})
	writeJSON(x.w, map[string]any{"output": map[string]any{"task_id": id, "task_status": "PENDING"}, "request_id": x.id})
}

// dashscopeTask answers GET /api/v1/tasks/{id} and POST /api/v1/tasks/{id}/cancel.
func (x *exchange) dashscopeTask() {
	rest := strings.TrimPrefix(x.r.URL.Path, "/api/v1/tasks/")
	id, action, _ := strings.Cut(rest, "/")
	if action == "cancel" {
		if x.r.Method != http.MethodPost {
			x.fail(http.StatusMethodNotAllowed, "cancel takes POST")
			return
		}
		if !x.h.jobs.cancel(id) {
			x.fail(http.StatusBadRequest, "task "+id+" cannot be canceled: it is not pending")
			return
		}
		writeJSON(x.w, map[string]any{"request_id": x.id})
		return
	}
	if x.r.Method != http.MethodGet || action != "" {
		x.fail(http.StatusMethodNotAllowed, "mock: "+x.r.Method+" not allowed on "+x.r.URL.Path)
		return
	}
	jb, ok := x.h.jobs.poll(id, true)
	out := map[string]any{"task_id": id}
	switch {
	case !ok:
		out["task_status"] = "UNKNOWN"
	case jb.canceled:
		out["task_status"] = "CANCELED"
	case jb.polls == 1:
		out["task_status"] = "RUNNING"
		out["submit_time"] = "2023-11-14 22:13:20.000"
	case jb.kind == "image": // an image2image task (dashscope_image_edit.go)
		out["task_status"] = "SUCCEEDED"
		out["results"] = []map[string]any{{"url": ImageURLPrefix + id + ".png"}}
		writeJSON(x.w, map[string]any{"request_id": x.id, "output": out, "usage": map[string]any{"image_count": 1}})
		return
	default:
		out["task_status"] = "SUCCEEDED"
		out["submit_time"] = "2023-11-14 22:13:20.000"
		out["end_time"] = "2023-11-14 22:14:20.000"
		out["orig_prompt"] = jb.prompt
		out["video_url"] = VideoURLPrefix + id + ".mp4"
		ratio := jb.size
		if ratio == "" {
			ratio = "1920*1080"
		}
		writeJSON(x.w, map[string]any{"request_id": x.id, "output": out,
			"usage": map[string]any{"video_duration": 5, "video_ratio": ratio, "video_count": 1}})
		return
	}
	writeJSON(x.w, map[string]any{"request_id": x.id, "output": out})
}

// openaiVideos answers the OpenAI video API.
func (x *exchange) openaiVideos() {
	rest := strings.Trim(strings.TrimPrefix(x.r.URL.Path[strings.Index(x.r.URL.Path, "/videos"):], "/videos"), "/")
	id, sub, _ := strings.Cut(rest, "/")
	switch {
	case id == "" && x.r.Method == http.MethodPost:
		f, err := formFields(x.r, x.body)
		if err != nil || f["prompt"] == "" {
			x.fail(http.StatusBadRequest, "prompt: required (multipart/form-data)")
			return
		}
		jb := &job{kind: "openai-video", model: f["model"], prompt: f["prompt"], size: f["size"], seconds: f["seconds"]}
		if jb.model == "" {
			jb.model = "sora-2"
		}
		if jb.size == "" {
			jb.size = "720x1280"
		}
		if jb.seconds == "" {
			jb.seconds = "4"
		}
		vid := "video_" + x.id
		x.h.jobs.add(vid, jb)
		writeJSON(x.w, videoObject(vid, *jb, "queued", 0))
	case id != "" && sub == "" && x.r.Method == http.MethodGet:
		jb, ok := x.h.jobs.poll(id, true)
		if !ok || jb.kind != "openai-video" {
			x.fail(http.StatusNotFound, "video "+id+" not found")
			return
		}
		if jb.polls == 1 {
			writeJSON(x.w, videoObject(id, jb, "in_progress", 50))
			return
		}
		writeJSON(x.w, videoObject(id, jb, "completed", 100))
	case id != "" && sub == "content" && x.r.Method == http.MethodGet:
		jb, ok := x.h.jobs.poll(id, false)
		if !ok || jb.polls < 2 {
			x.fail(http.StatusNotFound, "video "+id+" is not completed")
			return
		}
		x.w.Header().Set("Content-Type", "video/mp4")
		x.w.WriteHeader(http.StatusOK)
		x.w.Write(VideoBytes)
	default:
		x.fail(http.StatusMethodNotAllowed, "mock: "+x.r.Method+" not allowed on "+x.r.URL.Path)
	}
}

func videoObject(id string, jb job, status string, progress int) map[string]any {
	v := map[string]any{"id": id, "object": "video", "model": jb.model, "status": status, "progress": progress,
		"created_at": Created, "size": jb.size, "seconds": jb.seconds, "prompt": jb.prompt}
	if status == "completed" {
		v["completed_at"] = Created + 60
		v["expires_at"] = Created + 86400
	}
	return v
}

// formFields reads the text fields of a multipart/form-data body (files are skipped).
func formFields(r *http.Request, body []byte) (map[string]string, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	out := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.FileName() != "" {
			continue
		}
		var b strings.Builder
		buf := make([]byte, 512)
		for {
			n, err := p.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		out[p.FormName()] = b.String()
	}
	return out, nil
}
