// Package gw is the local gateway: a net/http server that runs every request through a
// proxy-wasm plugin (hack/wasmhost) the way Envoy's wasm filter does, and forwards it to
// the upstream the plugin chose. `make run` serves it; tests and the benchmark start it
// in-process with New and Start.
package gw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// Options are what a Config file cannot say.
type Options struct {
	// Mock is the provider started when Config.Mock is on; default mock.NewHandler().
	Mock http.Handler
	// Log receives the gateway's own lines and the plugin's logs; default os.Stderr.
	Log io.Writer
	// AccessLog, if set, gets one line per request.
	AccessLog io.Writer
	// CacheDir keeps wazero's compiled code between runs; default the user cache dir.
	// "-" disables it.
	CacheDir string
	// Transport performs upstream requests and callouts; default a clone of
	// http.DefaultTransport without transparent compression.
	Transport http.RoundTripper
}

// Gateway is a running local gateway. Close it when done.
type Gateway struct {
	cfg    Config
	opts   Options
	host   *wasmhost.Host
	slots  []*slot
	next   atomic.Uint64
	client *http.Client

	mockURL string
	mockSrv *http.Server
	srv     *http.Server
	ln      net.Listener
	stop    chan struct{}
	wg      sync.WaitGroup
}

type slot struct {
	g            *Gateway
	pluginConfig []byte
	mu           sync.Mutex
	vm           *wasmhost.VM
}

// New loads wasm, starts Config.VMs VMs configured with the plugin config (an invalid
// config fails here with the plugin's own error logs), and the mock if configured. It does
// not listen yet: see Start, or use the Gateway as an http.Handler.
func New(ctx context.Context, cfg *Config, wasm []byte, opts Options) (*Gateway, error) {
	g := &Gateway{cfg: *cfg, opts: opts, stop: make(chan struct{})}
	g.cfg.withDefaults()
	if g.opts.Log == nil {
		g.opts.Log = os.Stderr
	}
	level, err := wasmhost.ParseLogLevel(g.cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("config: logLevel: %w", err)
	}
	pluginJSON, err := g.cfg.PluginJSON()
	if err != nil {
		return nil, err
	}
	tr := opts.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Like Envoy: the client's Accept-Encoding goes through as it is, nothing added.
		t.DisableCompression = true
		t.MaxIdleConnsPerHost = 64
		tr = t
	}
	g.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	cacheDir := opts.CacheDir
	if cacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			cacheDir = filepath.Join(d, "ai-proxy", "wazero")
		}
	}
	if cacheDir == "-" {
		cacheDir = ""
	}
	g.host, err = wasmhost.Load(ctx, wasm, wasmhost.Options{
		PluginName:          "ai-proxy",
		LogWriter:           g.opts.Log,
		LogLevel:            level,
		Stderr:              g.opts.Log,
		HTTPCall:            g.httpCall,
		CompilationCacheDir: cacheDir,
	})
	if err != nil {
		return nil, err
	}
	n := g.cfg.VMs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	for i := 0; i < n; i++ {
		s := &slot{g: g, pluginConfig: pluginJSON}
		if _, err := s.get(ctx); err != nil {
			g.host.Close(ctx)
			return nil, err
		}
		g.slots = append(g.slots, s)
	}
	if g.cfg.Mock {
		if err := g.startMock(); err != nil {
			g.Close()
			return nil, err
		}
	}
	return g, nil
}

// get returns the slot's VM, replacing it if it failed (a trap kills a VM for good).
func (s *slot) get(ctx context.Context) (*wasmhost.VM, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vm != nil && s.vm.Err() == nil {
		return s.vm, nil
	}
	if s.vm != nil {
		fmt.Fprintf(s.g.opts.Log, "gateway: replacing failed VM %d: %v\n", s.vm.ID(), s.vm.Err())
		s.vm.Close(ctx)
	}
	vm, err := s.g.host.NewVM(ctx, s.pluginConfig)
	if err != nil {
		return nil, err
	}
	s.vm = vm
	s.g.wg.Add(1)
	go s.g.tick(vm)
	return vm, nil
}

// tick runs the VM's ticks at the period it asks for, which it may change at any time
// (as Envoy honours proxy_set_tick_period_milliseconds); no period, no ticks.
func (g *Gateway) tick(vm *wasmhost.VM) {
	defer g.wg.Done()
	const idle = 50 * time.Millisecond // how soon a newly asked period is noticed
	for {
		p := vm.TickPeriod()
		wait := p
		if p == 0 {
			wait = idle
		}
		t := time.NewTimer(wait)
		select {
		case <-g.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if p > 0 && vm.Tick() != nil {
			return
		}
	}
}

func (g *Gateway) startMock() error {
	h := g.opts.Mock
	if h == nil {
		h = mock.NewHandler()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	g.mockURL = "http://" + ln.Addr().String()
	g.mockSrv = &http.Server{Handler: h}
	go g.mockSrv.Serve(ln)
	return nil
}

// Start listens on Config.Listen and serves in the background.
func (g *Gateway) Start() error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return err
	}
	g.ln = ln
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 30 * time.Second}
	go g.srv.Serve(ln)
	return nil
}

// URL is the gateway's base URL ("http://127.0.0.1:PORT") once started.
func (g *Gateway) URL() string {
	if g.ln == nil {
		return ""
	}
	return "http://" + g.ln.Addr().String()
}

// MockURL is the embedded mock's base URL, "" if it is off.
func (g *Gateway) MockURL() string { return g.mockURL }

// Host is the wasm host (metrics, shared data).
func (g *Gateway) Host() *wasmhost.Host { return g.host }

// VMs returns the current VM of every slot.
func (g *Gateway) VMs() []*wasmhost.VM {
	out := make([]*wasmhost.VM, 0, len(g.slots))
	for _, s := range g.slots {
		s.mu.Lock()
		out = append(out, s.vm)
		s.mu.Unlock()
	}
	return out
}

// Close stops serving (without waiting for streams in flight) and releases the VMs.
func (g *Gateway) Close() error {
	select {
	case <-g.stop:
		return nil
	default:
	}
	close(g.stop)
	if g.srv != nil {
		g.srv.Close()
	}
	if g.mockSrv != nil {
		g.mockSrv.Close()
	}
	g.wg.Wait()
	return g.host.Close(context.Background())
}

// routeBase is the base URL of the request's cluster: the first Routes entry its
// headers match, else the one its authority resolves to.
func (g *Gateway) routeBase(h wasmhost.Headers) string {
	for _, r := range g.cfg.Routes {
		if v, ok := h.Get(strings.ToLower(r.Header)); ok && v == r.Value {
			return strings.TrimRight(r.Upstream, "/")
		}
	}
	return g.upstreamBase(h.Value(":authority"))
}

// upstreamBase resolves an authority to the base URL its requests go to.
func (g *Gateway) upstreamBase(authority string) string {
	if u, ok := g.cfg.Upstreams[authority]; ok {
		return strings.TrimRight(u, "/")
	}
	if h, _, err := net.SplitHostPort(authority); err == nil {
		if u, ok := g.cfg.Upstreams[h]; ok {
			return strings.TrimRight(u, "/")
		}
	}
	if g.mockURL != "" {
		return g.mockURL
	}
	return "https://" + authority
}

// clusterBase resolves a callout cluster: Config.Clusters, the route's own cluster (where
// the request itself would go), or a Higress "outbound|PORT||HOST" name.
func (g *Gateway) clusterBase(cluster, authority string) (string, error) {
	if u, ok := g.cfg.Clusters[cluster]; ok {
		return strings.TrimRight(u, "/"), nil
	}
	if cluster == g.cfg.ClusterName {
		return g.upstreamBase(authority), nil
	}
	if parts := strings.Split(cluster, "|"); len(parts) == 4 && parts[0] == "outbound" && parts[3] != "" {
		host := parts[3]
		if _, ok := g.cfg.Upstreams[host]; ok || g.mockURL != "" {
			return g.upstreamBase(host), nil
		}
		scheme := "http"
		if parts[1] == "443" {
			scheme = "https"
		}
		return scheme + "://" + net.JoinHostPort(host, parts[1]), nil
	}
	return "", fmt.Errorf("unknown cluster %q (add it to clusters:)", cluster)
}

// httpCall performs a plugin callout.
func (g *Gateway) httpCall(ctx context.Context, c *wasmhost.HTTPCall) (*wasmhost.HTTPCallResponse, error) {
	authority := c.Headers.Value(":authority")
	base, err := g.clusterBase(c.Cluster, authority)
	if err != nil {
		fmt.Fprintf(g.opts.Log, "gateway: callout: %v\n", err)
		return nil, err
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, c.Headers.Value(":method"), base+c.Headers.Value(":path"), bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	copyHeaders(req.Header, c.Headers)
	req.Host = authority
	resp, err := g.client.Do(req)
	if err != nil {
		fmt.Fprintf(g.opts.Log, "gateway: callout to %s: %v\n", c.Cluster, err)
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &wasmhost.HTTPCallResponse{Headers: responseHeaders(resp.StatusCode, resp.Header), Body: body}, nil
}

// hopHeaders never cross a proxy.
var hopHeaders = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true,
	"upgrade": true, "te": true, "trailer": true,
}

// dropHeaders are not copied onto a request or response: hop-by-hop ones, the length
// (recomputed), and the x-envoy ones the router consumes.
var dropHeaders = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true,
	"upgrade": true, "te": true, "trailer": true, "content-length": true,
	"x-envoy-upstream-rq-timeout-ms": true, "x-envoy-upstream-rq-first-byte-timeout-ms": true,
}

func copyHeaders(dst http.Header, h wasmhost.Headers) {
	for _, kv := range h {
		if strings.HasPrefix(kv[0], ":") || dropHeaders[kv[0]] {
			continue
		}
		dst[http.CanonicalHeaderKey(kv[0])] = append(dst[http.CanonicalHeaderKey(kv[0])], kv[1])
	}
}

func responseHeaders(status int, h http.Header) wasmhost.Headers {
	out := wasmhost.Headers{{":status", strconv.Itoa(status)}}
	for k, vs := range h {
		lk := strings.ToLower(k)
		// content-length stays for the plugin to see (and remove if it changes the body).
		if hopHeaders[lk] {
			continue
		}
		for _, v := range vs {
			out = append(out, [2]string{lk, v})
		}
	}
	return out
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var errFirstByte = errors.New("first byte timeout")
