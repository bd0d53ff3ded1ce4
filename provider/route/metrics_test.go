package route

import (
	"math/rand/v2"
	"testing"
	"time"
)

type fakeProvider struct {
	latency  time.Duration
	failRate float64
}

// sim drives metrics mode with a simulated clock: every request advances it by step.
type sim struct {
	t     *testing.T
	s     *Service
	st    *MapStore
	in    Input
	now   time.Time
	fail  *rand.Rand
	provs map[string]*fakeProvider
}

func newSim(t *testing.T, seed uint64) *sim {
	s := mustParse(t, `{"mode":"metrics","targets":[{"provider":"a"},{"provider":"b","model":"bm"}]}`)
	return &sim{
		t: t, s: s, st: &MapStore{},
		in:   Input{Rand: rand.New(rand.NewPCG(seed, 1))},
		now:  time.Unix(1_700_000_000, 0),
		fail: rand.New(rand.NewPCG(seed, 2)),
		provs: map[string]*fakeProvider{
			"a": {latency: 400 * time.Millisecond},
			"b": {latency: 400 * time.Millisecond},
		},
	}
}

// run sends n requests and returns how many went to each provider.
func (m *sim) run(n int) map[string]int {
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		m.now = m.now.Add(100 * time.Millisecond)
		m.in.Now = m.now
		d := m.s.Choose(&m.in, m.st)
		if !d.OK || d.Reason != "metrics" {
			m.t.Fatalf("decision %+v", d)
		}
		counts[d.Target.Provider]++
		p := m.provs[d.Target.Provider]
		ok := m.fail.Float64() >= p.failRate
		m.s.Record(m.st, d.Target.Provider, p.latency, ok, m.now)
	}
	return counts
}

func share(counts map[string]int, p string) float64 {
	n := 0
	for _, c := range counts {
		n += c
	}
	return float64(counts[p]) / float64(n)
}

func TestMetricsAvoidsAndRecovers(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  fakeProvider
	}{
		{"slow", fakeProvider{latency: 2 * time.Second}},
		{"failing half", fakeProvider{latency: 400 * time.Millisecond, failRate: 0.5}},
	} {
		for seed := uint64(1); seed <= 5; seed++ {
			m := newSim(t, seed)
			// unmeasured providers are optimistic: both get traffic at first
			first := m.run(20)
			if first["a"] == 0 || first["b"] == 0 {
				t.Errorf("%s seed %d: first requests %v, want both tried", tc.name, seed, first)
			}
			*m.provs["b"] = tc.bad
			m.run(100) // learn
			c := m.run(200)
			if seed == 1 {
				t.Logf("%s: good provider share of 200 requests after learning: %.2f", tc.name, share(c, "a"))
			}
			if s := share(c, "a"); s < 0.80 {
				t.Errorf("%s seed %d: good provider got %.2f of 200 requests, want >= 0.80 (%v)", tc.name, seed, s, c)
			}
			if c["b"] == 0 {
				t.Errorf("%s seed %d: bad provider never explored", tc.name, seed)
			}
			*m.provs["b"] = fakeProvider{latency: 400 * time.Millisecond} // heals
			m.run(300)
			c = m.run(400)
			if seed == 1 {
				t.Logf("%s: healed provider share of 400 requests: %.2f", tc.name, share(c, "b"))
			}
			if s := share(c, "b"); s < 0.35 || s > 0.65 {
				t.Errorf("%s seed %d: healed provider got %.2f of 400 requests, want about half (%v)", tc.name, seed, s, c)
			}
		}
	}
}

func TestMetricsDecay(t *testing.T) {
	m := newSim(t, 7)
	m.provs["b"].failRate = 1
	m.run(300)
	if s := share(m.run(200), "b"); s > 0.10 {
		t.Fatalf("always-failing provider got %.2f", s)
	}
	// a long idle time: the old verdict on b fades, it is tried about as often as a
	m.now = m.now.Add(30 * time.Minute)
	counts := map[string]int{}
	for i := 0; i < 2000; i++ {
		m.in.Now = m.now
		counts[m.s.Choose(&m.in, m.st).Target.Provider]++
	}
	if s := share(counts, "b"); s < 0.40 || s > 0.60 {
		t.Errorf("after idle: stale bad provider got %.2f, want about half", s)
	}
}

func TestMetricsExcludeAndNilStore(t *testing.T) {
	s := mustParse(t, `{"mode":"metrics","targets":[{"provider":"a"},{"provider":"b","model":"bm"}]}`)
	in := Input{Rand: rand.New(rand.NewPCG(1, 1)), Exclude: []string{"a"}}
	for i := 0; i < 50; i++ {
		if d := s.Choose(&in, nil); !d.OK || d.Target != (Target{"b", "bm"}) {
			t.Fatalf("got %+v", d)
		}
	}
	in.Exclude = []string{"a", "b"}
	if d := s.Choose(&in, &MapStore{}); d.OK {
		t.Errorf("all excluded: %+v", d)
	}
}

func TestRecordScopeAndEncoding(t *testing.T) {
	st := &MapStore{}
	now := time.Unix(1000, 0)
	s := mustParse(t, `{"mode":"metrics","targets":[{"provider":"a"}]}`)
	s.Record(st, "a", 250*time.Millisecond, true, now)
	s.Record(st, "zz", time.Second, true, now) // not a target: ignored
	v, cas, ok := st.Get("ai-proxy/route/routing/a")
	if !ok || len(v) != statLen || cas != 1 {
		t.Fatalf("stored %v %d %v", v, cas, ok)
	}
	var got stat
	if !got.decode(v) || got.latency != 250 || got.success != 1 || got.samples != 1 || got.updated != now.UnixNano() {
		t.Errorf("decoded %+v", got)
	}
	if _, _, ok := st.Get("ai-proxy/route/routing/zz"); ok {
		t.Error("recorded a provider that is not a target")
	}
	// another routing section keeps its own key
	s2, _ := Parse(gjsonParse(`{"mode":"metrics","targets":[{"provider":"a"}]}`), "_rules_[0].routing", testProviders)
	s2.Record(st, "a", time.Second, false, now)
	if _, _, ok := st.Get("ai-proxy/route/_rules_[0].routing/a"); !ok {
		t.Error("per-section key missing")
	}
	// other modes do not write
	w := mustParse(t, `{"mode":"weight","targets":[{"provider":"b","weight":1}]}`)
	w.Record(st, "b", time.Second, true, now)
	if _, _, ok := st.Get("ai-proxy/route/routing/b"); ok {
		t.Error("weight mode recorded")
	}
	// corrupt values are overwritten
	st.Set("ai-proxy/route/routing/a", []byte("junk"), 0)
	s.Record(st, "a", 100*time.Millisecond, true, now)
	v, _, _ = st.Get("ai-proxy/route/routing/a")
	if !got.decode(v) || got.latency != 100 {
		t.Errorf("after junk: %+v", got)
	}
}

// conflictStore makes the first `conflicts` conditional Sets fail, as if another VM wrote.
type conflictStore struct {
	MapStore
	conflicts int
	sets      int
}

func (c *conflictStore) Set(key string, value []byte, cas uint32) bool {
	c.sets++
	if cas != 0 && c.conflicts > 0 {
		c.conflicts--
		return false
	}
	return c.MapStore.Set(key, value, cas)
}

func TestRecordCASRetries(t *testing.T) {
	s := mustParse(t, `{"mode":"metrics","targets":[{"provider":"a"}]}`)
	now := time.Unix(1000, 0)
	st := &conflictStore{}
	s.Record(st, "a", time.Second, true, now)
	st.conflicts, st.sets = 2, 0
	s.Record(st, "a", time.Second, false, now)
	if st.sets != 3 {
		t.Errorf("sets = %d, want 3 (two conflicts, then success)", st.sets)
	}
	v, _, _ := st.Get("ai-proxy/route/routing/a")
	var got stat
	if got.decode(v); got.samples != 2 {
		t.Errorf("samples %d", got.samples)
	}
	st.conflicts, st.sets = 10, 0
	s.Record(st, "a", time.Second, true, now)
	if st.sets != casRetries {
		t.Errorf("sets = %d, want %d (bounded)", st.sets, casRetries)
	}
}

func TestMapStoreCAS(t *testing.T) {
	var m MapStore
	if _, _, ok := m.Get("k"); ok {
		t.Fatal("empty store has k")
	}
	if !m.Set("k", []byte("1"), 0) {
		t.Fatal("unconditional set failed")
	}
	_, cas, _ := m.Get("k")
	if m.Set("k", []byte("2"), cas+1) {
		t.Error("stale cas accepted")
	}
	if !m.Set("k", []byte("2"), cas) {
		t.Error("current cas refused")
	}
	if m.Set("k", []byte("3"), cas) {
		t.Error("reused cas accepted")
	}
	if v, _, _ := m.Get("k"); string(v) != "2" {
		t.Errorf("value %q", v)
	}
}
