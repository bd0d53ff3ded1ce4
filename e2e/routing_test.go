package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/provider/route"
)

// upstream is one fake provider on its own host: a mock behind a counter, and an
// optional fault that answers instead of the mock.
type upstream struct {
	mock  *mock.Handler
	srv   *httptest.Server
	count atomic.Int64
	// fail, when set, is asked per request: true answers 500 in OpenAI's error shape.
	fail atomic.Pointer[func() bool]
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.count.Add(1)
	if f := u.fail.Load(); f != nil && (*f)() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"injected failure","type":"server_error"}}`))
		return
	}
	u.mock.ServeHTTP(w, r)
}

// routedEnv is a gateway whose plugin routes across providers, each provider's upstream a
// separate server reached the way Envoy reaches it: a route matching the routing header
// the plugin sets.
type routedEnv struct {
	url string
	ups map[string]*upstream
}

var (
	routedMu sync.Mutex
	routed   = map[string]*routedEnv{}
)

func routedGateway(t *testing.T, name string, plugin map[string]any, ids ...string) *routedEnv {
	t.Helper()
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v): run `make build` or set WASM_FILE_PATH", wasmErr)
	}
	routedMu.Lock()
	defer routedMu.Unlock()
	if e, ok := routed[name]; ok {
		return e
	}
	e := &routedEnv{ups: map[string]*upstream{}}
	var routes []gw.Route
	for _, id := range ids {
		u := &upstream{mock: mock.NewHandler()}
		u.srv = httptest.NewServer(u)
		e.ups[id] = u
		routes = append(routes, gw.Route{Header: route.ProviderHeader, Value: id, Upstream: u.srv.URL})
	}
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", VMs: 2, Plugin: plugin, Routes: routes},
		wasm, gw.Options{Log: testLog{}, CacheDir: cacheDir})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	e.url = g.URL()
	routed[name] = e
	return e
}

// counts returns the requests each upstream received since the last call.
func (e *routedEnv) counts() map[string]int64 {
	out := map[string]int64{}
	for id, u := range e.ups {
		out[id] = u.count.Swap(0)
	}
	return out
}

func provider(id, typ string, extra ...any) map[string]any {
	p := map[string]any{"id": id, "type": typ, "apiTokens": []any{upstreamToken}}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i].(string)] = extra[i+1]
	}
	return p
}

func TestRoutingByModelName(t *testing.T) {
	e := routedGateway(t, "route-model", map[string]any{
		"providers": []any{provider("openai", "openai"), provider("qwen", "qwen", "qwenEnableCompatible", false), provider("claude", "claude")},
		"routing": map[string]any{"mode": "model",
			"rules": []any{
				map[string]any{"match": "qwen-*", "provider": "qwen"},
				map[string]any{"match": "claude-?-*", "provider": "claude", "model": "claude-sonnet-4-5"},
			},
			"default": map[string]any{"provider": "openai"}},
	}, "openai", "qwen", "claude")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	cases := []struct{ model, provider, upstreamModel string }{
		{"qwen-max", "qwen", "qwen-max"},
		{"qwen-long", "qwen", "qwen-long"},
		{"claude-3-haiku", "claude", "claude-sonnet-4-5"},
		{"gpt-4o", "openai", "gpt-4o"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			e.counts()
			var resp *http.Response
			out, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: c.model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
			}, option.WithResponseInto(&resp))
			require.NoError(t, err)
			require.Contains(t, out.Choices[0].Message.Content, "You said: Hello there")
			require.Equal(t, c.provider, resp.Header.Get(route.ServedByProviderHeader))
			require.Equal(t, c.upstreamModel, resp.Header.Get(route.ServedByModelHeader))
			require.Equal(t, int64(1), e.counts()[c.provider], "the chosen provider's upstream got the request")
			up, _ := e.ups[c.provider].mock.LastRequest()
			if c.provider == "claude" {
				require.Equal(t, upstreamToken, up.Header.Get("X-Api-Key"))
			} else {
				require.Equal(t, "Bearer "+upstreamToken, up.Header.Get("Authorization"))
			}
		})
		t.Run(c.model+" stream", func(t *testing.T) {
			e.counts()
			s := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model: c.model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
			})
			var acc openai.ChatCompletionAccumulator
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			require.NoError(t, s.Err())
			require.Contains(t, acc.Choices[0].Message.Content, "You said: Hello there")
			require.Equal(t, "stop", acc.Choices[0].FinishReason)
			require.Equal(t, int64(1), e.counts()[c.provider])
		})
	}
	t.Run("anthropic sdk", func(t *testing.T) {
		ac := anthropicClientURL(e.url)
		for _, c := range []struct{ model, provider string }{{"claude-3-haiku", "claude"}, {"qwen-plus", "qwen"}, {"gpt-4o", "openai"}} {
			e.counts()
			m, err := ac.Messages.New(context.Background(), hello(c.model))
			require.NoError(t, err, c.model)
			require.Contains(t, m.Content[0].Text, "Hello Claude")
			require.Equal(t, int64(1), e.counts()[c.provider], c.model)

			s := ac.Messages.NewStreaming(context.Background(), hello(c.model))
			var msg anthropic.Message
			for s.Next() {
				require.NoError(t, msg.Accumulate(s.Current()))
			}
			require.NoError(t, s.Err(), c.model)
			require.Contains(t, msg.Content[0].Text, "Hello Claude")
			require.Equal(t, int64(1), e.counts()[c.provider], c.model)
		}
	})
}

func anthropicClientURL(url string) anthropic.Client {
	e := &env{url: url}
	return anthropicClient(e)
}

func chatOnce(t *testing.T, client openai.Client, model string, opts ...option.RequestOption) (*http.Response, error) {
	var resp *http.Response
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
	}, append(opts, option.WithResponseInto(&resp))...)
	return resp, err
}

func TestRoutingByWeight(t *testing.T) {
	e := routedGateway(t, "route-weight", map[string]any{
		"providers": []any{provider("a", "openai", "openaiCustomUrl", "http://a.test/v1"), provider("b", "deepseek")},
		"routing": map[string]any{"mode": "weight", "stickyHeader": "x-session-id",
			"targets": []any{map[string]any{"provider": "a", "weight": 70}, map[string]any{"provider": "b", "weight": 30, "model": "deepseek-chat"}}},
	}, "a", "b")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	e.counts()
	const n = 1000
	for range n {
		_, err := chatOnce(t, client, "any-model")
		require.NoError(t, err)
	}
	c := e.counts()
	require.Equal(t, int64(n), c["a"]+c["b"])
	// 10,000-request shares within ±2 points are tested natively (provider/route); over
	// 1,000 a ±5 point band keeps this test from flaking (4.6 standard deviations).
	require.InDelta(t, 0.70, float64(c["a"])/n, 0.05, "shares %v", c)
	up, _ := e.ups["b"].mock.LastRequest()
	require.Contains(t, string(up.Body), `"model":"deepseek-chat"`)

	t.Run("sticky", func(t *testing.T) {
		for _, session := range []string{"user-1", "user-2", "user-3", "user-4"} {
			first := ""
			for range 10 {
				resp, err := chatOnce(t, client, "any-model", option.WithHeader("x-session-id", session))
				require.NoError(t, err)
				got := resp.Header.Get(route.ServedByProviderHeader)
				if first == "" {
					first = got
				}
				require.Equal(t, first, got, "session %s moved", session)
			}
		}
	})
}

// TestRoutingByMetrics: with one provider failing half its requests, the metrics mode
// sends most traffic to the other; once it heals, its share comes back. Shares are
// counted, never timed.
func TestRoutingByMetrics(t *testing.T) {
	e := routedGateway(t, "route-metrics", map[string]any{
		"providers": []any{provider("good", "openai"), provider("bad", "deepseek")},
		"routing": map[string]any{"mode": "metrics",
			"targets": []any{map[string]any{"provider": "good"}, map[string]any{"provider": "bad"}}},
	}, "good", "bad")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	var n atomic.Int64
	half := func() bool { return n.Add(1)%2 == 0 }
	e.ups["bad"].fail.Store(&half)
	send := func(k int) {
		for range k {
			chatOnce(t, client, "m") // failures are the point here
		}
	}
	send(100) // learn
	e.counts()
	send(200)
	c := e.counts()
	require.GreaterOrEqual(t, float64(c["good"])/200, 0.80, "shares while bad fails half: %v", c)

	e.ups["bad"].fail.Store(nil)
	send(400) // recover
	e.counts()
	send(300)
	c = e.counts()
	// While it failed, bad got little more than its exploration share (4 %); healed,
	// its share climbs back toward half as its success EWMA recovers.
	require.GreaterOrEqual(t, float64(c["bad"])/300, 0.15, "shares after bad healed: %v", c)
}

func TestRoutingByIntent(t *testing.T) {
	e := routedGateway(t, "route-intent", map[string]any{
		"providers": []any{provider("coder", "openai"), provider("qwen", "qwen", "qwenEnableCompatible", false), provider("fast", "deepseek")},
		"routing": map[string]any{"mode": "intent",
			"intents": map[string]any{
				"code":        map[string]any{"provider": "coder", "model": "qwen3-coder-plus"},
				"math":        map[string]any{"provider": "qwen", "model": "qwen-math-plus"},
				"translation": map[string]any{"provider": "qwen", "model": "qwen-mt-plus"},
			},
			"default": map[string]any{"provider": "fast", "model": "deepseek-chat"}},
	}, "coder", "qwen", "fast")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	cases := []struct {
		prompt, header, provider, model string
	}{
		{"Write a Python function that parses a CSV file and returns the rows as dicts, with error handling.", "", "coder", "qwen3-coder-plus"},
		{"把下面这段话翻译成英文：今天天气很好，我们去公园散步吧。", "", "qwen", "qwen-mt-plus"},
		{"Solve the equation 3x^2 - 12x + 9 = 0 and prove the roots are real.", "", "qwen", "qwen-math-plus"},
		{"hi, how are you?", "", "fast", "deepseek-chat"},
		{"hi, how are you?", "math", "qwen", "qwen-math-plus"},
	}
	for _, c := range cases {
		var opts []option.RequestOption
		if c.header != "" {
			opts = append(opts, option.WithHeader(route.DefaultIntentHeader, c.header))
		}
		var resp *http.Response
		out, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "auto", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(c.prompt)},
		}, append(opts, option.WithResponseInto(&resp))...)
		require.NoError(t, err, c.prompt)
		require.NotEmpty(t, out.Choices[0].Message.Content)
		require.Equal(t, c.provider, resp.Header.Get(route.ServedByProviderHeader), c.prompt)
		require.Equal(t, c.model, resp.Header.Get(route.ServedByModelHeader), c.prompt)
	}
}

func TestRoutingSingleWithoutServedByHeader(t *testing.T) {
	e := routedGateway(t, "route-single", map[string]any{
		"providers": []any{provider("only", "openai")},
		"routing":   map[string]any{"mode": "single", "target": map[string]any{"provider": "only", "model": "gpt-4o"}, "servedByHeader": false},
	}, "only")
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	resp, err := chatOnce(t, client, "whatever")
	require.NoError(t, err)
	require.Empty(t, resp.Header.Get(route.ServedByProviderHeader))
	up, _ := e.ups["only"].mock.LastRequest()
	require.Contains(t, string(up.Body), `"model":"gpt-4o"`)
	// A request no route serves is refused in the client's protocol, without a credential.
	t.Run("models list", func(t *testing.T) {
		_, err := client.Models.List(context.Background())
		require.NoError(t, err)
	})
}

// TestRoutingByLLMClassifier: with a classifier configured, the intent comes from its
// answer (a callout to its cluster); when it fails, the built-in classifier decides.
func TestRoutingByLLMClassifier(t *testing.T) {
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v)", wasmErr)
	}
	var verdict atomic.Value // what the judge answers; "" fails
	verdict.Store("math")
	var asked atomic.Int64
	judge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		v := verdict.Load().(string)
		if v == "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","model":"judge","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}]}`, v+".")
	}))
	defer judge.Close()
	ups := map[string]*upstream{}
	var routes []gw.Route
	for _, id := range []string{"coder", "qwen", "fast"} {
		u := &upstream{mock: mock.NewHandler()}
		u.srv = httptest.NewServer(u)
		defer u.srv.Close()
		ups[id] = u
		routes = append(routes, gw.Route{Header: route.ProviderHeader, Value: id, Upstream: u.srv.URL})
	}
	plugin := map[string]any{
		"providers": []any{provider("coder", "openai"), provider("qwen", "deepseek"), provider("fast", "moonshot"), provider("judge", "openai")},
		"routing": map[string]any{"mode": "intent",
			"intents": map[string]any{
				"code": map[string]any{"provider": "coder"},
				"math": map[string]any{"provider": "qwen", "model": "qwen-math-plus"},
			},
			"default":    map[string]any{"provider": "fast"},
			"classifier": map[string]any{"provider": "judge", "model": "judge-1", "cluster": "judge-cluster", "timeout": 2000}},
	}
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", VMs: 2, Plugin: plugin, Routes: routes,
		Clusters: map[string]string{"judge-cluster": judge.URL}}, wasm, gw.Options{Log: testLog{}, CacheDir: cacheDir})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	defer g.Close()
	client := openai.NewClient(option.WithBaseURL(g.URL()+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	ask := func(prompt string, stream bool) string {
		var resp *http.Response
		params := openai.ChatCompletionNewParams{Model: "auto", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}}
		if stream {
			s := client.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&resp))
			for s.Next() {
			}
			require.NoError(t, s.Err())
		} else {
			_, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp))
			require.NoError(t, err)
		}
		return resp.Header.Get(route.ServedByProviderHeader)
	}
	// The judge says math, whatever the built-in classifier would say.
	require.Equal(t, "qwen", ask("Write a Python function that parses a CSV file.", false))
	require.Equal(t, "qwen", ask("Write a Python function that parses a CSV file.", true))
	require.Equal(t, int64(2), asked.Load())
	// A forced intent skips the judge.
	var resp *http.Response
	_, err = client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "auto",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}},
		option.WithHeader(route.DefaultIntentHeader, "code"), option.WithResponseInto(&resp))
	require.NoError(t, err)
	require.Equal(t, "coder", resp.Header.Get(route.ServedByProviderHeader))
	require.Equal(t, int64(2), asked.Load())
	// The judge fails: the built-in classifier decides.
	verdict.Store("")
	require.Equal(t, "coder", ask("Write a Python function that parses a CSV file and returns the rows as dicts, with error handling.", false))
}
