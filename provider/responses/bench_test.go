package responses

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkJSON converts one Responses request and its chat answer per iteration.
func BenchmarkJSON(b *testing.B) {
	req, resp := readFixture(b, "items.request.json"), readFixture(b, "tools_reasoning.response.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		tr := NewResponsesToChat()
		if _, err := tr.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		if _, err := tr.ResponseBody(200, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// chatStream is a 200-event chat answer: 197 content chunks, finish, usage, [DONE].
func chatStream() (string, int) {
	var s strings.Builder
	const head = `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":`
	for i := range 197 {
		fmt.Fprintf(&s, "%s{\"content\":\"word %d, and \\\"more\\\"\\n\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n", head, i)
	}
	s.WriteString(head + "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n")
	s.WriteString(`data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":25,"completion_tokens":600,"total_tokens":625,"prompt_tokens_details":{"cached_tokens":0}}}` + "\n\n")
	s.WriteString("data: [DONE]\n\n")
	return s.String(), 200
}

// BenchmarkStream converts a whole stream fed in 256-byte pieces per iteration,
// reusing the output buffer as the plugin does; ns/event is per upstream event.
func BenchmarkStream(b *testing.B) {
	stream, events := chatStream()
	req := []byte(`{"model":"gpt-4o","input":"hi","stream":true}`)
	var pieces [][]byte
	for in := []byte(stream); len(in) > 0; {
		n := min(256, len(in))
		pieces = append(pieces, in[:n])
		in = in[n:]
	}
	var out []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		tr := NewResponsesToChat()
		tr.RequestBody(req)
		for i, p := range pieces {
			out, _ = tr.ResponseStream(out[:0], p, i == len(pieces)-1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
}
