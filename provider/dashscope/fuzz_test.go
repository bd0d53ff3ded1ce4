package dashscope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var allConverters = []func(Options) translator.Translator{newChat, newEmbeddings, newRerank, newImageGen, newImageEdit, newCompatible}

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

// FuzzFlatEnd checks the shape's one-pass object end against valueEnd.
func FuzzFlatEnd(f *testing.F) {
	for _, s := range []string{`{"input_tokens":12,"output_tokens":3,"total_tokens":15},"x"`,
		`{"a":{"b":1}}`, `{"a":"}\"{"}`, `{"a":[1]}`, `{"a":"x`, `{]`, `{"k":"\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || s[0] != '{' {
			return
		}
		if got, want := flatEnd(s, 0), valueEnd(s, 0); got != want {
			t.Fatalf("flatEnd(%q) = %d, valueEnd = %d", s, got, want)
		}
	})
}
