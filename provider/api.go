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

	APIAnthropicMessages   API = "anthropic/v1/messages"
	APICohereRerank        API = "cohere/v1/rerank"
	APIQwenRerank          API = "qwen/v1/rerank"
	APIQwenAsyncAIGC       API = "qwen/v1/services/aigc" // any DashScope native service route
	APIQwenAsyncTask       API = "qwen/v1/tasks"
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
	case APIQwenAsyncAIGC, APIQwenAsyncTask:
		return ProtocolDashScope
	}
	return ProtocolOpenAI
}

// HasJSONBody reports whether requests on the API carry a JSON body the plugin reads
// (model mapping, custom settings, conversion) — image edits when they are JSON; as
// multipart uploads they are followed as they stream (upload.go). GETs are streamed
// through untouched.
func (a API) HasJSONBody() bool {
	switch a {
	case APICompletion, APIChatCompletion, APIEmbeddings, APIImageGeneration, APIImageEdit, APIAudioSpeech,
		APIResponses, APIFineTuningJobs, APIBatches, APIVideos, APIVideoRemix,
		APIAnthropicMessages, APICohereRerank, APIQwenRerank, APIQwenAsyncAIGC,
		APIGeminiGenerate, APIGeminiStreamGenerat, APIVertexRaw:
		return true
	}
	return false
}

// pathRule matches one path shape. Segments "*" match any single non-empty segment.
// The shape is matched against the end of the request path, so any prefix before
// `/v1/...` (a gateway base path, `/compatible-mode`, ...) is accepted.
type pathRule struct {
	segments []string
	api      API
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
	{"/v1/messages", APIAnthropicMessages},
	{"/v1/rerank", APICohereRerank},
	{"/v1/reranks", APICohereRerank},
	// DashScope native routes a client may call directly (protocol: original or the
	// Model Studio default routes of seed 001).
	{"/api/v1/services/rerank/text-rerank/text-rerank", APIQwenRerank},
	{"/api/v1/tasks/*", APIQwenAsyncTask},
})

func buildPathRules(rows []struct {
	shape string
	api   API
}) []pathRule {
	rules := make([]pathRule, 0, len(rows))
	for _, r := range rows {
		rules = append(rules, pathRule{segments: strings.Split(strings.TrimPrefix(r.shape, "/"), "/"), api: r.api})
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
	for _, group := range [2][]*pathRule{rulesByLast[last], rulesByLast[""]} {
		for _, r := range group {
			if matchSuffix(path, r.segments) {
				return r.api, true
			}
		}
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

// matchSuffix reports whether the last segments of path match the shape.
func matchSuffix(path string, shape []string) bool {
	end := len(path)
	for k := len(shape) - 1; k >= 0; k-- {
		slash := strings.LastIndexByte(path[:end], '/')
		if slash < 0 {
			return false
		}
		seg := path[slash+1 : end]
		if shape[k] == "*" {
			if seg == "" {
				return false
			}
		} else if seg != shape[k] {
			return false
		}
		end = slash
	}
	return true
}
