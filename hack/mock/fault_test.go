package mock

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/tidwall/gjson"
)

// rawClient neither adds Accept-Encoding nor decompresses: tests see the wire bytes.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// rawDo posts body with headers (a "Host" entry sets the Host header) and returns the
// response with its whole body read; err is a transport error.
func rawDo(url string, headers map[string]string, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func mustRaw(t *testing.T, url string, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	resp, b, err := rawDo(url, headers, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func with(h map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(h)+len(kv)/2)
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v (%.40q)", err, b)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// endpoint is one request of one wire format, JSON or stream.
type endpoint struct {
	name     string
	path     string
	headers  map[string]string
	body     string
	sep      string // stream event separator; "" for JSON
	terminal string // what only the complete stream contains
}

const (
	dsGen   = "/api/v1/services/aigc/text-generation/generation"
	dsMulti = "/api/v1/services/aigc/multimodal-generation/generation"
)

var (
	oaAuth = map[string]string{"Authorization": "Bearer k"}
	anAuth = map[string]string{"x-api-key": "k"}
	gmAuth = map[string]string{"x-goog-api-key": "k"}
	dsSSE  = map[string]string{"Authorization": "Bearer k", "X-DashScope-SSE": "enable"}
)

var jsonEndpoints = []endpoint{
	{name: "openai", path: "/v1/chat/completions", headers: oaAuth, body: `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`},
	{name: "anthropic", path: "/v1/messages", headers: anAuth, body: `{"model":"claude","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`},
	{name: "dashscope", path: dsGen, headers: oaAuth, body: `{"model":"qwen-plus","input":{"prompt":"hi"}}`},
	{name: "gemini", path: "/v1beta/models/gemini-2.5-flash:generateContent", headers: gmAuth, body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
}

var streamEndpoints = []endpoint{
	{"openai", "/v1/chat/completions", oaAuth, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "\n\n", "data: [DONE]"},
	{"anthropic", "/v1/messages", anAuth, `{"model":"claude","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`, "\n\n", "message_stop"},
	{"dashscope", dsGen, dsSSE, `{"model":"qwen-plus","input":{"prompt":"hi"},"parameters":{"incremental_output":true}}`, "\n\n", `"finish_reason":"stop"`},
	{"gemini sse", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", gmAuth, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "\r\n\r\n", `"finishReason":"STOP"`},
	// A JSON array of records: "[" rec, ",\r\n" rec, ..., "]"; complete when it ends "]".
	{"gemini array", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", gmAuth, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "}", ""},
}

// complete reports whether a stream body holds the terminal event.
func (ep endpoint) complete(body string) bool {
	if ep.terminal == "" {
		return strings.HasSuffix(body, "]")
	}
	return strings.Contains(body, ep.terminal)
}

func TestFaultHelperAndParsing(t *testing.T) {
	if got, want := Fault("api.a.test", "status:503", "gzip"), "api.a.test=status:503,api.a.test=gzip"; got != want {
		t.Errorf("Fault = %q, want %q", got, want)
	}
	if got, want := Fault("", "reset", "stall:1s"), "reset,stall:1s"; got != want {
		t.Errorf("Fault = %q, want %q", got, want)
	}
	p, err := parseFaults([]string{"stall:1s, a.test=gzip ,b.test=reset", "stall:2s,status:503:html,reset"}, "a.test")
	if err != nil || p.stall.Seconds() != 3 || !p.gzip || p.answer == nil || p.answer.kind != "status" || p.answer.status != 503 || p.answer.form != "html" {
		t.Errorf("plan = %+v %+v, %v", p, p.answer, err)
	}
	for _, bad := range []string{"explode", "status:200", "status:5xx", "status:503:xml", "stall:soon", "cut-after:-1",
		"cut-inside:x", "body:xml", "dashscope-sse-error:abc", "reset:now", "other.test=explode"} {
		if _, err := parseFaults([]string{bad}, "a.test"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFaultUnknownIsLoud(t *testing.T) {
	h, srv := newServer(t)
	for _, v := range []string{"explode", "api.other.test=status:abc", "gzip,cut-after"} {
		resp, b := mustRaw(t, srv.URL+"/v1/chat/completions", with(oaAuth, FaultHeader, v), jsonEndpoints[0].body)
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || !strings.Contains(string(b), FaultHeader) {
			t.Errorf("%q: %d %s: %s", v, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	if !strings.Contains(string(mustBody(t, srv, "explode")), `"explode"`) {
		t.Error("the message does not name the fault")
	}
	if h.Count("") != 4 {
		t.Errorf("count %d, want 4", h.Count(""))
	}
}

func mustBody(t *testing.T, srv *httptest.Server, fault string) []byte {
	_, b := mustRaw(t, srv.URL+"/v1/chat/completions", with(oaAuth, FaultHeader, fault), jsonEndpoints[0].body)
	return b
}

func TestFaultStatusAndBodies(t *testing.T) {
	_, srv := newServer(t)
	errPath := map[string][2]string{ // for status 503: a path of the error JSON and its value
		"openai": {"error.type", "server_error"}, "anthropic": {"error.type", "api_error"},
		"dashscope": {"code", "InternalError"}, "gemini": {"error.status", "UNAVAILABLE"},
	}
	for _, ep := range append(jsonEndpoints, streamEndpoints...) {
		proto := strings.Fields(ep.name)[0]
		t.Run(ep.name, func(t *testing.T) {
			tests := []struct {
				fault, ct string
				status    int
				check     func(b []byte) bool
			}{
				{"status:503", "application/json", 503, func(b []byte) bool {
					return gjson.GetBytes(b, errPath[proto][0]).String() == errPath[proto][1]
				}},
				{"status:429", "application/json", 429, func(b []byte) bool { return gjson.ValidBytes(b) && len(b) > 10 }},
				{"status:502:html", "text/html; charset=UTF-8", 502, func(b []byte) bool {
					return bytes.Contains(b, []byte("<title>502 Bad Gateway</title>"))
				}},
				{"status:500:empty", "application/json", 500, func(b []byte) bool { return len(b) == 0 }},
				{"body:html", "text/html; charset=UTF-8", 200, func(b []byte) bool { return bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) }},
				{"body:empty", "application/json", 200, func(b []byte) bool { return len(b) == 0 }},
			}
			for _, tt := range tests {
				resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, tt.fault), ep.body)
				if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ct || !tt.check(b) {
					t.Errorf("%s: %d %q: %s", tt.fault, resp.StatusCode, resp.Header.Get("Content-Type"), b)
				}
			}
		})
	}
	t.Run("before the credential check", func(t *testing.T) {
		resp, _ := mustRaw(t, srv.URL+"/v1/chat/completions", map[string]string{FaultHeader: "status:503"}, jsonEndpoints[0].body)
		if resp.StatusCode != 503 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestFaultDashScopeSSEError(t *testing.T) {
	_, srv := newServer(t)
	tests := []struct {
		status int
		code   string
	}{{400, "InvalidParameter"}, {429, "Throttling.RateQuota"}, {500, "InternalError"}, {401, "InvalidApiKey"}}
	for _, tt := range tests {
		for _, path := range []string{dsGen, "/compatible-mode/v1/chat/completions"} {
			resp, b := mustRaw(t, srv.URL+path, with(dsSSE, FaultHeader, fmt.Sprintf("dashscope-sse-error:%d", tt.status)),
				`{"model":"qwen-plus","input":{"prompt":"hi"}}`)
			prefix := fmt.Sprintf("id:1\nevent:error\n:HTTP_STATUS/%d\ndata:{\"code\":%q,\"message\":", tt.status, tt.code)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "text/event-stream;charset=UTF-8" ||
				!strings.HasPrefix(string(b), prefix) || !strings.HasSuffix(string(b), "\"}\n\n") || strings.Count(string(b), "\n\n") != 1 {
				t.Errorf("%s %d: %d %q:\n%q", path, tt.status, resp.StatusCode, resp.Header.Get("Content-Type"), b)
				continue
			}
			evs := events(b)
			d := gjson.ParseBytes(evs[0].Data)
			if len(evs) != 1 || string(evs[0].Name) != "error" || d.Get("message").String() == "" || d.Get("request_id").String() == "" {
				t.Errorf("event %+v", evs)
			}
		}
	}
}

func TestFaultReset(t *testing.T) {
	h, srv := newServer(t)
	for _, ep := range append(jsonEndpoints, streamEndpoints...) {
		resp, _, err := rawDo(srv.URL+ep.path, with(ep.headers, FaultHeader, "reset"), ep.body)
		if err == nil {
			t.Errorf("%s: got a response %d, want a broken connection", ep.name, resp.StatusCode)
		}
	}
	if n := h.Count(""); n != len(jsonEndpoints)+len(streamEndpoints) {
		t.Errorf("count %d: the client retried?", n)
	}
	t.Run("no hijacker", func(t *testing.T) {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(jsonEndpoints[0].body))
		req.Header.Set(FaultHeader, "reset")
		NewHandler().ServeHTTP(httptest.NewRecorder(), req)
	})
}

func TestFaultStall(t *testing.T) {
	_, srv := newServer(t)
	// Outcomes only: a short stall, then the answer the other faults ask for.
	resp, b := mustRaw(t, srv.URL+"/v1/chat/completions", with(oaAuth, FaultHeader, "stall:1ms,status:503"), jsonEndpoints[0].body)
	if resp.StatusCode != 503 || gjson.GetBytes(b, "error.type").String() != "server_error" {
		t.Errorf("stall+status: %d %s", resp.StatusCode, b)
	}
	resp, b = mustRaw(t, srv.URL+"/v1/chat/completions", with(oaAuth, FaultHeader, "stall:1ms"), jsonEndpoints[0].body)
	if resp.StatusCode != 200 || gjson.GetBytes(b, "choices.0.message.content").String() == "" {
		t.Errorf("stall: %d %s", resp.StatusCode, b)
	}
	// A request whose context has ended gets nothing (were the stall not cut short, this
	// test would hang instead of failing).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(jsonEndpoints[0].body)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set(FaultHeader, "stall:1h")
	rec := httptest.NewRecorder()
	NewHandler().ServeHTTP(rec, req)
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Errorf("wrote %v %q", rec.Header(), rec.Body.Bytes())
	}
}

func TestFaultInbandError(t *testing.T) {
	_, srv := newServer(t)
	tests := []struct {
		ep          endpoint
		name, check string // first event's name; gjson path
		want        string
	}{
		{streamEndpoints[0], "", "error.type", "server_error"},
		{streamEndpoints[1], "error", "error.type", "overloaded_error"},
		{streamEndpoints[2], "error", "code", "Throttling.AllocationQuota"},
		{streamEndpoints[3], "", "error.status", "UNAVAILABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.ep.name, func(t *testing.T) {
			resp, b := mustRaw(t, srv.URL+tt.ep.path, with(tt.ep.headers, FaultHeader, "inband-error"), tt.ep.body)
			evs := events(b)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || len(evs) != 1 {
				t.Fatalf("%d %q, %d events:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), len(evs), b)
			}
			if string(evs[0].Name) != tt.name || gjson.GetBytes(evs[0].Data, tt.check).String() != tt.want {
				t.Errorf("event %s %s", evs[0].Name, evs[0].Data)
			}
			if tt.ep.name == "anthropic" && gjson.GetBytes(evs[0].Data, "type").String() != "error" {
				t.Errorf("anthropic error event %s", evs[0].Data)
			}
			if tt.ep.name == "dashscope" && !bytes.HasPrefix(b, []byte("id:1\nevent:error\n:HTTP_STATUS/429\ndata:{")) {
				t.Errorf("dashscope shape %q", b)
			}
		})
	}
	t.Run("gemini array", func(t *testing.T) {
		ep := streamEndpoints[4]
		resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, "inband-error"), ep.body)
		if resp.StatusCode != 200 || gjson.GetBytes(b, "0.error.code").Int() != 503 {
			t.Errorf("%d %s", resp.StatusCode, b)
		}
	})
	for _, ep := range jsonEndpoints {
		t.Run(ep.name+" json", func(t *testing.T) {
			resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, "inband-error"), ep.body)
			e := gjson.ParseBytes(b)
			if resp.StatusCode != 200 || !(e.Get("error").Exists() || e.Get("code").Exists()) {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		})
	}
}

// pieces answers req in-process and returns what was written between flushes.
func pieces(t *testing.T, ep endpoint, fault string) (*flushRecorder, []string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, ep.path, strings.NewReader(ep.body))
	for k, v := range ep.headers {
		req.Header.Set(k, v)
	}
	if fault != "" {
		req.Header.Set(FaultHeader, fault)
	}
	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	NewHandler(WithReplyWords(8)).ServeHTTP(rec, req)
	if rec.cur.Len() > 0 { // written after the last flush
		rec.pieces = append(rec.pieces, rec.cur.String())
	}
	return rec, rec.pieces
}

func TestFaultCutStreams(t *testing.T) {
	for _, ep := range streamEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			_, full := pieces(t, ep, "")
			if len(full) < 8 || ep.complete(strings.Join(full[:len(full)-1], "")) || !ep.complete(strings.Join(full, "")) {
				t.Fatalf("normal answer: %d events, last %q", len(full), full[len(full)-1])
			}
			for _, n := range []int{0, 1, 3, len(full) - 1} {
				rec, got := pieces(t, ep, fmt.Sprintf("cut-after:%d", n))
				body := rec.Body.String()
				if rec.Code != 200 || strings.Join(got, "") != body || !equal(got, full[:n]) {
					t.Errorf("cut-after:%d: %d, events %q, want %q", n, rec.Code, got, full[:n])
				}
				if ep.complete(body) {
					t.Errorf("cut-after:%d: terminal event sent", n)
				}
				if n > 0 && !strings.HasSuffix(body, ep.sep) {
					t.Errorf("cut-after:%d does not end between events: %q", n, body)
				}

				rec, got = pieces(t, ep, fmt.Sprintf("cut-inside:%d", n))
				body = rec.Body.String()
				tail := full[n][:len(full[n])/2]
				if rec.Code != 200 || !equal(got, append(append([]string{}, full[:n]...), tail)) {
					t.Errorf("cut-inside:%d: events %q", n, got)
				}
				// (Half of the terminal event may name it: only a whole one counts.)
				if !strings.HasSuffix(body, tail) || (tail != "" && strings.HasSuffix(body, ep.sep)) || (n < len(full)-1 && ep.complete(body)) {
					t.Errorf("cut-inside:%d: body ends %q", n, body[max(0, len(body)-40):])
				}
			}
			// Asking to cut after the end sends the whole answer.
			rec, got := pieces(t, ep, fmt.Sprintf("cut-after:%d", len(full)))
			if !equal(got, full) || !ep.complete(rec.Body.String()) {
				t.Errorf("cut-after:len: %q", got)
			}
		})
	}
	t.Run("over http, gzip", func(t *testing.T) {
		// The body ends cleanly: no transport error, a complete gzip stream.
		_, srv := newServer(t, WithReplyWords(8))
		ep := streamEndpoints[1]
		_, full := pieces(t, ep, "")
		resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, "cut-after:4", "Accept-Encoding", "gzip"), ep.body)
		if resp.Header.Get("Content-Encoding") != "gzip" || string(gunzip(t, b)) != strings.Join(full[:4], "") {
			t.Errorf("%v: %q", resp.Header, gunzip(t, b))
		}
	})
}

func equal(a, b []string) bool {
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

func TestFaultTruncatedJSON(t *testing.T) {
	_, srv := newServer(t)
	for _, ep := range jsonEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			_, full := mustRaw(t, srv.URL+ep.path, ep.headers, ep.body)
			for _, f := range []string{"body:truncated", "cut-after:2", "cut-inside:0"} {
				resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, f), ep.body)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
					string(b) != string(full[:len(full)/2]) || gjson.ValidBytes(b) {
					t.Errorf("%s: %d %q", f, resp.StatusCode, b)
				}
			}
		})
	}
	t.Run("stream", func(t *testing.T) {
		ep := streamEndpoints[0]
		_, full := mustRaw(t, srv.URL+ep.path, ep.headers, ep.body)
		_, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, "body:truncated"), ep.body)
		if string(b) != string(full[:len(full)/2]) {
			t.Errorf("%q", b)
		}
	})
}

func TestFaultHostScope(t *testing.T) {
	h, srv := newServer(t)
	const v = "api.primary.test=status:503,API.Other.Test=reset,api.third.test:443=body:empty"
	ep := jsonEndpoints[0]
	tests := []struct {
		host   string
		status int // 0: connection broken
	}{
		{"api.primary.test", 503},
		{"api.primary.test:8443", 503},
		{"api.other.test", 0},
		{"api.third.test", 200},
		{"api.fourth.test", 200},
		{"primary.test", 200},
	}
	for _, tt := range tests {
		resp, b, err := rawDo(srv.URL+ep.path, with(ep.headers, FaultHeader, v, "Host", tt.host), ep.body)
		switch {
		case tt.status == 0:
			if err == nil {
				t.Errorf("%s: got %d, want a reset", tt.host, resp.StatusCode)
			}
		case err != nil || resp.StatusCode != tt.status:
			t.Errorf("%s: %v %v", tt.host, resp, err)
		case tt.host == "api.third.test" && len(b) != 0:
			t.Errorf("%s: body %q, want empty", tt.host, b)
		case tt.host == "api.fourth.test" && gjson.GetBytes(b, "choices.0.message.content").String() == "":
			t.Errorf("%s: body %q, want the answer", tt.host, b)
		}
	}
	// An unscoped fault applies to every host.
	for _, host := range []string{"a.test", "b.test"} {
		resp, _ := mustRaw(t, srv.URL+ep.path, with(ep.headers, FaultHeader, "api.primary.test=status:503,status:429", "Host", host), ep.body)
		if resp.StatusCode != 429 {
			t.Errorf("%s: %d", host, resp.StatusCode)
		}
	}
	for host, want := range map[string]int{"api.primary.test": 2, "api.primary.test:1": 2, "API.OTHER.TEST": 1, "a.test": 1, "nobody.test": 0, "": 8} {
		if got := h.Count(host); got != want {
			t.Errorf("Count(%q) = %d, want %d", host, got, want)
		}
	}
}

func TestCountConcurrent(t *testing.T) {
	h := NewHandler(WithMaxRecorded(0))
	const hosts, per = 8, 64
	var wg sync.WaitGroup
	for i := 0; i < hosts; i++ {
		for j := 0; j < per; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(jsonEndpoints[0].body))
				req.Host = fmt.Sprintf("h%d.test:80", i)
				req.Header.Set("Authorization", "Bearer k")
				h.ServeHTTP(httptest.NewRecorder(), req)
			}()
		}
	}
	wg.Wait()
	for i := 0; i < hosts; i++ {
		if n := h.Count(fmt.Sprintf("h%d.test", i)); n != per {
			t.Errorf("host %d: %d", i, n)
		}
	}
	if h.Count("") != hosts*per || len(h.Requests()) != 0 {
		t.Errorf("total %d, recorded %d", h.Count(""), len(h.Requests()))
	}
	h.Reset()
	if h.Count("") != 0 || h.Count("h0.test") != 0 {
		t.Error("Reset kept the counts")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"": false, "gzip": true, "GZIP": true, "x-gzip": true, "gzip, deflate, br": true, "br;q=1.0, gzip;q=0.8": true,
		"identity": false, "br": false, "gzip;q=0": false, "gzip; q=0.0": false, "*": true, "*;q=0": false,
		"gzip;q=0, *": false, "deflate, *;q=0.5": true, "identity, gzip;q=0.001": true, "gzip;q=bad": false,
	}
	for v, want := range tests {
		h := http.Header{}
		if v != "" {
			h.Set("Accept-Encoding", v)
		}
		if got := acceptsGzip(h); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
	h := http.Header{"Accept-Encoding": {"br", "gzip"}}
	if !acceptsGzip(h) {
		t.Error("two header lines")
	}
}

func TestCompression(t *testing.T) {
	_, srv := newServer(t)
	_, plainSrv := newServer(t, WithoutCompression())
	cases := append(append([]endpoint{}, jsonEndpoints...), streamEndpoints...)
	cases = append(cases,
		endpoint{name: "openai 429", path: "/v1/chat/completions", headers: oaAuth, body: `{"model":"mock-error-429","messages":[]}`},
		endpoint{name: "anthropic 401", path: "/v1/messages", body: `{}`},
		endpoint{name: "embeddings", path: "/v1/embeddings", headers: oaAuth, body: `{"model":"e","input":"hi","dimensions":4}`},
		endpoint{name: "dashscope sse error", path: dsGen, headers: with(dsSSE, FaultHeader, "dashscope-sse-error:429"), body: `{}`},
		endpoint{name: "html 502", path: dsGen, headers: with(oaAuth, FaultHeader, "status:502:html"), body: `{}`},
	)
	for _, ep := range cases {
		t.Run(ep.name, func(t *testing.T) {
			plain, want := mustRaw(t, srv.URL+ep.path, ep.headers, ep.body)
			if plain.Header.Get("Content-Encoding") != "" || len(want) == 0 {
				t.Fatalf("without Accept-Encoding: %v %q", plain.Header, want)
			}
			for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5"} {
				resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, "Accept-Encoding", ae), ep.body)
				if resp.StatusCode != plain.StatusCode || resp.Header.Get("Content-Encoding") != "gzip" ||
					resp.Header.Get("Content-Length") != "" || resp.ContentLength != -1 ||
					resp.Header.Get("Content-Type") != plain.Header.Get("Content-Type") {
					t.Errorf("%q: %d %v", ae, resp.StatusCode, resp.Header)
				}
				if got := gunzip(t, b); !bytes.Equal(got, want) {
					t.Errorf("%q: decompressed\n%q\nwant\n%q", ae, got, want)
				}
			}
			for _, ae := range []string{"identity", "br", "gzip;q=0"} {
				resp, b := mustRaw(t, srv.URL+ep.path, with(ep.headers, "Accept-Encoding", ae), ep.body)
				if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, want) {
					t.Errorf("%q: %v %q", ae, resp.Header, b)
				}
			}
			resp, b := mustRaw(t, plainSrv.URL+ep.path, with(ep.headers, "Accept-Encoding", "gzip"), ep.body)
			if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, want) {
				t.Errorf("WithoutCompression: %v %q", resp.Header, b)
			}
			// The gzip fault compresses whatever the request accepts.
			h := with(ep.headers, FaultHeader, "gzip")
			if f := ep.headers[FaultHeader]; f != "" {
				h[FaultHeader] = f + ",gzip"
			}
			resp, b = mustRaw(t, plainSrv.URL+ep.path, h, ep.body)
			if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, b), want) {
				t.Errorf("gzip fault: %v", resp.Header)
			}
		})
	}
	t.Run("empty bodies stay plain", func(t *testing.T) {
		for _, f := range []string{"status:503:empty", "body:empty"} {
			resp, b := mustRaw(t, srv.URL+"/v1/chat/completions", with(oaAuth, FaultHeader, f+",gzip"), jsonEndpoints[0].body)
			if resp.Header.Get("Content-Encoding") != "" || len(b) != 0 || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: %v %q", f, resp.Header, b)
			}
		}
	})
	t.Run("go client decompresses transparently", func(t *testing.T) {
		status, b := do(t, srv.URL+"/v1/chat/completions", oaAuth, jsonEndpoints[0].body)
		if status != 200 || gjson.GetBytes(b, "choices.0.message.content").String() == "" {
			t.Errorf("%d %q", status, b)
		}
	})
}

// gatedWriter blocks after every Flush until the test lets the handler go on, so the
// handler cannot have written event i+1 while the test reads event i.
type gatedWriter struct {
	http.ResponseWriter
	gate chan struct{}
}

func (g *gatedWriter) Flush() {
	g.ResponseWriter.(http.Flusher).Flush()
	<-g.gate
}

func TestCompressedStreamIsIncremental(t *testing.T) {
	for _, ep := range streamEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			_, want := pieces(t, ep, "")
			gate := make(chan struct{})
			m := NewHandler(WithReplyWords(8))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m.ServeHTTP(&gatedWriter{w, gate}, r)
			}))
			defer srv.Close()
			var once sync.Once
			open := func() { once.Do(func() { close(gate) }) }
			defer open()

			req, _ := http.NewRequest(http.MethodPost, srv.URL+ep.path, strings.NewReader(ep.body))
			for k, v := range ep.headers {
				req.Header.Set(k, v)
			}
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := rawClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("not compressed: %v", resp.Header)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			buf := make([]byte, 4096)
			for i, ev := range want {
				wantLen := got.Len() + len(ev)
				for got.Len() < wantLen {
					n, err := zr.Read(buf)
					got.Write(buf[:n])
					if err != nil {
						t.Fatalf("event %d: %v after %q", i, err, got.Bytes())
					}
				}
				if got.Len() != wantLen || !strings.HasSuffix(got.String(), ev) {
					t.Fatalf("event %d: read %q, want %q", i, got.String(), ev)
				}
				if i < len(want)-1 {
					gate <- struct{}{} // only now may the handler write the next event
				}
			}
			open()
			rest, err := io.ReadAll(zr)
			if err != nil || len(rest) != 0 {
				t.Errorf("after the last event: %q, %v", rest, err)
			}
		})
	}
}

func TestAnthropicCompatibleBearer(t *testing.T) {
	_, srv := newServer(t)
	c := anthropic.NewClient(anthropicoption.WithBaseURL(srv.URL+"/api/v2/apps/claude-code-proxy"),
		anthropicoption.WithAuthToken("sk-ds"), anthropicoption.WithMaxRetries(0))
	msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{Model: "qwen-plus", MaxTokens: 9,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) == 0 || !strings.HasSuffix(msg.Content[0].Text, "You said: hi") {
		t.Errorf("content %+v", msg.Content)
	}
}

func TestDashScopeImageModels(t *testing.T) {
	_, srv := newServer(t)
	prompt := `"input":{"messages":[{"role":"user","content":[{"text":"a cat"}]}]}`
	tests := []struct {
		model, params string
		w, h, n       int
	}{
		{"qwen-image", ``, 1328, 1328, 1},
		{"qwen-image-plus", `,"parameters":{"size":"1664*928","n":2}`, 1664, 928, 2},
		{"qwen-image-edit", `,"parameters":{"size":"bad"}`, 1328, 1328, 1},
		{"wan2.2-t2i-flash", `,"parameters":{"size":"1024*1024"}`, 1024, 1024, 1},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			status, b := do(t, srv.URL+dsMulti, oaAuth, `{"model":"`+tt.model+`",`+prompt+tt.params+`}`)
			r := gjson.ParseBytes(b)
			content := r.Get("output.choices.0.message.content").Array()
			if status != 200 || len(content) != tt.n || r.Get("output.choices.0.finish_reason").String() != "stop" ||
				r.Get("output.choices.0.message.role").String() != "assistant" || r.Get("request_id").String() == "" {
				t.Fatalf("%d %s", status, b)
			}
			for _, c := range content {
				if !strings.HasPrefix(c.Get("image").String(), ImageURLPrefix) || c.Get("text").Exists() {
					t.Errorf("content %s", c.Raw)
				}
			}
			if u := r.Get("usage"); u.Get("width").Int() != int64(tt.w) || u.Get("height").Int() != int64(tt.h) || u.Get("image_count").Int() != int64(tt.n) {
				t.Errorf("usage %s", u.Raw)
			}
		})
	}
	t.Run("vl model keeps text", func(t *testing.T) {
		_, b := do(t, srv.URL+dsMulti, oaAuth, `{"model":"qwen-vl-plus",`+prompt+`}`)
		if got := gjson.GetBytes(b, "output.choices.0.message.content.0.text").String(); !strings.HasSuffix(got, "You said: a cat") {
			t.Errorf("%s", b)
		}
	})
}
