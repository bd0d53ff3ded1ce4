package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// reportFallbackTTFB measures, through the local gateway, the time to the first byte of
// a streamed answer served by the primary, and of one served by a fallback after the
// primary answered 503: the fallback comes through a callout, whose answer the host
// hands over whole, so its first byte waits for the whole generation (here 100 events
// 1 ms apart).
func reportFallbackTTFB(w io.Writer, wasmPath string) {
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		fmt.Fprintf(w, "\nfallback TTFB: %v\n", err)
		return
	}
	plugin := map[string]any{
		"providers": []any{
			map[string]any{"id": "openai", "type": "openai", "apiTokens": []any{"sk-bench"}},
			map[string]any{"id": "claude", "type": "claude", "apiTokens": []any{"sk-bench"}},
		},
		"routing": map[string]any{"mode": "single", "target": map[string]any{"provider": "openai"},
			"fallback": []any{map[string]any{"provider": "claude", "cluster": "outbound|443||api.anthropic.com"}}},
	}
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", Mock: true, VMs: 1, Plugin: plugin},
		wasm, gw.Options{Mock: mock.NewHandler(mock.WithMaxRecorded(0)), Log: io.Discard, CacheDir: "-"})
	if err == nil {
		err = g.Start()
	}
	if err != nil {
		fmt.Fprintf(w, "\nfallback TTFB: %v\n", err)
		return
	}
	defer g.Close()
	ttfb := func(fault string) (time.Duration, error) {
		req, _ := http.NewRequest("POST", g.URL()+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("content-type", "application/json")
		req.Header.Set(mock.ReplyWordsHeader, "100")
		req.Header.Set(mock.StreamDelayHeader, "1ms")
		if fault != "" {
			req.Header.Set(mock.FaultHeader, fault)
		}
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var b [1]byte
		if _, err := io.ReadFull(resp.Body, b[:]); err != nil {
			return 0, err
		}
		d := time.Since(t0)
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return d, nil
	}
	fmt.Fprintf(w, "\n## Time to first byte of a stream, served by the primary and by a fallback\n\n"+
		"Through the local gateway, 100 upstream events 1 ms apart; median of 30.\n\n| served by | TTFB ms |\n|---|---:|\n")
	for _, c := range []struct{ name, fault string }{{"primary", ""}, {"fallback after a 503 (callout, buffered)", mock.Fault("api.openai.com", "status:503")}} {
		var ds []float64
		for range 30 {
			d, err := ttfb(c.fault)
			if err != nil {
				fmt.Fprintf(w, "| %s | error: %v |\n", c.name, err)
				return
			}
			ds = append(ds, float64(d.Microseconds())/1000)
		}
		sort.Float64s(ds)
		fmt.Fprintf(w, "| %s | %.1f |\n", c.name, ds[len(ds)/2])
	}
}
