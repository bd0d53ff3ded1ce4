package dashscope

import "strings"

// DashScope's asynchronous AIGC routes (video generation and the image services that
// are tasks). A request there creates a task; DashScope only takes it with
// X-DashScope-Async: enable, and answers {"output":{"task_id","task_status"}}. The task is
// polled with GET PathTasks + task_id until output.task_status is SUCCEEDED (or FAILED,
// CANCELED, UNKNOWN); a video task's output then holds video_url, an image task's
// results[].url.
const (
	PathVideoSynthesis      = "/api/v1/services/aigc/video-generation/video-synthesis"
	PathImage2Video         = "/api/v1/services/aigc/image2video/video-synthesis"
	PathOutPainting         = "/api/v1/services/aigc/image2image/out-painting"
	PathVirtualModel        = "/api/v1/services/aigc/virtualmodel/generation"
	PathBackgroundGenerate  = "/api/v1/services/aigc/background-generation/generation"
	asyncSynthesisSuffix    = "/image-synthesis"
	asyncVideoSynthesisPart = "/video-synthesis"
)

// AsyncOnly reports whether a DashScope path is one of the routes DashScope serves only
// as asynchronous tasks, so that the request needs X-DashScope-Async: enable. The plugin
// sets it for clients that leave it out (DashScope would refuse them with "current user
// api does not support synchronous calls"), and for the image tasks it converts to.
func AsyncOnly(path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimRight(path, "/")
	return strings.HasSuffix(path, asyncSynthesisSuffix) || strings.HasSuffix(path, asyncVideoSynthesisPart) ||
		strings.HasSuffix(path, PathOutPainting) || strings.HasSuffix(path, PathVirtualModel) ||
		strings.HasSuffix(path, PathBackgroundGenerate)
}
