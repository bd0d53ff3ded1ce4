package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
	"github.com/ai-proxy/ai-proxy/hack/mock"
)

// tokenFaults answers 503 to requests carrying a broken token, and counts requests per
// token; the rest goes to the mock.
type tokenFaults struct {
	mock   *mock.Handler
	mu     sync.Mutex
	broken map[string]bool
	count  map[string]int
}

func (f *tokenFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("Authorization")
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	key := tok
	if bytes.Contains(body, []byte("who are you?")) {
		key += " (health check)" // the plugin's health check, counted apart
	}
	f.mu.Lock()
	f.count[key]++
	broken := f.broken[tok]
	f.mu.Unlock()
	if broken {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"message":"token broken","type":"server_error"}}`))
		return
	}
	f.mock.ServeHTTP(w, r)
}

func (f *tokenFaults) set(tok string, broken bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken["Bearer "+tok] = broken
}

func (f *tokenFaults) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.count
	f.count = map[string]int{}
	return out
}

func tokenGateway(t *testing.T, providerCfg map[string]any) (*tokenFaults, openai.Client) {
	t.Helper()
	if wasmErr != nil {
		t.Skipf("no compiled plugin (%v)", wasmErr)
	}
	f := &tokenFaults{mock: mock.NewHandler(mock.WithMaxRecorded(0)), broken: map[string]bool{}, count: map[string]int{}}
	g, err := gw.New(context.Background(), &gw.Config{Listen: "127.0.0.1:0", Mock: true, VMs: 2, Plugin: map[string]any{"provider": providerCfg}},
		wasm, gw.Options{Mock: f, Log: testLog{}, CacheDir: cacheDir})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	t.Cleanup(func() { g.Close() })
	return f, openai.NewClient(option.WithBaseURL(g.URL()+"/v1/"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
}

func chat(client openai.Client, stream bool) (string, error) {
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")}}
	if !stream {
		c, err := client.Chat.Completions.New(context.Background(), params)
		if err != nil {
			return "", err
		}
		return c.Choices[0].Message.Content, nil
	}
	s := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if s.Err() != nil {
		return "", s.Err()
	}
	return acc.Choices[0].Message.Content, nil
}

// TestRetryOnFailure (Higress retryOnFailure): a request that fails with one token is
// sent again with another; the client never sees the failure.
func TestRetryOnFailure(t *testing.T) {
	f, client := tokenGateway(t, map[string]any{"type": "openai", "apiTokens": []any{"tok-bad", "tok-good"},
		"retryOnFailure": map[string]any{"enabled": true, "maxRetries": 1}})
	f.set("tok-bad", true)
	for i := range 40 {
		text, err := chat(client, i%2 == 0)
		require.NoError(t, err)
		require.Contains(t, text, "Hello there")
	}
	c := f.counts()
	require.Equal(t, 40, c["Bearer tok-good"], "every request is served by the good token in the end")
	require.Positive(t, c["Bearer tok-bad"], "the bad token was tried (and retried away from)")
}

// TestTokenFailover (Higress failover): a token that keeps failing leaves the rotation,
// for every VM; health checks bring it back once it works again.
func TestTokenFailover(t *testing.T) {
	f, client := tokenGateway(t, map[string]any{"type": "openai", "apiTokens": []any{"tok-a", "tok-b"},
		"failover": map[string]any{"enabled": true, "failureThreshold": 2, "healthCheckInterval": 50, "healthCheckModel": "gpt-4o-mini"}})
	f.set("tok-a", true)
	failures := 0
	for range 30 {
		if _, err := chat(client, false); err != nil {
			failures++
		}
	}
	require.Equal(t, 2, failures, "tok-a is taken out after failureThreshold failures")
	f.counts()
	for i := range 20 {
		_, err := chat(client, i%2 == 1)
		require.NoError(t, err)
	}
	c := f.counts()
	require.Zero(t, c["Bearer tok-a"], "a token out of the rotation gets no client requests")
	require.Equal(t, 20, c["Bearer tok-b"])

	f.set("tok-a", false)
	deadline := time.Now().Add(10 * time.Second) // bounds a failing run; a pass is decided by counts
	for {
		f.counts()
		for range 20 {
			_, err := chat(client, false)
			require.NoError(t, err)
		}
		if c := f.counts(); c["Bearer tok-a"] > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "tok-a never came back after it healed")
		time.Sleep(20 * time.Millisecond)
	}
}
