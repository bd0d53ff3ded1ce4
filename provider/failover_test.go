package provider

import (
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"
)

type mapStore struct {
	mu sync.Mutex
	m  map[string][]byte
	v  map[string]uint32
}

func (s *mapStore) Get(k string) ([]byte, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[k]
	return b, s.v[k], ok
}

func (s *mapStore) Set(k string, b []byte, cas uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m, s.v = map[string][]byte{}, map[string]uint32{}
	}
	if cas != 0 && s.v[k] != cas {
		return false
	}
	s.m[k] = append([]byte(nil), b...)
	s.v[k]++
	return true
}

func TestStatusPattern(t *testing.T) {
	for _, tt := range []struct {
		p      StatusPattern
		status int
		want   bool
	}{
		{"5.*", 503, true}, {"5.*", 429, false}, {"4.*", 429, true}, {"429", 429, true}, {"429", 4290, false},
		{"5..", 500, true}, {"5..", 50, false}, {"*", 200, true}, {"50.", 503, true}, {"50.", 513, false},
	} {
		if got := tt.p.Match(tt.status); got != tt.want {
			t.Errorf("%q.Match(%d) = %v, want %v", tt.p, tt.status, got, tt.want)
		}
	}
}

func TestFailoverConfig(t *testing.T) {
	for _, tt := range []struct{ config, err string }{
		{`{"type":"openai","apiTokens":["a","b"],"failover":{"enabled":true}}`, "provider.failover.healthCheckModel: required"},
		{`{"type":"openai","apiTokens":["a"],"failover":{"enabled":true,"healthCheckModel":"m"}}`, "at least two apiTokens"},
		{`{"type":"openai","apiTokens":["a","b"],"failover":{"enabled":true,"healthCheckModel":"m","failoverOnStatus":["5xx"]}}`, "failoverOnStatus[0]"},
		{`{"type":"openai","apiTokens":["a"],"retryOnFailure":{"enabled":true,"maxRetries":-1}}`, "retryOnFailure.maxRetries"},
		{`{"type":"openai","apiTokens":["a","b"],"failover":{"enabled":false}}`, ""},
	} {
		_, err := ParseConfig(gjson.Parse(tt.config), "provider")
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: got %v, want %q", tt.config, err, tt.err)
		}
	}
}

// TestTokenHealth: failures take a token out after the threshold (401 at once), the
// rotation avoids it, health checks bring it back after successThreshold passes.
func TestTokenHealth(t *testing.T) {
	c := mustConfig(t, `{"type":"openai","apiTokens":["a","b","c"],"failover":{"enabled":true,"healthCheckModel":"m","failureThreshold":2,"successThreshold":2}}`)
	st := &mapStore{}
	req := func(i int) *Request {
		r, _ := NewRequest(c, "/v1/chat/completions")
		r.UseToken(i)
		return r
	}
	if req(0).RecordToken(st, 503) || !req(0).RecordToken(st, 500) {
		t.Fatal("token 0 must go down at its second failure, not its first")
	}
	req(1).RecordToken(st, 200)
	if !req(1).RecordToken(st, 401) {
		t.Fatal("a 401 takes a token out at once")
	}
	if !c.TokenDown(st, 0) || !c.TokenDown(st, 1) || c.TokenDown(st, 2) {
		t.Fatal("wrong tokens down")
	}
	for range 50 {
		r, _ := NewRequest(c, "/v1/chat/completions")
		if !r.ChooseToken(st, nil) || r.TokenIndex() != 2 {
			t.Fatalf("chose token %d, want the only one up", r.TokenIndex())
		}
	}
	if r, _ := NewRequest(c, "/v1/chat/completions"); r.ChooseToken(st, []int{2}) {
		t.Fatal("a token this request failed with must not be chosen again")
	}
	if c.RecordHealthCheck(st, 0, true) || !c.RecordHealthCheck(st, 0, true) || c.TokenDown(st, 0) {
		t.Fatal("token 0 must come back at its second passed health check")
	}
	c.RecordHealthCheck(st, 1, true)
	c.RecordHealthCheck(st, 1, false)
	if c.RecordHealthCheck(st, 1, true) {
		t.Fatal("a failed health check resets the passes")
	}
}

func TestInBandError(t *testing.T) {
	for _, tt := range []struct {
		event string
		want  bool
	}{
		{"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}", true},
		{"id:1\nevent:error\n:HTTP_STATUS/429\ndata:{\"code\":\"Throttling\"}", true},
		{"data: {\"error\":{\"message\":\"x\"}}", true},
		{"data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"error\":null}", false},
		{"event: message_start\ndata: {\"type\":\"message_start\"}", false},
		{"data: [DONE]", false},
		{"", false},
	} {
		if got := InBandError([]byte(tt.event)); got != tt.want {
			t.Errorf("InBandError(%q) = %v, want %v", tt.event, got, tt.want)
		}
	}
}

// TestObservedStreamCut: a passed-through stream that ends without its last event gets
// an error in the client's protocol; a whole one gets nothing, however it is split.
func TestObservedStreamCut(t *testing.T) {
	openai := "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n"
	anth := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	// OpenAI's response.completed event carries the whole response: its name is far
	// more than a few hundred bytes from the stream's end.
	resp := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"hi\"}\n\n" +
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"instructions\":\"" +
		strings.Repeat("Be brief. ", 60) + "\",\"output\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1,\"total_tokens\":2}}}\n\n"
	incomplete := strings.Replace(resp, "response.completed", "response.incomplete", 2)
	for _, tt := range []struct {
		name, path, config, stream string
		cut                        bool
	}{
		{"openai whole", "/v1/chat/completions", `{"type":"openai","apiTokens":["k"]}`, openai, false},
		{"openai cut", "/v1/chat/completions", `{"type":"openai","apiTokens":["k"]}`, openai[:60], true},
		{"anthropic whole", "/v1/messages", `{"type":"claude","apiTokens":["k"]}`, anth, false},
		{"anthropic cut", "/v1/messages", `{"type":"claude","apiTokens":["k"]}`, anth[:90], true},
		{"anthropic cut in its last event", "/v1/messages", `{"type":"claude","apiTokens":["k"]}`, anth[:len(anth)-4], true},
		{"anthropic whole, CRLF lines", "/v1/messages", `{"type":"claude","apiTokens":["k"]}`, strings.ReplaceAll(anth, "\n", "\r\n"), false},
		{"anthropic cut, CRLF lines", "/v1/messages", `{"type":"claude","apiTokens":["k"]}`, strings.ReplaceAll(anth[:90], "\n", "\r\n"), true},
		{"openai [DONE] without its blank line", "/v1/chat/completions", `{"type":"openai","apiTokens":["k"]}`, strings.TrimRight(openai, "\n"), false},
		{"openai [DONE] inside a text is no end", "/v1/chat/completions", `{"type":"openai","apiTokens":["k"]}`, "data: {\"choices\":[{\"delta\":{\"content\":\"data: [DONE]\\n\\n\"}}]}\n\n", true},
		{"responses whole", "/v1/responses", `{"type":"openai","apiTokens":["k"]}`, resp, false},
		{"responses incomplete", "/v1/responses", `{"type":"openai","apiTokens":["k"]}`, incomplete, false},
		{"responses cut in its last event", "/v1/responses", `{"type":"openai","apiTokens":["k"]}`, resp[:len(resp)-40], true},
		{"responses cut between events", "/v1/responses", `{"type":"openai","apiTokens":["k"]}`, resp[:strings.Index(resp, "event: response.completed")], true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{1, 7, len(tt.stream)} {
				r, _ := NewRequest(mustConfig(t, tt.config), tt.path)
				h := testHeaders{"accept-encoding": "gzip"}
				r.RewriteRequestHeaders(h)
				if _, e := r.RewriteRequestBody([]byte(`{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}`), h); e != nil {
					t.Fatal(e.Message)
				}
				if h["accept-encoding"] != "identity" {
					t.Fatalf("a watched stream must be asked uncompressed, got %q", h["accept-encoding"])
				}
				r.RewriteResponseHeaders(200, testHeaders{"content-type": "text/event-stream"})
				if ok, stream := r.Observing(); !ok || !stream {
					t.Fatal("not observed")
				}
				var extra []byte
				for i := 0; i < len(tt.stream); i += step {
					extra = append(extra, r.ObserveChunk([]byte(tt.stream[i:min(i+step, len(tt.stream))]), false)...)
				}
				extra = append(extra, r.ObserveChunk(nil, true)...)
				if got := len(extra) > 0 && strings.Contains(string(extra), "error"); got != tt.cut || r.Truncated() != tt.cut {
					t.Errorf("step %d: appended %q, truncated %v; want cut=%v", step, extra, r.Truncated(), tt.cut)
				}
			}
		})
	}
}

// FuzzLastEvent: the last-event check never panics, and how the stream is split into
// pieces does not change which event it finds last nor whether that one ended.
func FuzzLastEvent(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"), uint8(3))
	f.Add([]byte("event: message_stop\r\ndata: {}\r\n\r\n"), uint8(1))
	f.Add([]byte("\n\n\nevent: response.completed\ndata: {\"type\":\"response.completed\"}"), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		for _, follow := range []bool{false, true} {
			whole, split := lastEvent{follow: follow}, lastEvent{follow: follow}
			whole.feed(stream)
			for i := 0; i < len(stream); i += int(step) + 1 {
				split.feed(stream[i:min(i+int(step)+1, len(stream))])
			}
			for _, names := range [][]string{{"[DONE]"}, {"message_stop"}, {"response.completed"}} {
				if whole.is(names) != split.is(names) {
					t.Fatalf("%q split by %d (follow %v): %v whole, %v split (heads %q, %q)", stream, step+1, follow, whole.is(names), split.is(names), whole.head, split.head)
				}
			}
		}
	})
}
