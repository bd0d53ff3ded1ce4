package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// TestStreamPiecesInWasm runs converted streams through the compiled plugin in the
// project's wazero host, which (like Envoy) returns body pieces through the plugin's
// malloc: the plugin reuses one buffer for every response piece, so a converter that
// kept a reference into an earlier piece would show here as output that depends on
// how the stream is cut. Every cut must give the output of the uncut stream.
func TestStreamPiecesInWasm(t *testing.T) {
	path := os.Getenv("WASM_FILE_PATH")
	if path == "" {
		t.Skip("WASM_FILE_PATH not set (make test sets it)")
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	host, err := wasmhost.Load(ctx, wasm, wasmhost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close(ctx)

	cases := []struct {
		name, config, path, body, fixture string
	}{
		{"dashscope tools", `{"provider":{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}}`,
			"/v1/chat/completions", `{"model":"qwen-max","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"../../testdata/dashscope/chat_tools.answer.sse"},
		{"dashscope reasoning", `{"provider":{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}}`,
			"/v1/chat/completions", `{"model":"qwen-max","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"../../testdata/dashscope/chat_reasoning.answer.sse"},
		{"anthropic client, openai upstream", `{"provider":{"type":"openai","apiTokens":["k"]}}`,
			"/v1/messages", `{"model":"gpt-4o","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"../../testdata/anthropic/messages_to_chat/tools_parallel.stream.sse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			upstream, err := os.ReadFile(c.fixture)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := host.NewVM(ctx, []byte(c.config))
			if err != nil {
				t.Fatal(err)
			}
			exchange := func(pieces [][]byte) []byte {
				t.Helper()
				s, err := vm.NewStream(nil)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Done()
				hs := wasmhost.Headers{{":method", "POST"}, {":path", c.path}, {":authority", "gw"}, {":scheme", "https"},
					{"content-type", "application/json"}}
				if _, err := s.RequestHeaders(hs, false); err != nil {
					t.Fatal(err)
				}
				if _, err := s.RequestBody([]byte(c.body), true); err != nil {
					t.Fatal(err)
				}
				if lr := s.LocalReply(); lr != nil {
					t.Fatalf("local reply %d %s", lr.Status, lr.Body)
				}
				if _, err := s.ResponseHeaders(wasmhost.Headers{{":status", "200"}, {"content-type", "text/event-stream"}}, false); err != nil {
					t.Fatal(err)
				}
				for i, p := range pieces {
					if _, err := s.ResponseBody(p, i == len(pieces)-1); err != nil {
						t.Fatal(err)
					}
				}
				return s.Response().Body()
			}
			want := exchange([][]byte{upstream})
			if len(want) == 0 {
				t.Fatal("no output for the uncut stream")
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for _, cut := range []struct {
				name string
				size func() int
			}{
				{"1 byte", func() int { return 1 }},
				{"7 bytes", func() int { return 7 }},
				{"random", func() int { return 1 + rng.IntN(300) }},
			} {
				var pieces [][]byte
				for rest := upstream; len(rest) > 0; {
					n := min(cut.size(), len(rest))
					pieces, rest = append(pieces, rest[:n]), rest[n:]
				}
				if got := exchange(pieces); !bytes.Equal(got, want) {
					t.Errorf("cut %s: output differs from the uncut stream\ngot:  %q\nwant: %q", cut.name, got, want)
				}
			}
		})
	}
}
