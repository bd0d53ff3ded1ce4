package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Targets (issue 20, "Ten times cheaper than Higress"): ratios to the floor from one run.
const (
	targetPassthroughRatio = 4.0     // OpenAI passthrough JSON exchange, × floor
	targetConvertedRatio   = 12.0    // converted JSON exchange, × floor
	targetPassStreamRatio  = 1.5     // passthrough stream, µs per event × floor
	targetConvertedEventUS = 1.0     // converted stream, µs per event
	targetAllOverhead      = 0.15    // routing + fallback (not triggered) + monitoring on a converted exchange
	targetMemBytes         = 6 << 20 // guest memory after the memory run (the harness's own)
	targetVsHigressMem     = 0.5     // guest memory, × Higress's (a -plugin named higress)
	targetVsHigressSize    = 0.6     // .wasm size, × Higress's
)

func ratio(v, floor float64) string {
	if floor <= 0 || v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", v/floor)
}

func mib(b uint32) string { return fmt.Sprintf("%.2f", float64(b)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1e3) }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// report prints markdown tables: start-up, exchanges, memory, targets, notes.
func report(w io.Writer, ps []*plugin, cases []*benchCase, results map[*benchCase][]*result, s settings, took time.Duration) {
	floor := ps[0]
	fmt.Fprintf(w, "# bench %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s %s/%s; %d runs (median), %d warm-up, memory after %d exchanges, %d-event streams; run took %v\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, s.runs, s.warmup, s.memExchanges, s.events, took.Round(time.Second))

	// Start-up.
	fmt.Fprintf(w, "## Start-up (fastest of %d; configure = a VM with the openai config minus one with {})\n\n| | floor |", s.startRepeats)
	for _, p := range ps[1:] {
		fmt.Fprintf(w, " %s | ×floor |", p.name)
	}
	fmt.Fprintf(w, "\n|---|---:|")
	for range ps[1:] {
		fmt.Fprintf(w, "---:|---:|")
	}
	fmt.Fprintln(w)
	row := func(label string, f func(*plugin) (string, float64)) {
		v, fv := f(floor)
		fmt.Fprintf(w, "| %s | %s |", label, v)
		for _, p := range ps[1:] {
			if p.startErr != nil {
				fmt.Fprintf(w, " n/a | |")
				continue
			}
			v, pv := f(p)
			fmt.Fprintf(w, " %s | %s |", v, ratio(pv, fv))
		}
		fmt.Fprintln(w)
	}
	row(".wasm size", func(p *plugin) (string, float64) {
		return fmt.Sprintf("%.2f MB", float64(p.size)/1e6), float64(p.size)
	})
	row("compile", func(p *plugin) (string, float64) { return ms(p.compile), float64(p.compile) })
	row("instantiate", func(p *plugin) (string, float64) { return ms(p.instantiate), float64(p.instantiate) })
	row("configure (openai)", func(p *plugin) (string, float64) { return ms(p.configure), float64(p.configure) })
	fmt.Fprintln(w)

	// Exchanges.
	fmt.Fprintf(w, "## Exchanges (µs per exchange; streams also µs per upstream event)\n\n"+
		"phases: µs per exchange in request headers / request body / response headers / response body / done "+
		"(proxy_on_done, _log, _delete), from one extra run with a clock read between phases; "+
		"calls: proxy-wasm host calls per exchange (`-host-calls REGEXP` lists them by name)\n\n"+
		"| case | floor µs | floor µs/ev | floor phases |")
	for _, p := range ps[1:] {
		fmt.Fprintf(w, " %s µs | ×floor | µs/ev | ×floor | phases | calls |", p.name)
	}
	fmt.Fprintf(w, "\n|---|---:|---:|---:|")
	for range ps[1:] {
		fmt.Fprintf(w, "---:|---:|---:|---:|---:|---:|")
	}
	fmt.Fprintln(w)
	var notes []string
	for _, c := range cases {
		rs := results[c]
		fr := rs[0]
		fmt.Fprintf(w, "| %s | %s | %s | %s |", c.id(), usCell(fr), perEventCell(fr), phaseCell(fr))
		for i, p := range ps[1:] {
			r := rs[i+1]
			if r.na != "" {
				fmt.Fprintf(w, " n/a | | | | | |")
				notes = append(notes, fmt.Sprintf("%s, %s: n/a — %s", p.name, c.id(), r.na))
				continue
			}
			mark := ""
			if r.wrong != "" {
				mark = " ⚠"
				notes = append(notes, fmt.Sprintf("%s, %s: %s", p.name, c.id(), r.wrong))
			}
			if r.in != nil && c.wantUpstream != "" && r.in.upstream != c.wantUpstream {
				notes = append(notes, fmt.Sprintf("%s, %s: called upstream %s, expected %s", p.name, c.id(), r.in.upstream, c.wantUpstream))
			}
			fmt.Fprintf(w, " %s%s | %s | %s | %s | %s | %.0f |", usCell(r), mark, ratio(r.us, fr.us), perEventCell(r), perEventRatio(r, fr),
				phaseCell(r), r.hostCalls)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)

	// Memory.
	fmt.Fprintf(w, "## Guest memory (MiB at start → after %d warm-up → %d → %d exchanges)\n\n| case | floor |", s.warmup, s.memExchanges/2, s.memExchanges)
	for _, p := range ps[1:] {
		fmt.Fprintf(w, " %s | ×floor |", p.name)
	}
	fmt.Fprintf(w, "\n|---|---:|")
	for range ps[1:] {
		fmt.Fprintf(w, "---:|---:|")
	}
	fmt.Fprintln(w)
	for _, c := range cases {
		rs := results[c]
		fmt.Fprintf(w, "| %s | %s |", c.id(), memCell(rs[0]))
		for _, r := range rs[1:] {
			if r.na != "" {
				fmt.Fprintf(w, " n/a | |")
				continue
			}
			fmt.Fprintf(w, " %s | %s |", memCell(r), ratio(float64(r.memEnd), float64(rs[0].memEnd)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)

	// Targets.
	fmt.Fprintf(w, "## Targets\n\n| target |")
	for _, p := range ps[1:] {
		fmt.Fprintf(w, " %s |", p.name)
	}
	fmt.Fprintf(w, "\n|---|")
	for range ps[1:] {
		fmt.Fprintf(w, "---|")
	}
	fmt.Fprintln(w)
	// The plugin named higress, if any, is what the memory and size targets compare to.
	hi := -1
	for i, p := range ps {
		if p.name == "higress" && p.startErr == nil {
			hi = i
		}
	}
	byName := map[string]*benchCase{}
	for _, c := range cases {
		byName[c.id()] = c
	}
	targets := []struct {
		name  string
		check func(p *plugin, i int) string
	}{
		{fmt.Sprintf("OpenAI passthrough JSON ≤ %.0f× floor", targetPassthroughRatio), func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(c *benchCase) bool { return c.name == "openai chat" && !c.streaming() },
				func(r, fr *result) (string, bool) {
					return fmt.Sprintf("%.1f×", r.us/fr.us), r.us <= targetPassthroughRatio*fr.us
				})
		}},
		{fmt.Sprintf("converted JSON ≤ %.0f× floor", targetConvertedRatio), func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(c *benchCase) bool { return c.group == groupConverted && !c.streaming() },
				func(r, fr *result) (string, bool) {
					return fmt.Sprintf("%.1f×", r.us/fr.us), r.us <= targetConvertedRatio*fr.us
				})
		}},
		{fmt.Sprintf("passthrough streams ≤ %.1f× floor per event", targetPassStreamRatio), func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(c *benchCase) bool { return c.group == groupPassthrough && c.streaming() },
				func(r, fr *result) (string, bool) {
					return fmt.Sprintf("%.1f×", r.us/fr.us), r.us <= targetPassStreamRatio*fr.us
				})
		}},
		{fmt.Sprintf("converted stream ≤ %.0f µs/event", targetConvertedEventUS), func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(c *benchCase) bool { return c.group == groupConverted && c.streaming() },
				func(r, fr *result) (string, bool) {
					e := r.us / float64(r.in.events)
					return fmt.Sprintf("%.2f", e), e <= targetConvertedEventUS
				})
		}},
		{fmt.Sprintf("routing + fallback ready + monitoring ≤ +%.0f %% over claude chat", 100*targetAllOverhead), func(p *plugin, i int) string {
			return pairedCases(cases, results, i, func(c *benchCase) *benchCase {
				if c.name != "claude chat routed+fallback+monitored" {
					return nil
				}
				return byName["claude chat "+c.delivery.String()]
			}, func(c *benchCase, r, base *result) (string, bool) {
				over := r.us/base.us - 1
				return fmt.Sprintf("%s %+.0f %%", c.delivery, 100*over), over <= targetAllOverhead
			})
		}},
		{"memory: no growth in the second half of the memory run", func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(*benchCase) bool { return true },
				func(r, fr *result) (string, bool) {
					return fmt.Sprintf("+%.2f MiB", float64(r.memEnd-r.memHalf)/(1<<20)), r.memEnd == r.memHalf
				})
		}},
		{fmt.Sprintf("memory < 6 MiB after %d exchanges", s.memExchanges), func(p *plugin, i int) string {
			return checkCases(cases, results, i, func(*benchCase) bool { return true },
				func(r, fr *result) (string, bool) { return mib(r.memEnd) + " MiB", r.memEnd < targetMemBytes })
		}},
		{fmt.Sprintf("memory ≤ %.1f× Higress's after %d exchanges", targetVsHigressMem, s.memExchanges), func(p *plugin, i int) string {
			if hi < 0 || i == hi {
				return "n/a"
			}
			return pairedCases(cases, results, i, func(c *benchCase) *benchCase { return c },
				func(c *benchCase, r, _ *result) (string, bool) {
					h := results[c][hi]
					if h.na != "" || h.memEnd == 0 {
						return "", true
					}
					q := float64(r.memEnd) / float64(h.memEnd)
					return fmt.Sprintf("%s %.2f×", c.id(), q), q <= targetVsHigressMem
				}, hi)
		}},
		{fmt.Sprintf(".wasm ≤ %.1f× Higress's", targetVsHigressSize), func(p *plugin, i int) string {
			if p.startErr != nil || hi < 0 || i == hi {
				return "n/a"
			}
			q := float64(p.size) / float64(ps[hi].size)
			v := fmt.Sprintf("%.2f MB, %.2f×", float64(p.size)/1e6, q)
			if q <= targetVsHigressSize {
				return "met (" + v + ")"
			}
			return "**missed** (" + v + ")"
		}},
	}
	for _, t := range targets {
		fmt.Fprintf(w, "| %s |", t.name)
		for i, p := range ps[1:] {
			fmt.Fprintf(w, " %s |", t.check(p, i+1))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	if len(notes) > 0 {
		fmt.Fprintf(w, "## Notes\n\n")
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		fmt.Fprintln(w)
	}
}

// pairedCases evaluates a target that compares plugin i on a case with a figure of
// another case (base returns it, nil: the case does not count) or, given other, with
// another plugin on the same case: "met" listing the values, or "missed" listing those
// that miss it.
func pairedCases(cases []*benchCase, results map[*benchCase][]*result, i int, base func(*benchCase) *benchCase,
	eval func(c *benchCase, r, b *result) (string, bool), other ...int) string {
	var missed, met []string
	for _, c := range cases {
		bc := base(c)
		if bc == nil {
			continue
		}
		r, b := results[c][i], results[bc][i]
		if len(other) > 0 {
			b = results[c][other[0]]
		}
		if r.na != "" || r.us == 0 || b == nil || b.na != "" {
			continue
		}
		v, ok := eval(c, r, b)
		switch {
		case v == "":
		case ok:
			met = append(met, v)
		default:
			missed = append(missed, v)
		}
	}
	switch {
	case len(missed) > 0:
		return "**missed**: " + strings.Join(missed, "; ")
	case len(met) > 0:
		return "met (" + strings.Join(met, ", ") + ")"
	}
	return "n/a"
}

// checkCases evaluates a target over the matching cases of plugin i: "met" with the
// worst value, or "missed" listing the cases that miss it.
func checkCases(cases []*benchCase, results map[*benchCase][]*result, i int, match func(*benchCase) bool,
	eval func(r, fr *result) (string, bool)) string {
	var missed, met []string
	na := 0
	for _, c := range cases {
		if !match(c) {
			continue
		}
		r, fr := results[c][i], results[c][0]
		if r.na != "" || fr.na != "" || r.us == 0 {
			na++
			continue
		}
		v, ok := eval(r, fr)
		if ok {
			met = append(met, v)
		} else {
			missed = append(missed, c.id()+" "+v)
		}
	}
	switch {
	case len(missed) > 0:
		return "**missed**: " + strings.Join(missed, "; ")
	case len(met) > 0:
		s := "met (" + strings.Join(met, ", ") + ")"
		if na > 0 {
			s += fmt.Sprintf(", %d n/a", na)
		}
		return s
	}
	return "n/a"
}

func usCell(r *result) string {
	if r.na != "" {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", r.us)
}

func perEventCell(r *result) string {
	if r.na != "" || r.in == nil || r.in.events == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", r.us/float64(r.in.events))
}

func perEventRatio(r, fr *result) string {
	if r.in == nil || r.in.events == 0 || fr.na != "" || fr.in == nil || fr.in.events == 0 {
		return ""
	}
	return ratio(r.us/float64(r.in.events), fr.us/float64(fr.in.events))
}

func memCell(r *result) string {
	if r.na != "" {
		return "n/a"
	}
	return mib(r.memStart) + " → " + mib(r.memWarm) + " → " + mib(r.memHalf) + " → " + mib(r.memEnd)
}

func phaseCell(r *result) string {
	if r.na != "" {
		return ""
	}
	p := r.phases
	return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f / %.1f", p[0], p[1], p[2], p[3], p[4])
}

// reportHostCalls lists, for each case matching re, every plugin's host calls per
// exchange by name.
func reportHostCalls(w io.Writer, ps []*plugin, cases []*benchCase, results map[*benchCase][]*result, re *regexp.Regexp) {
	for _, c := range cases {
		if !re.MatchString(c.id()) {
			continue
		}
		for i, p := range ps {
			r := results[c][i]
			if r.na != "" || r.hostCallsN == 0 || p.floor {
				continue
			}
			fmt.Fprintf(w, "\n### host calls per exchange: %s, %s (%.1f in all)\n\n| call | per exchange |\n|---|---:|\n", p.name, c.id(), r.hostCalls)
			names := make([]string, 0, len(r.callsByName))
			for k := range r.callsByName {
				names = append(names, k)
			}
			sort.Slice(names, func(a, b int) bool {
				na, nb := r.callsByName[names[a]], r.callsByName[names[b]]
				return na > nb || (na == nb && names[a] < names[b])
			})
			for _, k := range names {
				fmt.Fprintf(w, "| %s | %.2f |\n", k, float64(r.callsByName[k])/float64(r.hostCallsN))
			}
		}
	}
}
