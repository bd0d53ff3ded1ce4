// Package provider knows every upstream the plugin can talk to and turns one client
// request into the upstream request, and the upstream answer back into the client's
// protocol. It is pure Go: nothing here knows it runs inside wasm, so all of it is
// tested, fuzzed and benchmarked natively.
//
// A provider is a Spec row (specs.go): default host, the APIs it serves and their
// upstream paths, how it authenticates, and — only where its wire format differs from
// OpenAI — a function that creates a per-request translator.
package provider

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Auth says how the API token reaches the upstream.
type Auth struct {
	Header string // header name, e.g. "Authorization", "api-key", "x-api-key"
	Prefix string // value prefix, e.g. "Bearer "
}

var (
	bearer = Auth{Header: "Authorization", Prefix: "Bearer "}
)

// Spec describes one provider type. Most providers are a row of data; Setup and
// Translate hold what is genuinely a provider's own.
type Spec struct {
	// Host is the default upstream authority. Setup may derive it from config fields.
	Host string
	// Paths are the APIs served by default and their upstream paths. A path may hold
	// {model}, replaced by the mapped model once the request body is read. The config's
	// `capabilities` add to and override these.
	Paths map[API]string
	// Auth is how the token is sent; the zero value means bearer.
	Auth Auth
	// SingleToken providers accept at most one entry in apiTokens.
	SingleToken bool
	// Keyless types work without apiTokens (local servers, the generic proxy);
	// KeylessWith names config fields that stand in for apiTokens when set (bedrock's
	// awsAccessKey). Any other type without apiTokens fails plugin start, as in Higress.
	Keyless     bool
	KeylessWith []string
	// Passthrough is the generic proxy: every client path is forwarded with credentials,
	// also one that is no AI API the plugin knows, and a body is left as the client sent
	// it but for modelMapping and customSettings (no stream usage request, no accept).
	// RouteHost: without a configured host the request keeps the route's :authority.
	Passthrough, RouteHost bool
	// Settings names the provider's column in the customSettings rename table, used
	// with `protocol: original`; RawSettingsPrefix is where raw settings go then.
	Settings          string
	RawSettingsPrefix string
	// Setup validates provider-specific fields and derives Host/Paths from them. Its
	// errors name the field.
	Setup func(c *Config) error
	// StreamContentType is the content type of the upstream's streamed answers when
	// they are not SSE (Bedrock's application/vnd.amazon.eventstream): such an answer
	// is converted as a stream, the client gets text/event-stream, and streaming
	// requests ask for it in accept.
	StreamContentType string
	// RequestHeaders sets provider-specific upstream headers (e.g. anthropic-version).
	RequestHeaders func(c *Config, r *Request, h Headers)
	// EditBody, when set, edits the upstream body of every converted or passed-through
	// request (not `protocol: original`) in the provider's own way: client is the
	// client's body (model mapped, settings applied), body the upstream's so far.
	EditBody func(c *Config, r *Request, client, body []byte) ([]byte, error)
	// JSONStreams: the upstream answers a streaming request with one JSON body (DeepL
	// has no streaming); the translator's ResponseStream turns it into the client's stream.
	JSONStreams bool
	// HeldStreams: an SSE answer to a request that asked for no stream is held whole and
	// converted by the translator's ResponseBody (Dify's Agent apps answer only in
	// streaming mode; a non-streaming client gets one JSON answer).
	HeldStreams bool
	// Translate returns the converter for one request, or nil when the request and
	// answer pass through with only the model mapped.
	Translate func(c *Config, r *Request) translator.Translator
	// NativePrefixes are path prefixes of the provider's own API that no OpenAI-shaped
	// route matches (Coze's /v3/chat): with `protocol: original` they pass, with
	// credentials, as APINative.
	NativePrefixes []string
}

// APINative is a request on one of a provider's NativePrefixes: passed through as it is.
const APINative API = "native"

// nativePath reports whether path is under one of the spec's NativePrefixes.
func (s *Spec) nativePath(path string) bool {
	for _, p := range s.NativePrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// specs is the provider registry, filled by the table in specs.go and by the files of
// providers that need code (claude.go, qwen.go, ...), each in its own init.
var specs = map[string]*Spec{}

// register adds a provider type; called from init functions only.
func register(typ string, s *Spec) {
	if _, dup := specs[typ]; dup {
		panic("provider: duplicate type " + typ)
	}
	if s.Auth.Header == "" {
		s.Auth = bearer
	}
	if s.Settings == "" {
		s.Settings = "openai"
	}
	specs[typ] = s
}

// Types returns the registered provider type names.
func Types() []string {
	out := make([]string, 0, len(specs))
	for t := range specs {
		out = append(out, t)
	}
	return out
}

// openAIPaths is the path set of a provider that speaks the OpenAI API under prefix
// (e.g. "/v1", "/api/paas/v4"), for the given APIs. Models keeps the client's tail:
// `/v1/models/{id}` (retrieve, delete) is the same API as the list.
func openAIPaths(prefix string, apis ...API) map[API]string {
	m := make(map[API]string, len(apis))
	for _, a := range apis {
		m[a] = prefix + openAISuffix[a]
		if a == APIModels {
			m[a] = prefix + keepTail
		}
	}
	return m
}

// openAISuffix is the OpenAI path of each API below its version prefix.
var openAISuffix = map[API]string{
	APIChatCompletion:     "/chat/completions",
	APICompletion:         "/completions",
	APIEmbeddings:         "/embeddings",
	APIImageGeneration:    "/images/generations",
	APIImageEdit:          "/images/edits",
	APIImageVariation:     "/images/variations",
	APIAudioSpeech:        "/audio/speech",
	APIAudioTranscription: "/audio/transcriptions",
	APIAudioTranslation:   "/audio/translations",
	APIModels:             "/models",
	APIFiles:              "/files",
	APIBatches:            "/batches",
	APIResponses:          "/responses",
	APIFineTuningJobs:     "/fine_tuning/jobs",
	APIVideos:             "/videos",
	APIRealtime:           "/realtime",
	APIAnthropicMessages:  "/messages",
	APICohereRerank:       "/rerank",
}

// Sub-resource APIs (`/v1/files/{id}`, ...) keep the client's path below the prefix.
var openAISubResource = []API{APIRetrieveFile, APIRetrieveFileContent, APIRetrieveBatch, APICancelBatch,
	APIRetrieveFineTuningJob, APIFineTuningJobEvents, APIFineTuningJobCheckpoints, APICancelFineTuningJob,
	APIResumeFineTuningJob, APIPauseFineTuningJob, APIFineTuningCheckpointPermissions,
	APIDeleteFineTuningCheckpointPermiss, APIRetrieveVideo, APIVideoRemix, APIRetrieveVideoContent,
	APIConversations}

// keepTail marks an upstream path that is the prefix followed by the client's path from
// its `/v1` segment on (minus the `/v1`): used for sub-resources with ids in the path.
const keepTail = "{tail}"

// allOpenAI lists every OpenAI API; providers that mirror OpenAI completely use it.
var allOpenAI = []API{APIChatCompletion, APICompletion, APIEmbeddings, APIImageGeneration, APIImageEdit,
	APIImageVariation, APIAudioSpeech, APIAudioTranscription, APIAudioTranslation, APIModels, APIFiles,
	APIBatches, APIResponses, APIFineTuningJobs, APIVideos, APIRealtime}

// fullOpenAIPaths is openAIPaths for every OpenAI API, sub-resources included.
func fullOpenAIPaths(prefix string) map[API]string {
	m := openAIPaths(prefix, allOpenAI...)
	for _, a := range openAISubResource {
		m[a] = prefix + keepTail
	}
	return m
}
