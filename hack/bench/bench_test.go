package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/tidwall/gjson"
)

func TestSplit(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes
	tests := []struct {
		name     string
		pieces   [][]byte
		wantN    int // 0: any
		maxPiece int
	}{
		{"256", split(body, 256), 4, 256},
		{"exact", split(body[:512], 256), 2, 256},
		{"random seed 1", splitRandom(body, 256, 1), 0, 511},
		{"random seed 2", splitRandom(body, 256, 2), 0, 511},
		{"random small", splitRandom(body, 4, 7), 0, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantN > 0 && len(tt.pieces) != tt.wantN {
				t.Errorf("got %d pieces, want %d", len(tt.pieces), tt.wantN)
			}
			for i, p := range tt.pieces {
				if len(p) == 0 || len(p) > tt.maxPiece {
					t.Errorf("piece %d has %d bytes, want 1..%d", i, len(p), tt.maxPiece)
				}
			}
			joined := bytes.Join(tt.pieces, nil)
			if want := body[:len(joined)]; !bytes.Equal(joined, want) || (tt.name != "exact" && len(joined) != len(body)) {
				t.Errorf("pieces do not join back to the body")
			}
		})
	}
	a, b := splitRandom(body, 256, 9), splitRandom(body, 256, 9)
	if len(a) != len(b) {
		t.Errorf("the same seed cut differently")
	}
}

// TestMockAnswers checks that the mock gives every streamed case exactly the wanted
// number of events when asked with the plugin's (here: hand-written) upstream request.
func TestMockAnswers(t *testing.T) {
	tests := []struct {
		name    string
		headers wasmhost.Headers
		body    string
	}{
		{"openai", wasmhost.Headers{{":method", "POST"}, {":path", "/v1/chat/completions"}, {"authorization", "Bearer k"}},
			`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`},
		{"dashscope", wasmhost.Headers{{":method", "POST"}, {":path", "/api/v1/services/aigc/text-generation/generation"}, {"authorization", "Bearer k"}, {"x-dashscope-sse", "enable"}},
			`{"model":"qwen-plus","input":{"messages":[{"role":"user","content":"hi"}]},"parameters":{"result_format":"message","incremental_output":true}}`},
		{"anthropic", wasmhost.Headers{{":method", "POST"}, {":path", "/v1/messages"}, {"x-api-key", "k"}},
			`{"model":"claude","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words := 200
			for try := 0; try < 3; try++ {
				rec := askMock(tt.headers, []byte(tt.body), words)
				if rec.Code != 200 {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				n := countEvents(rec.Body.Bytes())
				if n == 200 {
					return
				}
				words += 200 - n
			}
			t.Errorf("could not get 200 events")
		})
	}
}

func TestCheckOutput(t *testing.T) {
	stream := &benchCase{client: clientOpenAI, delivery: deliverSSE256}
	json := &benchCase{client: clientOpenAI, delivery: deliverJSON}
	anth := &benchCase{client: clientAnthropic, delivery: deliverJSON}
	tests := []struct {
		name   string
		c      *benchCase
		status string
		body   string
		ok     bool
	}{
		{"openai json", json, "200", `{"choices":[{"message":{"content":"x"}}]}`, true},
		{"openai json wrong shape", json, "200", `{"content":[{"text":"x"}]}`, false},
		{"anthropic json", anth, "200", `{"content":[{"type":"text","text":"x"}]}`, true},
		{"error status", json, "502", `{"choices":[{"message":{"content":"x"}}]}`, false},
		{"stream done", stream, "200", "data: {}\n\ndata: [DONE]\n\n", true},
		{"stream cut", stream, "200", "data: {}\n\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkOutput(tt.c, tt.status, []byte(tt.body))
			if (got == "") != tt.ok {
				t.Errorf("checkOutput = %q, want ok=%v", got, tt.ok)
			}
		})
	}
}

func TestCaseBodies(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.id(), func(t *testing.T) {
			if !gjson.ValidBytes(c.body) {
				t.Fatalf("body is not JSON: %.80s", c.body)
			}
			if got := gjson.GetBytes(c.body, "stream").Bool(); got != c.streaming() {
				t.Errorf("stream = %v, want %v", got, c.streaming())
			}
			if !gjson.Valid(c.config) {
				t.Errorf("config is not JSON")
			}
			if strings.Contains(c.name, "MB") && len(c.body) < 1<<20-64 {
				t.Errorf("1MB body has %d bytes", len(c.body))
			}
		})
	}
}

// TestRunCases drives every case through the compiled plugins when the Makefile's test
// target provides them (WASM_FILE_PATH, NOOP_WASM_FILE_PATH): the harness must finish
// every case with figures or an n/a reason, never crash. No timing is checked.
func TestRunCases(t *testing.T) {
	pluginPath, floorPath := os.Getenv("WASM_FILE_PATH"), os.Getenv("NOOP_WASM_FILE_PATH")
	if pluginPath == "" || floorPath == "" {
		t.Skip("WASM_FILE_PATH and NOOP_WASM_FILE_PATH not set")
	}
	ctx := context.Background()
	s := settings{runs: 1, warmup: 2, memExchanges: 4, runTime: time.Millisecond, events: 20, seed: 1, startRepeats: 1}
	ps := []*plugin{{name: "floor", path: floorPath, floor: true}, {name: "ai-proxy", path: pluginPath}}
	// The build without regexp (SMALL_WASM_FILE_PATH) must serve every case as well.
	small := os.Getenv("SMALL_WASM_FILE_PATH")
	if small != "" {
		ps = append(ps, &plugin{name: "ai-proxy-noregexp", path: small})
	}
	for _, p := range ps {
		loadPlugin(ctx, p, s)
		if p.startErr != nil {
			t.Fatalf("%s: %v", p.name, p.startErr)
		}
		defer p.host.Close(ctx)
	}
	results := map[*benchCase][]*result{}
	cases := allCases()
	for _, c := range cases {
		if strings.Contains(c.name, "MB") {
			continue // keep the test short
		}
		rs := runCase(ctx, ps, c, s)
		results[c] = rs
		for i, r := range rs {
			if r.na == "" && (r.us <= 0 || r.memEnd == 0) {
				t.Errorf("%s, %s: no figures and no n/a reason", ps[i].name, c.id())
			}
			if r.wrong != "" {
				t.Logf("%s, %s: %s", ps[i].name, c.id(), r.wrong)
			}
			if ps[i].path == small && (r.na != "" || r.wrong != "") {
				t.Errorf("%s, %s: %s%s", ps[i].name, c.id(), r.na, r.wrong)
			}
		}
	}
	var out bytes.Buffer
	kept := cases[:0:0]
	for _, c := range cases {
		if results[c] != nil {
			kept = append(kept, c)
		}
	}
	report(&out, ps, kept, results, s, time.Second)
	if !strings.Contains(out.String(), "## Targets") {
		t.Errorf("report lacks the targets table:\n%s", out.String())
	}
}
