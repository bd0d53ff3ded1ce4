package mock

import (
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// ComfyUI's server REST routes (server.py), as a self-hosted ComfyUI answers them, at
// the server's root (the plugin forwards ComfyUI routes on the client's path):
//
//   - POST /prompt {"prompt": {node id: {"class_type","inputs"}}, "client_id"} queues a
//     workflow: {"prompt_id","number","node_errors":{}}; without a prompt object 400
//     {"error":{"type":"no_prompt",...},"node_errors":{}}. GET /prompt:
//     {"exec_info":{"queue_remaining":0}}.
//   - GET /history/{prompt_id}: {prompt_id: {"prompt":[...],"outputs":{"9":{"images":
//     [{"filename","subfolder","type":"output"}]}},"status":{"status_str":"success",
//     "completed":true}}}, {} for an unknown id; GET /history: every prompt.
//   - GET /ws?clientId=: the WebSocket (websocket.go): a "status" message on connect, a
//     client's "feature_flags" answered with the server's.
//   - GET /queue: {"queue_running":[],"queue_pending":[]}; GET /system_stats;
//     GET /view?filename=: the image bytes (image/png); POST /upload/image (multipart,
//     field "image"): {"name","subfolder":"","type":"input"}.
//
// ComfyUI itself takes no credentials: the mock accepts requests with or without.

// ComfyUIImage is the PNG the mock's ComfyUI "renders" for every prompt.
var ComfyUIImage = []byte("\x89PNG\r\n\x1a\nmock-comfyui-image")

// isComfyUIPath reports the ComfyUI routes the mock serves.
func isComfyUIPath(p string) bool {
	switch p {
	case "/prompt", "/history", "/queue", "/view", "/system_stats", "/upload/image", "/ws":
		return true
	}
	return strings.HasPrefix(p, "/history/")
}

func (x *exchange) comfyui() {
	p, m := x.r.URL.Path, x.r.Method
	switch {
	case p == "/ws" && m == http.MethodGet:
		x.comfyWS() // websocket.go
	case p == "/prompt" && m == http.MethodPost:
		x.req = gjson.ParseBytes(x.body)
		if !x.req.Get("prompt").IsObject() {
			x.w.Header().Set("Content-Type", "application/json")
			x.w.WriteHeader(http.StatusBadRequest)
			x.w.Write([]byte(`{"error":{"type":"no_prompt","message":"No prompt provided","details":"","extra_info":{}},"node_errors":{}}`))
			return
		}
		id := "prompt-" + x.id
		x.h.jobs.add(id, &job{kind: "comfyui", prompt: x.req.Get("prompt").Raw})
		writeJSON(x.w, map[string]any{"prompt_id": id, "number": 1, "node_errors": map[string]any{}})
	case p == "/prompt" && m == http.MethodGet:
		writeJSON(x.w, map[string]any{"exec_info": map[string]any{"queue_remaining": 0}})
	case strings.HasPrefix(p, "/history/") && m == http.MethodGet:
		id := strings.TrimPrefix(p, "/history/")
		out := map[string]any{}
		if jb, ok := x.h.jobs.poll(id, false); ok && jb.kind == "comfyui" {
			out[id] = comfyHistory(id)
		}
		writeJSON(x.w, out)
	case p == "/history" && m == http.MethodGet:
		out := map[string]any{}
		x.h.jobs.mu.Lock()
		for id, jb := range x.h.jobs.m {
			if jb.kind == "comfyui" {
				out[id] = comfyHistory(id)
			}
		}
		x.h.jobs.mu.Unlock()
		writeJSON(x.w, out)
	case p == "/queue" && m == http.MethodGet:
		writeJSON(x.w, map[string]any{"queue_running": []any{}, "queue_pending": []any{}})
	case p == "/system_stats" && m == http.MethodGet:
		writeJSON(x.w, map[string]any{"system": map[string]any{"os": "posix", "python_version": "3.12.0", "comfyui_version": "0.3.40"},
			"devices": []map[string]any{{"name": "cuda:0 mock", "type": "cuda", "vram_total": 25769803776, "vram_free": 20000000000}}})
	case p == "/view" && m == http.MethodGet:
		if x.r.URL.Query().Get("filename") == "" {
			http.Error(x.w, "filename required", http.StatusBadRequest)
			return
		}
		x.w.Header().Set("Content-Type", "image/png")
		x.w.WriteHeader(http.StatusOK)
		x.w.Write(ComfyUIImage)
	case p == "/upload/image" && m == http.MethodPost:
		name := uploadName(x.r, x.body)
		if name == "" {
			http.Error(x.w, "image required", http.StatusBadRequest)
			return
		}
		writeJSON(x.w, map[string]any{"name": name, "subfolder": "", "type": "input"})
	default:
		http.Error(x.w, "405: Method Not Allowed", http.StatusMethodNotAllowed)
	}
}

func comfyHistory(id string) map[string]any {
	return map[string]any{
		"prompt":  []any{1, id, map[string]any{}, map[string]any{}, []string{"9"}},
		"outputs": map[string]any{"9": map[string]any{"images": []map[string]any{{"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}}}},
		"status":  map[string]any{"status_str": "success", "completed": true, "messages": []any{}},
	}
}

// uploadName is the file name of the multipart field "image", "" without one.
func uploadName(r *http.Request, body []byte) string {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if p.FormName() == "image" && p.FileName() != "" {
			return p.FileName()
		}
	}
}

// jsonType is the "type" member of a JSON message.
func jsonType(msg []byte) string { return gjson.GetBytes(msg, "type").String() }
