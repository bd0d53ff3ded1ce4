package route

import (
	"encoding/binary"
	"math"
	"sync"
	"time"
)

// Store is cross-request state shared by all VMs of a gateway process, with the
// semantics of proxy-wasm shared data: Get returns the value and its CAS token (ok false
// when the key is absent); Set writes when cas is the token of the current value, or
// unconditionally when cas is 0, and returns false on a CAS mismatch (someone else wrote
// in between): the caller reads again and retries, a bounded number of times.
type Store interface {
	Get(key string) (value []byte, cas uint32, ok bool)
	Set(key string, value []byte, cas uint32) bool
}

// Tuning of metrics mode.
const (
	// ewmaAlpha is the weight of one new sample in the latency and success EWMAs.
	ewmaAlpha = 0.2
	// decayTau is how fast measurements lose their weight when a provider gets no
	// traffic: confidence exp(-idle/decayTau). A stale provider is scored as if it were
	// unmeasured (optimistic), so it is tried again.
	decayTau = 60 * time.Second
	// explore is the share of traffic spread evenly over the candidates whatever their
	// scores: with two targets each gets at least explore/2.
	explore = 0.08
	// successPower is k in score = success^k / latency^1.5.
	successPower = 4
	// casRetries bounds Record's read-modify-write attempts.
	casRetries = 3
	// minLatencyMs keeps scores finite.
	minLatencyMs = 1.0
)

// statPrefix starts every Store key of metrics mode; the full key is
// statPrefix + <routing field path> + "/" + <provider id>, e.g.
// "ai-proxy/route/routing/qwen" or "ai-proxy/route/_rules_[1].routing/qwen". So the
// routing sections of different route rules keep separate measurements (their provider
// ids may name different upstreams), while all VMs of the gateway share one per section
// and provider.
const statPrefix = "ai-proxy/route/"

func (s *Service) statKey(provider string) string {
	return statPrefix + s.field + "/" + provider
}

// stat is one provider's measurements. Encoded as 28 bytes, little endian:
// updated (unix ns, int64) | latency EWMA in ms (float64) | success EWMA 0..1 (float64) |
// samples (uint32, saturating).
type stat struct {
	updated int64
	latency float64
	success float64
	samples uint32
}

const statLen = 28

func (st *stat) decode(b []byte) bool {
	if len(b) != statLen {
		return false
	}
	st.updated = int64(binary.LittleEndian.Uint64(b[0:]))
	st.latency = math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
	st.success = math.Float64frombits(binary.LittleEndian.Uint64(b[16:]))
	st.samples = binary.LittleEndian.Uint32(b[24:])
	if math.IsNaN(st.latency) || math.IsNaN(st.success) || st.latency < 0 {
		return false
	}
	return true
}

func (st *stat) encode(b *[statLen]byte) {
	binary.LittleEndian.PutUint64(b[0:], uint64(st.updated))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(st.latency))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(st.success))
	binary.LittleEndian.PutUint32(b[24:], st.samples)
}

// confidence is how much of the stored measurement still counts at now: 1 just after an
// update, falling to 0 with idle time.
func (st *stat) confidence(now int64) float64 {
	idle := now - st.updated
	if idle <= 0 {
		return 1
	}
	return math.Exp(-float64(idle) / float64(decayTau))
}

// Record feeds one finished attempt back: its latency (time to first byte for streams,
// total time for JSON answers) and whether it succeeded. It updates the provider's
// latency and success EWMAs in st with a bounded CAS retry loop and gives up silently
// after casRetries mismatches. Cheap; call it for every attempt. Only metrics mode keeps
// measurements: in other modes, for providers that are not targets, or with a nil st,
// Record does nothing.
func (s *Service) Record(st Store, provider string, latency time.Duration, success bool, now time.Time) {
	if s.mode != ModeMetrics || st == nil {
		return
	}
	key, ok := s.statKeys[provider]
	if !ok {
		return
	}
	ms := float64(latency) / float64(time.Millisecond)
	if ms < minLatencyMs {
		ms = minLatencyMs
	}
	ok01 := 0.0
	if success {
		ok01 = 1
	}
	nowNs := now.UnixNano()
	var buf [statLen]byte
	for try := 0; try < casRetries; try++ {
		old, cas, found := st.Get(key)
		var cur stat
		if found && cur.decode(old) {
			// A stale measurement counts less: the new sample's weight grows with idle time.
			a := 1 - (1-ewmaAlpha)*cur.confidence(nowNs)
			if !success {
				// a failed attempt's latency says little (fast errors): keep latency
				cur.success += a * (ok01 - cur.success)
			} else {
				cur.latency += a * (ms - cur.latency)
				cur.success += a * (ok01 - cur.success)
			}
			if cur.samples < math.MaxUint32 {
				cur.samples++
			}
		} else {
			cur = stat{latency: ms, success: ok01, samples: 1}
			if !success {
				cur.latency = 0 // unknown latency; filled by the first success
			}
			if !found {
				cas = 0 // first write; a corrupt value is overwritten under its own token
			}
		}
		if success && cur.latency == 0 {
			cur.latency = ms
		}
		cur.updated = nowNs
		cur.encode(&buf)
		if st.Set(key, buf[:], cas) {
			return
		}
	}
}

// chooseMetrics picks a target index in metrics mode, -1 when every target is excluded.
// Each candidate scores success^k / latency^1.5 from its decayed measurements; a
// provider with no (or stale) data is scored optimistically, as fully successful with the
// best latency measured among the candidates. The pick is random, weighted by score, with
// an exploration floor, so traffic follows quality without stampeding to one provider.
func (s *Service) chooseMetrics(in *Input, st Store) int {
	const maxTargets = 16
	var scoresArr [maxTargets]float64
	var confArr [maxTargets]float64
	var stats [maxTargets]stat
	var scores, confs []float64
	var sts []stat
	n := len(s.targets)
	if n <= maxTargets {
		scores, confs, sts = scoresArr[:n], confArr[:n], stats[:n]
	} else {
		scores, confs, sts = make([]float64, n), make([]float64, n), make([]stat, n)
	}
	now := in.now().UnixNano()
	best := math.Inf(1)
	candidates := 0
	for i := range s.targets {
		t := &s.targets[i]
		if excluded(in.Exclude, t.Provider) {
			scores[i] = -1
			continue
		}
		candidates++
		if st == nil {
			continue
		}
		if b, _, ok := st.Get(t.key); ok && sts[i].decode(b) {
			confs[i] = sts[i].confidence(now)
			if sts[i].latency > 0 && sts[i].latency < best {
				best = sts[i].latency
			}
		}
	}
	if candidates == 0 {
		return -1
	}
	if math.IsInf(best, 1) {
		best = minLatencyMs
	}
	sum := 0.0
	for i := range s.targets {
		if scores[i] < 0 {
			continue
		}
		c := confs[i]
		lat := sts[i].latency
		if lat <= 0 {
			lat = best
		}
		succ := c*sts[i].success + (1-c)*1
		lat = c*lat + (1-c)*best
		if lat < minLatencyMs {
			lat = minLatencyMs
		}
		rel := lat / best // >= 1
		sc := succ * succ * succ * succ / (rel * math.Sqrt(rel))
		if sc < 1e-9 {
			sc = 1e-9
		}
		scores[i] = sc
		sum += sc
	}
	// p_i = explore/candidates + (1-explore) * score_i/sum
	r := in.float64()
	floor := explore / float64(candidates)
	last := -1
	for i := range s.targets {
		if scores[i] < 0 {
			continue
		}
		last = i
		p := floor + (1-explore)*scores[i]/sum
		if r < p {
			return i
		}
		r -= p
	}
	return last
}

// MapStore is a concurrency-safe in-memory Store with proxy-wasm shared-data CAS
// semantics, for tests (also of other packages). The zero value is ready to use.
type MapStore struct {
	mu sync.Mutex
	m  map[string]mapEntry
}

type mapEntry struct {
	v   []byte
	cas uint32
}

// Get returns a copy of the value under key and its CAS token.
func (m *MapStore) Get(key string) ([]byte, uint32, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[key]
	if !ok {
		return nil, 0, false
	}
	return append([]byte(nil), e.v...), e.cas, true
}

// Set stores a copy of value when cas is 0 or the key's current token, and reports
// whether it did.
func (m *MapStore) Set(key string, value []byte, cas uint32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]mapEntry{}
	}
	e := m.m[key]
	if cas != 0 && cas != e.cas {
		return false
	}
	m.m[key] = mapEntry{v: append([]byte(nil), value...), cas: e.cas + 1}
	return true
}
