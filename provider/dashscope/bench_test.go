package dashscope

import (
	"strconv"
	"testing"
)

// BenchmarkChatJSONExchange: one native chat exchange, request and answer converted,
// with a fresh converter as the plugin makes per request.
func BenchmarkChatJSONExchange(b *testing.B) {
	req := readFixture(b, "chat_text.in.json")
	answer := readFixture(b, "chat_reasoning.answer.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(answer)))
	for b.Loop() {
		t := NewChat(Options{Now: fixedNow})
		if _, err := t.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		if _, err := t.ResponseBody(200, answer); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStream is a recorded-shape DashScope stream of n events.
func benchStream(n int) []byte {
	var s []byte
	for i := 1; i <= n; i++ {
		finish := `"null"`
		if i == n {
			finish = `"stop"`
		}
		s = append(s, "id:"+strconv.Itoa(i)+"\nevent:result\n:HTTP_STATUS/200\ndata:"...)
		s = append(s, `{"output":{"choices":[{"message":{"content":"token `+strconv.Itoa(i)+` of the answer, \"quoted\" 你好","reasoning_content":"","role":"assistant"},"finish_reason":`+finish+`}]},"usage":{"total_tokens":`+strconv.Itoa(20+i)+`,"output_tokens":`+strconv.Itoa(i)+`,"input_tokens":20,"prompt_tokens_details":{"cached_tokens":8}},"request_id":"7d3b1e2a-55c1-9a7e-bb21-0c9d8e7f6a5b"}`...)
		s = append(s, "\n\n"...)
	}
	return s
}

// BenchmarkChatStream: a 200-event native stream fed in 256-byte pieces; ns/event is
// the time per converted event.
func BenchmarkChatStream(b *testing.B) {
	const events = 200
	stream := benchStream(events)
	req := []byte(`{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	var out []byte
	for b.Loop() {
		t := NewChat(Options{Now: fixedNow})
		if _, err := t.RequestBody(req); err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(stream); off += 256 {
			end := min(off+256, len(stream))
			out, _ = t.ResponseStream(out[:0], stream[off:end], end == len(stream))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}
