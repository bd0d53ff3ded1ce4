package provider

import "strings"

// API names one client-facing AI API. The strings are Higress's ApiName values, so a
// `capabilities` map written for Higress ({"openai/v1/chatcompletions": "/v1/chat/completions"})
// means the same here.
type API string

// The APIs the plugin recognises by path.
const (
	APICompletion          API = "openai/v1/completions"
	APIChatCompletion      API = "openai/v1/chatcompletions"
	APIEmbeddings          API = "openai/v1/embeddings"
	APIImageGeneration     API = "openai/v1/imagegeneration"
	APIImageEdit           API = "openai/v1/imageedit"
	APIImageVariation      API = "openai/v1/imagevariation"
	APIAudioSpeech         API = "openai/v1/audiospeech"
	APIAudioTranscription  API = "openai/v1/audiotranscription"
	APIAudioTranslation    API = "openai/v1/audiotranslation"
	APIRealtime            API = "openai/v1/realtime"
	APIModels              API = "openai/v1/models"
	APIFiles               API = "openai/v1/files"
	APIRetrieveFile        API = "openai/v1/retrievefile"
	APIRetrieveFileContent API = "openai/v1/retrievefilecontent"
	APIBatches             API = "openai/v1/batches"
	APIRetrieveBatch       API = "openai/v1/retrievebatch"
	APICancelBatch         API = "openai/v1/cancelbatch"
	APIResponses           API = "openai/v1/responses"

	APIFineTuningJobs                    API = "openai/v1/fine-tuningjobs"
	APIRetrieveFineTuningJob             API = "openai/v1/retrievefine-tuningjob"
	APIFineTuningJobEvents               API = "openai/v1/fine-tuningjobsevents"
	APIFineTuningJobCheckpoints          API = "openai/v1/fine-tuningjobcheckpoints"
	APICancelFineTuningJob               API = "openai/v1/cancelfine-tuningjob"
	APIResumeFineTuningJob               API = "openai/v1/resumefine-tuningjob"
	APIPauseFineTuningJob                API = "openai/v1/pausefine-tuningjob"
	APIFineTuningCheckpointPermissions   API = "openai/v1/fine-tuningjobcheckpointpermissions"
	APIDeleteFineTuningCheckpointPermiss API = "openai/v1/deletefine-tuningjobcheckpointpermission"

	APIVideos               API = "openai/v1/videos"
	APIRetrieveVideo        API = "openai/v1/retrievevideo"
	APIVideoRemix           API = "openai/v1/videoremix"
	APIRetrieveVideoContent API = "openai/v1/retrievevideocontent"

	// APIConversations is the Conversations API (`/v1/conversations`, its items), which
	// DashScope's compatible mode serves too; one API for the collection and its
	// sub-resources, forwarded below the provider's prefix.
	APIConversations API = "openai/v1/conversations"

	APIAnthropicMessages API = "anthropic/v1/messages"
	APICohereRerank      API = "cohere/v1/rerank"
	APIQwenRerank        API = "qwen/v1/rerank"
	APIQwenAsyncAIGC     API = "qwen/v1/services/aigc" // any DashScope native service route
	APIQwenAsyncTask     API = "qwen/v1/tasks"
	// APIQwenCompatibleRerank is DashScope's OpenAI-style rerank route, called as it is.
	APIQwenCompatibleRerank API = "qwen/compatible-api/v1/reranks"
	// APIQwenWebSocket is DashScope's WebSocket inference route (CosyVoice and Sambert
	// speech synthesis, realtime recognition): an upgrade request passed through.
	APIQwenWebSocket API = "qwen/api-ws/v1/inference"
	// APIComfyUI is any REST route of a ComfyUI server and APIComfyUIWebSocket its /ws
	// upgrade; both pass through on the client's path (comfyui.go).
	APIComfyUI             API = "comfyui/api"
	APIComfyUIWebSocket    API = "comfyui/ws"
	APIGeminiGenerate      API = "gemini/v1beta/generatecontent"
	APIGeminiStreamGenerat API = "gemini/v1beta/streamgeneratecontent"
	APIVertexRaw           API = "vertex/raw" // …/projects/P/locations/L/publishers/X/models/M:method
)

// Protocol is the wire protocol a client speaks on a classified API.
type Protocol uint8

// Client protocols. Errors are written in the client's protocol.
const (
	ProtocolOpenAI Protocol = iota
	ProtocolAnthropic
	ProtocolGemini
	ProtocolDashScope
)

var protocolNames = [...]string{"openai", "anthropic", "gemini", "dashscope"}

// String is the protocol's name: openai, anthropic, gemini, dashscope.
func (p Protocol) String() string {
	if int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return "unknown"
}

// Protocol returns the wire protocol of the API's client side.
func (a API) Protocol() Protocol {
	switch a {
	case APIAnthropicMessages:
		return ProtocolAnthropic
	case APIGeminiGenerate, APIGeminiStreamGenerat, APIVertexRaw:
		return ProtocolGemini
	case APIQwenAsyncAIGC, APIQwenAsyncTask, APIQwenWebSocket:
		return ProtocolDashScope
	}
	return ProtocolOpenAI
}

// IsWebSocket reports the APIs whose requests are WebSocket upgrades: nothing of the
// request may be held or buffered (the frames that follow the headers are the
// request's body), and no upstream timeout is set on what is a long-lived stream.
func (a API) IsWebSocket() bool {
	return a == APIComfyUIWebSocket || a == APIQwenWebSocket || a == APIRealtime
}

// HasJSONBody reports whether requests on the API carry a JSON body the plugin reads
// (model mapping, custom settings, conversion) — image edits when they are JSON; as
// multipart uploads they are followed as they stream (upload.go). GETs are streamed
// through untouched.
func (a API) HasJSONBody() bool {
	switch a {
	case APICompletion, APIChatCompletion, APIEmbeddings, APIImageGeneration, APIImageEdit, APIAudioSpeech,
		APIResponses, APIFineTuningJobs, APIBatches, APIVideos, APIVideoRemix,
		APIAnthropicMessages, APICohereRerank, APIQwenRerank, APIQwenCompatibleRerank, APIQwenAsyncAIGC,
		APIGeminiGenerate, APIGeminiStreamGenerat, APIVertexRaw:
		return true
	}
	return false
}

// pathRule matches one path shape. Segments "*" match any single non-empty segment.
// The shape is matched against the end of the request path, so any prefix before
// `/v1/...` (a gateway base path, `/compatible-mode`, ...) is accepted. An anchored
// shape (written "^/prompt") is a server's root route with a generic name: it matches
// the whole path (after basePath removal), or below /api (ComfyUI serves every route
// there too), so `/admin/users` stays no AI API.
type pathRule struct {
	segments []string
	api      API
	anchored bool
}

// pathRules are tried longest first so `/v1/files/x/content` never reads as `/v1/files/x`.
var pathRules = buildPathRules([]struct {
	shape string
	api   API
}{
	{"/v1/chat/completions", APIChatCompletion},
	{"/v1/completions", APICompletion},
	{"/v1/embeddings", APIEmbeddings},
	{"/v1/images/generations", APIImageGeneration},
	{"/v1/images/edits", APIImageEdit},
	{"/v1/images/variations", APIImageVariation},
	{"/v1/audio/speech", APIAudioSpeech},
	{"/v1/audio/transcriptions", APIAudioTranscription},
	{"/v1/audio/translations", APIAudioTranslation},
	{"/v1/realtime", APIRealtime},
	{"/v1/models", APIModels},
	{"/v1/models/*", APIModels},
	{"/v1/files", APIFiles},
	{"/v1/files/*", APIRetrieveFile},
	{"/v1/files/*/content", APIRetrieveFileContent},
	{"/v1/batches", APIBatches},
	{"/v1/batches/*", APIRetrieveBatch},
	{"/v1/batches/*/cancel", APICancelBatch},
	{"/v1/responses", APIResponses},
	{"/v1/fine_tuning/jobs", APIFineTuningJobs},
	{"/v1/fine_tuning/jobs/*", APIRetrieveFineTuningJob},
	{"/v1/fine_tuning/jobs/*/events", APIFineTuningJobEvents},
	{"/v1/fine_tuning/jobs/*/checkpoints", APIFineTuningJobCheckpoints},
	{"/v1/fine_tuning/jobs/*/cancel", APICancelFineTuningJob},
	{"/v1/fine_tuning/jobs/*/resume", APIResumeFineTuningJob},
	{"/v1/fine_tuning/jobs/*/pause", APIPauseFineTuningJob},
	{"/v1/fine_tuning/checkpoints/*/permissions", APIFineTuningCheckpointPermissions},
	{"/v1/fine_tuning/checkpoints/*/permissions/*", APIDeleteFineTuningCheckpointPermiss},
	{"/v1/videos", APIVideos},
	{"/v1/videos/*", APIRetrieveVideo},
	{"/v1/videos/*/remix", APIVideoRemix},
	{"/v1/videos/*/content", APIRetrieveVideoContent},
	{"/v1/conversations", APIConversations},
	{"/v1/conversations/*", APIConversations},
	{"/v1/conversations/*/items", APIConversations},
	{"/v1/conversations/*/items/*", APIConversations},
	{"/v1/messages", APIAnthropicMessages},
	// Rerank: Cohere's v1 and v2, Jina's and vLLM's (/rerank, /v1/rerank, /v2/rerank).
	{"^/rerank", APICohereRerank},
	{"/v1/rerank", APICohereRerank},
	{"/v2/rerank", APICohereRerank},
	{"/v1/reranks", APICohereRerank},
	// DashScope native routes a client may call directly (protocol: original or the
	// Model Studio default routes of seed 001). Other /api/v1/services/... routes are
	// APIQwenAsyncAIGC (see Classify).
	{"/api/v1/services/rerank/text-rerank/text-rerank", APIQwenRerank},
	{"/api/v1/tasks", APIQwenAsyncTask},
	{"/api/v1/tasks/*", APIQwenAsyncTask},
	{"/api/v1/tasks/*/cancel", APIQwenAsyncTask},
	{"/compatible-api/v1/reranks", APIQwenCompatibleRerank},
	{"/api-ws/v1/inference", APIQwenWebSocket},
	// ComfyUI's server routes (server.py), also under its /api prefix. Generic names
	// (/prompt, /view, ...) are ComfyUI's only: OpenAI-style APIs sit below /v1.
	{"^/ws", APIComfyUIWebSocket},
	{"^/prompt", APIComfyUI},
	{"^/queue", APIComfyUI},
	{"^/history", APIComfyUI},
	{"^/history/*", APIComfyUI},
	{"^/interrupt", APIComfyUI},
	{"^/free", APIComfyUI},
	{"^/view", APIComfyUI},
	{"^/view_metadata/*", APIComfyUI},
	{"^/upload/image", APIComfyUI},
	{"^/upload/mask", APIComfyUI},
	{"^/object_info", APIComfyUI},
	{"^/object_info/*", APIComfyUI},
	{"^/system_stats", APIComfyUI},
	{"^/embeddings", APIComfyUI},
	{"^/extensions", APIComfyUI},
	{"^/features", APIComfyUI},
	{"^/models", APIComfyUI},
	{"^/models/*", APIComfyUI},
	{"^/experiment/models", APIComfyUI},
	{"^/experiment/models/*", APIComfyUI},
	{"^/workflow_templates", APIComfyUI},
	{"^/userdata", APIComfyUI},
	{"^/userdata/*", APIComfyUI},
	{"^/userdata/*/move/*", APIComfyUI},
	{"^/v2/userdata", APIComfyUI},
	{"^/users", APIComfyUI},
})

func buildPathRules(rows []struct {
	shape string
	api   API
}) []pathRule {
	rules := make([]pathRule, 0, len(rows))
	for _, r := range rows {
		shape, anchored := strings.CutPrefix(r.shape, "^")
		rules = append(rules, pathRule{segments: strings.Split(strings.TrimPrefix(shape, "/"), "/"), api: r.api, anchored: anchored})
	}
	// Longest (most specific) shapes first; a stable insertion sort keeps table order among equals.
	for i := 1; i < len(rules); i++ {
		for j := i; j > 0 && len(rules[j].segments) > len(rules[j-1].segments); j-- {
			rules[j], rules[j-1] = rules[j-1], rules[j]
		}
	}
	return rules
}

// rulesByLast indexes pathRules by their last segment (a literal); rules ending in a
// wildcard are in rulesByLast[""]. Classify then tries only the few rules that can match.
var rulesByLast = func() map[string][]*pathRule {
	m := map[string][]*pathRule{}
	for i := range pathRules {
		last := pathRules[i].segments[len(pathRules[i].segments)-1]
		if last == "*" {
			last = ""
		}
		m[last] = append(m[last], &pathRules[i])
	}
	return m
}()

// Classify maps a request path (query allowed) to the API it calls. ok is false for a
// path that is no AI API: the plugin answers it with 404 and attaches no credentials.
func Classify(path string) (api API, ok bool) {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimRight(path, "/")
	if isVertexRaw(path) {
		return APIVertexRaw, true
	}
	// Gemini: /v1beta/models/{model}:generateContent and :streamGenerateContent.
	if c := strings.LastIndexByte(path, ':'); c >= 0 && strings.Contains(path, "/models/") {
		switch path[c+1:] {
		case "generateContent":
			return APIGeminiGenerate, true
		case "streamGenerateContent":
			return APIGeminiStreamGenerat, true
		}
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	// The longest match wins across both groups (each is sorted longest first), so
	// `/v1/files/queue` is a file, not ComfyUI's /queue.
	var best *pathRule
	for _, group := range [2][]*pathRule{rulesByLast[last], rulesByLast[""]} {
		for _, r := range group {
			if best != nil && len(r.segments) <= len(best.segments) {
				break
			}
			if rest, ok := matchSuffix(path, r.segments); ok && (!r.anchored || rest == "" || rest == "/api") {
				best = r
				break
			}
		}
	}
	if best != nil {
		return best.api, true
	}
	// Other DashScope native services (/api/v1/services/aigc/<group>/<task>,
	// /api/v1/services/embeddings/...): passed through by providers that serve them.
	if i := strings.Index(path, "/api/v1/services/"); i >= 0 && strings.Count(path[i+len("/api/v1/services/"):], "/") >= 1 {
		return APIQwenAsyncAIGC, true
	}
	return "", false
}

// isVertexRaw reports whether path is a native Vertex AI model method:
// [prefix]/{version}/projects/P/locations/L/publishers/X/models/M:method.
func isVertexRaw(path string) bool {
	i := strings.Index(path, "/projects/")
	if i < 0 {
		return false
	}
	rest := path[i:]
	l := strings.Index(rest, "/locations/")
	pub := strings.Index(rest, "/publishers/")
	m := strings.Index(rest, "/models/")
	return l > 0 && pub > l && m > pub && strings.IndexByte(rest[m:], ':') > 0
}

// matchSuffix reports whether the last segments of path match the shape, and what
// precedes them.
func matchSuffix(path string, shape []string) (rest string, ok bool) {
	end := len(path)
	for k := len(shape) - 1; k >= 0; k-- {
		slash := strings.LastIndexByte(path[:end], '/')
		if slash < 0 {
			return "", false
		}
		seg := path[slash+1 : end]
		if shape[k] == "*" {
			if seg == "" {
				return "", false
			}
		} else if seg != shape[k] {
			return "", false
		}
		end = slash
	}
	return path[:end], true
}

// Route is one default route of a Model API use case (seed 001's "default routes"): the
// path a client calls, as the provider's API reference writes it ({id} stands for an
// id segment), the methods the route takes, and the API the plugin classifies it as.
// Which provider types serve it follows from their paths (Config.Capabilities); the
// README's use-case table lists them, and routes_test.go checks every row.
type Route struct {
	UseCase  string
	Protocol string // the client protocol, as the console names it
	Methods  string // space separated
	Path     string
	API      API
}

// DefaultRoutes are the default routes of every use case and protocol. The plugin does
// not restrict methods (the upstream answers a wrong one itself); Methods documents
// what each route takes.
var DefaultRoutes = []Route{
	{"Text generation", "OpenAI", "POST", "/v1/chat/completions", APIChatCompletion},
	{"Text generation", "OpenAI", "POST", "/v1/completions", APICompletion},
	{"Text generation", "OpenAI", "POST", "/v1/responses", APIResponses},
	{"Text generation", "OpenAI", "GET POST DELETE", "/v1/conversations/{id}", APIConversations},
	{"Text generation", "Anthropic", "POST", "/v1/messages", APIAnthropicMessages},

	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/text2image/image-synthesis", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/image2image/image-synthesis", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/image2image/out-painting", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/virtualmodel/generation", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/background-generation/generation", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "POST", "/api/v1/services/aigc/multimodal-generation/generation", APIQwenAsyncAIGC},
	{"Image generation", "DashScope", "GET POST PUT PATCH DELETE", "/api/v1/tasks/{id}", APIQwenAsyncTask},
	{"Image generation", "OpenAI", "POST", "/v1/images/generations", APIImageGeneration},
	{"Image generation", "OpenAI", "POST", "/v1/images/edits", APIImageEdit},
	{"Image generation", "OpenAI", "POST", "/v1/images/variations", APIImageVariation},
	{"Image generation", "ComfyUI", "GET", "/ws", APIComfyUIWebSocket},
	{"Image generation", "ComfyUI", "GET", "/embeddings", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/extensions", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/features", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/models", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/models/{folder}", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/workflow_templates", APIComfyUI},
	{"Image generation", "ComfyUI", "POST", "/upload/image", APIComfyUI},
	{"Image generation", "ComfyUI", "POST", "/upload/mask", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/view", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/view_metadata/{folder}", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/system_stats", APIComfyUI},
	{"Image generation", "ComfyUI", "GET POST", "/prompt", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/object_info", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/object_info/{node_class}", APIComfyUI},
	{"Image generation", "ComfyUI", "GET POST", "/history", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/history/{prompt_id}", APIComfyUI},
	{"Image generation", "ComfyUI", "GET POST", "/queue", APIComfyUI},
	{"Image generation", "ComfyUI", "POST", "/interrupt", APIComfyUI},
	{"Image generation", "ComfyUI", "POST", "/free", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/userdata", APIComfyUI},
	{"Image generation", "ComfyUI", "GET", "/v2/userdata", APIComfyUI},
	{"Image generation", "ComfyUI", "GET POST DELETE", "/userdata/{file}", APIComfyUI},
	{"Image generation", "ComfyUI", "POST", "/userdata/{file}/move/{dest}", APIComfyUI},
	{"Image generation", "ComfyUI", "GET POST", "/users", APIComfyUI},

	{"Video generation", "DashScope", "POST", "/api/v1/services/aigc/video-generation/video-synthesis", APIQwenAsyncAIGC},
	{"Video generation", "DashScope", "POST", "/api/v1/services/aigc/image2video/video-synthesis", APIQwenAsyncAIGC},
	{"Video generation", "DashScope", "GET POST PUT PATCH DELETE", "/api/v1/tasks/{id}", APIQwenAsyncTask},
	{"Video generation", "OpenAI", "GET POST", "/v1/videos", APIVideos},
	{"Video generation", "OpenAI", "GET DELETE", "/v1/videos/{id}", APIRetrieveVideo},
	{"Video generation", "OpenAI", "GET", "/v1/videos/{id}/content", APIRetrieveVideoContent},

	{"Speech synthesis", "DashScope", "GET", "/api-ws/v1/inference", APIQwenWebSocket},
	{"Speech synthesis", "DashScope", "POST", "/api/v1/services/aigc/multimodal-generation/generation", APIQwenAsyncAIGC},
	{"Speech synthesis", "OpenAI", "POST", "/v1/audio/speech", APIAudioSpeech},

	{"Embedding", "OpenAI", "POST", "/v1/embeddings", APIEmbeddings},

	{"Rerank", "DashScope", "POST", "/api/v1/services/rerank/text-rerank/text-rerank", APIQwenRerank},
	{"Rerank", "DashScope", "POST", "/compatible-api/v1/reranks", APIQwenCompatibleRerank},
	{"Rerank", "vLLM / Cohere", "POST", "/v1/rerank", APICohereRerank},
	{"Rerank", "vLLM / Cohere", "POST", "/v2/rerank", APICohereRerank},
	{"Rerank", "vLLM", "POST", "/rerank", APICohereRerank},

	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/models", APIModels},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/files", APIFiles},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/files/{id}", APIRetrieveFile},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/batches", APIBatches},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/batches/{id}", APIRetrieveBatch},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/fine_tuning/jobs", APIFineTuningJobs},
	{"Others", "OpenAI", "GET POST PUT PATCH DELETE", "/v1/fine_tuning/jobs/{id}", APIRetrieveFineTuningJob},
}
