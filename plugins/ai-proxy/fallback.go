package main

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/ai-proxy/ai-proxy/provider/route"
)

// AttemptsHeader is the response header that says how many attempts served a request of
// a route with fallback.
const AttemptsHeader = "x-ai-attempts"

// fallback is one request's resilience state: what it needs to make another attempt
// (the client's request as it arrived) and what it tried so far.
//
// The first attempt is the request itself, sent on through the gateway's route. A later
// one is a callout (proxy_http_call) to the fallback target's cluster: in Envoy a filter
// cannot send its request upstream a second time, and a callout is the one way to reach
// another upstream from the response path. Envoy hands a callout's answer over whole, so
// a fallback stream reaches the client in one piece, when the fallback has finished.
type fallback struct {
	res     *route.Resilience
	headers [][2]string // the client's request headers, before the plugin changed them
	body    []byte      // the client's request body
	tried   []string    // providers that failed this request
	next    int         // the next entry of res.Fallback to consider
	// attempt state
	attempts int
	failing  bool // the first attempt failed: its answer is swallowed while a fallback runs
	probing  bool // a streamed answer is held until its first event shows it is no error
}

// beginFallback keeps what a later attempt needs, on routes with a fallback list.
func (h *httpContext) beginFallback() {
	if !h.routed {
		return
	}
	res := h.config.routing.Resilience()
	if res == nil {
		return
	}
	hs, _ := proxywasm.GetHttpRequestHeaders()
	h.fb = &fallback{res: res, headers: hs, attempts: 1}
}

// keepBody keeps the client's body for later attempts.
func (fb *fallback) keepBody(body []byte) {
	if fb != nil && len(fb.res.Fallback) > 0 {
		fb.body = bytes.Clone(body)
	}
}

// nextTarget is the next fallback target that has not failed this request and whose
// circuit is closed.
func (h *httpContext) nextTarget() (route.Fallback, bool) {
	fb := h.fb
	now := time.Now()
	for fb.next < len(fb.res.Fallback) {
		t := fb.res.Fallback[fb.next]
		fb.next++
		if !contains(fb.tried, t.Provider) && !h.config.routing.Open(sharedStore{}, t.Provider, now) {
			return t, true
		}
	}
	return route.Fallback{}, false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// attemptFailed records a failed attempt of provider and reports whether another one
// is under way.
func (h *httpContext) attemptFailed(provider string, latency time.Duration) bool {
	h.fb.tried = append(h.fb.tried, provider)
	h.config.routing.RecordAttempt(sharedStore{}, provider, latency, false, time.Now())
	return h.dispatchFallback()
}

// dispatchFallback sends the client's request to the next fallback target; false when
// none is left (or none could be reached), and the last failure stands.
func (h *httpContext) dispatchFallback() bool {
	for {
		t, ok := h.nextTarget()
		if !ok {
			return false
		}
		c := h.config.provider(t.Provider)
		req, perr := provider.NewRequest(c, h.path)
		if perr != nil {
			h.fb.tried = append(h.fb.tried, t.Provider) // this provider cannot serve the API
			continue
		}
		req.ModelOverride = t.Model
		if h.mon != nil {
			req.Observe()
		}
		hm := newHeaderMap(h.fb.headers)
		req.RewriteRequestHeaders(hm)
		body := h.fb.body
		if len(body) > 0 || req.NeedsBody() {
			if body, perr = req.RewriteRequestBody(h.fb.body, hm); perr != nil {
				h.fb.tried = append(h.fb.tried, t.Provider)
				continue
			}
		}
		hm.Set(route.ProviderHeader, c.ID)
		hm.Set("content-length", strconv.Itoa(len(body)))
		start := time.Now()
		_, err := proxywasm.DispatchHttpCall(t.Cluster, hm.pairs, body, nil, c.Timeout, func(_, size, _ int) {
			h.onFallbackAnswer(req, time.Since(start), size)
		})
		if err != nil {
			proxywasm.LogWarnf("ai-proxy: fallback to %s (cluster %s) not sent: %v", c.ID, t.Cluster, err)
			h.fb.tried = append(h.fb.tried, t.Provider)
			continue
		}
		h.fb.attempts++
		return true
	}
}

// onFallbackAnswer serves the answer of a fallback attempt, or moves on to the next
// target when it failed too.
func (h *httpContext) onFallbackAnswer(req *provider.Request, latency time.Duration, size int) {
	hs, _ := proxywasm.GetHttpCallResponseHeaders()
	body, _ := proxywasm.GetHttpCallResponseBody(0, size)
	rh := newHeaderMap(hs)
	status, _ := strconv.Atoi(rh.Get(":status"))
	failed := status == 0 || h.fb.res.Retryable(status) ||
		(status/100 == 2 && req.Stream && provider.InBandError(firstEvent(body)))
	if failed && h.attemptFailed(req.Config.ID, latency) {
		return
	}
	if !failed {
		h.config.routing.RecordAttempt(sharedStore{}, req.Config.ID, latency, true, time.Now())
	}
	if status == 0 {
		status = 503
		rh = newHeaderMap(nil)
		body = []byte("upstream connect error or disconnect/reset before headers")
	}
	h.req, h.status = req, status
	if h.mon != nil && h.mon.rec.API == "" { // served by a fallback alone (the choice was open)
		h.monitorRequest(h.fb.body)
	}
	convert, streaming := req.RewriteResponseHeaders(status, rh)
	out := body
	switch observed, stream := req.Observing(); {
	case convert && streaming:
		out = req.ConvertResponseChunk(nil, body, true)
	case convert:
		var st int
		if out, st = req.ConvertResponseBody(body); st != 0 {
			status = st
		}
	case observed && stream:
		out = append(body, req.ObserveChunk(body, true)...)
	case observed:
		req.ObserveBody(body)
	}
	reply := make([][2]string, 0, 6)
	for _, k := range [...]string{"content-type", "content-encoding"} {
		if v := rh.Get(k); v != "" {
			reply = append(reply, [2]string{k, v})
		}
	}
	if h.config.routing.ServedByHeader() {
		reply = append(reply, [2]string{route.ServedByProviderHeader, req.Config.ID})
		if req.Model != "" {
			reply = append(reply, [2]string{route.ServedByModelHeader, req.Model})
		}
	}
	reply = append(reply, [2]string{AttemptsHeader, strconv.Itoa(h.fb.attempts)})
	h.replied, h.replyStatus = true, status
	if h.mon != nil {
		h.mon.rec.Attempts = h.fb.attempts
		h.mon.rec.Provider, h.mon.rec.ProviderType = req.Config.ID, req.Config.Type
	}
	_ = proxywasm.SendHttpResponseWithDetail(uint32(status), "ai-proxy.fallback", reply, out, -1)
	h.monitorContent(out)
	h.finishMonitor(status)
}

// firstEvent returns the first complete SSE event of a stream's bytes (all of them
// when none is complete).
func firstEvent(b []byte) []byte {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\n' && (b[i+1] == '\n' || (b[i+1] == '\r' && i+2 < len(b) && b[i+2] == '\n')) {
			return b[:i]
		}
	}
	return b
}

// onResponseHeadersFallback decides, for a route with fallback, what the first answer's
// headers mean: a failure moves the request to the next target (the answer is held and
// swallowed); a stream is held until its first event shows it is no in-band error.
func (h *httpContext) onResponseHeadersFallback(status int, endOfStream bool) (types.Action, bool) {
	fb := h.fb
	if fb == nil {
		return 0, false
	}
	if len(fb.res.Fallback) == 0 { // a circuit breaker only: count the attempt
		h.config.routing.RecordAttempt(sharedStore{}, h.req.Config.ID, h.ttfb, !fb.res.Retryable(status), time.Now())
		return 0, false
	}
	if fb.res.Retryable(status) {
		if h.attemptFailed(h.req.Config.ID, h.ttfb) {
			fb.failing = true
			return types.HeaderStopIteration, true
		}
		return 0, false
	}
	if status/100 == 2 && h.req.Stream && !endOfStream {
		fb.probing = true
		return types.HeaderStopIteration, true
	}
	h.config.routing.RecordAttempt(sharedStore{}, h.req.Config.ID, h.ttfb, !fb.res.Retryable(status), time.Now())
	return 0, false
}

// probeFirstEvent holds a streamed answer until its first event is complete. An in-band
// error there (the upstream's `event: error`, an error object) is a failed attempt like
// an error status; anything else releases the stream. It reports whether the body is
// still held.
func (h *httpContext) probeFirstEvent(bodySize int, endOfStream bool) bool {
	body, _ := proxywasm.GetHttpResponseBody(0, bodySize)
	ev := firstEvent(body)
	if len(ev) == len(body) && !endOfStream {
		return true // the first event is not complete yet
	}
	h.fb.probing = false
	if provider.InBandError(ev) {
		if h.attemptFailed(h.req.Config.ID, h.ttfb) {
			h.fb.failing = true
			return true
		}
	} else {
		h.config.routing.RecordAttempt(sharedStore{}, h.req.Config.ID, h.ttfb, true, time.Now())
	}
	return false
}

// headerMap is a header list as provider.Headers, for the requests and answers of
// callouts (names lower case).
type headerMap struct{ pairs [][2]string }

func newHeaderMap(hs [][2]string) *headerMap {
	m := &headerMap{pairs: make([][2]string, 0, len(hs)+4)}
	for _, kv := range hs {
		k := strings.ToLower(kv[0])
		if k == "content-length" || k == "transfer-encoding" || k == "connection" {
			continue
		}
		m.pairs = append(m.pairs, [2]string{k, kv[1]})
	}
	return m
}

func (m *headerMap) Get(k string) string {
	for _, kv := range m.pairs {
		if kv[0] == k {
			return kv[1]
		}
	}
	return ""
}

func (m *headerMap) Set(k, v string) {
	for i := range m.pairs {
		if m.pairs[i][0] == k {
			m.pairs[i][1] = v
			return
		}
	}
	m.pairs = append(m.pairs, [2]string{k, v})
}

func (m *headerMap) Del(k string) {
	out := m.pairs[:0]
	for _, kv := range m.pairs {
		if kv[0] != k {
			out = append(out, kv)
		}
	}
	m.pairs = out
}
