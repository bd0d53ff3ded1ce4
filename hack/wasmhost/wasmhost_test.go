package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	testPluginPath string // built by TestMain
	noopPath       string // NOOP_WASM_FILE_PATH, or built by TestMain
	cacheDir       string
)

// TestMain builds the test plugin (and the noop plugin unless NOOP_WASM_FILE_PATH names
// one) once per test run.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhost-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = filepath.Join(dir, "cache")
	testPluginPath = filepath.Join(dir, "testplugin.wasm")
	noopPath = os.Getenv("NOOP_WASM_FILE_PATH")
	builds := map[string]string{testPluginPath: "./testdata/testplugin"}
	if noopPath == "" {
		noopPath = filepath.Join(dir, "noop.wasm")
		builds[noopPath] = "../noop"
	}
	for out, pkg := range builds {
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func load(t testing.TB, path string, opts Options) *Host {
	t.Helper()
	wasm, err := os.ReadFile(path)
	require.NoError(t, err)
	opts.CompilationCacheDir = cacheDir
	h, err := Load(context.Background(), wasm, opts)
	require.NoError(t, err)
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func newVM(t testing.TB, h *Host, config string) *VM {
	t.Helper()
	vm, err := h.NewVM(context.Background(), []byte(config))
	require.NoError(t, err)
	return vm
}

func reqHeaders(mode string, extra ...[2]string) Headers {
	h := Headers{{":method", "POST"}, {":path", "/v1/x"}, {":authority", "example.com"}, {":scheme", "http"}, {"X-Mode", mode}}
	return append(h, extra...)
}

// TestLoadReportsMissingImports: a module importing what the host lacks fails at Load,
// naming every such import.
func TestLoadReportsMissingImports(t *testing.T) {
	// (module (type (func)) (import "env" "proxy_nonexistent" (func (type 0)))
	//         (import "env" "proxy_log" (func (type 0))))  -- proxy_log with a wrong signature
	imp := func(mod, name string) []byte {
		b := []byte{byte(len(mod))}
		b = append(b, mod...)
		b = append(b, byte(len(name)))
		b = append(b, name...)
		return append(b, 0x00, 0x00)
	}
	imports := append([]byte{2}, imp("env", "proxy_nonexistent")...)
	imports = append(imports, imp("env", "proxy_log")...)
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, byte(len(imports))}
	wasm = append(wasm, imports...)

	_, err := Load(context.Background(), wasm, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "env.proxy_nonexistent (not provided)")
	require.Contains(t, err.Error(), "env.proxy_log (signature ()->()")
}

func TestNoop(t *testing.T) {
	h := load(t, noopPath, Options{})
	vm := newVM(t, h, "")
	for i := 0; i < 3; i++ {
		s, err := vm.NewStream(nil)
		require.NoError(t, err)
		a, err := s.RequestHeaders(reqHeaders(""), false)
		require.NoError(t, err)
		require.Equal(t, ActionContinue, a)
		a, err = s.RequestBody([]byte("hello"), true)
		require.NoError(t, err)
		require.Equal(t, ActionContinue, a)
		_, err = s.ResponseHeaders(Headers{{":status", "200"}}, false)
		require.NoError(t, err)
		_, err = s.ResponseBody([]byte("a"), false)
		require.NoError(t, err)
		_, err = s.ResponseBody([]byte("b"), true)
		require.NoError(t, err)
		require.Equal(t, "hello", string(s.Request().Body()))
		require.Equal(t, [][]byte{[]byte("a"), []byte("b")}, s.Response().Pieces())
		require.True(t, s.Response().Ended())
		require.NoError(t, s.Done())
	}
	require.NoError(t, vm.Err())
	require.Greater(t, vm.MemorySize(), uint32(0))
}

func TestConfigureFailure(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	_, err := h.NewVM(context.Background(), []byte(`{"fail":true}`))
	require.Error(t, err)
	require.Contains(t, err.Error(), "bad config: field fail is set")
}

// TestPlugin drives one stream per case through the test plugin.
func TestPlugin(t *testing.T) {
	h := load(t, testPluginPath, Options{
		ForeignFunctions: map[string]ForeignFunction{
			"echo": func(p []byte) ([]byte, error) { return append([]byte("echo:"), p...), nil },
		},
	})
	vm := newVM(t, h, `{"prefix":"/p"}`)

	tests := []struct {
		name  string
		props map[string]string
		run   func(t *testing.T, s *Stream)
	}{
		{"headers are edited", nil, func(t *testing.T, s *Stream) {
			a, err := s.RequestHeaders(reqHeaders("headers", [2]string{"x-remove", "1"}), true)
			require.NoError(t, err)
			require.Equal(t, ActionContinue, a)
			sent, ok := s.Request().SentHeaders()
			require.True(t, ok)
			require.Equal(t, "/p/rewritten", sent.Value(":path"))
			require.Equal(t, "n=6/6", sent.Value("x-added"))
			_, found := sent.Get("x-remove")
			require.False(t, found)
			require.True(t, s.Request().Ended())
		}},
		{"StopIteration holds headers until the buffered body continues", nil, func(t *testing.T, s *Stream) {
			a, err := s.RequestHeaders(reqHeaders("buffer", [2]string{"content-length", "9"}), false)
			require.NoError(t, err)
			require.Equal(t, ActionPause, a)
			require.True(t, s.Request().Held())
			for _, c := range []string{"abc", "def"} {
				a, err = s.RequestBody([]byte(c), false)
				require.NoError(t, err)
				require.Equal(t, ActionPause, a)
			}
			_, sent := s.Request().SentHeaders()
			require.False(t, sent)
			require.Empty(t, s.Request().Pieces())
			require.Equal(t, "abcdef", string(s.Request().Buffered()))
			a, err = s.RequestBody([]byte("ghi"), true)
			require.NoError(t, err)
			require.Equal(t, ActionContinue, a)
			hdrs, sent := s.Request().SentHeaders()
			require.True(t, sent)
			require.Equal(t, "9/9", hdrs.Value("x-body-size"), "whole buffer size given and read")
			_, hasCL := hdrs.Get("content-length")
			require.False(t, hasCL)
			require.Equal(t, [][]byte{[]byte("ABCDEFGHI")}, s.Request().Pieces())
			require.True(t, s.Request().Ended())
		}},
		{"prepend and append to a streamed chunk", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("append"), false)
			require.NoError(t, err)
			_, err = s.RequestBody([]byte("a"), false)
			require.NoError(t, err)
			_, err = s.RequestBody([]byte("b"), true)
			require.NoError(t, err)
			require.Equal(t, [][]byte{[]byte("-a+"), []byte("-b+")}, s.Request().Pieces())
		}},
		{"local reply ends the stream", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("local"), false)
			require.NoError(t, err)
			lr := s.LocalReply()
			require.NotNil(t, lr)
			require.Equal(t, 403, lr.Status)
			require.Equal(t, "denied", string(lr.Body))
			require.Equal(t, "yes", lr.Headers.Value("x-local"))
			_, err = s.RequestBody([]byte("x"), true)
			require.Error(t, err)
			_, sent := s.Request().SentHeaders()
			require.False(t, sent)
		}},
		{"http call resumes the request", nil, func(t *testing.T, s *Stream) {
			a, err := s.RequestHeaders(reqHeaders("callout"), true)
			require.NoError(t, err)
			require.Equal(t, ActionPause, a)
			calls := s.HTTPCalls()
			require.Len(t, calls, 1)
			c := calls[0]
			require.Equal(t, "auth_cluster", c.Cluster)
			require.Equal(t, "/auth", c.Headers.Value(":path"))
			require.Equal(t, "who", string(c.Body))
			require.Equal(t, int64(1500), c.Timeout.Milliseconds())
			require.False(t, s.Request().Ended())
			require.NoError(t, vm.DeliverHTTPCallResponse(c.ID, &HTTPCallResponse{
				Headers: Headers{{":status", "200"}, {"X-Token", "t1"}}, Body: []byte("alice"),
			}))
			require.Empty(t, s.HTTPCalls())
			hdrs, sent := s.Request().SentHeaders()
			require.True(t, sent)
			require.Equal(t, "t1:alice", hdrs.Value("x-token"))
			require.True(t, s.Request().Ended())
		}},
		{"failed http call", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("callout"), true)
			require.NoError(t, err)
			require.NoError(t, vm.DeliverHTTPCallResponse(s.HTTPCalls()[0].ID, nil))
			require.NotNil(t, s.LocalReply())
			require.Equal(t, 502, s.LocalReply().Status)
		}},
		{"properties", map[string]string{"route_name": "r1"}, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("props"), true)
			require.NoError(t, err)
			hdrs, _ := s.Request().SentHeaders()
			require.Equal(t, "r1", hdrs.Value("x-route"))
			_, found := hdrs.Get("x-missing")
			require.False(t, found)
			p, _ := s.Property("x_test")
			require.Equal(t, "set-by-plugin", p)
		}},
		{"foreign function", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("foreign"), true)
			require.NoError(t, err)
			hdrs, _ := s.Request().SentHeaders()
			require.Equal(t, "echo:ping", hdrs.Value("x-foreign"))
		}},
		{"streamed response is replaced chunk by chunk", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("stream"), true)
			require.NoError(t, err)
			_, err = s.ResponseHeaders(Headers{{":status", "200"}, {"content-length", "9"}}, false)
			require.NoError(t, err)
			for i, c := range []string{"data: a\n\n", "data: b\n\n", ""} {
				a, err := s.ResponseBody([]byte(c), i == 2)
				require.NoError(t, err)
				require.Equal(t, ActionContinue, a)
				if i == 0 {
					require.Equal(t, "DATA: A\n\n", string(s.Response().Take()))
				}
			}
			require.Equal(t, [][]byte{[]byte("DATA: A\n\n"), []byte("DATA: B\n\n")}, s.Response().Pieces())
			require.Equal(t, "DATA: B\n\n", string(s.Response().Take()))
			hdrs, _ := s.Response().SentHeaders()
			require.Equal(t, "stream", hdrs.Value("x-mode"))
			_, hasCL := hdrs.Get("content-length")
			require.False(t, hasCL)
		}},
		{"buffered response is replaced at the end", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("bufferresp"), true)
			require.NoError(t, err)
			// The request headers are held (StopIteration) and no body comes: the stream waits.
			require.True(t, s.Request().Held())
			_, err = s.ResponseHeaders(Headers{{":status", "200"}}, false)
			require.NoError(t, err)
			for _, c := range []string{"ab", "cd"} {
				a, err := s.ResponseBody([]byte(c), false)
				require.NoError(t, err)
				require.Equal(t, ActionPause, a)
			}
			_, err = s.ResponseBody([]byte("e"), true)
			require.NoError(t, err)
			require.Equal(t, [][]byte{[]byte("total:5:abcde")}, s.Response().Pieces())
		}},
		{"local reply in the response phase", nil, func(t *testing.T, s *Stream) {
			_, err := s.RequestHeaders(reqHeaders("localresp"), true)
			require.NoError(t, err)
			_, err = s.ResponseHeaders(Headers{{":status", "200"}}, false)
			require.NoError(t, err)
			_, err = s.ResponseBody([]byte("x"), false)
			require.NoError(t, err)
			require.Equal(t, 500, s.LocalReply().Status)
			require.Empty(t, s.Response().Pieces())
		}},
		{"logs are captured with levels", nil, func(t *testing.T, s *Stream) {
			vm.ClearLogs()
			_, err := s.RequestHeaders(reqHeaders("log"), true)
			require.NoError(t, err)
			require.Equal(t, []LogEntry{
				{Level: LogWarn, Message: "warn from plugin", ContextID: s.ID()},
				{Level: LogError, Message: "error from plugin", ContextID: s.ID()},
			}, vm.Logs())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := vm.NewStream(tt.props)
			require.NoError(t, err)
			tt.run(t, s)
			require.NoError(t, s.Done())
		})
	}
	require.NoError(t, vm.Err())

	n, ok := h.Metric("test_requests_total")
	require.True(t, ok)
	require.Equal(t, int64(len(tests)), n)
	done, _, _ := h.SharedData("done")
	require.Equal(t, fmt.Sprint(len(tests)), string(done), "proxy_on_log ran once per stream")
	var hist Metric
	for _, m := range h.Metrics() {
		if m.Name == "test_body_bytes" {
			hist = m
		}
	}
	require.Equal(t, Metric{Name: "test_body_bytes", Type: MetricHistogram, Value: 1, Sum: 9}, hist)
}

// TestSharedAcrossVMs: shared data (with CAS) and metrics are per Host, visible to every VM.
func TestSharedAcrossVMs(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	vms := []*VM{newVM(t, h, ""), newVM(t, h, "")}
	var wg sync.WaitGroup
	for _, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				s, err := vm.NewStream(nil)
				if err == nil {
					_, err = s.RequestHeaders(reqHeaders("shared"), true)
				}
				if err == nil {
					err = s.Done()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	v, cas, ok := h.SharedData("hits")
	require.True(t, ok)
	require.Equal(t, "40", string(v))
	require.Equal(t, uint32(40), cas)
	n, _ := h.Metric("test_requests_total")
	require.Equal(t, int64(40), n)
}

func TestTick(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	vm := newVM(t, h, "")
	require.Equal(t, int64(1000), vm.TickPeriod().Milliseconds())
	require.NoError(t, vm.Tick())
	require.NoError(t, vm.Tick())
	v, _, _ := h.SharedData("ticks")
	require.Equal(t, "2", string(v))
}

// TestHTTPCallHandler: with Options.HTTPCall the host performs callouts itself.
func TestHTTPCallHandler(t *testing.T) {
	var got []*HTTPCall
	h := load(t, testPluginPath, Options{HTTPCall: func(_ context.Context, c *HTTPCall) (*HTTPCallResponse, error) {
		got = append(got, c)
		if c.Cluster != "auth_cluster" {
			return nil, errors.New("unknown cluster")
		}
		return &HTTPCallResponse{Headers: Headers{{":status", "200"}, {"x-token", "t2"}}, Body: []byte("bob")}, nil
	}})
	vm := newVM(t, h, "")
	s, err := vm.NewStream(nil)
	require.NoError(t, err)
	a, err := s.RequestHeaders(reqHeaders("callout"), true)
	require.NoError(t, err)
	require.Equal(t, ActionPause, a, "the callback's own result")
	require.Len(t, got, 1)
	hdrs, sent := s.Request().SentHeaders()
	require.True(t, sent, "resumed by the callout response before RequestHeaders returned")
	require.Equal(t, "t2:bob", hdrs.Value("x-token"))
	require.NoError(t, s.Done())
}

// TestTrap: a guest panic fails the VM with the panic message, and the VM stays failed.
func TestTrap(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	vm := newVM(t, h, "")
	s, err := vm.NewStream(nil)
	require.NoError(t, err)
	_, err = s.RequestHeaders(reqHeaders("panic"), true)
	require.ErrorIs(t, err, ErrVMFailed)
	require.Contains(t, err.Error(), "boom")
	_, err = vm.NewStream(nil)
	require.ErrorIs(t, err, ErrVMFailed)
}

// TestMemoryPlateau: many streams through one VM do not grow guest memory after warm-up.
func TestMemoryPlateau(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	vm := newVM(t, h, "")
	body := bytes.Repeat([]byte("x"), 4096)
	run := func(n int) {
		for i := 0; i < n; i++ {
			s, err := vm.NewStream(nil)
			require.NoError(t, err)
			_, err = s.RequestHeaders(reqHeaders("buffer"), false)
			require.NoError(t, err)
			_, err = s.RequestBody(body, true)
			require.NoError(t, err)
			_, err = s.ResponseHeaders(Headers{{":status", "200"}}, false)
			require.NoError(t, err)
			_, err = s.ResponseBody(body, true)
			require.NoError(t, err)
			require.NoError(t, s.Done())
		}
	}
	run(500)
	warm := vm.MemorySize()
	run(2000)
	require.Equal(t, warm, vm.MemorySize(), "guest memory grew after warm-up")
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   Headers
		op   func(Headers) Headers
		want Headers
	}{
		{"set replaces first and drops the rest", Headers{{"a", "1"}, {"b", "2"}, {"a", "3"}}, func(h Headers) Headers { return h.set("A", "x") }, Headers{{"a", "x"}, {"b", "2"}}},
		{"set appends a new key", Headers{{"a", "1"}}, func(h Headers) Headers { return h.set("c", "3") }, Headers{{"a", "1"}, {"c", "3"}}},
		{"remove all values", Headers{{"a", "1"}, {"b", "2"}, {"a", "3"}}, func(h Headers) Headers { return h.remove("a") }, Headers{{"b", "2"}}},
		{"round trip", Headers{{":path", "/"}, {"k", ""}, {"", "v"}}, func(h Headers) Headers {
			out, ok := deserializeHeaders(h.serialize(nil))
			if !ok {
				return nil
			}
			return out
		}, Headers{{":path", "/"}, {"k", ""}, {"", "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.op(tt.in.Clone())
			if !equalHeaders(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if v, ok := (Headers{{"a", "1"}, {"A", "2"}}).Get("a"); !ok || v != "1,2" {
		t.Errorf("Get joined = %q, %v", v, ok)
	}
	if _, ok := deserializeHeaders([]byte{5, 0, 0, 0, 1}); ok {
		t.Error("malformed map accepted")
	}
}

// TestHostCalls: the VM counts the plugin's host calls by name, WASI ones included, and
// ResetHostCalls starts over.
func TestHostCalls(t *testing.T) {
	h := load(t, testPluginPath, Options{})
	vm := newVM(t, h, "")
	vm.ResetHostCalls()
	for range 2 {
		s, err := vm.NewStream(nil)
		require.NoError(t, err)
		_, err = s.RequestHeaders(reqHeaders("pairs-1"), true)
		require.NoError(t, err)
		require.NoError(t, s.Done())
	}
	got := vm.HostCalls()
	// per stream: the x-mode read, and the whole map read once
	require.Equal(t, uint64(2), got["proxy_get_header_map_value"], "%v", got)
	require.Equal(t, uint64(2), got["proxy_get_header_map_pairs"], "%v", got)
	vm.ResetHostCalls()
	require.Empty(t, vm.HostCalls())
	// A WASI call: the Go runtime reads the clock for time.Now.
	s, err := vm.NewStream(nil)
	require.NoError(t, err)
	_, err = s.RequestHeaders(reqHeaders("clock"), true)
	require.NoError(t, err)
	require.NoError(t, s.Done())
	require.NotZero(t, vm.HostCalls()["wasi.clock_time_get"], "%v", vm.HostCalls())
}

func equalHeaders(a, b Headers) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkHeaderReads compares, in this host, reading N request headers with one
// proxy_get_header_map_value each against one proxy_get_header_map_pairs (the whole map,
// 12 headers as a client sends them) searched in the guest — parsed by the SDK (two
// string copies per header: pairs-N) or in place as ai-proxy does (rawpairs-N). The
// x-mode read is common to all.
func BenchmarkHeaderReads(b *testing.B) {
	h := load(b, testPluginPath, Options{})
	vm := newVM(b, h, "")
	for _, mode := range []string{"none", "single-1", "single-2", "single-4", "single-8", "pairs-1", "pairs-8", "rawpairs-1", "rawpairs-8"} {
		hs := reqHeaders(mode, [2]string{"content-type", "application/json"}, [2]string{"content-length", "1024"},
			[2]string{"accept", "application/json"}, [2]string{"user-agent", "bench/1.0"},
			[2]string{"x-request-id", "3f1c9a52-bench"}, [2]string{"authorization", "Bearer client-key"}, [2]string{"accept-encoding", "gzip"})
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				s, err := vm.NewStream(nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.RequestHeaders(hs, true); err != nil {
					b.Fatal(err)
				}
				s.Done()
			}
		})
	}
}
