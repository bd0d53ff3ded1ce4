package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// vertexConfig is a Vertex AI provider with the test service account (testdata/vertex).
// The key id is the test's name: shared data outlives a test host, and the cached token
// is per key.
func vertexConfig(t *testing.T, extra string) string {
	t.Helper()
	key, err := os.ReadFile("../../testdata/vertex/service-account.json")
	if err != nil {
		t.Fatal(err)
	}
	key, _ = sjson.SetBytes(key, "private_key_id", t.Name())
	p, _ := sjson.Set(`{"type":"vertex","vertexRegion":"us-central1","vertexProjectId":"p1","vertexAuthServiceName":"vertex-auth"}`, "vertexAuthKey", string(key))
	return `{"provider":` + strings.TrimSuffix(p, "}") + extra + `}}`
}

const vertexChat = `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`

// vertexRequest sends one chat request on a new context up to the end of its body and
// returns the context id and the body's action.
func vertexRequest(host test.TestHost, path, body string) (uint32, types.Action) {
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, clientHeaders(path), false)
	return id, host.CallOnRequestBody(id, []byte(body), true)
}

// tokenCalls counts the pending callouts of the contexts to the token endpoint (an
// answered callout is no longer listed).
func tokenCalls(host test.TestHost, ids ...uint32) (n int, last uint32) {
	for _, id := range ids {
		for _, c := range host.GetCalloutAttributesFromContext(id) {
			if c.Upstream == "outbound|443||vertex-auth.dns" {
				n++
				last = c.CalloutID
			}
		}
	}
	return n, last
}

func requireAuth(t *testing.T, host test.TestHost, id uint32, want string) {
	t.Helper()
	if got, _ := header(host.GetCurrentRequestHeaders(id), "authorization"); got != want {
		t.Fatalf("context %d: authorization %q, want %q", id, got, want)
	}
	if a := host.GetCurrentHttpStreamAction(id); a != types.ActionContinue {
		t.Fatalf("context %d: action %v, want continue", id, a)
	}
}

func TestVertexToken(t *testing.T) {
	test.RunTest(t, func(t *testing.T) {
		t.Run("fetched once for several requests", func(t *testing.T) {
			host := newHost(t, vertexConfig(t, ""))
			defer host.Reset()
			a, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionPause {
				t.Fatalf("first request: action %v, want pause while the token is fetched", act)
			}
			calls := host.GetCalloutAttributesFromContext(a)
			if len(calls) != 1 || calls[0].Upstream != "outbound|443||vertex-auth.dns" {
				t.Fatalf("callouts %+v", calls)
			}
			for k, want := range map[string]string{":method": "POST", ":path": "/token", ":authority": "oauth2.googleapis.com",
				"content-type": "application/x-www-form-urlencoded"} {
				if got, _ := header(calls[0].Headers, k); got != want {
					t.Errorf("token request %s: %q, want %q", k, got, want)
				}
			}
			if !strings.HasPrefix(string(calls[0].Body), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=") {
				t.Errorf("token request body %q", calls[0].Body)
			}
			// A second request while the first fetch is in flight waits for it.
			b, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionPause {
				t.Fatalf("second request: action %v, want pause (waits for the fetch in flight)", act)
			}
			if n, _ := tokenCalls(host, a, b); n != 1 {
				t.Fatalf("%d token fetches, want 1", n)
			}
			host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}, {"content-type", "application/json"}},
				nil, []byte(`{"access_token":"ya29.first","expires_in":3599,"token_type":"Bearer"}`))
			requireAuth(t, host, a, "Bearer ya29.first")
			if p, _ := header(host.GetCurrentRequestHeaders(a), ":path"); p != "/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent" {
				t.Errorf("path %q", p)
			}
			if got := gjson.GetBytes(host.GetCurrentRequestBody(a), "contents.0.parts.0.text").String(); got != "hi" {
				t.Errorf("body not converted: %s", host.GetCurrentRequestBody(a))
			}
			if host.GetTickPeriod() == 0 {
				t.Fatal("no tick while a request waits")
			}
			host.Tick()
			requireAuth(t, host, b, "Bearer ya29.first")
			// Later requests use the cached token: no callout, no pause.
			c, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionContinue {
				t.Fatalf("third request: action %v, want continue with the cached token", act)
			}
			requireAuth(t, host, c, "Bearer ya29.first")
			if n, _ := tokenCalls(host, c); n != 0 {
				t.Fatalf("%d token fetches for a cached token, want 0", n)
			}
			if host.GetTickPeriod() != 0 {
				t.Errorf("tick period %d after the waiters are done, want 0", host.GetTickPeriod())
			}
			assertNoSecret(t, host, "PRIVATE KEY")
			assertNoSecret(t, host, "ya29.first")
		})

		t.Run("refreshed ahead of expiry", func(t *testing.T) {
			host := newHost(t, vertexConfig(t, `,"vertexTokenRefreshAhead":300`))
			defer host.Reset()
			a, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			_, id := tokenCalls(host, a)
			// Valid for 120 s: inside the 300 s refresh window from the start.
			host.CallOnHttpCallResponse(id, [][2]string{{":status", "200"}}, nil, []byte(`{"access_token":"ya29.short","expires_in":120}`))
			requireAuth(t, host, a, "Bearer ya29.short")
			b, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionPause {
				t.Fatalf("request in the refresh window: action %v, want pause while it refreshes", act)
			}
			n, id := tokenCalls(host, a, b)
			if n != 1 {
				t.Fatalf("%d token fetches pending, want 1 (the refresh)", n)
			}
			// Meanwhile another request uses the current, still valid token.
			c, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionContinue {
				t.Fatalf("request during the refresh: action %v, want continue with the current token", act)
			}
			requireAuth(t, host, c, "Bearer ya29.short")
			host.CallOnHttpCallResponse(id, [][2]string{{":status", "200"}}, nil, []byte(`{"access_token":"ya29.long","expires_in":3599}`))
			requireAuth(t, host, b, "Bearer ya29.long")
			d, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			requireAuth(t, host, d, "Bearer ya29.long")
			if n, _ := tokenCalls(host, c, d); n != 0 {
				t.Fatalf("%d token fetches, want none after the refresh", n)
			}
		})

		t.Run("a failed refresh keeps the valid token", func(t *testing.T) {
			host := newHost(t, vertexConfig(t, `,"vertexTokenRefreshAhead":300`))
			defer host.Reset()
			a, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			_, id := tokenCalls(host, a)
			host.CallOnHttpCallResponse(id, [][2]string{{":status", "200"}}, nil, []byte(`{"access_token":"ya29.short","expires_in":120}`))
			b, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			_, id = tokenCalls(host, b)
			host.CallOnHttpCallResponse(id, [][2]string{{":status", "503"}}, nil, []byte(`unavailable`))
			requireAuth(t, host, b, "Bearer ya29.short")
		})

		t.Run("a failing token endpoint gives a clear error", func(t *testing.T) {
			host := newHost(t, vertexConfig(t, ""))
			defer host.Reset()
			a, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			b, _ := vertexRequest(host, "/v1/messages", `{"model":"claude-sonnet-4@20250514","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
			_, id := tokenCalls(host, a)
			host.CallOnHttpCallResponse(id, [][2]string{{":status", "400"}}, nil,
				[]byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`))
			local := host.GetSentLocalResponse(a)
			if local == nil || local.StatusCode != 502 {
				t.Fatalf("local reply %+v, want 502", local)
			}
			if got := gjson.GetBytes(local.Data, "error.message").String(); got !=
				"cannot get the Vertex AI access token: token endpoint answered status 400: invalid_grant (Invalid JWT Signature.)" {
				t.Errorf("message %q", got)
			}
			if gjson.GetBytes(local.Data, "error.code").String() != "credential_unavailable" {
				t.Errorf("error %s", local.Data)
			}
			// The request that waited gets the error too, in its own protocol (Anthropic).
			host.Tick()
			local = host.GetSentLocalResponse(b)
			if local == nil || local.StatusCode != 502 || gjson.GetBytes(local.Data, "type").String() != "error" ||
				!strings.Contains(gjson.GetBytes(local.Data, "error.message").String(), "invalid_grant") {
				t.Fatalf("waiting request's reply %+v", local)
			}
			// The next request tries again.
			c, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if n, _ := tokenCalls(host, c); act != types.ActionPause || n != 1 {
				t.Fatalf("after a failure: action %v, %d fetches; want a new fetch", act, n)
			}
			assertNoSecret(t, host, "PRIVATE KEY")
		})

		t.Run("a waiter gives up when the fetch never ends", func(t *testing.T) {
			if strings.Contains(t.Name(), "/wasm/") {
				t.Skip("the wasm test host's clock (wazero's default) does not move")
			}
			host := newHost(t, vertexConfig(t, `,"timeout":5`)) // ms: the fetch's bound too
			defer host.Reset()
			a, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			b, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionPause {
				t.Fatalf("second request: action %v", act)
			}
			// a's fetch is never answered (its request went away): b gives up after the
			// bound (5 ms), on a tick.
			var local *proxytest.LocalHttpResponse
			for i := 0; i < 100 && local == nil; i++ {
				time.Sleep(5 * time.Millisecond)
				host.Tick()
				local = host.GetSentLocalResponse(b)
			}
			if local == nil || local.StatusCode != 502 || !strings.Contains(string(local.Data), "timed out waiting") {
				t.Fatalf("waiting request's reply %+v", local)
			}
			// The lock has expired too: the next request fetches.
			c, _ := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if n, _ := tokenCalls(host, c); n != 1 {
				t.Fatalf("%d fetches after the lock expired, want 1", n)
			}
			_ = a
		})

		t.Run("express mode needs no fetch", func(t *testing.T) {
			host := newHost(t, `{"provider":{"type":"vertex","apiTokens":["`+secretToken+`"]}}`)
			defer host.Reset()
			a, act := vertexRequest(host, "/v1/chat/completions", vertexChat)
			if act != types.ActionContinue || len(host.GetCalloutAttributesFromContext(a)) != 0 {
				t.Fatalf("action %v, callouts %v", act, host.GetCalloutAttributesFromContext(a))
			}
			if got, _ := header(host.GetCurrentRequestHeaders(a), "x-goog-api-key"); got != secretToken {
				t.Errorf("x-goog-api-key %q", got)
			}
		})
	})
}
