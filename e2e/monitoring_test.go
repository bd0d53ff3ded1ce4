package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// lockedBuffer collects the gateway's access log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sums are token counts per model as the clients saw them.
type sums map[string]*[3]int64 // input, output, total

func (s sums) add(model string, in, out, total int64) {
	if s[model] == nil {
		s[model] = new([3]int64)
	}
	s[model][0] += in
	s[model][1] += out
	s[model][2] += total
}

// TestMonitoring drives a mix of requests through one monitored route (openai
// passthrough, claude and qwen native converted, Anthropic clients on openai and on
// claude; JSON and streams), then checks that the token counters of /metrics equal, per
// model, the usage the clients received, that request counts by status class match,
// and that every AI log line parses and carries the same numbers — and that no log line,
// metric name or AI log holds a configured token or the client's credential, with
// content logging on.
func TestMonitoring(t *testing.T) {
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v)", wasmErr)
	}
	plugin := map[string]any{
		"providers": []any{provider("openai", "openai"), provider("claude", "claude"), provider("qwen", "qwen", "qwenEnableCompatible", false)},
		"routing": map[string]any{"mode": "model", "rules": []any{
			map[string]any{"match": "claude-*", "provider": "claude"},
			map[string]any{"match": "qwen-*", "provider": "qwen"}},
			"default": map[string]any{"provider": "openai"}},
		"monitoring": map[string]any{"enabled": true, "logContent": true, "contentLimit": 2048},
	}
	var access, logs lockedBuffer
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", Mock: true, VMs: 2, Plugin: plugin},
		wasm, gw.Options{Mock: mock.NewHandler(), Log: &logs, AccessLog: &access, CacheDir: cacheDir})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	defer g.Close()
	e := &env{url: g.URL()}
	oc, ac := openaiClient(e), anthropicClient(e)
	ctx := context.Background()
	want := sums{}
	requests := 0

	for _, model := range []string{"gpt-4o-mini", "claude-x", "qwen-plus"} {
		params := openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count my tokens please, keys " + clientKey + " and " + upstreamToken)}}
		c, err := oc.Chat.Completions.New(ctx, params)
		require.NoError(t, err, model)
		want.add(c.Model, c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.TotalTokens)
		s := oc.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			acc.AddChunk(s.Current())
		}
		require.NoError(t, s.Err(), model)
		require.Positive(t, acc.Usage.TotalTokens, "%s stream usage", model)
		want.add(acc.Model, acc.Usage.PromptTokens, acc.Usage.CompletionTokens, acc.Usage.TotalTokens)
		requests += 2
	}
	for _, model := range []string{"gpt-4o-mini", "claude-x"} {
		m, err := ac.Messages.New(ctx, hello(model))
		require.NoError(t, err, model)
		// Anthropic's input_tokens exclude cache reads and writes; the counters are in
		// one meaning, OpenAI's (README "Usage: one meaning per field").
		in := m.Usage.InputTokens + m.Usage.CacheReadInputTokens + m.Usage.CacheCreationInputTokens
		want.add(string(m.Model), in, m.Usage.OutputTokens, in+m.Usage.OutputTokens)
		s := ac.Messages.NewStreaming(ctx, hello(model))
		var msg anthropic.Message
		for s.Next() {
			require.NoError(t, msg.Accumulate(s.Current()))
		}
		require.NoError(t, s.Err(), model)
		in = msg.Usage.InputTokens + msg.Usage.CacheReadInputTokens + msg.Usage.CacheCreationInputTokens
		want.add(string(msg.Model), in, msg.Usage.OutputTokens, in+msg.Usage.OutputTokens)
		requests += 2
	}
	// One plugin 4xx: a body that is not JSON.
	resp, err := http.Post(g.URL()+"/v1/chat/completions", "application/json", strings.NewReader("{not json"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	requests++

	// The gateway writes a request's access log line (and the plugin its metrics, when the
	// stream is done) just after the answer went out: wait, bounded, for every line.
	for deadline := time.Now().Add(5 * time.Second); strings.Count(access.String(), " ai_log=") < requests && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	metrics := scrape(t, g.URL()+"/metrics")
	for model, w := range want {
		for i, name := range []string{"input_token", "output_token", "total_token"} {
			require.Equal(t, w[i], metrics.sum(name, "ai_model", model), "%s of model %s (metrics %v)", name, model, metrics.names())
		}
	}
	require.Equal(t, int64(requests-1), metrics.sum("ai_proxy_requests", "ai_status_class", "2xx"))
	require.Equal(t, int64(1), metrics.sum("ai_proxy_requests", "ai_status_class", "4xx"))
	require.Equal(t, int64(1), metrics.sum("ai_proxy_requests", "ai_error_cause", "plugin_4xx"))

	// The AI log lines carry the same numbers.
	got := sums{}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(access.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, js, ok := strings.Cut(sc.Text(), " ai_log=")
		if !ok {
			continue
		}
		var l struct {
			Model                               string
			InputToken, OutputToken, TotalToken int64
			Status                              int
			Provider, RoutingMode, ResponseType string
			RequestBody, Protocol               string
		}
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(js), &raw), "ai_log %s", js)
		b, _ := json.Marshal(raw)
		json.Unmarshal(snakeToCamel(b), &l)
		lines++
		if l.Status == 200 {
			got.add(l.Model, l.InputToken, l.OutputToken, l.TotalToken)
			require.Equal(t, "model", l.RoutingMode)
			require.Contains(t, []string{"openai", "anthropic"}, l.Protocol)
			require.NotEmpty(t, l.Provider)
			require.True(t, strings.Contains(l.RequestBody, "Count my tokens please") || strings.Contains(l.RequestBody, "Hello Claude"), "request body %q", l.RequestBody)
		}
	}
	require.Equal(t, requests, lines, "one AI log line per request:\n%s", access.String())
	for model, w := range want {
		require.Equal(t, *w, *got[model], "AI log tokens of %s", model)
	}

	// No secret anywhere: the ones the clients put in their messages are redacted.
	require.Contains(t, access.String(), "[REDACTED]")
	for _, where := range []struct{ name, text string }{{"access log", access.String()}, {"plugin log", logs.String()}, {"metrics", strings.Join(metrics.names(), "\n")}} {
		for _, secret := range []string{upstreamToken, clientKey} {
			require.NotContains(t, where.text, secret, "%s holds a secret", where.name)
		}
	}
}

// snakeToCamel turns the AI log's snake_case keys into the field names encoding/json
// matches case-insensitively (input_token -> inputtoken).
func snakeToCamel(b []byte) []byte {
	return regexp.MustCompile(`"([a-z]+)_([a-z_]+)":`).ReplaceAllFunc(b, func(m []byte) []byte {
		return bytes.ReplaceAll(m, []byte("_"), nil)
	})
}

// promMetrics is a parsed Prometheus text exposition.
type promMetrics []struct {
	name   string
	labels map[string]string
	value  float64
}

var promLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([0-9.eE+-]+)$`)
var promLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

func scrape(t *testing.T, url string) promMetrics {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out promMetrics
	for _, line := range strings.Split(string(body), "\n") {
		m := promLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range promLabel.FindAllStringSubmatch(m[2], -1) {
			labels[l[1]], _ = strconv.Unquote(`"` + l[2] + `"`)
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		out = append(out, struct {
			name   string
			labels map[string]string
			value  float64
		}{m[1], labels, v})
	}
	return out
}

// sum adds the values of metric name whose label has the value. Names are as Envoy
// exposes them once the tags are extracted (route_upstream_model_consumer_metric_<name>,
// what Higress dashboards query).
func (p promMetrics) sum(name, label, value string) int64 {
	var n float64
	for _, m := range p {
		if m.name == "route_upstream_model_consumer_metric_"+name && m.labels[label] == value {
			n += m.value
		}
	}
	return int64(n)
}

func (p promMetrics) names() []string {
	var out []string
	for _, m := range p {
		out = append(out, m.name+" "+strings.Join(func() []string {
			var ls []string
			for k, v := range m.labels {
				ls = append(ls, k+"="+v)
			}
			return ls
		}(), ","))
	}
	return out
}
