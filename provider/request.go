package provider

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/telemetry"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Headers is a request or response header map as the plugin layer exposes it. Names
// are lower case; pseudo-headers (":path", ":authority") included. Del of a header
// that is not there is a no-op (and should cost nothing).
type Headers interface {
	Get(name string) string
	Set(name, value string)
	Del(name string)
}

// Error is a request the plugin answers itself, in the client's protocol.
type Error struct {
	Status  int
	Message string
	Code    string // OpenAI `code`; empty for null
}

// Body renders the error in protocol p.
func (e *Error) Body(p Protocol) []byte {
	if p == ProtocolAnthropic {
		return translator.AppendAnthropicError(nil, e.Message, translator.AnthropicErrorType(e.Status))
	}
	return translator.AppendOpenAIError(nil, e.Message, translator.ErrorType(e.Status), e.Code)
}

func errorf(status int, code, msg string) *Error {
	return &Error{Status: status, Message: msg, Code: code}
}

// clientCredentialHeaders are removed from every request: the client's own keys never
// reach a provider.
var clientCredentialHeaders = []string{"authorization", "x-api-key", "api-key", "anthropic-api-key", "x-goog-api-key"}

// Request is the state of one client request on its way through the plugin. It is
// created per request (NewRequest) and never shared.
type Request struct {
	Config *Config
	// API is what the client called; Protocol is the protocol it speaks.
	API      API
	Protocol Protocol
	// UpstreamAPI is what the provider is asked for (differs when converting, e.g.
	// Anthropic messages served by a provider's chat completions).
	UpstreamAPI API
	// Path is the upstream path; it holds {model} until the body is read.
	Path string
	// ClientModel is the request's model, Model the mapped one. Stream is the request's
	// `stream` flag.
	ClientModel string
	Model       string
	Stream      bool
	// ModelOverride, when set before RewriteRequestBody, replaces the client's model
	// (a routing target's model rewrite); the provider's modelMapping still applies.
	ModelOverride string
	// SystemContext, when set before RewriteRequestBody, is added to chat requests as
	// the first system message (the provider's `context` file).
	SystemContext string

	tokenIndex int  // into Config.APITokens; -1 without tokens
	retried    bool // the token was chosen again for a retry: no consumer affinity
	filterOnly bool // the translator only filters an OpenAI answer (promoteThinkingOnEmpty)
	translator translator.Translator
	upload     *upload            // a multipart body (upload.go)
	scanner    *telemetry.Scanner // reads usage from a passed-through answer (Observe)
	last       lastEvent          // an observed stream's last event
	truncated  bool
	watch      bool // a passed-through stream is watched for its last event
	scanned    bool // the observed stream's end was read
	// response side
	status    int
	streaming bool
	wrapError bool   // a passthrough upstream error is read, and wrapped unless it is JSON
	encoding  string // the upstream answer's content-encoding, when the plugin reads it
	// answerType, when set by the provider's Translate, is the content type of a
	// converted stream that is no SSE (Qwen-TTS audio).
	answerType func() string
}

// NewRequest classifies a client request and prepares its upstream form. A non-nil
// Error is the answer to send instead (404 for a path that is no AI API, or an API
// the provider does not serve); then no credential was attached to anything.
func NewRequest(c *Config, path string) (*Request, *Error) {
	if c.BasePath != "" && !c.BasePathPrepend {
		if rest, ok := strings.CutPrefix(path, c.BasePath); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
			path = rest
			if path == "" || path[0] == '?' {
				path = "/" + path
			}
		}
	}
	api, ok := Classify(path)
	if !ok && (c.Original || c.spec.Passthrough) {
		api, ok = nativeAPI(c, path)
	}
	if !ok {
		return nil, errorf(404, "not_found", "no AI API at path "+strconv.Quote(trimQuery(path)))
	}
	r := &Request{Config: c, API: api, Protocol: api.Protocol(), UpstreamAPI: api}
	if c.Original || api == APINative {
		r.Path = path
	} else {
		tmpl, ok := c.Capabilities[api]
		if !ok && bridgedToChat(api) {
			// Anthropic and Responses clients reach providers without a native route
			// through their chat completions API (chat bridges, chat_bridge.go).
			if tmpl, ok = c.Capabilities[APIChatCompletion]; ok {
				r.UpstreamAPI = APIChatCompletion
			}
		}
		if !ok {
			return nil, errorf(404, "unsupported_api", "API "+string(api)+" is not supported by provider type "+strconv.Quote(c.Type))
		}
		r.Path = resolvePath(tmpl, path)
	}
	if c.BasePath != "" && c.BasePathPrepend && !strings.HasPrefix(r.Path, c.BasePath) {
		r.Path = c.BasePath + r.Path
	}
	r.Path = c.ProviderBasePath + r.Path
	switch n := len(c.APITokens); n {
	case 0:
		r.tokenIndex = -1
	case 1:
	default:
		r.tokenIndex = rand.IntN(n)
	}
	if !c.Original {
		r.translator = anthropicBridge(c, r)
		if r.translator == nil && c.spec.Translate != nil {
			r.translator = c.spec.Translate(c, r)
		}
		if c.PromoteThinkingOnEmpty && r.UpstreamAPI == APIChatCompletion {
			r.promoteThinking(c)
		}
	}
	return r, nil
}

// nativeAPI classifies a path Classify does not know, for `protocol: original` (the
// client speaks the provider's own protocol) and the generic type (which forwards
// everything): a path ending in an OpenAI API (Azure's /openai/deployments/D/chat/
// completions, a bare /chat/completions) is that API, so that customSettings and usage
// still apply; a path under the provider's NativePrefixes (or any path, for generic)
// is APINative, passed on as it is with credentials. Anything else stays a 404: an
// unknown path never gets the provider's key.
func nativeAPI(c *Config, path string) (API, bool) {
	if _, api, ok := splitAPIPath(strings.TrimRight(trimQuery(path), "/")); ok {
		return api, true
	}
	if c.spec.Passthrough || c.spec.nativePath(path) {
		return APINative, true
	}
	return "", false
}

// promoteThinking puts the promoteThinkingOnEmpty filter where the answer is OpenAI
// chat: in front of the provider's converter for an OpenAI chat client, or between the
// upstream and the chat bridge of an Anthropic or Responses client.
func (r *Request) promoteThinking(c *Config) {
	p := &promoteThinking{}
	switch {
	case r.translator == nil:
		r.translator, r.filterOnly = p, true
	case r.API == APIChatCompletion:
		r.translator = translator.Chain(p, r.translator)
	case c.spec.Translate == nil:
		r.translator = translator.Chain(r.translator, p)
	}
}

// anthropicBridge is set by the chat bridges (chat_bridge.go): it returns the
// Anthropic/Responses-client → chat-provider converter when r needs it.
var anthropicBridge = func(c *Config, r *Request) translator.Translator { return nil }

// resolvePath fills a path template: {tail} takes the client's path after its /v1
// segment, and the client's query string is kept.
func resolvePath(tmpl, clientPath string) string {
	if tmpl == keepPath {
		return clientPath
	}
	query := ""
	if i := strings.IndexByte(clientPath, '?'); i >= 0 {
		clientPath, query = clientPath[:i], clientPath[i+1:]
	}
	if strings.Contains(tmpl, keepTail) {
		tail := clientPath
		if i := strings.Index(clientPath, "/v1/"); i >= 0 {
			tail = clientPath[i+3:]
		}
		tmpl = strings.Replace(tmpl, keepTail, tail, 1)
	}
	if query == "" {
		return tmpl
	}
	if strings.IndexByte(tmpl, '?') >= 0 {
		return tmpl + "&" + query
	}
	return tmpl + "?" + query
}

func trimQuery(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// Token returns the API token chosen for this request. It must only ever be written
// into the upstream request's auth header.
func (r *Request) Token() string {
	if r.tokenIndex < 0 {
		return ""
	}
	return r.Config.APITokens[r.tokenIndex]
}

// NeedsBody reports whether the plugin must read the request body (to map the model,
// apply settings or convert) before the request may leave.
func (r *Request) NeedsBody() bool {
	if r.Config.signRequest != nil && r.translator == nil {
		return true // signed over the body as sent
	}
	return (r.translator != nil || (r.upload == nil && r.API.HasJSONBody())) &&
		(!r.Config.Original || len(r.Config.CustomSettings) > 0 || r.Config.FirstByteTimeout > 0 || r.ModelOverride != "")
}

// RewriteRequestHeaders turns the client's headers into the upstream's: authority,
// path (unless it waits for the model), credentials, timeouts. The client's own
// credentials are always removed.
func (r *Request) RewriteRequestHeaders(h Headers) {
	c := r.Config
	for _, k := range clientCredentialHeaders {
		if r.tokenIndex < 0 || k != c.authHeader { // the token's header is replaced below
			h.Del(k)
		}
	}
	if len(c.APITokens) > 1 && !r.retried && r.API.stateful() {
		// Consumer affinity: a consumer's files, batches, responses and fine-tuning
		// jobs live with one API key, so the same x-mse-consumer always gets the same
		// token (FNV-1a, as Higress picks it).
		if consumer := h.Get("x-mse-consumer"); consumer != "" {
			r.tokenIndex = int(fnv1a(consumer) % uint32(len(c.APITokens)))
		}
	}
	if r.tokenIndex >= 0 {
		h.Set(c.authHeader, c.authValues[r.tokenIndex])
	}
	if c.spec.RequestHeaders != nil {
		c.spec.RequestHeaders(c, r, h)
	}
	if c.Host != "" { // empty: the route's own host (generic without genericHost)
		h.Set(":authority", c.Host)
	}
	if !strings.Contains(r.Path, "{model}") {
		h.Set(":path", r.Path)
	}
	if !r.API.IsWebSocket() { // an upgraded connection lives longer than a request
		h.Set("x-envoy-upstream-rq-timeout-ms", c.timeoutHeader)
	}
	if c.signRequest != nil && r.translator == nil {
		c.signRequest(r, nil, h) // a request without body; one with a body is signed again over it
	}
	if r.ReadsResponse() {
		h.Set("accept-encoding", "identity")
	}
	if r.NeedsBody() {
		h.Del("content-length")
	}
}

// RewriteRequestBody maps the model, applies custom settings and converts the body
// into the upstream's protocol. Headers that depend on the body (path with {model},
// first-byte timeout, accept) are set on h.
func (r *Request) RewriteRequestBody(body []byte, h Headers) ([]byte, *Error) {
	if r.upload != nil {
		return r.rewriteFormBody(body, h)
	}
	f, ok := readBodyFields(body)
	if !ok {
		if strings.HasPrefix(h.Get("content-type"), "multipart/") {
			return nil, errorf(400, "unsupported_multipart", "provider type "+strconv.Quote(r.Config.Type)+
				" needs a JSON body here: send JSON with image URLs or data URLs instead of a multipart upload")
		}
		return nil, errorf(400, "invalid_json", "request body is not valid JSON")
	}
	c := r.Config
	var err error
	r.ClientModel = gjson.Parse(f.model).String()
	r.Model = r.ClientModel
	if r.ModelOverride != "" {
		r.Model = r.ModelOverride
	}
	r.Model = c.ModelMapping.Map(r.Model)
	r.Stream = gjson.Parse(f.stream).Bool() || r.API == APIGeminiStreamGenerat
	setModel := f.model != "" && r.Model != r.ClientModel
	// Ask an OpenAI-compatible upstream for usage in the last chunk, so token
	// statistics always come back; an operator's customSettings on stream_options own it.
	addUsage := r.Stream && (r.translator == nil || r.filterOnly) && !c.Original && !c.spec.Passthrough && !c.settingsOwnStreamOptions &&
		(r.API == APIChatCompletion || r.API == APICompletion) && f.end >= 0 &&
		!gjson.Get(f.streamOptions, "include_usage").Exists()
	if addUsage && f.streamOptions != "" {
		// Rare: the client sent stream_options without include_usage.
		if body, err = sjson.SetRawBytes(body, "stream_options.include_usage", []byte("true")); err != nil {
			return nil, errorf(400, "invalid_json", "cannot set stream_options: "+err.Error())
		}
		addUsage = false
		if setModel { // the offsets changed: find the model again
			f, _ = readBodyFields(body)
		}
	}
	if setModel || addUsage {
		body = spliceBody(body, &f, setModel, r.Model, addUsage)
	}
	if len(c.CustomSettings) > 0 {
		if body, err = applyCustomSettings(body, c.CustomSettings); err != nil {
			return nil, errorf(400, "invalid_json", "cannot apply customSettings: "+err.Error())
		}
	}
	if !c.Original {
		if (len(c.ContextCleanupCommands) > 0 || c.MergeConsecutiveMessages) &&
			(r.API == APIChatCompletion || r.API == APIAnthropicMessages) {
			if body, err = editMessages(body, c.ContextCleanupCommands, c.MergeConsecutiveMessages); err != nil {
				return nil, errorf(400, "invalid_request", "cannot edit messages: "+err.Error())
			}
		}
		if r.SystemContext != "" && r.API == APIChatCompletion {
			if body, err = prependSystemMessage(body, r.SystemContext); err != nil {
				return nil, errorf(400, "invalid_request", err.Error())
			}
		}
		if c.ResponseJSONSchema != "" && r.UpstreamAPI == APIChatCompletion && r.API == APIChatCompletion {
			body, _ = sjson.SetRawBytes(body, "response_format", []byte(c.ResponseJSONSchema))
		}
	}
	path := r.Path
	if strings.Contains(path, "{model}") {
		if r.Model == "" {
			return nil, errorf(400, "missing_model", "request has no model, and provider type "+strconv.Quote(c.Type)+" needs one in its path")
		}
		path = strings.ReplaceAll(path, "{model}", r.Model)
	}
	client := body
	if r.translator != nil {
		if body, err = r.translator.RequestBody(body); err != nil {
			return nil, errorf(400, "invalid_request", err.Error())
		}
		if e, ok := r.translator.(translator.UpstreamEditor); ok {
			path = e.EditUpstream(path, h.Set)
		}
	}
	if c.spec.EditBody != nil && !c.Original {
		if body, err = c.spec.EditBody(c, r, client, body); err != nil {
			return nil, errorf(400, "invalid_request", err.Error())
		}
	}
	if path != r.Path {
		r.Path = path
		h.Set(":path", path)
	}
	if c.signRequest != nil && r.translator == nil {
		c.signRequest(r, body, h)
	}
	if r.Stream {
		r.watchStream(h)
		if !c.spec.Passthrough {
			h.Set("accept", c.streamAccept())
		}
		if c.FirstByteTimeout > 0 {
			h.Set("x-envoy-upstream-rq-first-byte-timeout-ms", c.firstByteHeader)
		}
	}
	return body, nil
}

// ReadsResponse reports whether the plugin reads the upstream's answer (to convert it):
// then the upstream is asked for an uncompressed answer (accept-encoding: identity), so
// that converters see JSON and SSE, never gzip bytes. Answers the plugin does not read
// keep the client's encoding choice.
func (r *Request) ReadsResponse() bool { return r.translator != nil || r.scanner != nil }

// RewriteResponseHeaders inspects the upstream's status and headers and reports
// whether the body must be converted (then the plugin reads it) and whether it is a
// stream (then it is converted piece by piece, never buffered whole). A body converted
// whole is held with its headers until ConvertResponseBody, which may change the status:
// the client never gets a 200 whose body could not be converted.
func (r *Request) RewriteResponseHeaders(status int, h Headers) (convert, streaming bool) {
	r.status = status
	ok := status/100 == 2
	if r.translator == nil && (status < 400 || r.Config.Original) {
		if (r.scanner != nil || r.watch) && ok {
			// Observed: read for usage, passed on unchanged but for an error at the end
			// of a cut stream.
			if r.streaming = strings.Contains(h.Get("content-type"), "text/event-stream"); r.streaming {
				h.Del("content-length")
			}
		}
		return false, false // passthrough: not even a header read
	}
	r.encoding = contentEncoding(h.Get("content-encoding"))
	if r.translator == nil && r.encoding != "" {
		return false, false // a compressed error in the encoding the client asked for
	}
	ct := h.Get("content-type")
	if r.encoding != "" {
		h.Del("content-encoding") // whatever the plugin writes is plain
	}
	h.Del("content-length")
	if r.translator == nil {
		// An upstream error passed through is read whole: a JSON error stays as it is,
		// an empty, plain-text, HTML or SSE one becomes a JSON error in the client's
		// protocol.
		r.wrapError = true
		h.Set("content-type", "application/json")
		return true, false
	}
	// An error is always answered as a JSON error, also to a streaming request (SDKs
	// read a non-2xx body as JSON); a compressed stream (the upstream ignored
	// accept-encoding: identity) is held whole and answered with an error.
	r.streaming = ok && r.encoding == "" && (r.Stream || !r.Config.spec.HeldStreams) && (strings.Contains(ct, "text/event-stream") || (r.Stream && (ct == "" || r.Config.spec.JSONStreams)) ||
		(r.Config.spec.StreamContentType != "" && strings.Contains(ct, r.Config.spec.StreamContentType)))
	if s, ok := r.translator.(translator.StreamStatus); ok {
		s.SetUpstreamStatus(status, ct)
	}
	want := "application/json"
	switch {
	case r.answerType != nil && r.streaming:
		want = r.answerType()
	case r.streaming:
		want = "text/event-stream"
	}
	if ct != want { // a host call saved when the upstream's is already right
		h.Set("content-type", want)
	}
	return true, r.streaming
}

// contentEncoding returns the coding of a content-encoding header, "" for none.
func contentEncoding(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "identity" {
		return ""
	}
	return v
}

// ConvertResponseBody converts a complete upstream answer the plugin held (see
// RewriteResponseHeaders). status is the HTTP status to answer with instead of the
// upstream's, or 0 to keep it: an answer that cannot be read or converted becomes a 502
// JSON error in the client's protocol.
func (r *Request) ConvertResponseBody(body []byte) (out []byte, status int) {
	if r.encoding != "" {
		// Decompressing would cost the plugin 0.3 MB of wasm for upstreams that ignore
		// the request; they get a clear error instead of a garbled answer.
		return r.badAnswer("upstream answer is compressed (content-encoding " + r.encoding +
			") although the plugin asked for identity; it cannot be converted")
	}
	if r.wrapError {
		if isJSONError(body) {
			return body, 0
		}
		e := translator.ReadUpstreamError(r.status, body)
		return (&Error{Status: r.status, Message: e.Message, Code: "upstream_error"}).Body(r.Protocol), 0
	}
	out, err := r.translator.ResponseBody(r.status, body)
	if se := (*translator.StatusError)(nil); errors.As(err, &se) {
		if r.Protocol == ProtocolOpenAI {
			return se.OpenAI(), se.Status
		}
		return (&Error{Status: se.Status, Message: se.Message, Code: se.Code}).Body(r.Protocol), se.Status
	}
	if err != nil {
		return r.badAnswer("cannot convert upstream answer: " + err.Error())
	}
	return out, 0
}

// badAnswer is the 502 for an upstream answer that cannot be passed off as one.
func (r *Request) badAnswer(msg string) ([]byte, int) {
	return (&Error{Status: 502, Message: msg, Code: "bad_upstream_response"}).Body(r.Protocol), 502
}

// isJSONError reports whether an error body is a JSON object with something in it.
func isJSONError(body []byte) bool {
	s := strings.TrimSpace(translator.View(body))
	return len(s) > 2 && s[0] == '{' && gjson.Valid(s)
}

// ConvertResponseChunk converts the next piece of a streamed answer, appending to dst.
func (r *Request) ConvertResponseChunk(dst, chunk []byte, end bool) []byte {
	mark := len(dst)
	out, err := r.translator.ResponseStream(dst, chunk, end)
	if err != nil {
		// The translator ends its stream properly on bad input; an error here is a bug
		// in it, so close the stream in the client's protocol rather than hang.
		return append(out, streamEnd(r.Protocol)...)
	}
	if end && bytes.Contains(out[mark:], []byte(translator.StreamCutMessage)) {
		r.truncated = true
	}
	return out
}

func streamEnd(p Protocol) string {
	if p == ProtocolAnthropic {
		return "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	}
	return "data: [DONE]\n\n"
}

// Usage returns the token usage the translator counted; zero for passthrough.
func (r *Request) Usage() translator.Usage {
	switch {
	case r.translator != nil:
		return r.translator.Usage()
	case r.scanner != nil:
		u := r.scanner.Usage()
		if u.Model == "" {
			u.Model = r.scanner.Model()
		}
		return u
	}
	return translator.Usage{}
}

// prependSystemMessage inserts {"role":"system","content":text} before the messages.
func prependSystemMessage(body []byte, text string) ([]byte, error) {
	msgs := gjson.GetBytes(body, "messages")
	if !msgs.IsArray() {
		return body, errors.New("messages: must be a list")
	}
	arr := make([]byte, 0, len(msgs.Raw)+len(text)+40)
	arr = append(arr, `[{"role":"system","content":`...)
	arr = translator.AppendString(arr, text)
	arr = append(arr, '}')
	if inner := strings.TrimSpace(msgs.Raw[1 : len(msgs.Raw)-1]); inner != "" {
		arr = append(arr, ',')
		arr = append(arr, inner...)
	}
	arr = append(arr, ']')
	return sjson.SetRawBytes(body, "messages", arr)
}

// stateful reports whether requests on a reach state kept with the API key that created
// it (an uploaded file, a batch, a stored response, a fine-tuning job).
func (a API) stateful() bool {
	switch a {
	case APIResponses, APIFiles, APIRetrieveFile, APIRetrieveFileContent, APIBatches, APIRetrieveBatch,
		APICancelBatch, APIFineTuningJobs, APIRetrieveFineTuningJob, APIFineTuningJobEvents,
		APIFineTuningJobCheckpoints, APICancelFineTuningJob, APIResumeFineTuningJob, APIPauseFineTuningJob:
		return true
	}
	return false
}

// fnv1a is the 32-bit FNV-1a hash of s.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
