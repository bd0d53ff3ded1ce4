// Package e2e runs the compiled plugin behind the local gateway (hack/gateway/gw) in
// front of the mock provider (hack/mock), and talks to it with the official OpenAI and
// Anthropic SDKs, as a user of the product would.
//
// The plugin comes from WASM_FILE_PATH (default ../build/ai-proxy.wasm; `make test`
// builds it first). Without it every test skips, saying so.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/tidwall/gjson"
)

// upstreamToken is the provider API key in the plugin config; clientKey is what SDK
// clients send (it must never reach the provider).
const (
	upstreamToken = "sk-e2e-upstream-token"
	clientKey     = "sk-e2e-client-key"
)

var (
	wasm      []byte
	wasmErr   error
	cacheDir  string
	mu        sync.Mutex
	gateways  = map[string]*env{}
	openaiCfg = map[string]any{"provider": map[string]any{"type": "openai", "apiTokens": []any{upstreamToken}}}
)

func TestMain(m *testing.M) {
	path := os.Getenv("WASM_FILE_PATH")
	if path == "" {
		path = filepath.Join("..", "build", "ai-proxy.wasm")
	}
	wasm, wasmErr = os.ReadFile(path)
	dir, err := os.MkdirTemp("", "e2e-wazero")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	for _, e := range gateways {
		e.gw.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one running gateway with its mock provider.
type env struct {
	gw   *gw.Gateway
	mock *mock.Handler
	gate *gate
	url  string
}

// gateway returns the gateway for a plugin config, started once per test run and
// shared by the tests that use the same config.
func gateway(t testing.TB, name string, plugin any) *env {
	t.Helper()
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v): run `make build` or set WASM_FILE_PATH", wasmErr)
	}
	mu.Lock()
	defer mu.Unlock()
	if e, ok := gateways[name]; ok {
		return e
	}
	m := mock.NewHandler()
	e := &env{mock: m, gate: newGate()}
	g, err := gw.New(context.Background(), &gw.Config{
		Listen: "127.0.0.1:0",
		Mock:   true,
		VMs:    2,
		Plugin: plugin,
	}, wasm, gw.Options{
		Mock:     &gated{mock: m, gate: e.gate},
		Log:      testLog{},
		CacheDir: cacheDir,
	})
	if err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	if err := g.Start(); err != nil {
		g.Close()
		t.Fatalf("start gateway: %v", err)
	}
	e.gw, e.url = g, g.URL()
	gateways[name] = e
	return e
}

// testLog shows gateway and plugin logs only with -v.
type testLog struct{}

func (testLog) Write(p []byte) (int, error) {
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return len(p), nil
}

// gatedModel is answered by gated, not by the mock: a two-event OpenAI stream whose
// second event is only written once the test says the client has seen the first.
const gatedModel = "e2e-gated"

type gate struct {
	release  chan struct{}
	released chan bool // true: released by the client; false: gave up waiting
}

func newGate() *gate {
	return &gate{release: make(chan struct{}, 1), released: make(chan bool, 1)}
}

type gated struct {
	mock *mock.Handler
	gate *gate
}

func (g *gated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if gjson.GetBytes(body, "model").String() != gatedModel {
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.mock.ServeHTTP(w, r)
		return
	}
	chunk := func(delta string, finish string) string {
		fin := "null"
		if finish != "" {
			fin = `"` + finish + `"`
		}
		return `data: {"id":"chatcmpl-gated","object":"chat.completion.chunk","created":1700000000,"model":"` + gatedModel +
			`","choices":[{"index":0,"delta":{"content":"` + delta + `"},"finish_reason":` + fin + "}]}\n\n"
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, chunk("first", ""))
	w.(http.Flusher).Flush()
	select {
	case <-g.gate.release:
		g.gate.released <- true
	case <-time.After(10 * time.Second): // bounds a failing run; never part of a pass
		g.gate.released <- false
	case <-r.Context().Done():
		g.gate.released <- false
		return
	}
	io.WriteString(w, chunk(" second", "stop"))
	io.WriteString(w, "data: [DONE]\n\n")
}
