package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// guestProfiler times every guest function call through wazero's function listeners:
// self time (minus callees) and inclusive time per function. Listening costs far more
// than the calls themselves, so absolute figures are inflated; the shares are what
// matters.
type guestProfiler struct {
	stats []funcStat
	stack []frame
}

type funcStat struct {
	name        string
	calls       int
	self, total time.Duration
	active      int // frames of this function on the stack (inclusive time counts the outermost)
}

type frame struct {
	idx   uint32
	start time.Time
	child time.Duration
}

type listener struct {
	p   *guestProfiler
	idx uint32
}

func (p *guestProfiler) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	idx := def.Index()
	for uint32(len(p.stats)) <= idx {
		p.stats = append(p.stats, funcStat{})
	}
	name := def.DebugName()
	if n := def.Name(); n != "" {
		name = n
	}
	p.stats[idx].name = name
	return &listener{p: p, idx: idx}
}

func (l *listener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.p.stats[l.idx].active++
	l.p.stack = append(l.p.stack, frame{idx: l.idx, start: time.Now()})
}

func (l *listener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) { l.p.pop() }

func (l *listener) Abort(context.Context, api.Module, api.FunctionDefinition, error) { l.p.pop() }

func (p *guestProfiler) pop() {
	if len(p.stack) == 0 {
		return
	}
	f := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	d := time.Since(f.start)
	st := &p.stats[f.idx]
	st.calls++
	st.self += d - f.child
	st.active--
	if st.active == 0 {
		st.total += d
	}
	if len(p.stack) > 0 {
		p.stack[len(p.stack)-1].child += d
	}
}

func (p *guestProfiler) reset() {
	for i := range p.stats {
		p.stats[i].calls, p.stats[i].self, p.stats[i].total = 0, 0, 0
	}
}

func (p *guestProfiler) print(w io.Writer, top int, exchanges int) {
	s := make([]funcStat, 0, len(p.stats))
	var all time.Duration
	for _, st := range p.stats {
		if st.calls > 0 {
			s = append(s, st)
			all += st.self
		}
	}
	show := func(title string, less func(a, b funcStat) bool, val func(funcStat) time.Duration) {
		sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
		fmt.Fprintf(w, "\n%s (share of guest time, calls per exchange):\n", title)
		for _, st := range s[:min(top, len(s))] {
			fmt.Fprintf(w, "  %5.1f%%  %8.1f  %s\n", 100*float64(val(st))/float64(all), float64(st.calls)/float64(exchanges), st.name)
		}
	}
	show("top self time", func(a, b funcStat) bool { return a.self > b.self }, func(st funcStat) time.Duration { return st.self })
	show("top inclusive time", func(a, b funcStat) bool { return a.total > b.total }, func(st funcStat) time.Duration { return st.total })
}

// guestProfile runs the first case matching for the first plugin under test with every
// guest call timed, and prints where the guest spends its time.
func guestProfile(ctx context.Context, ps []*plugin, cases []*benchCase, s settings, n int) {
	var p *plugin
	for _, q := range ps {
		if !q.floor {
			p = q
			break
		}
	}
	wasm, err := os.ReadFile(p.path)
	if err != nil {
		fatalf("%v", err)
	}
	for _, c := range cases {
		prof := &guestProfiler{}
		lctx := experimental.WithFunctionListenerFactory(ctx, prof)
		h, err := wasmhost.Load(lctx, wasm, wasmhost.Options{PluginName: "ai-proxy"})
		if err != nil {
			fatalf("%s: %v", p.name, err)
		}
		vm, err := h.NewVM(ctx, []byte(c.config))
		if err != nil {
			fmt.Printf("%s %s: n/a: %s\n", p.name, c.id(), firstLine(err.Error()))
			h.Close(ctx)
			continue
		}
		in, err := prepare(ctx, vm, c, s.events, s.seed)
		if in == nil {
			fmt.Printf("%s %s: n/a: %v\n", p.name, c.id(), err)
			h.Close(ctx)
			continue
		}
		for range 20 {
			exchange(vm, in, nil)
		}
		prof.reset()
		for range n {
			if err := exchange(vm, in, nil); err != nil {
				fatalf("%s: %v", c.id(), err)
			}
		}
		fmt.Printf("\n## guest profile: %s, %s (%d exchanges)\n", p.name, c.id(), n)
		prof.print(os.Stdout, 60, n)
		h.Close(ctx)
	}
}
