package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/provider/route"
)

// Provider hosts of the fallback tests: every one is served by the mock, which counts
// requests per host and injects faults per host.
const (
	primaryHost = "api.openai.com"
	claudeHost  = "api.anthropic.com"
	qwenHost    = "dashscope.aliyuncs.com"
)

type fallbackEnv struct {
	url  string
	mock *mock.Handler
}

var (
	fallbackMu   sync.Mutex
	fallbackEnvs = map[string]*fallbackEnv{}
)

// fallbackGateway: a route whose primary is openai, falling back to claude, then qwen
// native, each reached through a callout to its cluster.
func fallbackGateway(t *testing.T, name string, routing map[string]any) *fallbackEnv {
	t.Helper()
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v)", wasmErr)
	}
	fallbackMu.Lock()
	defer fallbackMu.Unlock()
	if e, ok := fallbackEnvs[name]; ok {
		return e
	}
	plugin := map[string]any{
		"providers": []any{provider("openai", "openai"), provider("claude", "claude"), provider("qwen", "qwen", "qwenEnableCompatible", false)},
		"routing":   routing,
	}
	m := mock.NewHandler(mock.WithMaxRecorded(0))
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", Mock: true, VMs: 2, Plugin: plugin},
		wasm, gw.Options{Mock: m, Log: testLog{}, CacheDir: cacheDir})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	e := &fallbackEnv{url: g.URL(), mock: m}
	fallbackEnvs[name] = e
	return e
}

var fallbackRouting = map[string]any{
	"mode":   "single",
	"target": map[string]any{"provider": "openai"},
	"fallback": []any{
		map[string]any{"provider": "claude", "model": "claude-sonnet-4-5", "cluster": "outbound|443||" + claudeHost},
		map[string]any{"provider": "qwen", "model": "qwen-plus", "cluster": "outbound|443||" + qwenHost},
	},
	"firstPacketTimeout": 300,
}

// sdkCall is one OpenAI- or Anthropic-SDK call with a fault header; it returns the
// text the SDK took as complete, and the served-by and attempts headers.
func sdkCall(t *testing.T, url string, anthropicSDK, stream bool, fault string) (text, servedBy, attempts string, err error) {
	var resp *http.Response
	ctx := context.Background()
	if anthropicSDK {
		c := anthropic.NewClient(aoption.WithBaseURL(url), aoption.WithAPIKey(clientKey), aoption.WithMaxRetries(0),
			aoption.WithHeader(mock.FaultHeader, fault), aoption.WithResponseInto(&resp))
		if stream {
			s := c.Messages.NewStreaming(ctx, hello("gpt-4o"))
			var msg anthropic.Message
			for s.Next() {
				if e := msg.Accumulate(s.Current()); e != nil && err == nil {
					err = e
				}
			}
			if err == nil {
				err = s.Err()
			}
			if err == nil && len(msg.Content) > 0 {
				text = msg.Content[0].Text
			}
		} else {
			m, e := c.Messages.New(ctx, hello("gpt-4o"))
			if err = e; err == nil && len(m.Content) > 0 {
				text = m.Content[0].Text
			}
		}
	} else {
		c := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0),
			option.WithHeader(mock.FaultHeader, fault), option.WithResponseInto(&resp))
		params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}}
		if stream {
			s := c.Chat.Completions.NewStreaming(ctx, params)
			var acc openai.ChatCompletionAccumulator
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if err = s.Err(); err == nil && len(acc.Choices) > 0 {
				text = acc.Choices[0].Message.Content
			}
		} else {
			out, e := c.Chat.Completions.New(ctx, params)
			if err = e; err == nil && len(out.Choices) > 0 {
				text = out.Choices[0].Message.Content
			}
		}
	}
	if resp != nil {
		servedBy, attempts = resp.Header.Get(route.ServedByProviderHeader), resp.Header.Get("x-ai-attempts")
	}
	return text, servedBy, attempts, err
}

// TestFallback: every trigger moves the request to the next target before anything
// reached the client — JSON and streams, OpenAI and Anthropic clients — and the answer
// is converted for the provider that served it.
func TestFallback(t *testing.T) {
	e := fallbackGateway(t, "fallback", fallbackRouting)
	triggers := []struct {
		fault      string
		streamOnly bool
	}{
		{fault: "status:503"},
		{fault: "status:429"},
		{fault: "status:500:html"},
		{fault: "status:502:empty"},
		{fault: "reset"},
		{fault: "stall:3s", streamOnly: true}, // the first-packet timeout (300 ms) fires
		{fault: "inband-error", streamOnly: true},
	}
	for _, anthropicSDK := range []bool{false, true} {
		for _, stream := range []bool{false, true} {
			for _, tr := range triggers {
				if tr.streamOnly && !stream {
					continue
				}
				name := fmt.Sprintf("%s anthropic=%v stream=%v", tr.fault, anthropicSDK, stream)
				t.Run(name, func(t *testing.T) {
					e.mock.Reset()
					text, servedBy, attempts, err := sdkCall(t, e.url, anthropicSDK, stream, mock.Fault(primaryHost, tr.fault))
					require.NoError(t, err)
					require.NotEmpty(t, text)
					require.Equal(t, "claude", servedBy)
					require.Equal(t, "2", attempts)
					require.Equal(t, 1, e.mock.Count(primaryHost))
					require.Equal(t, 1, e.mock.Count(claudeHost))
				})
			}
		}
	}
	t.Run("second fallback", func(t *testing.T) {
		e.mock.Reset()
		fault := mock.Fault(primaryHost, "status:503") + "," + mock.Fault(claudeHost, "status:529")
		for _, stream := range []bool{false, true} {
			text, servedBy, attempts, err := sdkCall(t, e.url, false, stream, fault)
			require.NoError(t, err)
			require.Contains(t, text, "Hello there")
			require.Equal(t, "qwen", servedBy)
			require.Equal(t, "3", attempts)
		}
	})
	t.Run("every target fails", func(t *testing.T) {
		fault := mock.Fault(primaryHost, "status:503") + "," + mock.Fault(claudeHost, "status:503") + "," + mock.Fault(qwenHost, "status:503")
		for _, stream := range []bool{false, true} {
			_, _, _, err := sdkCall(t, e.url, false, stream, fault)
			var oe *openai.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, 503, oe.StatusCode)
		}
	})
	t.Run("no fallback once content was sent", func(t *testing.T) {
		e.mock.Reset()
		_, _, _, err := sdkCall(t, e.url, false, true, mock.Fault(primaryHost, "cut-after:2"))
		require.Error(t, err, "a cut stream must not pass for complete")
		require.Equal(t, 0, e.mock.Count(claudeHost))
	})
	t.Run("healthy primary", func(t *testing.T) {
		e.mock.Reset()
		text, servedBy, attempts, err := sdkCall(t, e.url, false, true, "")
		require.NoError(t, err)
		require.Contains(t, text, "Hello there")
		require.Equal(t, "openai", servedBy)
		require.Equal(t, "1", attempts)
	})
}

// TestFallbackSoak: 5,000 requests, 30 % of which fail on the primary for mixed
// causes; every client request is answered successfully, and the attempts add up.
func TestFallbackSoak(t *testing.T) {
	// Its own gateway with a first-packet timeout no loaded machine reaches: the counts
	// below must not depend on how fast the machine is (a slow answer past 300 ms would
	// be a legitimate extra fallback).
	soak := map[string]any{}
	for k, v := range fallbackRouting {
		soak[k] = v
	}
	soak["firstPacketTimeout"] = 60000
	e := fallbackGateway(t, "soak", soak)
	e.mock.Reset()
	faults := []string{"status:503", "status:429", "status:500:html", "reset", "inband-error", "status:502:empty"}
	rnd := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	failed := 0
	var wg sync.WaitGroup
	errs := make(chan error, n)
	jobs := make(chan [2]any)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				fault, stream := j[0].(string), j[1].(bool)
				text, _, _, err := sdkCall(t, e.url, false, stream, fault)
				if err == nil && text == "" {
					err = fmt.Errorf("empty answer")
				}
				if err != nil {
					errs <- fmt.Errorf("fault %q stream %v: %w", fault, stream, err)
				}
			}
		}()
	}
	for i := range n {
		fault := ""
		stream := i%2 == 0
		if rnd.IntN(100) < 30 {
			f := faults[rnd.IntN(len(faults))]
			if f == "inband-error" && !stream {
				f = "status:503"
			}
			fault = mock.Fault(primaryHost, f)
			failed++
		}
		jobs <- [2]any{fault, stream}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Equal(t, n, e.mock.Count(primaryHost))
	require.Equal(t, failed, e.mock.Count(claudeHost), "one fallback attempt per failed primary attempt")
	require.Equal(t, 0, e.mock.Count(qwenHost))
}

// TestCircuitBreaker: after maxFails failures the primary is skipped (the fallback
// serves at once, without trying it); without a fallback, an open circuit answers 503
// fast. The breaker's state is shared by the gateway's two VMs.
func TestCircuitBreaker(t *testing.T) {
	withFallback := map[string]any{}
	for k, v := range fallbackRouting {
		withFallback[k] = v
	}
	withFallback["circuitBreaker"] = map[string]any{"maxFails": 3, "window": 60000, "coolDown": 600000}
	e := fallbackGateway(t, "breaker", withFallback)
	e.mock.Reset()
	for range 3 {
		_, servedBy, _, err := sdkCall(t, e.url, false, false, mock.Fault(primaryHost, "status:503"))
		require.NoError(t, err)
		require.Equal(t, "claude", servedBy)
	}
	require.Equal(t, 3, e.mock.Count(primaryHost))
	for range 4 { // both VMs see the open circuit
		_, servedBy, attempts, err := sdkCall(t, e.url, false, false, "")
		require.NoError(t, err)
		require.Equal(t, "claude", servedBy)
		require.Equal(t, "1", attempts)
	}
	require.Equal(t, 3, e.mock.Count(primaryHost), "an open circuit is not tried")

	only := map[string]any{"mode": "single", "target": map[string]any{"provider": "openai"},
		"circuitBreaker": map[string]any{"maxFails": 2, "coolDown": 600000}}
	e = fallbackGateway(t, "breaker-only", only)
	e.mock.Reset()
	for range 2 {
		_, _, _, err := sdkCall(t, e.url, false, false, mock.Fault(primaryHost, "status:500"))
		require.Error(t, err)
	}
	for _, anthropicSDK := range []bool{false, true} {
		_, _, _, err := sdkCall(t, e.url, anthropicSDK, false, "")
		require.Error(t, err)
		if anthropicSDK {
			var ae *anthropic.Error
			require.ErrorAs(t, err, &ae)
			require.Equal(t, 503, ae.StatusCode)
		} else {
			var oe *openai.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, 503, oe.StatusCode)
		}
	}
	require.Equal(t, 2, e.mock.Count(primaryHost))
}
