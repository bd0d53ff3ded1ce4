// Package mock is an embedded fake LLM provider for tests, the local gateway and the
// benchmark. One http.Handler answers, whatever the Host header, at the real paths and in
// the real wire formats of:
//
//   - OpenAI (and every OpenAI-compatible provider): any path ending in
//     /chat/completions, /embeddings or /models — JSON and SSE, tool calls, usage;
//   - Anthropic Messages: /v1/messages under any prefix — JSON and SSE events;
//   - DashScope native: /api/v1/services/aigc/text-generation/generation,
//     .../multimodal-generation/generation (image models — a name containing "image" or
//     starting with "wan" — get an image answer: content [{"image": url}], usage width,
//     height, image_count), text-embedding and text-rerank;
//   - Gemini: /v1beta/models/{model}:generateContent and :streamGenerateContent;
//   - Tencent Hunyuan ChatCompletions: POST / with X-TC-Action, TC3-signed (hunyuan.go);
//   - Dify apps (/v1/chat-messages, /v1/completion-messages, /v1/workflows/run), Triton's
//     generate extension (/v2/models/{model}/generate[_stream]) and Coze's /v3/chat
//     (dify.go, triton.go, coze.go);
//   - OpenAI's multipart uploads (transcriptions, translations, image edits and
//     variations, files upload and list; multipart.go) and DashScope's asynchronous
//     image2image/image-synthesis (dashscope_image_edit.go);
//   - Google Vertex AI: the OAuth token endpoint POST /token, the Gemini, Claude and
//     embedding model methods and the OpenAI-compatible endpoint (vertex.go);
//   - video generation: DashScope video-synthesis tasks and /api/v1/tasks/{id}, OpenAI
//     /v1/videos jobs (video.go); Qwen-TTS speech on multimodal-generation and
//     CosyVoice on the WebSocket route /api-ws/v1/inference (tts.go);
//     ComfyUI's /prompt, /history, /queue, /view, /system_stats, /upload/image
//     (comfyui.go).
//
// Credentials: Authorization: Bearer (OpenAI, DashScope; Azure's api-key too), x-api-key
// or Bearer on /v1/messages (Anthropic, and vendors' Anthropic-compatible routes),
// x-goog-api-key, ?key= or Bearer for Gemini.
//
// Answers are deterministic: the same request always gets the same bytes. The reply text
// echoes the last user message, so a test can check that a converted request arrived
// intact. When the request declares tools (and the last message is not a tool result),
// the answer is a call of the first tool with arguments {"location":"Paris"}.
//
// Errors on demand: the model names mock-error-400, mock-error-429, mock-error-500 (any
// mock-error-NNN with NNN in 400..599) get that status in the provider's own error shape;
// mock-error-midstream starts a stream and breaks it with the provider's in-stream error.
// A missing or empty credential gets 401 in the provider's shape.
//
// # Faults
//
// The request header X-Mock-Fault (FaultHeader; build it with Fault) makes one request
// fail on purpose:
//
//	X-Mock-Fault = item *( "," item )          ; several header lines add up
//	item         = [ host "=" ] fault          ; host: applies only when the request's
//	                                           ; Host without port equals it (any case)
//	fault        = "status:" NNN [ ":html" / ":empty" ]
//	             / "reset" / "stall:" DURATION / "inband-error"
//	             / "cut-after:" N / "cut-inside:" N
//	             / "body:html" / "body:empty" / "body:truncated"
//	             / "dashscope-sse-error:" NNN / "gzip"
//
// e.g. "api.primary.test=status:503,api.other.test=reset". A gateway that retries on
// another provider forwards the client's header, hence the scope. Every answer is in the
// wire format of the endpoint the request hit:
//
//   - status:NNN (400..599): that status with the provider's error JSON (as the
//     mock-error-NNN models); status:NNN:html: an nginx-style HTML error page
//     (text/html; charset=UTF-8); status:NNN:empty: no body, Content-Type
//     application/json, as broken proxies answer.
//   - reset: the connection is hijacked and closed (with an RST) before any byte of a
//     response; without a hijackable connection the handler panics http.ErrAbortHandler.
//   - stall:DUR: nothing is written for DUR (a Go duration), then the request is answered
//     as the other faults say; a request whose context ends meanwhile gets nothing.
//   - inband-error: a streaming request gets status 200 and a stream whose first and only
//     event is the provider's in-stream error: OpenAI `data: {"error":{...}}`; Anthropic
//     `event: error` with {"type":"error","error":{"type":"overloaded_error",...}};
//     DashScope `id:1\nevent:error\n:HTTP_STATUS/429\ndata:{"code":
//     "Throttling.AllocationQuota",...}`; Gemini `data: {"error":{"code":503,...}}` (or
//     `[{"error":...}]` without alt=sse). A JSON request gets status 200 with the
//     provider's error JSON as the body.
//   - cut-after:N: a stream sends the first N events of its normal answer, then the body
//     ends cleanly between two events, with no terminal event ([DONE], message_stop, the
//     finish_reason "stop" event...). cut-inside:N: N events, then the first half of the
//     next one (no blank line), then the end. An answer of N events or fewer is sent whole.
//     A JSON request gets the first half of its normal body, status 200.
//   - body:html: status 200 with an HTML sign-in page (text/html); body:empty: status
//     200, Content-Type application/json, no body; body:truncated: status 200, the first
//     half of the normal body (JSON, or the bytes of the whole stream).
//   - dashscope-sse-error:NNN: what DashScope sends for a streaming request that fails:
//     status NNN, Content-Type text/event-stream;charset=UTF-8, body
//     `id:1\nevent:error\n:HTTP_STATUS/NNN\ndata:{"code":"...","message":"...","request_id":"..."}\n\n`
//     (code as in DashScope's error JSON: InvalidParameter, InvalidApiKey,
//     Throttling.RateQuota, InternalError), whatever endpoint was hit.
//   - gzip: the answer is gzip-compressed whatever the request's Accept-Encoding.
//
// stall and gzip combine with the others; of the rest, the first that applies shapes the
// answer. status, reset, body:html, body:empty and dashscope-sse-error answer before the
// credential check; inband-error, cut-* and body:truncated need a valid request. An
// unknown or malformed fault (also one scoped to another host) gets 400 text/plain
// naming it. Count tells how many requests each host received (all of them, not only the
// last recorded).
//
// # Compression
//
// As the real APIs (behind Cloudflare, DashScope's gateway) do, an answer with a body —
// errors too — is gzip-compressed (Content-Encoding: gzip, no Content-Length) when the
// request's Accept-Encoding admits gzip (q-values honoured; "identity" alone or gzip;q=0
// does not); a stream is compressed with the gzip stream flushed after every event, so
// it stays incremental. WithoutCompression turns this off. Go's default transport asks
// for gzip and decompresses transparently; a client that sets Accept-Encoding itself
// gets the compressed bytes.
package mock

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// ToolArguments is the JSON arguments string of every tool call the mock answers with.
const ToolArguments = `{"location":"Paris"}`

// toolArgFragments is ToolArguments cut into the pieces streams deliver one by one.
var toolArgFragments = []string{`{"loc`, `ation":`, `"Par`, `is"}`}

// Created is the fixed Unix time stamped on every OpenAI answer.
const Created = 1700000000

// StreamDelayHeader is a request header holding a Go duration ("5ms"): the pause between
// two events of a streamed answer, overriding WithStreamDelay for that request.
const StreamDelayHeader = "X-Mock-Stream-Delay"

// ReplyWordsHeader is a request header holding a word count: the reply is that many
// generated words instead of the echo text, overriding WithReplyWords for that request.
// Each word is one streamed content event.
const ReplyWordsHeader = "X-Mock-Reply-Words"

// Request is one request the Handler received, as it arrived.
type Request struct {
	Method   string
	Host     string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// Option configures a Handler.
type Option func(*Handler)

// WithStreamDelay pauses d between two events of every streamed answer (each event is
// written and flushed on its own either way), so clients can observe incremental delivery.
func WithStreamDelay(d time.Duration) Option { return func(h *Handler) { h.delay = d } }

// WithReplyWords makes every reply n generated words long (n > 0), e.g. to produce a
// stream of a known number of events. Zero keeps the default echo reply.
func WithReplyWords(n int) Option { return func(h *Handler) { h.words = n } }

// WithMaxRecorded keeps the last n requests for Requests (default 64; 0 records none).
// Count counts every request either way.
func WithMaxRecorded(n int) Option { return func(h *Handler) { h.maxRec = n } }

// WithoutCompression never gzips an answer because of the request's Accept-Encoding (the
// gzip fault still does).
func WithoutCompression() Option { return func(h *Handler) { h.noGzip = true } }

// Handler is the mock provider. It is safe for concurrent use.
type Handler struct {
	delay  time.Duration
	words  int
	maxRec int
	noGzip bool

	jobs jobs // asynchronous tasks and jobs (video.go)

	mu           sync.Mutex
	vertexTokens map[string]bool // issued by the Vertex AI token endpoint (vertex.go)
	reqs         []Request
	counts       map[string]int // requests per host (no port)
	total        int
}

// NewHandler returns a mock provider serving every supported format.
func NewHandler(opts ...Option) *Handler {
	h := &Handler{maxRec: 64}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Requests returns copies of the last recorded requests, oldest first.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Request, len(h.reqs))
	copy(out, h.reqs)
	return out
}

// LastRequest returns the most recent request; ok is false when none was recorded.
func (h *Handler) LastRequest() (r Request, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		return Request{}, false
	}
	return h.reqs[len(h.reqs)-1], true
}

// Count is the number of requests received for host (its Host header without the port;
// a port in host is ignored), or for all hosts when host is "", since the start or the
// last Reset. Every request counts, also those answered with a fault or an error.
func (h *Handler) Count(host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if host == "" {
		return h.total
	}
	return h.counts[hostOnly(host)]
}

// Reset forgets the recorded requests and zeroes the counts.
func (h *Handler) Reset() {
	h.mu.Lock()
	h.reqs = nil
	h.counts = nil
	h.total = 0
	h.mu.Unlock()
	h.jobs.reset()
}

func (h *Handler) record(r *http.Request, body []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make(map[string]int)
	}
	h.counts[hostOnly(r.Host)]++
	h.total++
	if h.maxRec <= 0 {
		return
	}
	if len(h.reqs) >= h.maxRec {
		h.reqs = append(h.reqs[:0], h.reqs[len(h.reqs)-h.maxRec+1:]...)
	}
	h.reqs = append(h.reqs, Request{
		Method:   r.Method,
		Host:     r.Host,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	})
}

// protocol names the wire format of an endpoint.
type protocol int

const (
	protoOpenAI protocol = iota
	protoAnthropic
	protoDashScope
	protoGemini
	protoHunyuan     // Tencent Cloud API 3.0: POST / with X-TC-Action (hunyuan.go)
	protoBedrock     // bedrock.go
	protoGoogleOAuth // vertex.go: the token endpoint answers in OAuth's shape itself
	protoComfyUI     // comfyui.go: no credentials
)

// exchange is one request being answered.
type exchange struct {
	h      *Handler
	w      http.ResponseWriter // fw, or what wraps it
	fw     *respWriter
	plan   faultPlan
	cut    int  // events a stream sends before a cut fault ends it; -1: no cut
	cutIn  bool // the cut sends half of the next event too
	r      *http.Request
	body   []byte
	req    gjson.Result
	proto  protocol
	vertex bool // a Vertex AI endpoint (vertex.go)
	delay  time.Duration
	words  int
	id     string // deterministic, derived from the body
}

// ServeHTTP answers one request in the format its path selects.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	h.record(r, body)
	plan, err := parseFaults(r.Header.Values(FaultHeader), hostOnly(r.Host))
	if err != nil {
		http.Error(w, "mock: "+FaultHeader+": "+err.Error(), http.StatusBadRequest)
		return
	}
	fw := newRespWriter(w, plan.gzip || (!h.noGzip && acceptsGzip(r.Header)))
	defer fw.finish()
	x := &exchange{h: h, w: fw, fw: fw, r: r, body: body, plan: plan, cut: -1, delay: h.delay, words: h.words}
	if plan.stall > 0 {
		t := time.NewTimer(plan.stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			fw.dead = true // the client is gone: write nothing
			return
		}
	}
	if v := r.Header.Get(StreamDelayHeader); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			x.delay = d
		}
	}
	if v := r.Header.Get(ReplyWordsHeader); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			x.words = n
		}
	}
	hs := fnv.New64a()
	hs.Write([]byte(r.URL.Path))
	hs.Write(body)
	x.id = fmt.Sprintf("%016x", hs.Sum64())

	p := r.URL.Path
	var serve func()
	get := false // the endpoint answers any method, without a body
	vproto, vserve, vertex := x.vertexRoute(p)
	switch {
	case vertex:
		x.proto, serve, x.vertex = vproto, vserve, true
		get = vproto == protoGoogleOAuth // checks method and body itself
	case r.Header.Get("X-TC-Action") != "":
		x.proto, serve, get = protoHunyuan, x.hunyuan, true // checks method, auth and body itself
	case p == "/api/v1/services/aigc/text-generation/generation":
		x.proto, serve = protoDashScope, func() { x.dashscopeGeneration(false) }
	case p == "/api/v1/services/aigc/multimodal-generation/generation":
		x.proto, serve = protoDashScope, func() { x.dashscopeGeneration(true) }
	case isDashScopeVideo(p): // video.go
		x.proto, serve = protoDashScope, x.dashscopeVideo
	case strings.HasPrefix(p, "/api/v1/tasks/"):
		x.proto, serve, get = protoDashScope, x.dashscopeTask, true
	case strings.HasSuffix(p, "/videos") || strings.Contains(p, "/videos/"):
		x.proto, serve, get = protoOpenAI, x.openaiVideos, true
	case p == "/api-ws/v1/inference" || p == "/api-ws/v1/inference/": // tts.go
		x.proto, serve, get = protoDashScope, x.dashscopeWS, true
	case isComfyUIPath(p): // comfyui.go
		x.proto, serve, get = protoComfyUI, x.comfyui, true
	case p == "/api/v1/services/embeddings/text-embedding/text-embedding":
		x.proto, serve = protoDashScope, x.dashscopeEmbedding
	case p == "/api/v1/services/rerank/text-rerank/text-rerank":
		x.proto, serve = protoDashScope, x.dashscopeRerank
	case strings.HasSuffix(p, "/v1/messages"):
		x.proto, serve = protoAnthropic, x.anthropicMessages
	case strings.Contains(p, "/models/") && (strings.HasSuffix(p, ":generateContent") || strings.HasSuffix(p, ":streamGenerateContent") || strings.HasSuffix(p, ":batchEmbedContents")):
		x.proto, serve = protoGemini, x.gemini
	case p == "/v2/translate": // deepl.go, spark.go, minimax.go
		x.proto, serve = protoDeepL, x.deepl
	case p == "/v1/text/chatcompletion_v2" || p == "/v1/text/chatcompletion_pro":
		x.proto, serve = protoMiniMax, x.minimax
	case p == "/v1/chat-messages" || p == "/v1/completion-messages" || p == "/v1/workflows/run": // dify.go
		x.proto, serve = protoDify, x.dify
	case isTritonPath(p): // triton.go
		x.proto, serve = protoTriton, x.triton
	case strings.HasPrefix(p, "/v3/chat"): // coze.go
		x.proto, serve = protoCoze, x.coze
	case strings.HasSuffix(p, "/chat/completions") && strings.HasSuffix(hostOnly(r.Host), "xf-yun.com"):
		x.proto, serve = protoSpark, x.spark
	case isBedrockPath(p):
		x.proto, serve = protoBedrock, x.bedrock
	case strings.HasSuffix(p, "/chat/completions"):
		x.proto, serve = protoOpenAI, x.openaiChat
	case strings.HasSuffix(p, "/responses"):
		x.proto, serve = protoOpenAI, x.openaiResponses // responses.go
	case strings.HasSuffix(p, "/embeddings"):
		x.proto, serve = protoOpenAI, x.openaiEmbeddings
	case p == pathImageSynthesis: // dashscope_image_edit.go
		x.proto, serve = protoDashScope, x.dashscopeImageSynthesis
	case uploadPath(p): // multipart.go
		x.proto, serve, get = protoOpenAI, x.upload, true
	case strings.HasSuffix(p, "/models"):
		x.proto, serve, get = protoOpenAI, x.openaiModels, true
		if strings.HasPrefix(p, "/v1beta/") {
			x.proto, serve = protoGemini, x.geminiModels // Gemini's model list (gemini.go)
		}
	default:
		x.proto = protoOpenAI
	}
	if x.answerFault() {
		return
	}
	if serve == nil {
		x.fail(http.StatusNotFound, "mock: no endpoint at "+p)
		return
	}
	if !x.authorized() {
		x.fail(http.StatusUnauthorized, "missing or empty API key")
		return
	}
	if get {
		serve()
		return
	}
	if r.Method != http.MethodPost {
		x.fail(http.StatusMethodNotAllowed, "mock: "+r.Method+" not allowed on "+p)
		return
	}
	if !gjson.ValidBytes(body) {
		x.fail(http.StatusBadRequest, "request body is not valid JSON")
		return
	}
	x.req = gjson.ParseBytes(body)
	if status, ok := errorModel(x.model()); ok {
		x.fail(status, "mock error requested by model name")
		return
	}
	if f := x.plan.answer; f != nil {
		switch f.kind {
		case "inband-error":
			x.inbandError()
			return
		case "cut-after", "cut-inside":
			if x.streaming() {
				x.cut, x.cutIn = f.n, f.kind == "cut-inside"
			} else {
				x.fw.half = true
			}
		case "body": // truncated: the others were answered above
			x.fw.half = true
		}
	}
	serve()
}

// errorModel reports the status a mock-error-NNN model name asks for.
func errorModel(model string) (int, bool) {
	s, ok := strings.CutPrefix(model, "mock-error-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 400 || n > 599 {
		return 0, false
	}
	return n, true
}

// midstream reports whether the request asks for a stream broken by an in-stream error.
func (x *exchange) midstream() bool { return x.model() == "mock-error-midstream" }

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// authorized reports whether the request carries a non-empty credential where the
// provider expects it.
func (x *exchange) authorized() bool {
	r := x.r
	if x.vertex {
		return x.proto == protoGoogleOAuth || x.vertexAuthorized()
	}
	switch x.proto {
	case protoAnthropic:
		// Anthropic itself wants x-api-key; the Anthropic-compatible routes of other
		// vendors (DashScope, ...) take a Bearer token as well.
		return strings.TrimSpace(r.Header.Get("x-api-key")) != "" || bearer(r) != ""
	case protoDashScope:
		return bearer(r) != ""
	case protoDeepL:
		return deeplAuthorized(r)
	case protoHunyuan:
		return true // the TC3 signature is checked by hunyuan()
	case protoTriton:
		return true // Triton takes no credential
	case protoComfyUI:
		return true
	case protoBedrock:
		return bearer(r) != "" || strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	case protoGemini:
		return strings.TrimSpace(r.Header.Get("x-goog-api-key")) != "" ||
			r.URL.Query().Get("key") != "" || bearer(r) != ""
	default:
		return bearer(r) != "" || strings.TrimSpace(r.Header.Get("api-key")) != ""
	}
}

// model is the model the request names (for Gemini, from the path).
func (x *exchange) model() string {
	if x.proto == protoGemini || x.vertex && x.proto == protoAnthropic {
		p := x.r.URL.Path
		p = p[strings.LastIndex(p, "/models/")+len("/models/"):]
		if i := strings.LastIndexByte(p, ':'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	if x.proto == protoBedrock {
		return x.bedrockModel()
	}
	if x.proto == protoTriton {
		m, _ := tritonModel(x.r.URL.Path)
		return m
	}
	return x.req.Get("model").String()
}

// fail writes an error answer in the provider's own shape.
func (x *exchange) fail(status int, msg string) {
	if x.failOwn(status, msg) { // deepl.go
		return
	}
	b := x.errorBody(status, msg)
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	x.w.Write(b)
}

// errorBody is the provider's error JSON for status (setting its request-id header).
func (x *exchange) errorBody(status int, msg string) []byte {
	if b := x.agentsError(status, msg); b != nil { // dify.go
		return b
	}
	var b []byte
	switch x.proto {
	case protoAnthropic:
		b = mustJSON(map[string]any{
			"type":       "error",
			"error":      map[string]any{"type": anthropicErrorType(status), "message": msg},
			"request_id": "req_mock_" + x.id,
		})
		x.w.Header().Set("request-id", "req_mock_"+x.id)
	case protoDashScope:
		b = mustJSON(map[string]any{
			"request_id": x.id,
			"code":       dashscopeErrorCode(status),
			"message":    msg,
		})
	case protoHunyuan:
		b = mustJSON(map[string]any{"Response": map[string]any{"Error": map[string]any{
			"Code": hunyuanErrorCode(status), "Message": msg}, "RequestId": "mock-" + x.id}})
	case protoBedrock:
		b = x.bedrockError(status, msg)
	case protoGemini:
		b = mustJSON(map[string]any{"error": map[string]any{
			"code": status, "message": msg, "status": geminiErrorStatus(status),
		}})
	default:
		typ, code := openaiErrorType(status)
		b = mustJSON(map[string]any{"error": map[string]any{
			"message": msg, "type": typ, "param": nil, "code": code,
		}})
		x.w.Header().Set("x-request-id", "req_mock_"+x.id)
	}
	return b
}

func openaiErrorType(status int) (typ string, code any) {
	switch {
	case status == 401:
		return "invalid_request_error", "invalid_api_key"
	case status == 404:
		return "invalid_request_error", "unknown_url"
	case status == 429:
		return "requests", "rate_limit_exceeded"
	case status >= 500:
		return "server_error", nil
	default:
		return "invalid_request_error", nil
	}
}

func anthropicErrorType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

func dashscopeErrorCode(status int) string {
	switch {
	case status == 401:
		return "InvalidApiKey"
	case status == 404:
		return "NotFound"
	case status == 429:
		return "Throttling.RateQuota"
	case status >= 500:
		return "InternalError"
	}
	return "InvalidParameter"
}

func geminiErrorStatus(status int) string {
	switch {
	case status == 401:
		return "UNAUTHENTICATED"
	case status == 403:
		return "PERMISSION_DENIED"
	case status == 404:
		return "NOT_FOUND"
	case status == 429:
		return "RESOURCE_EXHAUSTED"
	case status == 503:
		return "UNAVAILABLE"
	case status >= 500:
		return "INTERNAL"
	}
	return "INVALID_ARGUMENT"
}

// streamer writes the events of a streamed answer, each flushed on its own.
type streamer struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	delay time.Duration
	n     int  // events sent
	cut   int  // a cut fault ends the stream after this many events; -1: none
	cutIn bool // and sends the first half of the next one
}

func (x *exchange) startStream() *streamer { return x.startStreamAs("text/event-stream") }

func (x *exchange) startStreamAs(contentType string) *streamer {
	h := x.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	x.w.WriteHeader(http.StatusOK)
	return &streamer{w: x.w, rc: http.NewResponseController(x.w), delay: x.delay, cut: x.cut, cutIn: x.cutIn}
}

// send writes one event; err reports a gone client, or errCut once a cut fault ended the
// stream.
func (s *streamer) send(b []byte) error {
	if s.cut >= 0 && s.n >= s.cut {
		if s.cutIn && s.n == s.cut {
			s.n++
			s.w.Write(b[:len(b)/2])
			s.rc.Flush()
		}
		return errCut
	}
	if s.n > 0 && s.delay > 0 {
		time.Sleep(s.delay)
	}
	s.n++
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if err := s.rc.Flush(); err != nil && err != http.ErrNotSupported {
		return err
	}
	return nil
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(mustJSON(v))
}

// contentText is the text of a message content: a string, or the "text" fields of an
// array of parts (OpenAI, Anthropic, DashScope multimodal and Gemini parts alike).
func contentText(c gjson.Result) string {
	if c.Type == gjson.String {
		return c.String()
	}
	if !c.IsArray() {
		return ""
	}
	var sb strings.Builder
	for _, p := range c.Array() {
		if t := p.Get("text"); t.Exists() {
			sb.WriteString(t.String())
		} else if t := p.Get("content"); t.Exists() { // tool_result blocks
			sb.WriteString(contentText(t))
		}
	}
	return sb.String()
}

// conversation summarises the messages of a request in any format.
type conversation struct {
	lastUser     string // text of the last user message
	lastIsTool   bool   // the last message is a tool result
	toolResult   string // its text
	promptTokens int
}

// summarise reads messages (an array of role/content objects) plus extra prompt text.
// contentKey is "content" for OpenAI-style messages and "parts" for Gemini.
func summarise(messages gjson.Result, contentKey string, extra ...string) conversation {
	var cv conversation
	total := 0
	for _, e := range extra {
		total += len(e)
	}
	msgs := messages.Array()
	for i, m := range msgs {
		c := m.Get(contentKey)
		text := contentText(c)
		total += len(text)
		role := m.Get("role").String()
		last := i == len(msgs)-1
		isTool := role == "tool" || role == "function" || hasPart(c, "type", "tool_result") || hasKey(c, "functionResponse")
		if isTool && last {
			cv.lastIsTool = true
			cv.toolResult = text
			if text == "" {
				cv.toolResult = toolResponseText(c)
			}
		}
		if (role == "user" || role == "") && !isTool {
			cv.lastUser = text
		}
	}
	cv.promptTokens = 1 + total/4
	return cv
}

func hasPart(c gjson.Result, key, val string) bool {
	for _, p := range c.Array() {
		if p.Get(key).String() == val {
			return true
		}
	}
	return false
}

func hasKey(c gjson.Result, key string) bool {
	for _, p := range c.Array() {
		if p.Get(key).Exists() {
			return true
		}
	}
	return false
}

func toolResponseText(c gjson.Result) string {
	for _, p := range c.Array() {
		if r := p.Get("functionResponse.response"); r.Exists() {
			return r.Raw
		}
	}
	return ""
}

// reply is the deterministic answer text of a request, cut into stream pieces.
func (x *exchange) reply(cv conversation) []string {
	if x.words > 0 {
		return generatedWords(x.words)
	}
	var text string
	if cv.lastIsTool {
		text = "The tool returned: " + truncate(cv.toolResult, 120)
	} else {
		text = "Hello from the mock " + x.model() + "! You said: " + truncate(cv.lastUser, 120)
	}
	return splitWords(text)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Do not cut inside a UTF-8 sequence.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

// splitWords cuts text before each space, so the pieces concatenate back to text.
func splitWords(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	return append(out, text[start:])
}

var vocabulary = strings.Fields(`the gateway converts each streamed event between
protocols while the model writes a long answer about clouds rivers mountains and the
quiet economics of tokens so that every client sees its own format`)

func generatedWords(n int) []string {
	out := make([]string, n)
	for i := range out {
		w := vocabulary[i%len(vocabulary)]
		if i > 0 {
			w = " " + w
		}
		out[i] = w
	}
	return out
}

func join(pieces []string) string { return strings.Join(pieces, "") }

// vector is a deterministic unit vector of dims values derived from text.
func vector(text string, dims int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	seed := h.Sum64() | 1
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		f := float64(seed>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		norm += f * f
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(math.Round(float64(v[i])/norm*1e6) / 1e6)
	}
	return v
}

// float32Bytes encodes v as little-endian float32s, as OpenAI's encoding_format=base64.
func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// inputTexts returns the texts of an embeddings input: a string, an array of strings,
// an array of token ids (one text), or an array of token arrays.
func inputTexts(in gjson.Result) []string {
	if !in.IsArray() {
		return []string{in.String()}
	}
	arr := in.Array()
	if len(arr) > 0 && arr[0].Type == gjson.Number {
		return []string{in.Raw}
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		if e.Type == gjson.String {
			out[i] = e.String()
		} else {
			out[i] = e.Raw
		}
	}
	return out
}

func tokenCount(texts []string) int {
	n := 0
	for _, t := range texts {
		n += 1 + len(t)/4
	}
	return n
}
