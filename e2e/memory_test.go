package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/stretchr/testify/require"
)

// exchange is one canned request/response pair fed straight to a VM.
type exchange struct {
	name        string
	reqHeaders  wasmhost.Headers
	reqBody     []byte
	respHeaders wasmhost.Headers
	respPieces  [][]byte
}

// cannedExchange asks the mock what the provider answers to body, and cuts a streamed
// answer into one piece per SSE event, as it arrives from a provider.
func cannedExchange(t *testing.T, name, path string, body string) exchange {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "http://api.openai.com"+path, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+upstreamToken)
	req.Header.Set("Content-Type", "application/json")
	mock.NewHandler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var pieces [][]byte
	if rec.Header().Get("Content-Type") == "text/event-stream" {
		for _, ev := range bytes.SplitAfter(rec.Body.Bytes(), []byte("\n\n")) {
			if len(ev) > 0 {
				pieces = append(pieces, ev)
			}
		}
	} else {
		pieces = [][]byte{rec.Body.Bytes()}
	}
	return exchange{
		name: name,
		reqHeaders: wasmhost.Headers{
			{":method", "POST"}, {":path", path}, {":authority", "gateway.local"}, {":scheme", "http"},
			{"content-type", "application/json"}, {"content-length", strconv.Itoa(len(body))},
			{"authorization", "Bearer " + clientKey},
		},
		reqBody:     []byte(body),
		respHeaders: wasmhost.Headers{{":status", "200"}, {"content-type", rec.Header().Get("Content-Type")}},
		respPieces:  pieces,
	}
}

func run(t *testing.T, vm *wasmhost.VM, x *exchange) {
	s, err := vm.NewStream(map[string]string{"route_name": "ai-route"})
	require.NoError(t, err)
	_, err = s.RequestHeaders(x.reqHeaders, false)
	require.NoError(t, err)
	_, err = s.RequestBody(x.reqBody, true)
	require.NoError(t, err)
	require.Nil(t, s.LocalReply(), "%s: local reply", x.name)
	require.True(t, s.Request().Ended(), x.name)
	_, err = s.ResponseHeaders(x.respHeaders, false)
	require.NoError(t, err)
	for i, p := range x.respPieces {
		_, err = s.ResponseBody(p, i == len(x.respPieces)-1)
		require.NoError(t, err)
	}
	require.True(t, s.Response().Ended(), x.name)
	require.NoError(t, s.Done())
}

// TestMemoryPlateau: after warm-up, 20,000 more exchanges through one VM of the real
// plugin leave guest memory where it was (the plugin keeps no per-request state, so no
// VM rebuild is needed). The Go heap takes a few thousand exchanges to settle (about
// 4.5 MiB at start, 6 MiB from about 4,000 exchanges on), and may still take one more
// 64 KiB page later as its spans fragment differently; the allowance of 4 pages over
// 20,000 exchanges still catches a leak of 13 bytes per exchange.
func TestMemoryPlateau(t *testing.T) {
	e := gateway(t, "openai", openaiCfg)
	cfg, err := json.Marshal(openaiCfg)
	require.NoError(t, err)
	vm, err := e.gw.Host().NewVM(context.Background(), cfg)
	require.NoError(t, err)
	defer vm.Close(context.Background())

	msgs := `"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Tell me about Paris in a few words."}]`
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]`
	xs := []exchange{
		cannedExchange(t, "chat", "/v1/chat/completions", `{"model":"gpt-4o-mini",`+msgs+`}`),
		cannedExchange(t, "stream", "/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},`+msgs+`}`),
		cannedExchange(t, "tools stream", "/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true,`+msgs+`,`+tools+`}`),
		cannedExchange(t, "embeddings", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a","b"]}`),
	}
	const warmUp, total, allowance = 10000, 30000, 4 << 16
	for i := 0; i < warmUp; i++ {
		run(t, vm, &xs[i%len(xs)])
	}
	plateau := vm.MemorySize()
	for i := warmUp; i < total; i++ {
		run(t, vm, &xs[i%len(xs)])
	}
	require.LessOrEqual(t, vm.MemorySize(), plateau+allowance, "guest memory grew from %d to %d bytes between exchange %d and %d",
		plateau, vm.MemorySize(), warmUp, total)
	t.Logf("guest memory after %d exchanges: %d bytes", total, vm.MemorySize())
}
