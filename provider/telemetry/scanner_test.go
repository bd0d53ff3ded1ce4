package telemetry

import (
	"bytes"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type result struct {
	u  translator.Usage
	id string
}

func scanStream(kind Kind, pieces ...[]byte) result {
	s := NewScanner(kind)
	for i, p := range pieces {
		s.Piece(p, i == len(pieces)-1)
	}
	return result{s.Usage(), s.ID()}
}

// anthropicDeltaUsage: message_delta with updated input and cache fields (the API sends
// cumulative counts there).
const anthropicDeltaUsage = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"model\":\"claude-opus-4-1\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\r\n\r\n" +
	"event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":30,\"cache_creation_input_tokens\":4,\"output_tokens\":7}}\r\n\r\n" +
	"event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n"

func TestScannerStreams(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		in   []byte
		want result
	}{
		{"openai chat", OpenAIChat, fixture(t, "openai_chat_stream.sse"), result{translator.Usage{
			PromptTokens: 1117, CompletionTokens: 46, TotalTokens: 1163, CachedTokens: 1024, ReasoningTokens: 12,
			Model: "gpt-4o-2024-08-06"}, "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"}},
		{"responses", OpenAIResponses, fixture(t, "responses_stream.sse"), result{translator.Usage{
			PromptTokens: 37, CompletionTokens: 11, TotalTokens: 48, CachedTokens: 5, ReasoningTokens: 3,
			Model: "gpt-4.1-2025-04-14"}, "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654"}},
		{"anthropic", Anthropic, fixture(t, "anthropic_stream.sse"), result{translator.Usage{
			// prompt = input 25 + cache read 2000 + cache creation 100
			PromptTokens: 2125, CompletionTokens: 15, TotalTokens: 2140, CachedTokens: 2000, CacheCreationTokens: 100,
			Model: "claude-sonnet-4-5-20250929"}, "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"}},
		{"anthropic delta usage, CRLF", Anthropic, []byte(anthropicDeltaUsage), result{translator.Usage{
			PromptTokens: 46, CompletionTokens: 7, TotalTokens: 53, CachedTokens: 30, CacheCreationTokens: 4,
			Model: "claude-opus-4-1"}, "msg_01"}},
		{"openai no usage", OpenAIChat, []byte("data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[]}\n\ndata: [DONE]\n\n"),
			result{translator.Usage{Model: "m"}, "c1"}},
		{"unterminated last event", OpenAIChat, []byte("data: {\"id\":\"c1\",\"model\":\"m\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"),
			result{translator.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7, Model: "m"}, "c1"}},
		{"pretty usage key", OpenAIChat, []byte("data: {\"id\":\"c1\", \"model\":\"m\", \"usage\" : {\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":9}}\n\n"),
			result{translator.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 9, Model: "m"}, "c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanStream(tt.kind, tt.in); got != tt.want {
				t.Fatalf("whole:\n got %+v\nwant %+v", got, tt.want)
			}
			for i := 0; i <= len(tt.in); i++ {
				if got := scanStream(tt.kind, tt.in[:i], tt.in[i:]); got != tt.want {
					t.Fatalf("split at %d:\n got %+v\nwant %+v", i, got, tt.want)
				}
			}
			// byte by byte, then random splits
			var one [][]byte
			for i := range tt.in {
				one = append(one, tt.in[i:i+1])
			}
			one = append(one, nil)
			if got := scanStream(tt.kind, one...); got != tt.want {
				t.Fatalf("byte by byte:\n got %+v\nwant %+v", got, tt.want)
			}
			rnd := rand.New(rand.NewSource(1))
			for range 200 {
				if got := scanStream(tt.kind, randomSplit(rnd, tt.in)...); got != tt.want {
					t.Fatalf("random split:\n got %+v\nwant %+v", got, tt.want)
				}
			}
		})
	}
}

func randomSplit(rnd *rand.Rand, b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := 1 + rnd.Intn(min(len(b), 64))
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, nil)
}

func TestScannerBodies(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		body string
		want result
	}{
		{"chat", OpenAIChat, `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":"usage"}}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":2}}}`,
			result{translator.Usage{PromptTokens: 19, CompletionTokens: 10, TotalTokens: 29, CachedTokens: 8, ReasoningTokens: 2, Model: "gpt-4o-mini"}, "chatcmpl-1"}},
		{"completions", OpenAIChat, `{"id":"cmpl-1","object":"text_completion","model":"gpt-3.5-turbo-instruct","choices":[{"text":"x"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`,
			result{translator.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12, Model: "gpt-3.5-turbo-instruct"}, "cmpl-1"}},
		{"embeddings", OpenAIEmbeddings, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`,
			result{translator.Usage{PromptTokens: 8, TotalTokens: 8, Model: "text-embedding-3-small"}, ""}},
		{"responses", OpenAIResponses, `{"id":"resp_1","object":"response","status":"completed","model":"o4-mini","output":[],"usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":64},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":32},"total_tokens":150}}`,
			result{translator.Usage{PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150, CachedTokens: 64, ReasoningTokens: 32, Model: "o4-mini"}, "resp_1"}},
		{"anthropic", Anthropic, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":20,"cache_creation_input_tokens":5,"cache_read_input_tokens":300,"output_tokens":9}}`,
			result{translator.Usage{PromptTokens: 325, CompletionTokens: 9, TotalTokens: 334, CachedTokens: 300, CacheCreationTokens: 5, Model: "claude-3-5-haiku"}, "msg_1"}},
		{"rerank cohere", Rerank, `{"id":"r-1","results":[{"index":0,"relevance_score":0.9}],"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1}}}`,
			result{translator.Usage{}, "r-1"}},
		{"rerank usage", Rerank, `{"model":"jina-reranker-v2","results":[],"usage":{"total_tokens":42,"prompt_tokens":42}}`,
			result{translator.Usage{PromptTokens: 42, TotalTokens: 42, Model: "jina-reranker-v2"}, ""}},
		{"cohere chat billed units", Rerank, `{"id":"c","meta":{"billed_units":{"input_tokens":6,"output_tokens":3}}}`,
			result{translator.Usage{PromptTokens: 6, CompletionTokens: 3, TotalTokens: 9}, "c"}},
		{"not json", OpenAIChat, `{"id":"x","usage":{"prompt_tokens":1`, result{}},
		{"error", OpenAIChat, `{"error":{"message":"bad","type":"invalid_request_error"}}`, result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner(tt.kind)
			s.Body([]byte(tt.body))
			if got := (result{s.Usage(), s.ID()}); got != tt.want {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestScannerReset(t *testing.T) {
	s := NewScanner(Anthropic)
	s.Piece(fixture(t, "anthropic_stream.sse")[:300], false) // leaves a tail
	s.Reset(OpenAIChat)
	in := fixture(t, "openai_chat_stream.sse")
	s.Piece(in, true)
	if u := s.Usage(); u.TotalTokens != 1163 || u.Model != "gpt-4o-2024-08-06" {
		t.Fatalf("after Reset: %+v", u)
	}
}

func TestKindFor(t *testing.T) {
	for api, want := range map[string]Kind{"chat/completions": OpenAIChat, "completions": OpenAIChat, "embeddings": OpenAIEmbeddings,
		"responses": OpenAIResponses, "anthropic/v1/messages": Anthropic, "rerank": Rerank} {
		if k, ok := KindFor(api); !ok || k != want {
			t.Errorf("KindFor(%q) = %v, %v", api, k, ok)
		}
	}
	if _, ok := KindFor("audio/speech"); ok {
		t.Error("audio/speech has no token usage")
	}
}

func FuzzScanner(f *testing.F) {
	for _, n := range []string{"openai_chat_stream.sse", "responses_stream.sse", "anthropic_stream.sse"} {
		b := fixture(f, n)
		f.Add(b, uint8(0), int64(1))
		f.Add(b, uint8(2), int64(7))
		f.Add(b, uint8(3), int64(3))
	}
	f.Add([]byte(anthropicDeltaUsage), uint8(3), int64(5))
	f.Fuzz(func(t *testing.T, in []byte, kind uint8, seed int64) {
		k := Kind(kind % 5)
		want := scanStream(k, in)
		rnd := rand.New(rand.NewSource(seed))
		if got := scanStream(k, randomSplit(rnd, in)...); got != want {
			t.Fatalf("split changed the result:\n got %+v\nwant %+v", got, want)
		}
		s := NewScanner(k)
		s.Body(in) // must not panic
		_ = s.Usage()
	})
}

// BenchmarkScannerEvent is the cost per streamed event of a passed-through OpenAI chat
// stream (content chunks with "usage":null, one usage chunk, [DONE]), delivered in
// pieces of 100 bytes.
func BenchmarkScannerEvent(b *testing.B) {
	one := fixture(b, "openai_chat_stream.sse")
	// a longer stream: 50 content chunks, then the usage chunk and [DONE]
	parts := bytes.SplitAfter(one, []byte("\n\n"))
	var in []byte
	for range 50 {
		in = append(in, parts[1]...)
	}
	in = append(in, parts[4]...)
	in = append(in, parts[5]...)
	events := strings.Count(string(in), "\n\n")
	var pieces [][]byte
	for p := in; len(p) > 0; {
		n := min(100, len(p))
		pieces = append(pieces, p[:n])
		p = p[n:]
	}
	s := NewScanner(OpenAIChat)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Reset(OpenAIChat)
		for i, p := range pieces {
			s.Piece(p, i == len(pieces)-1)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
	if s.Usage().TotalTokens != 1163 {
		b.Fatal(s.Usage())
	}
}

// TestScannerBodyAsGjson: the one-pass read of chat, embeddings and Anthropic bodies
// finds what gjson finds (first of repeated keys, nothing from an invalid body, only
// the top level).
func TestScannerBodyAsGjson(t *testing.T) {
	for _, tc := range []struct {
		name, body      string
		kind            Kind
		id, model       string
		prompt, total   int64
		completion, cch int64
	}{
		{"chat", `{"id":"c1","choices":[{"usage":{"total_tokens":9}}],"model":"m","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":1}}}`,
			OpenAIChat, "c1", "m", 3, 7, 4, 1},
		{"repeated keys: the first counts", `{"id":"a","id":"b","usage":{"prompt_tokens":1,"total_tokens":1},"usage":{"prompt_tokens":5,"total_tokens":5}}`,
			OpenAIChat, "a", "", 1, 1, 0, 0},
		{"invalid", `{"id":"a","usage":{"prompt_tokens":1,"total_tokens":1}`, OpenAIChat, "", "", 0, 0, 0, 0},
		{"not an object", `[{"id":"a"}]`, OpenAIChat, "", "", 0, 0, 0, 0},
		{"embeddings", ` {"data":[],"model":"e","usage":{"prompt_tokens":8,"total_tokens":8}} `, OpenAIEmbeddings, "", "e", 8, 8, 0, 0},
		{"anthropic", `{"id":"msg_1","model":"claude","usage":{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":4}}`,
			Anthropic, "msg_1", "claude", 14, 16, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScanner(tc.kind)
			s.Body([]byte(tc.body))
			u := s.Usage()
			if s.ID() != tc.id || s.Model() != tc.model || u.PromptTokens != tc.prompt || u.TotalTokens != tc.total ||
				u.CompletionTokens != tc.completion || u.CachedTokens != tc.cch {
				t.Fatalf("got id %q model %q usage %+v, want id %q model %q prompt %d completion %d total %d cached %d",
					s.ID(), s.Model(), u, tc.id, tc.model, tc.prompt, tc.completion, tc.total, tc.cch)
			}
		})
	}
}
