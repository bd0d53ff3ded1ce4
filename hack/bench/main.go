// Command bench measures compiled proxy-wasm plugins end to end in the project's own
// wazero host (hack/wasmhost): full HTTP exchanges — request headers, request body,
// response headers, response body — for JSON answers and 200-event SSE streams (in
// 256-byte pieces and cut at seeded random bytes), for passthrough, request sizes and
// every converting provider. Upstream answers come from the mock provider (hack/mock),
// generated once per case from the request the plugin actually sent.
//
// The no-op floor plugin (-floor) runs in the same process and every figure is printed
// with its ratio to the floor, so results carry across machines. Any number of
// -plugin name=path.wasm builds run side by side.
//
//	go run ./hack/bench -plugin ai-proxy=build/ai-proxy.wasm -floor build/noop.wasm
//	go run ./hack/bench -quick -plugin a=a.wasm -plugin b=b.wasm -floor build/noop.wasm
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/ai-proxy/ai-proxy/provider/route/intenteval"
)

// plugin is one compiled plugin under test (or the floor).
type plugin struct {
	name  string
	path  string
	floor bool

	size                            int
	host                            *wasmhost.Host
	compile, instantiate, configure time.Duration
	startErr                        error // the plugin could not be loaded at all
	instantiateNote, configureNote  string
}

// result is one plugin's figures on one case.
type result struct {
	na                       string // why the case could not run ("" when it ran)
	wrong                    string // the plugin's output failed the check (figures still shown)
	in                       *input
	vm                       *wasmhost.VM
	n                        int // exchanges so far
	perRun                   int
	runs                     []float64          // µs per exchange, one per run
	us                       float64            // median of runs
	memStart                 uint32             // after configure, before any exchange
	memWarm, memHalf, memEnd uint32             // after warm-up, half-way and at the end of the memory run
	phases                   [numPhases]float64 // µs per exchange in each phase (one extra run)
	hostCalls                float64            // proxy-wasm host calls per exchange (same run)
	callsByName              map[string]uint64  // ... by name, over hostCallsN exchanges
	hostCallsN               int
}

type pluginFlags []string

func (p *pluginFlags) String() string     { return strings.Join(*p, ",") }
func (p *pluginFlags) Set(v string) error { *p = append(*p, v); return nil }

type settings struct {
	runs, warmup, memExchanges, events, startRepeats int
	runTime                                          time.Duration
	seed                                             uint64
}

func main() {
	var plugins pluginFlags
	flag.Var(&plugins, "plugin", "a plugin to measure, `name=path.wasm` (repeatable)")
	floorPath := flag.String("floor", "build/noop.wasm", "the no-op floor plugin every figure is compared to")
	quick := flag.Bool("quick", false, "short run for CI: fewer runs, 1,000 exchanges for memory")
	runs := flag.Int("runs", 0, "timed runs per case (median reported); default 7, -quick 3")
	warmup := flag.Int("warmup", 0, "warm-up exchanges per case before timing; default 300, -quick 50")
	memN := flag.Int("mem-exchanges", 0, "exchanges per case before the second memory reading; default 10000, -quick 1000")
	runTime := flag.Duration("run-time", 0, "target duration of one timed run; default 60ms, -quick 20ms")
	events := flag.Int("events", 200, "SSE events in a streamed answer")
	seed := flag.Uint64("seed", 1, "seed of the random stream cuts")
	casesRE := flag.String("cases", "", "only cases whose name matches this regexp")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (host side) to this file")
	hostCallsRE := flag.String("host-calls", "", "print the host calls per exchange by name for cases whose name matches this `regexp`")
	guestN := flag.Int("guest-profile", 0, "instead of benchmarking, time every guest function call over `n` exchanges of each selected case (first -plugin) and print the top functions")
	flag.Parse()

	s := settings{runs: 7, warmup: 300, memExchanges: 10000, runTime: 60 * time.Millisecond, events: *events, seed: *seed, startRepeats: 9}
	if *quick {
		s = settings{runs: 3, warmup: 50, memExchanges: 1000, runTime: 20 * time.Millisecond, events: *events, seed: *seed, startRepeats: 1}
	}
	if *runs > 0 {
		s.runs = *runs
	}
	if *warmup > 0 {
		s.warmup = *warmup
	}
	if *memN > 0 {
		s.memExchanges = *memN
	}
	if *runTime > 0 {
		s.runTime = *runTime
	}

	ps := []*plugin{{name: "floor", path: *floorPath, floor: true}}
	for _, p := range plugins {
		name, path, ok := strings.Cut(p, "=")
		if !ok || name == "" || path == "" {
			fatalf("-plugin %q: want name=path.wasm", p)
		}
		ps = append(ps, &plugin{name: name, path: path})
	}
	if len(ps) == 1 {
		fatalf("no -plugin given")
	}
	cases := allCases()
	if *casesRE != "" {
		re, err := regexp.Compile(*casesRE)
		if err != nil {
			fatalf("-cases: %v", err)
		}
		var keep []*benchCase
		for _, c := range cases {
			if re.MatchString(c.id()) {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatalf("%v", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	ctx := context.Background()
	if *guestN > 0 {
		guestProfile(ctx, ps, cases, s, *guestN)
		return
	}
	started := time.Now()
	for _, p := range ps {
		loadPlugin(ctx, p, s)
		if p.floor && p.startErr != nil {
			fatalf("floor %s: %v", p.path, p.startErr)
		}
		fmt.Fprintf(os.Stderr, "loaded %s (%s): compile %v\n", p.name, p.path, p.compile.Round(time.Millisecond))
	}
	results := make(map[*benchCase][]*result, len(cases))
	for _, c := range cases {
		fmt.Fprintf(os.Stderr, "case %-34s", c.id())
		t0 := time.Now()
		results[c] = runCase(ctx, ps, c, s)
		fmt.Fprintf(os.Stderr, " %v\n", time.Since(t0).Round(time.Millisecond))
	}
	for _, p := range ps {
		if p.host != nil {
			p.host.Close(ctx)
		}
	}
	report(os.Stdout, ps, cases, results, s, time.Since(started))
	if *hostCallsRE != "" {
		re, err := regexp.Compile(*hostCallsRE)
		if err != nil {
			fatalf("-host-calls: %v", err)
		}
		reportHostCalls(os.Stdout, ps, cases, results, re)
	}
	if len(ps) > 1 && *casesRE == "" {
		reportFallbackTTFB(os.Stdout, ps[1].path)
	}
	reportClassifier(os.Stdout)
}

// reportClassifier prints the built-in intent classifier's accuracy and confusion on the
// labelled prompts in testdata/intent.
func reportClassifier(w io.Writer) {
	for _, f := range []string{"testdata/intent/prompts.jsonl", "testdata/intent/holdout.jsonl"} {
		r, err := intenteval.Evaluate(f)
		if err != nil {
			fmt.Fprintf(w, "\nintent classifier on %s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(w, "\nIntent classifier (routing mode intent) on %s:\n%s", f, r.String())
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// minDur is the least of ds: start-up steps run few times, and the fastest is the one a
// busy shared machine disturbed least.
func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// loadPlugin reads and compiles the plugin and measures its start-up (the minimum over
// the repeats): compile (module
// compilation), instantiate (a VM with an empty configuration: instantiation,
// _initialize, proxy_on_vm_start and a configure that has nothing to parse or rejects the
// empty configuration at once) and configure (a VM with the OpenAI configuration, minus
// instantiate).
func loadPlugin(ctx context.Context, p *plugin, s settings) {
	wasm, err := os.ReadFile(p.path)
	if err != nil {
		p.startErr = err
		return
	}
	p.size = len(wasm)
	var compiles []time.Duration
	for i := 0; i < min(3, s.startRepeats); i++ {
		runtime.GC()
		t0 := time.Now()
		h, err := wasmhost.Load(ctx, wasm, wasmhost.Options{PluginName: "ai-proxy"})
		compiles = append(compiles, time.Since(t0))
		if err != nil {
			p.startErr = err
			return
		}
		if p.host != nil {
			p.host.Close(ctx)
		}
		p.host = h
	}
	p.compile = minDur(compiles)

	var inst, conf []time.Duration
	for i := 0; i < s.startRepeats; i++ {
		t0 := time.Now()
		vm, err := p.host.NewVM(ctx, []byte(configNoop))
		inst = append(inst, time.Since(t0))
		if err == nil {
			vm.Close(ctx)
		} else if p.instantiateNote == "" {
			p.instantiateNote = "rejects {} (time includes that check)"
		}
		t0 = time.Now()
		vm, err = p.host.NewVM(ctx, []byte(configOpenAI))
		conf = append(conf, time.Since(t0))
		if err != nil {
			p.configureNote = "openai config failed: " + firstLine(err.Error())
			continue
		}
		vm.Close(ctx)
	}
	p.instantiate = minDur(inst)
	p.configure = max(0, minDur(conf)-p.instantiate)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// runCase measures every plugin on one case, interleaving their timed runs so that a
// busy shared machine affects them alike.
func runCase(ctx context.Context, ps []*plugin, c *benchCase, s settings) []*result {
	rs := make([]*result, len(ps))
	var primary *input
	for i, p := range ps {
		r := &result{}
		rs[i] = r
		if p.startErr != nil {
			r.na = "plugin not loaded: " + firstLine(p.startErr.Error())
			continue
		}
		if p.floor {
			continue
		}
		vm, err := p.host.NewVM(ctx, []byte(c.config))
		if err != nil {
			r.na = "plugin start failed: " + firstLine(err.Error())
			continue
		}
		r.vm = vm
		r.memStart = vm.MemorySize()
		in, err := prepare(ctx, vm, c, s.events, s.seed)
		r.n = 1
		var na errNA
		switch {
		case errors.As(err, &na):
			r.na = na.reason
		case err != nil && in == nil:
			r.na = "failed: " + firstLine(err.Error())
		case err != nil:
			r.wrong = err.Error()
		}
		if r.na != "" {
			vm.Close(ctx)
			r.vm = nil
			continue
		}
		r.in = in
		if primary == nil {
			primary = in
		}
	}
	// The floor gets the same client request and upstream answer as the first plugin
	// that could run the case.
	for i, p := range ps {
		if !p.floor || rs[i].na != "" {
			continue
		}
		if primary == nil {
			rs[i].na = "no plugin ran this case"
			continue
		}
		vm, err := p.host.NewVM(ctx, []byte(configNoop))
		if err != nil {
			rs[i].na = "floor start failed: " + firstLine(err.Error())
			continue
		}
		rs[i].vm, rs[i].in, rs[i].memStart = vm, primary, vm.MemorySize()
	}

	live := func(yield func(*result) bool) {
		for _, r := range rs {
			if r.vm != nil && r.na == "" {
				if !yield(r) {
					return
				}
			}
		}
	}
	fail := func(r *result, err error) {
		r.na = "failed after " + fmt.Sprint(r.n) + " exchanges: " + firstLine(err.Error())
		r.vm.Close(ctx)
		r.vm = nil
	}
	// Warm up, then size the runs.
	for r := range live {
		t0 := time.Now()
		for ; r.n < s.warmup; r.n++ {
			if err := exchange(r.vm, r.in, nil); err != nil {
				fail(r, err)
				break
			}
		}
		if r.vm == nil {
			continue
		}
		per := time.Since(t0) / time.Duration(max(1, s.warmup-1))
		r.perRun = max(5, int(s.runTime/max(per, time.Microsecond)))
		r.memWarm = r.vm.MemorySize()
	}
	for range s.runs {
		for r := range live {
			runtime.GC()
			t0 := time.Now()
			for k := 0; k < r.perRun; k++ {
				if err := exchange(r.vm, r.in, nil); err != nil {
					fail(r, err)
					break
				}
			}
			if r.vm == nil {
				continue
			}
			r.n += r.perRun
			r.runs = append(r.runs, float64(time.Since(t0).Nanoseconds())/1e3/float64(r.perRun))
		}
	}
	// One more run, with each phase timed and the host calls counted: clock reads
	// between phases stay out of the timed runs above.
	for r := range live {
		runtime.GC()
		var t phaseTimer
		r.vm.ResetHostCalls()
		for k := 0; k < r.perRun; k++ {
			if err := exchange(r.vm, r.in, &t); err != nil {
				fail(r, err)
				break
			}
		}
		if r.vm == nil {
			continue
		}
		r.n += r.perRun
		for p, d := range t.d {
			r.phases[p] = float64(d.Nanoseconds()) / 1e3 / float64(r.perRun)
		}
		r.callsByName, r.hostCallsN = r.vm.HostCalls(), r.perRun
		var all uint64
		for _, n := range r.callsByName {
			all += n
		}
		r.hostCalls = float64(all) / float64(r.perRun)
	}
	for r := range live {
		for ; r.n < s.memExchanges; r.n++ {
			if r.n == s.memExchanges/2 {
				r.memHalf = r.vm.MemorySize()
			}
			if err := exchange(r.vm, r.in, nil); err != nil {
				fail(r, err)
				break
			}
		}
		if r.vm == nil {
			continue
		}
		r.memEnd = r.vm.MemorySize()
		if r.memHalf == 0 {
			r.memHalf = r.memWarm
		}
		r.us = median(r.runs)
		r.vm.Close(ctx)
		r.vm = nil
	}
	return rs
}
