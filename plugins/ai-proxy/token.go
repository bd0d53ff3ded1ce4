package main

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/ai-proxy/ai-proxy/provider"
)

// Credentials fetched by callout (provider.Credential: Vertex AI's service-account
// access token). The token lives in shared data, so every VM of the gateway uses the one
// token until RefreshAhead before it expires. Then one request — the one that wins a
// compare-and-swap lock in shared data — asks the token endpoint for a new one and waits
// for it; meanwhile the others keep using the current token, or, when there is none
// (the first requests, or one that expired), wait for the fetch: they look again every
// credentialPoll on the plugin's tick. A failed fetch answers the requests that waited
// for it with a JSON error in their protocol naming the cause (never the key); the next
// request tries again.
//
// Shared data: Key holds 'T' + expiry (Unix ns, 8 bytes LE) + token, or 'E' + when
// (Unix ns) + why the last fetch failed; Key+"/lock" holds the deadline (Unix ns) of the
// fetch in flight, 0 when none is.

const credentialPoll = 20 // ms

// credentialTimeout bounds the token callout (and so the lock, and the wait of the
// others): a token endpoint answers in well under a second, and a fetch whose request
// went away (Envoy cancels its callouts) must not hold the others for the provider's
// whole timeout.
const credentialTimeout = 10000 // ms

func credentialTimeoutMs(c *provider.Config) uint32 { return min(c.Timeout, credentialTimeout) }

// credentialWaiter is a request paused until another request's fetch ends.
type credentialWaiter struct {
	h        *httpContext
	cr       *provider.Credential
	body     []byte
	since    int64 // Unix ns
	deadline int64
}

// credentialWaiters are this VM's waiting requests.
var credentialWaiters []credentialWaiter

// leave lets the prepared request go upstream: at once, or once it carries the
// credential its provider fetches (then ActionPause: the fetch resumes it, or answers
// it with an error).
func (h *httpContext) leave(body []byte) types.Action {
	if cr := h.req.Config.Credential; cr != nil && !h.haveCredential(cr, body, time.Now().UnixNano()) {
		return types.ActionPause
	}
	h.sent(body)
	return types.ActionContinue
}

// haveCredential puts the token on the request and reports true, or starts (or waits
// for) a fetch and reports false.
func (h *httpContext) haveCredential(cr *provider.Credential, body []byte, now int64) bool {
	kind, at, tok := readCredential(cr.Key)
	valid := kind == 'T' && now < at
	if valid && now < at-int64(cr.RefreshAhead) {
		setCredential(requestHeaders{}, cr, tok)
		return true
	}
	timeout := int64(credentialTimeoutMs(h.req.Config)) * int64(time.Millisecond)
	if takeCredentialLock(cr, now, now+timeout) {
		if !valid {
			tok = nil
		}
		return h.fetchCredential(cr, body, tok)
	}
	if valid { // another request is refreshing it
		setCredential(requestHeaders{}, cr, tok)
		return true
	}
	credentialWaiters = append(credentialWaiters, credentialWaiter{h: h, cr: cr, body: body, since: now, deadline: now + timeout})
	_ = proxywasm.SetTickPeriodMilliSeconds(credentialPoll)
	return false
}

// fetchCredential asks the token endpoint for a token; old (the current token, nil when
// it expired) serves the request if the fetch fails. false: the request waits.
func (h *httpContext) fetchCredential(cr *provider.Credential, body, old []byte) bool {
	c := h.req.Config
	form, err := cr.Request(time.Now())
	if err == nil {
		headers := [][2]string{{":method", "POST"}, {":path", cr.Path}, {":authority", cr.Authority},
			{"content-type", "application/x-www-form-urlencoded"}, {"content-length", strconv.Itoa(len(form))}}
		_, err = proxywasm.DispatchHttpCall(cr.Cluster, headers, form, nil, credentialTimeoutMs(c), func(_, size, _ int) {
			h.onCredential(cr, body, old, size)
		})
		if err == nil {
			return false
		}
		err = errString("cannot call the token endpoint through cluster " + cr.Cluster + ": " + err.Error())
	}
	proxywasm.LogWarnf("ai-proxy: %s: %v", cr.What, err)
	if old != nil { // still valid: it serves until the next request past RefreshAhead tries again
		releaseCredentialLock(cr)
		setCredential(requestHeaders{}, cr, old)
		return true
	}
	failCredential(cr, err.Error())
	h.credentialFailed(cr, err.Error())
	return false
}

func (h *httpContext) onCredential(cr *provider.Credential, body, old []byte, size int) {
	hs, _ := proxywasm.GetHttpCallResponseHeaders()
	status, _ := strconv.Atoi(newHeaderMap(hs).Get(":status"))
	answer, _ := proxywasm.GetHttpCallResponseBody(0, size)
	tok, ttl, err := cr.Read(status, answer)
	if status == 0 {
		err = errString("no answer from the token endpoint (cluster " + cr.Cluster + ")")
	}
	if err == nil {
		v := make([]byte, 9, 9+len(tok))
		v[0] = 'T'
		binary.LittleEndian.PutUint64(v[1:], uint64(time.Now().Add(ttl).UnixNano()))
		v = append(v, tok...)
		putShared(cr.Key, v)
		releaseCredentialLock(cr)
		old = v[9:]
	} else {
		proxywasm.LogWarnf("ai-proxy: %s: %v", cr.What, err)
		if old == nil {
			failCredential(cr, err.Error())
			h.credentialFailed(cr, err.Error())
			return
		}
		releaseCredentialLock(cr) // the current token serves until the next try
	}
	setCredential(requestHeaders{}, cr, old)
	h.sent(body)
	_ = proxywasm.ResumeHttpRequest()
}

// pollCredentials resumes (or fails) this VM's waiting requests whose fetch has ended;
// run on every tick while some wait.
func (p *pluginContext) pollCredentials() {
	if len(credentialWaiters) == 0 {
		return
	}
	now := time.Now().UnixNano()
	keep := credentialWaiters[:0]
	for _, w := range credentialWaiters {
		if proxywasm.SetEffectiveContext(w.h.id) != nil {
			continue // the request is gone
		}
		kind, at, text := readCredential(w.cr.Key)
		switch {
		case kind == 'T' && now < at:
			setCredential(requestHeaders{}, w.cr, text)
			w.h.sent(w.body)
			_ = proxywasm.ResumeHttpRequest()
		case kind == 'E' && at >= w.since:
			w.h.credentialFailed(w.cr, string(text))
		case now > w.deadline:
			w.h.credentialFailed(w.cr, "timed out waiting for another request's fetch")
		default:
			keep = append(keep, w)
		}
	}
	clear(credentialWaiters[len(keep):])
	credentialWaiters = keep
	_ = proxywasm.SetEffectiveContext(p.id)
	if len(keep) == 0 {
		_ = proxywasm.SetTickPeriodMilliSeconds(healthCheckPeriod())
	}
}

// cachedCredential puts provider c's cached token, if it needs one, on a request the
// plugin sends itself (a fallback attempt, a health check); false when it needs one and
// none is cached (that request is not sent).
func cachedCredential(c *provider.Config, h provider.Headers) bool {
	cr := c.Credential
	if cr == nil {
		return true
	}
	kind, at, tok := readCredential(cr.Key)
	if kind != 'T' || time.Now().UnixNano() >= at {
		return false
	}
	setCredential(h, cr, tok)
	return true
}

func (h *httpContext) credentialFailed(cr *provider.Credential, why string) {
	h.reply(&provider.Error{Status: 502, Code: "credential_unavailable", Message: "cannot get the " + cr.What + ": " + why})
}

func setCredential(h provider.Headers, cr *provider.Credential, tok []byte) {
	h.Set(cr.Header, cr.Prefix+string(tok))
}

// readCredential reads the cached entry: kind 'T' (a token valid until at) or 'E' (a
// fetch failed at at); 0 when there is none.
func readCredential(key string) (kind byte, at int64, text []byte) {
	v, _, err := proxywasm.GetSharedData(key)
	if err != nil || len(v) < 9 {
		return 0, 0, nil
	}
	return v[0], int64(binary.LittleEndian.Uint64(v[1:9])), v[9:]
}

func failCredential(cr *provider.Credential, why string) {
	v := make([]byte, 9, 9+len(why))
	v[0] = 'E'
	binary.LittleEndian.PutUint64(v[1:], uint64(time.Now().UnixNano()))
	putShared(cr.Key, append(v, why...))
	releaseCredentialLock(cr)
}

// takeCredentialLock makes this request the one that fetches, until deadline; false
// when a fetch is in flight (its deadline has not passed) or another VM won the race.
func takeCredentialLock(cr *provider.Credential, now, deadline int64) bool {
	key := cr.Key + "/lock"
	v, cas, err := proxywasm.GetSharedData(key)
	if err != nil {
		// First use: create the key, so that every VM compares-and-swaps one version.
		putShared(key, make([]byte, 8))
		if v, cas, err = proxywasm.GetSharedData(key); err != nil {
			return false
		}
	}
	if len(v) == 8 && int64(binary.LittleEndian.Uint64(v)) > now {
		return false
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(deadline))
	return proxywasm.SetSharedData(key, b[:], cas) == nil
}

func releaseCredentialLock(cr *provider.Credential) {
	putShared(cr.Key+"/lock", make([]byte, 8))
}

// putShared writes a shared-data value whatever its version (the token's writer holds
// the lock).
func putShared(key string, v []byte) {
	_, cas, _ := proxywasm.GetSharedData(key)
	_ = proxywasm.SetSharedData(key, v, cas)
}

type errString string

func (e errString) Error() string { return string(e) }
