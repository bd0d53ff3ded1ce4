package dashscope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var allConverters = []func(Options) translator.Translator{newChat, newEmbeddings, newRerank, newImageGen, newImageEdit, newCompatible, newSpeech}

// FuzzRequest: no request converter panics, and what they accept from valid JSON
// comes out as valid JSON.
func FuzzRequest(f *testing.F) {
	for _, c := range goldenCases {
		if c.in != "" {
			f.Add(readFixture(f, c.in))
		}
	}
	f.Add([]byte(`{"model":"qwen-vl-max","messages":[{"role":"user","content":[{"type":"video","video":["a","b"]},{"type":"text"}]}],"parameters":{"seed":1}}`))
	f.Add([]byte(`{"messages":[{"role":"tool","content":[{"type":"text","text":"\"q\\"}]}],"stream":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		for i, newT := range allConverters {
			o := Options{EnableSearch: true, FileIDs: []string{"f1"}, ReasoningMode: ReasoningConcat, Now: fixedNow}
			out, err := newT(o).RequestBody(append([]byte(nil), body...))
			if err == nil && valid && !json.Valid(out) {
				t.Fatalf("converter %d: invalid JSON from %s:\n%s", i, body, out)
			}
		}
	})
}

// FuzzChatStream: the stream converter never panics, gives the same output however
// the stream is split, always ends with [DONE] and writes only JSON events.
func FuzzChatStream(f *testing.F) {
	for _, name := range []string{"chat_reasoning.answer.sse", "chat_tools.answer.sse", "chat_vl.answer.sse", "chat_error.answer.sse"} {
		f.Add(readFixture(f, name), uint16(7), uint8(0))
	}
	f.Add([]byte("data:{\"output\":{\"text\":\"hi\",\"finish_reason\":\"stop\"}}\r\n\r\n"), uint16(3), uint8(1))
	f.Add(readFixture(f, "chat_error.answer.json"), uint16(5), uint8(2))
	// Events that repeat the last one but for the content and usage (with tool calls,
	// whose id and name are sent once, and without).
	ev := `data:{"output":{"choices":[{"message":{"content":"%s","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":""}}]},"finish_reason":"null"}]},"usage":{"output_tokens":%d},"request_id":"r"}` + "\n\n"
	f.Add([]byte(fmt.Sprintf(ev, "a", 1)+fmt.Sprintf(ev, "b", 2)+fmt.Sprintf(ev, `c\"`, 3)+fmt.Sprintf(ev, "", 4)), uint16(9), uint8(0))
	ev = strings.Replace(ev, `,"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":""}}]`, "", 1)
	f.Add([]byte(fmt.Sprintf(ev, "a", 1)+fmt.Sprintf(ev, "b", 2)+fmt.Sprintf(ev, `c\u00e9`, 3)+fmt.Sprintf(ev, "", 4)+fmt.Sprintf(ev, "d", 5)), uint16(9), uint8(1))
	// Token counts that change length (9 to 10, 99 to 100) in a flat usage object.
	ev = `data:{"output":{"choices":[{"finish_reason":"null","message":{"content":"%s","role":"assistant"}}]},"request_id":"r1","usage":{"input_tokens":7,"output_tokens":%d,"total_tokens":%d}}` + "\n\n"
	var counts []byte
	for _, n := range []int{8, 9, 10, 11, 99, 100, 101} {
		counts = append(counts, fmt.Sprintf(ev, "w"+strconv.Itoa(n), n, n+7)...)
	}
	f.Add(counts, uint16(300), uint8(0))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16, mode uint8) {
		modes := []string{ReasoningPassthrough, ReasoningConcat, ReasoningIgnore}
		noShape := false
		run := func(pieces ...[]byte) []byte {
			tr := NewChat(Options{ReasoningMode: modes[int(mode)%3], Now: fixedNow})
			tr.noShape = noShape
			if _, err := tr.RequestBody([]byte(`{"model":"qwen-plus","messages":[{"role":"user","content":"x"}],"stream":true}`)); err != nil {
				t.Fatal(err)
			}
			switch mode % 4 {
			case 1:
				tr.SetUpstreamStatus(200, sseCT)
			case 2:
				tr.SetUpstreamStatus(400, "application/json")
			case 3:
				tr.SetUpstreamStatus(200, "application/json")
			}
			var out []byte
			for i, p := range pieces {
				out, _ = tr.ResponseStream(out, p, i == len(pieces)-1)
			}
			return out
		}
		whole := run(stream)
		c := int(cut) % (len(stream) + 1)
		if split := run(stream[:c], stream[c:]); !bytes.Equal(split, whole) {
			t.Fatalf("split at %d differs:\n%s\n%s", c, split, whole)
		}
		noShape = true
		if walked := run(stream); !bytes.Equal(walked, whole) {
			t.Fatalf("events matched by shape convert otherwise:\n%s\n%s", whole, walked)
		}
		if !bytes.HasSuffix(whole, []byte("data: [DONE]\n\n")) {
			t.Fatalf("no [DONE] at the end: %q", whole)
		}
		for _, d := range sseData(whole) {
			if d != "[DONE]" && !json.Valid([]byte(d)) {
				t.Fatalf("invalid JSON event %q", d)
			}
		}
		// The JSON answer converters take the same bytes.
		for _, newT := range allConverters {
			tr := newT(Options{Now: fixedNow})
			for _, st := range []int{200, 429} {
				if out, err := tr.ResponseBody(st, stream); err == nil && !json.Valid(out) && st != 200 {
					t.Fatalf("invalid JSON error body %q", out)
				}
			}
		}
	})
}

// TestShapeMatchesChangedCounts: an event that repeats the last one but for its
// content and token counts of another length takes the shape's path.
func TestShapeMatchesChangedCounts(t *testing.T) {
	ev := `{"output":{"choices":[{"finish_reason":"null","message":{"content":"%s","role":"assistant"}}]},"request_id":"r1","usage":{"input_tokens":7,"output_tokens":%d,"total_tokens":%d}}`
	tr := NewChat(Options{Now: fixedNow})
	if _, err := tr.RequestBody([]byte(`{"model":"qwen-plus","messages":[{"role":"user","content":"x"}],"stream":true}`)); err != nil {
		t.Fatal(err)
	}
	tr.data(nil, []byte(fmt.Sprintf(ev, "a", 8, 15)))
	tr.data(nil, []byte(fmt.Sprintf(ev, "b", 9, 16)))
	next := fmt.Sprintf(ev, "c", 10, 17)
	content, usage, ok := tr.shape.Match(next)
	if !ok || content != `"c"` || usage != `{"input_tokens":7,"output_tokens":10,"total_tokens":17}` {
		t.Fatalf("match(%s) = %q, %q, %v", next, content, usage, ok)
	}
	for _, other := range []string{
		strings.Replace(next, `"input_tokens":7`, `"input_tokens":"7"`, 1),
		strings.Replace(next, `"total_tokens":17`, `"total_tokens":17,"x":1`, 1),
		strings.Replace(next, `"request_id":"r1"`, `"request_id":"r2"`, 1),
	} {
		if _, _, ok := tr.shape.Match(other); ok {
			t.Errorf("match(%s) = ok, want the walk", other)
		}
	}
}
