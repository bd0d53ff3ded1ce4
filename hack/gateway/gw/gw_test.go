package gw

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var testPlugin []byte

// TestMain builds hack/wasmhost's ABI test plugin once: the gateway's mechanics are
// tested with it, independent of the real plugin (that is e2e's job).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gw-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(dir, "testplugin.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "../../wasmhost/testdata/testplugin")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test plugin: %v\n%s", err, b)
		os.Exit(1)
	}
	testPlugin, err = os.ReadFile(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// upstream echoes what it got: method, path, Host, selected headers and the body.
func upstream(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/hang" {
		<-r.Context().Done() // answers nothing until the gateway gives up
		return
	}
	if r.URL.Path == "/hang-body" {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%s %s host=%s token=%s size=%s timeout=%s body=%s", r.Method, r.URL.Path, r.Host,
		r.Header.Get("X-Token"), r.Header.Get("X-Body-Size"), r.Header.Get("X-Envoy-Upstream-Rq-Timeout-Ms"), body)
}

func TestGateway(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(upstream))
	defer up.Close()
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Token", "tok")
		io.WriteString(w, "alice")
	}))
	defer auth.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + closed.Addr().String()
	closed.Close()

	g, err := New(context.Background(), &Config{
		Listen:    "127.0.0.1:0",
		VMs:       2,
		Plugin:    map[string]any{"prefix": "/up"},
		Upstreams: map[string]string{"example.com": up.URL, "dead.example": deadURL},
		Clusters:  map[string]string{"auth_cluster": auth.URL},
	}, testPlugin, Options{Log: io.Discard, CacheDir: "-"})
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Start())

	tests := []struct {
		name       string
		host, path string
		headers    map[string]string
		body       string
		wantStatus int
		want       string // the response body
		wantHeader [2]string
	}{
		{"passes through", "example.com", "/v1/x", nil, "hello", 200, "POST /v1/x host=example.com token= size= timeout= body=hello", [2]string{}},
		{"path rewritten by the plugin", "example.com", "/v1/x", map[string]string{"x-mode": "headers"}, "", 200, "POST /up/rewritten host=example.com", [2]string{}},
		{"buffered and replaced body, header set in the body callback", "example.com", "/v1/x", map[string]string{"x-mode": "buffer"}, "abc", 200, "size=3/3 timeout= body=ABC", [2]string{}},
		{"local reply", "example.com", "/v1/x", map[string]string{"x-mode": "local"}, "abc", 403, "denied", [2]string{"X-Local", "yes"}},
		{"callout to a cluster", "example.com", "/v1/x", map[string]string{"x-mode": "callout"}, "", 200, "token=tok:alice", [2]string{}},
		{"streamed response edited", "example.com", "/v1/x", map[string]string{"x-mode": "stream"}, "hi", 200, "POST /V1/X HOST=EXAMPLE.COM", [2]string{"X-Mode", "stream"}},
		{"buffered response replaced", "example.com", "/v1/x", map[string]string{"x-mode": "bufferresp"}, "hi", 200, "total:", [2]string{}},
		{"x-envoy timeouts are consumed", "example.com", "/v1/x", map[string]string{"x-envoy-upstream-rq-timeout-ms": "60000"}, "", 200, "timeout= body=", [2]string{}},
		{"first byte timeout", "example.com", "/hang", map[string]string{"x-envoy-upstream-rq-first-byte-timeout-ms": "50"}, "", 504, "upstream request timeout", [2]string{}},
		{"request timeout", "example.com", "/hang", map[string]string{"x-envoy-upstream-rq-timeout-ms": "50"}, "", 504, "upstream request timeout", [2]string{}},
		{"connection refused", "dead.example", "/v1/x", nil, "", 503, "upstream connect error", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", g.URL()+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Host = tt.host
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tt.wantStatus, resp.StatusCode, "body: %s", body)
			require.Contains(t, string(body), tt.want)
			if tt.wantHeader[0] != "" {
				require.Equal(t, tt.wantHeader[1], resp.Header.Get(tt.wantHeader[0]))
			}
		})
	}

	t.Run("timeout after the headers resets the stream", func(t *testing.T) {
		req, _ := http.NewRequest("GET", g.URL()+"/hang-body", nil)
		req.Host = "example.com"
		req.Header.Set("x-envoy-upstream-rq-timeout-ms", "50")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Error(t, err, "the body must end in an error, not a clean EOF")
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(g.URL() + "/metrics")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Contains(t, string(body), "# TYPE test_requests_total counter\ntest_requests_total ")
		require.Contains(t, string(body), "test_body_bytes_count 2\n")
	})
}

func TestConfigureFailureIsReported(t *testing.T) {
	_, err := New(context.Background(), &Config{Plugin: map[string]any{"fail": true}}, testPlugin, Options{Log: io.Discard, CacheDir: "-"})
	require.ErrorContains(t, err, "bad config: field fail is set")
}

func TestParseConfig(t *testing.T) {
	t.Setenv("GW_TEST_KEY", "sk-123")
	tests := []struct {
		name    string
		in      string
		want    string // PluginJSON
		wantErr string
	}{
		{"env expanded", "plugin:\n  provider:\n    type: qwen\n    apiTokens: [\"${GW_TEST_KEY}\"]\n", `{"provider":{"apiTokens":["sk-123"],"type":"qwen"}}`, ""},
		{"no plugin", "mock: true\n", `{}`, ""},
		{"unset variable named", "plugin: {k: ${GW_TEST_UNSET_VAR}}\n", "", "GW_TEST_UNSET_VAR"},
		{"unknown field", "listn: x\n", "", "listn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			got, err := c.PluginJSON()
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

// TestShippedConfigs: the YAML files next to the gateway parse.
func TestShippedConfigs(t *testing.T) {
	t.Setenv("DASHSCOPE_API_KEY", "sk-test")
	for _, f := range []string{"../config.yaml", "../dashscope.yaml"} {
		c, err := LoadConfig(f)
		require.NoError(t, err, f)
		_, err = c.PluginJSON()
		require.NoError(t, err, f)
	}
}
