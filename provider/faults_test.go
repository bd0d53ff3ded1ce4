package provider

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// A converting provider as the fault tests drive it: a client request, and the
// upstream's complete answers (JSON and SSE) in its own wire format.
type convertingCase struct {
	name, config, path string
	anthropicClient    bool
	body               string // the client request, "stream" filled in
	json               string // a complete JSON answer
	stream             []string
}

var convertingCases = []convertingCase{
	{
		name: "claude", config: `{"type":"claude","apiTokens":["k"]}`, path: "/v1/chat/completions",
		body: `{"model":"claude-x","stream":STREAM,"messages":[{"role":"user","content":"hi"}]}`,
		json: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`,
		stream: []string{
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":0}}}\n\n",
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
			"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n",
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
		},
	},
	{
		name: "qwen native", config: `{"type":"qwen","apiTokens":["k"],"qwenEnableCompatible":false}`, path: "/v1/chat/completions",
		body: `{"model":"qwen-plus","stream":STREAM,"messages":[{"role":"user","content":"hi"}]}`,
		json: `{"output":{"choices":[{"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]},"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4},"request_id":"r1"}`,
		stream: []string{
			"id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"Hel\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":3,\"output_tokens\":1},\"request_id\":\"r1\"}\n\n",
			"id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"lo\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}]},\"usage\":{\"input_tokens\":3,\"output_tokens\":2},\"request_id\":\"r1\"}\n\n",
			"id:3\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"stop\"}]},\"usage\":{\"input_tokens\":3,\"output_tokens\":2},\"request_id\":\"r1\"}\n\n",
		},
	},
	{
		name: "anthropic client on openai", config: `{"type":"openai","apiTokens":["k"]}`, path: "/v1/messages", anthropicClient: true,
		body: `{"model":"gpt-4o","max_tokens":10,"stream":STREAM,"messages":[{"role":"user","content":"hi"}]}`,
		json: `{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
		stream: []string{
			"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
			"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
			"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
			"data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
			"data: [DONE]\n\n",
		},
	},
}

// exchange is one answer through a Request: what the plugin would send the client.
type exchange struct {
	reqHeaders, respHeaders testHeaders
	convert, streaming      bool
	status                  int // 0: the upstream's
	out                     string
}

// run sends the client request and then an upstream answer through a fresh Request;
// a streamed answer is delivered one byte per piece.
func (tc convertingCase) run(t *testing.T, stream bool, status int, respHeaders testHeaders, answer string) exchange {
	t.Helper()
	r, e := NewRequest(mustConfig(t, tc.config), tc.path)
	if e != nil {
		t.Fatal(e.Message)
	}
	x := exchange{reqHeaders: testHeaders{"accept-encoding": "gzip, deflate, br"}, respHeaders: respHeaders}
	r.RewriteRequestHeaders(x.reqHeaders)
	body := strings.Replace(tc.body, "STREAM", map[bool]string{true: "true", false: "false"}[stream], 1)
	if _, e := r.RewriteRequestBody([]byte(body), x.reqHeaders); e != nil {
		t.Fatal(e.Message)
	}
	x.convert, x.streaming = r.RewriteResponseHeaders(status, respHeaders)
	if !x.convert {
		t.Fatal("a converting provider's answer is not converted")
	}
	var out []byte
	if x.streaming {
		for i := range len(answer) {
			out = r.ConvertResponseChunk(out, []byte(answer[i:i+1]), false)
		}
		out = r.ConvertResponseChunk(out, nil, true)
	} else {
		out, x.status = r.ConvertResponseBody([]byte(answer))
	}
	x.out = string(out)
	return x
}

// isStreamError reports whether a client stream ends in its protocol's error form.
func isStreamError(anthropic bool, out string) bool {
	if anthropic {
		return strings.Contains(out, "event: error\ndata: {\"type\":\"error\"")
	}
	i := strings.LastIndex(out, "data: {\"error\":")
	return i >= 0 && strings.HasSuffix(out, "\n\ndata: [DONE]\n\n")
}

// errorMessage returns the message of a JSON error body in the client's protocol, or
// "" when out is not one.
func errorMessage(anthropic bool, out string) string {
	if anthropic {
		if gjson.Get(out, "type").String() != "error" {
			return ""
		}
		return gjson.Get(out, "error.message").String()
	}
	return gjson.Get(out, "error.message").String()
}

// TestConvertedAnswersCanBeTrusted: for every converting provider, a compressed, cut,
// empty or unreadable upstream answer reaches the client either converted in full or
// as an error in its own protocol with a status that says so — never as a short
// answer passed off as complete.
func TestConvertedAnswersCanBeTrusted(t *testing.T) {
	sse := testHeaders{"content-type": "text/event-stream"}
	jsonCT := func() testHeaders { return testHeaders{"content-type": "application/json"} }
	for _, tc := range convertingCases {
		full := strings.Join(tc.stream, "")
		t.Run(tc.name, func(t *testing.T) {
			plainJSON := tc.run(t, false, 200, jsonCT(), tc.json)
			plainStream := tc.run(t, true, 200, testHeaders{"content-type": "text/event-stream"}, full)
			if plainJSON.status != 0 || errorMessage(tc.anthropicClient, plainJSON.out) != "" || isStreamError(tc.anthropicClient, plainStream.out) {
				t.Fatalf("the complete answers do not convert cleanly:\n%s\n%s", plainJSON.out, plainStream.out)
			}
			t.Run("asks for identity", func(t *testing.T) {
				if got := plainJSON.reqHeaders["accept-encoding"]; got != "identity" {
					t.Errorf("accept-encoding %q, want identity", got)
				}
			})
			for _, stream := range []bool{false, true} {
				t.Run("gzip despite identity, stream "+onOff(stream), func(t *testing.T) {
					h := testHeaders{"content-type": "application/json", "content-encoding": "gzip"}
					answer := tc.json
					if stream {
						h["content-type"], answer = "text/event-stream", full
					}
					x := tc.run(t, stream, 200, h, gz(answer))
					if x.streaming || x.status != 502 || !strings.Contains(errorMessage(tc.anthropicClient, x.out), "content-encoding gzip") ||
						h["content-encoding"] != "" || h["content-type"] != "application/json" {
						t.Errorf("got streaming=%v %d %v %s; want a 502 JSON error naming the encoding", x.streaming, x.status, h, x.out)
					}
				})
			}
			for _, cut := range []struct {
				name   string
				answer string
			}{
				{"cut between events", strings.Join(tc.stream[:2], "")},
				{"cut inside an event", strings.Join(tc.stream[:2], "") + tc.stream[2][:len(tc.stream[2])/2]},
			} {
				t.Run(cut.name, func(t *testing.T) {
					x := tc.run(t, true, 200, sse.clone(), cut.answer)
					if !isStreamError(tc.anthropicClient, x.out) {
						t.Errorf("a cut stream ends without an error:\n%s", x.out)
					}
				})
			}
			for _, bad := range []struct{ name, ct, body string }{
				{"truncated json", "application/json", tc.json[:len(tc.json)/2]},
				{"html", "text/html", "<html><body>502 Bad Gateway</body></html>"},
				{"empty", "application/json", ""},
			} {
				t.Run("200 "+bad.name, func(t *testing.T) {
					x := tc.run(t, false, 200, testHeaders{"content-type": bad.ct}, bad.body)
					if x.status != 502 || errorMessage(tc.anthropicClient, x.out) == "" {
						t.Errorf("got status %d, body %s; want 502 with a JSON error", x.status, x.out)
					}
				})
			}
			for _, stream := range []bool{false, true} {
				t.Run("502 empty body, stream "+onOff(stream), func(t *testing.T) {
					h := testHeaders{"content-type": "application/json"}
					x := tc.run(t, stream, 502, h, "")
					msg := errorMessage(tc.anthropicClient, x.out)
					if x.streaming || !strings.Contains(msg, "502") || h["content-type"] != "application/json" {
						t.Errorf("got streaming=%v %v %s; want a JSON error naming 502", x.streaming, h, x.out)
					}
				})
			}
		})
	}
}

// TestDashScopeSSEError: DashScope's error to a streaming request (a 4xx with an SSE
// body) reaches the client as OpenAI's JSON error with DashScope's code and message.
func TestDashScopeSSEError(t *testing.T) {
	tc := convertingCases[1]
	h := testHeaders{"content-type": "text/event-stream;charset=UTF-8"}
	x := tc.run(t, true, 400, h, "id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"InvalidParameter\",\"message\":\"Range of input length should be [1, 30720]\",\"request_id\":\"r9\"}\n\n")
	if x.streaming || h["content-type"] != "application/json" {
		t.Fatalf("streaming=%v headers %v", x.streaming, h)
	}
	if gjson.Get(x.out, "error.code").String() != "InvalidParameter" || gjson.Get(x.out, "error.message").String() != "Range of input length should be [1, 30720]" ||
		gjson.Get(x.out, "error.type").String() != "invalid_request_error" {
		t.Errorf("got %s", x.out)
	}
}

func (h testHeaders) clone() testHeaders {
	c := testHeaders{}
	for k, v := range h {
		c[k] = v
	}
	return c
}

func onOff(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }
