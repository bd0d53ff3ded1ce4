package provider

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/tidwall/gjson"
)

// Failover is Higress's `failover` of a provider: API-token health. A token whose
// requests fail failureThreshold times in a row (or once with 401/403) leaves the
// rotation; health checks — a chat request with healthCheckModel every
// healthCheckInterval, sent by one VM — bring it back after successThreshold successes.
type Failover struct {
	FailureThreshold    uint32
	SuccessThreshold    uint32
	HealthCheckInterval uint32 // ms
	HealthCheckTimeout  uint32 // ms
	HealthCheckModel    string
	OnStatus            []StatusPattern // failoverOnStatus
}

// Retry is Higress's `retryOnFailure`: a failed request is sent again with another
// available token of the same provider, at most MaxRetries times.
type Retry struct {
	MaxRetries uint32
	Timeout    uint32 // ms, retryTimeout: the timeout of each retry
	OnStatus   []StatusPattern
}

// StatusPattern matches an HTTP status written as in Higress's configs: digits, with
// `.` for any digit and `.*` (or `*`) for any rest ("5.*", "4.*", "429").
type StatusPattern string

// Match reports whether status matches the pattern, over the whole status.
func (p StatusPattern) Match(status int) bool {
	s := strconv.Itoa(status)
	i := 0
	for j := 0; j < len(p); j++ {
		switch c := p[j]; {
		case c == '*' || (c == '.' && j+1 < len(p) && p[j+1] == '*'):
			return true
		case c == '.':
			if i >= len(s) {
				return false
			}
			i++
		default:
			if i >= len(s) || s[i] != c {
				return false
			}
			i++
		}
	}
	return i == len(s)
}

func matchAny(ps []StatusPattern, status int) bool {
	for _, p := range ps {
		if p.Match(status) {
			return true
		}
	}
	return false
}

var defaultStatusPatterns = []StatusPattern{"4.*", "5.*"}

func parseStatusPatterns(v gjson.Result, field string) ([]StatusPattern, error) {
	if !v.Exists() {
		return defaultStatusPatterns, nil
	}
	if !v.IsArray() || len(v.Array()) == 0 {
		return nil, fmt.Errorf("%s: must be a non-empty list of status patterns (\"5.*\", \"429\")", field)
	}
	var out []StatusPattern
	for i, e := range v.Array() {
		s := e.String()
		ok := e.Type == gjson.String && s != ""
		for j := 0; ok && j < len(s); j++ {
			ok = (s[j] >= '0' && s[j] <= '9') || s[j] == '.' || s[j] == '*'
		}
		if !ok {
			return nil, fmt.Errorf("%s[%d]: %s is not a status pattern (digits, '.' for a digit, '.*' for the rest)", field, i, e.Raw)
		}
		out = append(out, StatusPattern(s))
	}
	return out, nil
}

// parseResilience reads `failover` and `retryOnFailure` (both only when enabled).
func (c *Config) parseResilience(v gjson.Result, field string) error {
	if f := v.Get("failover"); f.Exists() && f.Get("enabled").Bool() {
		ff := field + ".failover"
		fo := &Failover{}
		var err error
		if fo.FailureThreshold, err = uintField(f, "failureThreshold", ff, 3); err != nil {
			return err
		}
		if fo.SuccessThreshold, err = uintField(f, "successThreshold", ff, 1); err != nil {
			return err
		}
		if fo.HealthCheckInterval, err = uintField(f, "healthCheckInterval", ff, 5000); err != nil {
			return err
		}
		if fo.HealthCheckTimeout, err = uintField(f, "healthCheckTimeout", ff, 5000); err != nil {
			return err
		}
		if fo.FailureThreshold == 0 || fo.SuccessThreshold == 0 || fo.HealthCheckInterval == 0 {
			return fmt.Errorf("%s: failureThreshold, successThreshold and healthCheckInterval must be positive", ff)
		}
		if fo.HealthCheckModel = f.Get("healthCheckModel").String(); fo.HealthCheckModel == "" {
			return fmt.Errorf("%s.healthCheckModel: required when failover is enabled", ff)
		}
		if fo.OnStatus, err = parseStatusPatterns(f.Get("failoverOnStatus"), ff+".failoverOnStatus"); err != nil {
			return err
		}
		if len(c.APITokens) < 2 {
			return fmt.Errorf("%s: needs at least two apiTokens to fail over between", ff)
		}
		c.Failover = fo
	}
	if r := v.Get("retryOnFailure"); r.Exists() && r.Get("enabled").Bool() {
		rf := field + ".retryOnFailure"
		rt := &Retry{}
		var err error
		if rt.MaxRetries, err = uintField(r, "maxRetries", rf, 1); err != nil {
			return err
		}
		if rt.Timeout, err = uintField(r, "retryTimeout", rf, 30000); err != nil {
			return err
		}
		if rt.OnStatus, err = parseStatusPatterns(r.Get("retryOnStatus"), rf+".retryOnStatus"); err != nil {
			return err
		}
		c.Retry = rt
	}
	return nil
}

// RetryOn reports whether a failed attempt with this status is retried with another
// token (retryOnFailure).
func (c *Config) RetryOn(status int) bool {
	return c.Retry != nil && matchAny(c.Retry.OnStatus, status)
}

// TokenStore is the cross-VM state of token health: proxy-wasm shared data semantics
// (compare-and-swap), as route.Store.
type TokenStore interface {
	Get(key string) (value []byte, cas uint32, ok bool)
	Set(key string, value []byte, cas uint32) bool
}

// tokenKey is where a token's health is kept: per provider id and token index, so that
// no token appears in a key.
func (c *Config) tokenKey(i int) string {
	return "ai-proxy/token/" + c.Type + "/" + c.ID + "/" + strconv.Itoa(i)
}

// tokenState is a token's health: consecutive failures of requests, consecutive
// successes of health checks, and whether it is out of the rotation.
type tokenState struct {
	failures, successes uint32
	down                bool
}

func (c *Config) tokenState(st TokenStore, i int) (tokenState, uint32) {
	v, cas, ok := st.Get(c.tokenKey(i))
	if !ok || len(v) != 9 {
		return tokenState{}, cas
	}
	return tokenState{binary.LittleEndian.Uint32(v), binary.LittleEndian.Uint32(v[4:]), v[8] == 1}, cas
}

func (c *Config) updateToken(st TokenStore, i int, f func(*tokenState) bool) {
	for range 5 {
		s, cas := c.tokenState(st, i)
		if !f(&s) {
			return // unchanged
		}
		var b [9]byte
		binary.LittleEndian.PutUint32(b[:], s.failures)
		binary.LittleEndian.PutUint32(b[4:], s.successes)
		if s.down {
			b[8] = 1
		}
		if st.Set(c.tokenKey(i), b[:], cas) {
			return
		}
	}
}

// TokenDown reports whether token i is out of the rotation.
func (c *Config) TokenDown(st TokenStore, i int) bool {
	s, _ := c.tokenState(st, i)
	return s.down
}

// ChooseToken picks the request's token at random among those not down (failover) and
// not in avoid (tried by this request already); false when none is left.
func (r *Request) ChooseToken(st TokenStore, avoid []int) bool {
	c := r.Config
	r.retried = len(avoid) > 0
	if len(c.APITokens) == 0 {
		return len(avoid) == 0
	}
	up := make([]int, 0, len(c.APITokens))
	for i := range c.APITokens {
		if containsInt(avoid, i) || (c.Failover != nil && c.TokenDown(st, i)) {
			continue
		}
		up = append(up, i)
	}
	if len(up) == 0 {
		if c.Failover == nil || len(avoid) > 0 {
			return false
		}
		// Every token is down: keep serving with one rather than fail everything.
		up = append(up, rand.IntN(len(c.APITokens)))
	}
	r.tokenIndex = up[rand.IntN(len(up))]
	return true
}

// TokenIndex is the index in apiTokens of the request's token, -1 without one.
func (r *Request) TokenIndex() int { return r.tokenIndex }

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// RecordToken feeds the outcome of a request to its token's health (failover): a
// failure counts toward taking the token out (401 and 403 take it out at once); a
// success resets the count. It reports whether the token just went down.
func (r *Request) RecordToken(st TokenStore, status int) (down bool) {
	c := r.Config
	if c.Failover == nil || r.tokenIndex < 0 {
		return false
	}
	failed := matchAny(c.Failover.OnStatus, status) || status == 0
	c.updateToken(st, r.tokenIndex, func(s *tokenState) bool {
		switch {
		case s.down:
			return false
		case !failed:
			if s.failures == 0 {
				return false // the common path writes nothing
			}
			s.failures = 0
		default:
			s.failures++
			if s.failures >= c.Failover.FailureThreshold || status == 401 || status == 403 {
				s.down, s.failures, s.successes, down = true, 0, 0, true
			}
		}
		return true
	})
	return down
}

// RecordHealthCheck feeds a health check of token i: after successThreshold successes in
// a row the token is back in the rotation. It reports whether it came back.
func (c *Config) RecordHealthCheck(st TokenStore, i int, ok bool) (up bool) {
	c.updateToken(st, i, func(s *tokenState) bool {
		if !s.down {
			return false
		}
		if !ok {
			s.successes = 0
			return true
		}
		s.successes++
		if s.successes >= c.Failover.SuccessThreshold {
			*s, up = tokenState{}, true
		}
		return true
	})
	return up
}

// HealthCheckRequest is the request body a health check sends (Higress's).
func (c *Config) HealthCheckRequest() []byte {
	return []byte(`{"model":` + strconv.Quote(c.Failover.HealthCheckModel) + `,"messages":[{"role":"user","content":"who are you?"}]}`)
}

// UseToken makes token i the request's token (health checks).
func (r *Request) UseToken(i int) { r.tokenIndex = i }
