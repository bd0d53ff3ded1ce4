package main

import (
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
// one — a retry with another token of the same provider (retryOnFailure), or the next
// fallback target — is a callout (proxy_http_call) to the provider's cluster: in Envoy a
// filter cannot send its request upstream a second time, and a callout is the one way
// to reach another upstream from the response path. Envoy hands a callout's answer over
// whole, so a retried or fallback stream reaches the client in one piece, when it has
// finished.
type fallback struct {
	res     *route.Resilience // the routing section's fallback policy; nil: retries only
	cluster string            // the route's own cluster, read when a retry needs it
	headers [][2]string       // the client's request headers, before the plugin changed them
	body    []byte            // the client's request body
	tried   []string          // providers given up on for this request
	tokens  []triedToken      // tokens that failed this request
	next    int               // the next entry of res.Fallback to consider
	// attempt state
	cur      attempt // the attempt under way
	attempts int
	retries  int  // retries with another token so far (of the current provider)
	failing  bool // the first attempt failed: its answer is swallowed while another runs
	probing  bool // a streamed answer is held until its first event shows it is no error
}

type triedToken struct {
	provider string
	index    int
}

// attempt is one try: the request as built for its provider, the cluster it went to.
type attempt struct {
	req     *provider.Request
	cluster string
	model   string // the target's model rewrite
}

// beginFallback keeps what a later attempt needs, on routes with a fallback policy or a
// provider that retries.
func (h *httpContext) beginFallback(res *route.Resilience) {
	if res == nil && !h.config.retries {
		return
	}
	// The whole map, read in place (two string copies per header fewer than the SDK's).
	h.fb = &fallback{res: res, headers: requestHeaderPairs(), attempts: 1}
}

// keepBody keeps the client's body for later attempts. It is not copied: the body read
// from the host is the plugin's own memory, and the request's rewrites make new slices.
func (fb *fallback) keepBody(body []byte) {
	if fb != nil {
		fb.body = body
	}
}

// failsOn reports whether an attempt that got status moves the request on: to another
// token (the provider's retryOnStatus) or to the next target (fallbackOnStatus).
func (fb *fallback) failsOn(c *provider.Config, status int) bool {
	return status == 0 || c.RetryOn(status) || (fb.res != nil && len(fb.res.Fallback) > 0 && fb.res.Retryable(status))
}

// bad reports whether an attempt that got status failed, for the circuit breaker and
// the routing metrics (whether or not the request can move on).
func (fb *fallback) bad(c *provider.Config, status int) bool {
	return status == 0 || c.RetryOn(status) || (fb.res != nil && fb.res.Retryable(status))
}

// nextTarget is the next fallback target that has not failed this request and whose
// circuit is closed.
func (h *httpContext) nextTarget() (route.Fallback, bool) {
	fb := h.fb
	if fb.res == nil {
		return route.Fallback{}, false
	}
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

// recordAttempt feeds a finished attempt to the routing metrics and circuit breaker and
// to its token's health (failover).
func (h *httpContext) recordAttempt(req *provider.Request, cluster string, status int, latency time.Duration, ok bool) {
	if h.routed && h.config.routing.RecordsAttempts() {
		h.config.routing.RecordAttempt(sharedStore{}, req.Config.ID, latency, ok, time.Now())
	}
	if req.RecordToken(sharedStore{}, status) {
		noteHealthCheckCluster(req.Config, cluster)
	}
}

// attemptFailed records the failed attempt a and reports whether another one is under
// way: a retry with another token of a's provider, or the next fallback target.
func (h *httpContext) attemptFailed(a attempt, status int, latency time.Duration) bool {
	fb := h.fb
	h.recordAttempt(a.req, a.cluster, status, latency, false)
	c := a.req.Config
	if i := a.req.TokenIndex(); i >= 0 {
		fb.tokens = append(fb.tokens, triedToken{c.ID, i})
	}
	if a.cluster == "" { // the first attempt went the route's own way
		a.cluster = fb.routeCluster()
	}
	if c.Retry != nil && c.RetryOn(status) && fb.retries < int(c.Retry.MaxRetries) && a.cluster != "" {
		if h.dispatch(c, a.model, a.cluster, c.Retry.Timeout) {
			fb.retries++
			return true
		}
	}
	fb.tried = append(fb.tried, c.ID)
	fb.retries = 0
	return h.dispatchFallback()
}

// routeCluster is the route's own cluster (the cluster_name property), read once.
func (fb *fallback) routeCluster() string {
	if fb.cluster == "" {
		v, _ := proxywasm.GetProperty([]string{"cluster_name"})
		fb.cluster = string(v)
	}
	return fb.cluster
}

// avoid lists the tokens of provider c that failed this request.
func (fb *fallback) avoid(c *provider.Config) []int {
	var out []int
	for _, t := range fb.tokens {
		if t.provider == c.ID {
			out = append(out, t.index)
		}
	}
	return out
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
		if h.dispatch(c, t.Model, t.Cluster, c.Timeout) {
			return true
		}
		h.fb.tried = append(h.fb.tried, t.Provider)
	}
}

// dispatch sends the client's request to provider c (with a token this request has not
// failed with) through a callout to cluster; false when it cannot be sent.
func (h *httpContext) dispatch(c *provider.Config, model, cluster string, timeout uint32) bool {
	req, perr := provider.NewRequest(c, h.path)
	if perr != nil {
		return false // this provider cannot serve the API
	}
	if !req.ChooseToken(sharedStore{}, h.fb.avoid(c)) {
		return false // every token of the provider failed this request
	}
	req.ModelOverride = model
	if h.mon != nil {
		req.Observe()
	}
	hm := newHeaderMap(h.fb.headers)
	req.RewriteRequestHeaders(hm)
	if !cachedCredential(c, hm) {
		return false // its token is not fetched yet
	}
	body := h.fb.body
	if len(body) > 0 || req.NeedsBody() {
		if body, perr = req.RewriteRequestBody(h.fb.body, hm); perr != nil {
			return false
		}
	}
	if h.routed {
		hm.Set(route.ProviderHeader, c.ID)
	}
	hm.Set("content-length", strconv.Itoa(len(body)))
	a := attempt{req: req, cluster: cluster, model: model}
	start := time.Now()
	_, err := proxywasm.DispatchHttpCall(cluster, hm.pairs, body, nil, timeout, func(_, size, _ int) {
		h.onAttemptAnswer(a, time.Since(start), size)
	})
	if err != nil {
		proxywasm.LogWarnf("ai-proxy: attempt on %s (cluster %s) not sent: %v", c.ID, cluster, err)
		return false
	}
	h.fb.cur = a
	h.fb.attempts++
	return true
}

// onAttemptAnswer serves the answer of a later attempt, or moves on when it failed too.
func (h *httpContext) onAttemptAnswer(a attempt, latency time.Duration, size int) {
	req := a.req
	hs, _ := proxywasm.GetHttpCallResponseHeaders()
	body, _ := proxywasm.GetHttpCallResponseBody(0, size)
	rh := newHeaderMap(hs)
	status, _ := strconv.Atoi(rh.Get(":status"))
	failed := h.fb.failsOn(req.Config, status) ||
		(status/100 == 2 && req.Stream && provider.InBandError(firstEvent(body)))
	if failed && h.attemptFailed(a, status, latency) {
		return
	}
	if !failed {
		h.recordAttempt(req, a.cluster, status, latency, !h.fb.bad(req.Config, status))
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
	if h.routed && h.config.routing.ServedByHeader() {
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

// onResponseHeadersFallback decides, for a request with a fallback policy or retries,
// what the first answer's headers mean: a failure moves the request to another attempt
// (this answer is held and swallowed); a stream is held until its first event shows it
// is no in-band error.
func (h *httpContext) onResponseHeadersFallback(status int, endOfStream bool) (types.Action, bool) {
	fb := h.fb
	if fb == nil {
		if h.req.Config.Failover != nil {
			h.recordAttempt(h.req, "", status, h.ttfb, status/100 == 2)
		}
		return 0, false
	}
	first := attempt{req: h.req, cluster: fb.cluster, model: h.req.ModelOverride}
	if fb.failsOn(h.req.Config, status) {
		if h.attemptFailed(first, status, h.ttfb) {
			fb.failing = true
			return types.HeaderStopIteration, true
		}
		return 0, false
	}
	if status/100 == 2 && h.req.Stream && !endOfStream {
		fb.probing = true
		return types.HeaderStopIteration, true
	}
	h.recordAttempt(h.req, fb.cluster, status, h.ttfb, !fb.bad(h.req.Config, status))
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
	first := attempt{req: h.req, cluster: h.fb.cluster, model: h.req.ModelOverride}
	if provider.InBandError(ev) {
		if h.attemptFailed(first, 0, h.ttfb) { // an in-band error counts as a failed call
			h.fb.failing = true
			return true
		}
	} else {
		h.recordAttempt(h.req, h.fb.cluster, h.status, h.ttfb, true)
	}
	return false
}

// ownChat builds, for provider c, a chat completion the plugin sends itself by callout
// (a token health check, the intent classifier's question): the request as converted for
// the provider, its headers and body. token >= 0 picks the API token. false when the
// provider cannot take the request.
func ownChat(c *provider.Config, body []byte, token int) (*provider.Request, *headerMap, []byte, bool) {
	const path = "/v1/chat/completions"
	req, perr := provider.NewRequest(c, path)
	if perr != nil {
		return nil, nil, nil, false
	}
	if token >= 0 {
		req.UseToken(token)
	}
	hm := newHeaderMap([][2]string{{":method", "POST"}, {":path", path}, {":authority", c.Host}, {"content-type", "application/json"}})
	req.RewriteRequestHeaders(hm)
	if !cachedCredential(c, hm) {
		return nil, nil, nil, false
	}
	if body, perr = req.RewriteRequestBody(body, hm); perr != nil {
		return nil, nil, nil, false
	}
	hm.Set("content-length", strconv.Itoa(len(body)))
	return req, hm, body, true
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
