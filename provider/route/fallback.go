package route

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Fallback is where a request goes when its first attempt fails before anything reached
// the client: an ordered list of targets, each reached through a callout to its Cluster
// (the gateway's cluster of that provider's upstream).
type Fallback struct {
	Target
	Cluster string
}

// Resilience is the fallback policy of a routing section.
type Resilience struct {
	// Fallback is tried in order after the chosen target; a target equal to one that
	// already failed this request, or whose circuit is open, is skipped.
	Fallback []Fallback
	// OnStatus lists the upstream statuses that move a request to the next target; a
	// value under 10 is a class (5 = every 5xx). Default 429 and 5xx.
	OnStatus []int
	// FirstPacketTimeout bounds the wait for the first byte of a streamed answer (0: off);
	// when it fires the next target serves, or the client gets 504.
	FirstPacketTimeout time.Duration
	// Breaker, when MaxFails > 0, skips a provider for CoolDown after MaxFails failed
	// attempts within Window.
	Breaker Breaker
}

// Breaker is the circuit breaker of a routing section's providers.
type Breaker struct {
	MaxFails int
	Window   time.Duration
	CoolDown time.Duration
}

// Retryable reports whether an upstream status moves the request to the next target.
func (r *Resilience) Retryable(status int) bool {
	for _, s := range r.OnStatus {
		if s == status || (s < 10 && status/100 == s) {
			return true
		}
	}
	return false
}

// Resilience returns the section's fallback policy, or nil when it has none.
func (s *Service) Resilience() *Resilience { return s.res }

func (p *parser) resilience(v gjson.Result, field string) (*Resilience, error) {
	r := &Resilience{OnStatus: []int{429, 5}}
	if fb := v.Get("fallback"); fb.Exists() {
		f := field + ".fallback"
		if !fb.IsArray() || len(fb.Array()) == 0 {
			return nil, fmt.Errorf("%s: must be a non-empty list of {provider, model, cluster}", f)
		}
		for i, e := range fb.Array() {
			fi := fmt.Sprintf("%s[%d]", f, i)
			if err := object(e, fi, "provider", "model", "cluster"); err != nil {
				return nil, err
			}
			t, err := p.targetFields(e, fi)
			if err != nil {
				return nil, err
			}
			c := e.Get("cluster")
			if c.Type != gjson.String || c.Str == "" {
				return nil, fmt.Errorf("%s.cluster: required: the gateway cluster that reaches provider %q (a callout target)", fi, t.Provider)
			}
			r.Fallback = append(r.Fallback, Fallback{Target: t, Cluster: c.Str})
		}
	}
	if st := v.Get("fallbackOnStatus"); st.Exists() {
		f := field + ".fallbackOnStatus"
		if !st.IsArray() || len(st.Array()) == 0 {
			return nil, fmt.Errorf("%s: must be a non-empty list of statuses (429, \"5xx\")", f)
		}
		r.OnStatus = nil
		for i, e := range st.Array() {
			n, ok := statusPattern(e)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: %s is not a status (400-599) or a class (\"4xx\", \"5xx\")", f, i, e.Raw)
			}
			r.OnStatus = append(r.OnStatus, n)
		}
	}
	var err error
	if r.FirstPacketTimeout, err = millis(v.Get("firstPacketTimeout"), field+".firstPacketTimeout", true); err != nil {
		return nil, err
	}
	if b := v.Get("circuitBreaker"); b.Exists() {
		f := field + ".circuitBreaker"
		if err := object(b, f, "maxFails", "window", "coolDown"); err != nil {
			return nil, err
		}
		n := b.Get("maxFails")
		if n.Type != gjson.Number || n.Int() < 1 || float64(n.Int()) != n.Float() {
			return nil, fmt.Errorf("%s.maxFails: must be a positive integer, got %s", f, n.Raw)
		}
		r.Breaker.MaxFails = int(n.Int())
		r.Breaker.Window, r.Breaker.CoolDown = 10*time.Second, 30*time.Second
		if w := b.Get("window"); w.Exists() {
			if r.Breaker.Window, err = millis(w, f+".window", false); err != nil {
				return nil, err
			}
		}
		if c := b.Get("coolDown"); c.Exists() {
			if r.Breaker.CoolDown, err = millis(c, f+".coolDown", false); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// statusPattern reads 503 or "5xx".
func statusPattern(v gjson.Result) (int, bool) {
	if v.Type == gjson.Number {
		n := int(v.Int())
		return n, float64(n) == v.Float() && n >= 400 && n <= 599
	}
	if v.Type == gjson.String && len(v.Str) == 3 && strings.HasSuffix(strings.ToLower(v.Str), "xx") {
		n, err := strconv.Atoi(v.Str[:1])
		return n, err == nil && (n == 4 || n == 5)
	}
	return 0, false
}

// millis reads a duration in ms; absent is 0. zeroOK allows 0 (off).
func millis(v gjson.Result, field string, zeroOK bool) (time.Duration, error) {
	if !v.Exists() {
		return 0, nil
	}
	if v.Type != gjson.Number || float64(v.Int()) != v.Float() || v.Int() < 0 || (!zeroOK && v.Int() == 0) || v.Int() > 3_600_000 {
		return 0, fmt.Errorf("%s: must be an integer number of milliseconds (%s..3600000), got %s", field, map[bool]string{true: "0", false: "1"}[zeroOK], v.Raw)
	}
	return time.Duration(v.Int()) * time.Millisecond, nil
}

// breakerKey is the Store key of a provider's circuit in this routing section.
func (s *Service) breakerKey(provider string) string {
	return "ai-proxy/breaker/" + s.field + "/" + provider
}

// Open reports whether provider's circuit is open (it failed too often lately): routing
// and fallback skip it until its cool-down ends.
func (s *Service) Open(st Store, provider string, now time.Time) bool {
	if s.res == nil || s.res.Breaker.MaxFails == 0 || st == nil {
		return false
	}
	v, _, ok := st.Get(s.breakerKey(provider))
	if !ok || len(v) != 20 {
		return false
	}
	openUntil := int64(binary.LittleEndian.Uint64(v[12:]))
	return now.UnixNano() < openUntil
}

// RecordsAttempts reports whether RecordAttempt has anything to do (a circuit breaker,
// or metrics mode): the plugin then skips the clock read an attempt's record needs.
func (s *Service) RecordsAttempts() bool {
	return s.mode == ModeMetrics || (s.res != nil && s.res.Breaker.MaxFails > 0)
}

// RecordAttempt feeds one finished attempt to the circuit breaker (and, in metrics mode,
// to the latency and success EWMAs): failures within the window count toward opening
// the provider's circuit; a success closes it.
func (s *Service) RecordAttempt(st Store, provider string, latency time.Duration, success bool, now time.Time) {
	s.Record(st, provider, latency, success, now)
	if s.res == nil || s.res.Breaker.MaxFails == 0 || st == nil {
		return
	}
	b := s.res.Breaker
	key := s.breakerKey(provider)
	for range 3 { // compare-and-swap, bounded
		v, cas, ok := st.Get(key)
		// windowStart (8) | fails (4) | openUntil (8)
		var windowStart, openUntil int64
		var fails uint32
		if ok && len(v) == 20 {
			windowStart = int64(binary.LittleEndian.Uint64(v))
			fails = binary.LittleEndian.Uint32(v[8:])
			openUntil = int64(binary.LittleEndian.Uint64(v[12:]))
		}
		t := now.UnixNano()
		switch {
		case success:
			if fails == 0 && openUntil == 0 {
				return // nothing to write on the common path
			}
			windowStart, fails, openUntil = 0, 0, 0
		default:
			if t-windowStart > int64(b.Window) {
				windowStart, fails = t, 0
			}
			fails++
			if int(fails) >= b.MaxFails {
				openUntil, fails, windowStart = t+int64(b.CoolDown), 0, t
			}
		}
		var buf [20]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(windowStart))
		binary.LittleEndian.PutUint32(buf[8:], fails)
		binary.LittleEndian.PutUint64(buf[12:], uint64(openUntil))
		if st.Set(key, buf[:], cas) {
			return
		}
	}
}
