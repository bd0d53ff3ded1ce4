package dify

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const testdata = "../../testdata/dify"

// dirs are the fixture directories, one per app type.
var dirs = map[string]Options{
	"chat":       {Bot: Chat},
	"agent":      {Bot: Agent},
	"completion": {Bot: Completion},
	"workflow":   {Bot: Workflow, InputVariable: "question", OutputVariable: "answer"},
}

func newFor(o Options) func() translator.Translator {
	return func() translator.Translator {
		c := New(o)
		c.Now = func() int64 { return 1700000000 }
		return c
	}
}

// TestGolden runs testdata/dify/<app type> (`-update` rewrites the want files).
func TestGolden(t *testing.T) {
	for dir, o := range dirs {
		t.Run(dir, func(t *testing.T) { golden.Run(t, testdata+"/"+dir, newFor(o)) })
	}
}

// TestConversationHeader: a conversation named by the ConversationId header is sent to
// Dify with only the last user message (Dify holds the history); a body field wins.
func TestConversationHeader(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":"three"}]}`)
	for _, tc := range []struct {
		name, header, body, want string
	}{
		{"header", "conv-1", "", `{"inputs":{},"query":"three","response_mode":"blocking","user":"api-user","auto_generate_name":false,"conversation_id":"conv-1"}`},
		{"none", "", "", `{"inputs":{},"query":"USER: \none\nASSISTANT: \ntwo\nUSER: \nthree\n","response_mode":"blocking","user":"api-user","auto_generate_name":false}`},
		{"body wins", "conv-1", `"conv-2"`, `{"inputs":{},"query":"three","response_mode":"blocking","user":"api-user","auto_generate_name":false,"conversation_id":"conv-2"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{Bot: Chat})
			c.SetConversation(tc.header)
			b := body
			if tc.body != "" {
				b = []byte(strings.Replace(string(body), `{"model"`, `{"conversation_id":`+tc.body+`,"model"`, 1))
			}
			out, err := c.RequestBody(b)
			if err != nil || string(out) != tc.want {
				t.Fatalf("got %s (%v)\nwant %s", out, err, tc.want)
			}
		})
	}
}

// TestRequestErrors: what a Dify app cannot take is refused with a message naming it.
func TestRequestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		body string
		want string
	}{
		{"not json", Options{}, `{`, "not valid JSON"},
		{"no messages", Options{}, `{"model":"m"}`, "messages: must be a list"},
		{"empty", Options{}, `{"model":"m","messages":[]}`, "must not be empty"},
		{"data url", Options{}, `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`, "http(s) URL"},
		{"audio", Options{}, `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, `"input_audio" part`},
		{"workflow image", Options{Bot: Workflow, InputVariable: "q"}, `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "image_url"},
		{"inputs", Options{}, `{"messages":[{"role":"user","content":"x"}],"inputs":[1]}`, "inputs: must be an object"},
		{"part", Options{}, `{"messages":[{"role":"user","content":["x"]}]}`, "content parts must be objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o).RequestBody([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseBot(t *testing.T) {
	for in, want := range map[string]Bot{"": Chat, "Chat": Chat, "agent": Agent, "Completion": Completion, "WORKFLOW": Workflow} {
		if got, ok := ParseBot(in); !ok || got != want {
			t.Errorf("ParseBot(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseBot("chatflow"); ok {
		t.Error("ParseBot accepts an unknown type")
	}
}
