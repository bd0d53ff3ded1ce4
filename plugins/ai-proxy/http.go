package main

import (
	"strconv"
	"time"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/ai-proxy/ai-proxy/provider/route"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"
)

// httpContext is one request's state machine. It lives as long as the request and
// holds nothing the next request could see.
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	id     uint32 // the host's context id
	config *pluginConfig
	req    *provider.Request
	path   string // the client's :path

	// routing: the provider is chosen per request, once the body is read
	routed     bool
	decision   route.Decision
	intent     route.Intent // the LLM classifier's answer (intent mode with a classifier)
	classified bool         // the classifier was asked
	timed      bool         // the request's timings are needed (metrics routing)
	start      time.Time    // when the request left for the upstream
	ttfb       time.Duration

	fb      *fallback // resilience: what another attempt needs, what failed
	mon     *monitor  // monitoring: what the request leaves behind
	observe bool      // a passed-through answer is read for usage (monitoring)

	replied     bool // the plugin answered itself; its reply is not converted again
	replyStatus int  // ... with this status
	readBody    bool // the request body is read (buffered) before the request leaves
	upload      bool // the request body is a multipart upload followed as it streams (upload.go)
	uploadSent  bool // ... and has started to leave
	convert     bool // the response body is converted
	streaming   bool // ... piece by piece, as SSE
	status      int  // the upstream's status
	out         []byte
}

func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	cfg := h.plugin.global
	if cfg == nil {
		var err error
		if cfg, err = h.plugin.rules.GetMatchConfig(); err != nil {
			cfg = nil
		}
	}
	if cfg == nil || (cfg.active == nil && cfg.routing == nil) {
		return types.ActionContinue // the plugin is not configured for this route
	}
	h.config = cfg
	h.path = requestHeader(":path")
	h.beginMonitor()
	if cfg.routing != nil {
		h.routed = true
		h.timed = cfg.routing.Mode() == route.ModeMetrics // latencies feed the metrics mode only
		h.beginFallback(cfg.routing.Resilience())
		if !endOfStream {
			h.readBody = true
			return types.HeaderStopIteration // the provider depends on the body
		}
		return h.choose(nil)
	}
	h.beginFallback(nil)
	if !h.prepare(cfg.active) {
		return types.ActionPause
	}
	if !endOfStream && h.req.StreamsBody() {
		h.upload = true
		return types.HeaderStopIteration // until the form's model field is read
	}
	if endOfStream || !h.req.NeedsBody() {
		return h.leave(nil)
	}
	h.readBody = true
	// Hold the headers: the path may depend on the model in the body.
	return types.HeaderStopIteration
}

// prepare classifies the request for provider c and rewrites its headers; false means
// an error reply was sent instead.
func (h *httpContext) prepare(c *provider.Config) bool {
	req, perr := provider.NewRequest(c, h.path)
	if perr != nil {
		h.reply(perr)
		return false
	}
	h.req = req
	if c.Failover != nil {
		req.ChooseToken(sharedStore{}, nil)
	}
	if h.mon != nil {
		req.Observe()
	}
	if perr := req.PrepareUpload(requestHeaders{}); perr != nil {
		h.reply(perr)
		return false
	}
	req.RewriteRequestHeaders(requestHeaders{})
	return true
}

// choose runs the route's routing for a request whose body (nil: none) is read, and
// prepares the request for the chosen provider. The gateway reaches that provider's
// upstream through the routing header (route.ProviderHeader): Envoy re-matches the
// route after a filter changes request headers.
func (h *httpContext) choose(body []byte) types.Action {
	api, _ := provider.Classify(h.path)
	in := route.Input{Header: requestHeaders{}.Get, Body: body, Anthropic: api == provider.APIAnthropicMessages, Intent: h.intent}
	if len(body) > 0 && body[0] == '{' {
		in.Model = gjson.GetBytes(body, "model").String()
	}
	if !h.classified && h.config.routing.NeedsClassifier(&in) && h.classify(&in, body) {
		return types.ActionPause // the classifier's answer resumes the choice
	}
	h.excludeOpen(&in)
	h.fb.keepBody(body)
	h.decision = h.config.routing.Choose(&in, sharedStore{})
	if !h.decision.OK && len(in.Exclude) > 0 && h.fb != nil {
		// Every target of the choice is open: the fallback list serves, if it can.
		h.fb.tried, h.fb.attempts = in.Exclude, 0
		if h.dispatchFallback() {
			return types.ActionPause // the fallback's answer is the reply
		}
	}
	if !h.decision.OK && len(in.Exclude) > 0 {
		h.reply(&provider.Error{Status: 503, Code: "providers_unavailable",
			Message: "every provider that could serve model " + strconv.Quote(in.Model) + " is failing (circuit open); retry later"})
		return types.ActionPause
	}
	if !h.decision.OK {
		h.reply(&provider.Error{Status: 404, Code: "model_not_found",
			Message: "no model service serves model " + strconv.Quote(in.Model) + " on this route"})
		return types.ActionPause
	}
	c := h.config.provider(h.decision.Target.Provider)
	if !h.prepare(c) {
		return types.ActionPause
	}
	h.req.ModelOverride = h.decision.Target.Model
	requestHeaders{}.Set(route.ProviderHeader, c.ID)
	if body == nil || !h.req.NeedsBody() {
		return h.leave(body)
	}
	return h.finishBody(body)
}

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if h.upload && !h.replied {
		return h.streamUpload(bodySize, endOfStream)
	}
	if !h.readBody || h.replied {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause // buffer until the whole body is here
	}
	body := requestBody(bodySize)
	if body == nil && bodySize > 0 {
		h.reply(&provider.Error{Status: 400, Message: "cannot read request body", Code: "invalid_body"})
		return types.ActionPause
	}
	if h.routed {
		return h.choose(body)
	}
	return h.finishBody(body)
}

// finishBody completes the request body for the prepared request: the system context
// first when the provider has one, then the conversion.
func (h *httpContext) finishBody(body []byte) types.Action {
	if c := h.config.context(h.req.Config); c != nil && h.req.API == provider.APIChatCompletion {
		if !c.fetched {
			h.fetchContext(body) // finishes the body, or answers with an error, when the answer arrives
			return types.ActionPause
		}
		h.req.SystemContext = c.text
	}
	if h.fb != nil && h.fb.body == nil {
		h.fb.keepBody(body)
	}
	if !h.rewriteBody(body) {
		return types.ActionPause
	}
	if h.fb != nil && h.fb.res != nil && h.fb.res.FirstPacketTimeout > 0 && h.req.Stream {
		requestHeaders{}.Set("x-envoy-upstream-rq-first-byte-timeout-ms", strconv.FormatInt(h.fb.res.FirstPacketTimeout.Milliseconds(), 10))
	}
	return h.leave(body)
}

// sent marks the moment the request (with the client's body, if read) leaves for the
// upstream, for the routing metrics and monitoring.
func (h *httpContext) sent(body []byte) {
	if h.timed {
		h.start = time.Now()
	}
	h.monitorRequest(body)
}

// answered marks the moment the answer counts as arrived: its first byte for streams,
// its end for whole bodies.
func (h *httpContext) answered() {
	if h.timed {
		h.ttfb = time.Since(h.start)
	}
}

// rewriteBody converts the request body and replaces it; false means an error reply
// was sent instead.
func (h *httpContext) rewriteBody(body []byte) bool {
	out, perr := h.req.RewriteRequestBody(body, requestHeaders{})
	if perr != nil {
		h.reply(perr)
		return false
	}
	if !sameSlice(out, body) {
		if err := proxywasm.ReplaceHttpRequestBody(out); err != nil {
			proxywasm.LogErrorf("ai-proxy: cannot replace request body: %v", err)
		}
	}
	return true
}

func (h *httpContext) OnHttpResponseHeaders(_ int, endOfStream bool) types.Action {
	if h.req == nil || h.replied {
		return types.ActionContinue
	}
	status := responseHeader(":status")
	code, _ := strconv.Atoi(status)
	h.status = code
	h.answered()
	if a, ok := h.onResponseHeadersFallback(code, endOfStream); ok && h.fb.failing {
		return a // the next target serves; this answer is swallowed
	}
	if h.routed && h.config.routing.ServedByHeader() {
		_ = proxywasm.ReplaceHttpResponseHeader(route.ServedByProviderHeader, h.req.Config.ID)
		if h.req.Model != "" {
			_ = proxywasm.ReplaceHttpResponseHeader(route.ServedByModelHeader, h.req.Model)
		}
		if h.fb != nil {
			_ = proxywasm.ReplaceHttpResponseHeader(AttemptsHeader, "1")
		}
	}
	h.convert, h.streaming = h.req.RewriteResponseHeaders(code, responseHeaders{})
	if !h.convert {
		h.observe, h.streaming = h.req.Observing()
	}
	if endOfStream {
		h.monitorFirstByte()
		if !h.convert {
			h.finishMonitor(0)
			return types.ActionContinue
		}
		// No body will follow to carry the converted answer: answer in its place.
		var out []byte
		ct := "application/json"
		if h.streaming {
			out, ct = h.req.ConvertResponseChunk(nil, nil, true), "text/event-stream"
		} else {
			out, code = h.convertBody(nil, code)
		}
		h.replied = true
		_ = proxywasm.SendHttpResponseWithDetail(uint32(code), "ai-proxy.converted",
			[][2]string{{"content-type", ct}}, out, -1)
		h.monitorContent(out)
		h.finishMonitor(code)
		return types.ActionPause
	}
	if (h.convert && !h.streaming) || (h.fb != nil && h.fb.probing) {
		// Held until the body is converted (its status may still change: 502), or until
		// the stream's first event shows it is no in-band error.
		return types.HeaderStopIteration
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if h.replied {
		return types.ActionContinue
	}
	if fb := h.fb; fb != nil && (fb.failing || fb.probing) {
		if fb.failing || h.probeFirstEvent(bodySize, endOfStream) {
			return types.ActionPause // held, or swallowed while the next target serves
		}
	}
	if !h.convert && !h.observe {
		if endOfStream {
			h.finishMonitor(0)
		}
		return types.ActionContinue
	}
	if bodySize > 0 {
		h.monitorFirstByte()
	}
	switch {
	case !h.streaming: // a whole body: converted, or read for usage
		if !endOfStream {
			return types.ActionPause
		}
		h.answered() // a JSON answer counts when whole
		// The body is valid in this callback only, all a JSON answer needs.
		body := responseBody(bodySize)
		if !h.convert {
			h.req.ObserveBody(body)
			h.monitorContent(body)
			break
		}
		out, status := h.convertBody(body, 0)
		if status != 0 {
			_ = proxywasm.ReplaceHttpResponseHeader(":status", strconv.Itoa(status))
		}
		_ = proxywasm.ReplaceHttpResponseBody(out)
		h.monitorContent(out)
		h.finishMonitor(status)
		return types.ActionContinue
	default: // a stream, converted or read for usage, piece by piece
		var chunk []byte
		if bodySize > 0 {
			chunk = responseBody(bodySize)
		}
		if h.convert {
			h.out = h.req.ConvertResponseChunk(h.out[:0], chunk, endOfStream)
			if len(h.out) > 0 || bodySize > 0 {
				replaceResponseBody(h.out)
			}
			h.monitorContent(h.out)
		} else if extra := h.req.ObserveChunk(chunk, endOfStream); len(extra) > 0 {
			h.out = append(append(h.out[:0], chunk...), extra...)
			replaceResponseBody(h.out)
			h.monitorContent(h.out)
		} else {
			h.monitorContent(chunk)
		}
	}
	if endOfStream {
		h.finishMonitor(0)
	}
	return types.ActionContinue
}

// convertBody converts a whole held answer; status is the one to answer with, or
// orig when the conversion keeps the upstream's.
func (h *httpContext) convertBody(body []byte, orig int) (out []byte, status int) {
	out, status = h.req.ConvertResponseBody(body)
	if status == 0 {
		status = orig
	}
	return out, status
}

// OnHttpStreamDone writes what the request leaves behind if its answer did not (a local
// reply, a client that went away), and feeds the finished attempt back to the routing
// metrics.
func (h *httpContext) OnHttpStreamDone() {
	h.finishMonitor(h.replyStatus)
	if !h.routed || !h.timed || h.fb != nil || h.req == nil || h.start.IsZero() || h.status == 0 {
		return
	}
	ok := h.status < 500 && h.status != 429
	h.config.routing.Record(sharedStore{}, h.req.Config.ID, h.ttfb, ok, time.Now())
}

// classify asks the route's LLM classifier for the request's intent, by callout; the
// answer (or its failure or timeout: then the built-in classifier decides) resumes the
// choice. false when the callout could not be sent.
func (h *httpContext) classify(in *route.Input, body []byte) bool {
	h.classified = true
	cl, _ := h.config.routing.Classifier()
	c := h.config.provider(cl.Provider)
	req, hm, q, ok := ownChat(c, route.ClassifierRequest(cl.Model, route.ExtractText(body, in.Anthropic)), -1)
	if !ok {
		return false
	}
	_, err := proxywasm.DispatchHttpCall(cl.Cluster, hm.pairs, q, nil, uint32(cl.Timeout.Milliseconds()), func(_, size, _ int) {
		hs, _ := proxywasm.GetHttpCallResponseHeaders()
		rh := newHeaderMap(hs)
		if st, _ := strconv.Atoi(rh.Get(":status")); st == 200 {
			answer, _ := proxywasm.GetHttpCallResponseBody(0, size)
			if conv, _ := req.RewriteResponseHeaders(st, rh); conv { // a provider of another protocol
				answer, _ = req.ConvertResponseBody(answer)
			}
			h.intent, _ = route.ParseClassifierAnswer(answer)
		}
		if h.choose(body) == types.ActionContinue {
			_ = proxywasm.ResumeHttpRequest()
		}
	})
	if err != nil {
		proxywasm.LogWarnf("ai-proxy: intent classifier on cluster %s not asked: %v", cl.Cluster, err)
		return false
	}
	return true
}

// excludeOpen keeps providers whose circuit is open out of the choice.
func (h *httpContext) excludeOpen(in *route.Input) {
	if h.fb == nil || h.fb.res == nil || h.fb.res.Breaker.MaxFails == 0 {
		return
	}
	now := time.Now()
	for _, c := range h.config.providers {
		if h.config.routing.Open(sharedStore{}, c.ID, now) {
			in.Exclude = append(in.Exclude, c.ID)
		}
	}
}

// sharedStore backs the routing metrics with proxy-wasm shared data: one store for
// every VM of the gateway process, written with compare-and-swap.
type sharedStore struct{}

func (sharedStore) Get(k string) ([]byte, uint32, bool) {
	v, cas, err := proxywasm.GetSharedData(k)
	return v, cas, err == nil
}

func (sharedStore) Set(k string, v []byte, cas uint32) bool {
	return proxywasm.SetSharedData(k, v, cas) == nil
}

// reply answers the request itself with a JSON error in its protocol (guessed from the
// path before the request is classified).
func (h *httpContext) reply(e *provider.Error) {
	h.replied, h.replyStatus = true, e.Status
	if h.req != nil {
		sendErrorProtocol(e, h.req.Protocol)
	} else {
		sendError(e, h.path)
	}
}

func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// sendError answers the client itself with a JSON error in its protocol (guessed from
// the path when the request was not classified).
func sendError(e *provider.Error, path string) {
	api, _ := provider.Classify(path)
	sendErrorProtocol(e, api.Protocol())
}

func sendErrorProtocol(e *provider.Error, p provider.Protocol) {
	_ = proxywasm.SendHttpResponseWithDetail(uint32(e.Status), "ai-proxy."+strconv.Itoa(e.Status),
		[][2]string{{"content-type", "application/json"}}, e.Body(p), -1)
}

// requestHeaders adapts the host's request headers to provider.Headers, one host call
// per read, set or removal. Measured in the bench host, reading the whole map once
// (proxy_get_header_map_pairs, even parsed in place) and serving reads from it cost more
// than the single calls it saved: the map's memory and list are garbage per request, and
// at this plugin's GOGC the extra collection work outweighs ~6 host calls (BENCHMARKS.md).
type requestHeaders struct{}

func (requestHeaders) Get(k string) string { return requestHeader(k) }
func (requestHeaders) Set(k, v string)     { _ = proxywasm.ReplaceHttpRequestHeader(k, v) }
func (requestHeaders) Del(k string)        { _ = proxywasm.RemoveHttpRequestHeader(k) }

// responseHeaders adapts the host's response headers to provider.Headers.

type responseHeaders struct{}

func (responseHeaders) Get(k string) string { return responseHeader(k) }
func (responseHeaders) Set(k, v string)     { _ = proxywasm.ReplaceHttpResponseHeader(k, v) }
func (responseHeaders) Del(k string)        { _ = proxywasm.RemoveHttpResponseHeader(k) }
