package anthropic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// seeds adds every fixture of a direction with the given suffix to the corpus.
func seeds(f *testing.F, dir, suffix string) {
	files, _ := filepath.Glob(filepath.Join(testdata, dir, "*"+suffix))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func fuzzRequest(t *testing.T, tr translator.Translator, body []byte) {
	out, err := tr.RequestBody(body)
	if err == nil && !json.Valid(out) {
		t.Fatalf("RequestBody(%q) accepted the body but wrote invalid JSON: %s", body, out)
	}
	out, err = tr.ResponseBody(200, body)
	if err == nil && !json.Valid(out) {
		t.Fatalf("ResponseBody(%q) wrote invalid JSON: %s", body, out)
	}
}

func FuzzChatToMessagesRequest(f *testing.F) {
	seeds(f, "chat_to_messages", ".request.json")
	seeds(f, "chat_to_messages", ".response.json")
	f.Fuzz(func(t *testing.T, body []byte) { fuzzRequest(t, NewChatToMessages(), body) })
}

func FuzzMessagesToChatRequest(f *testing.F) {
	seeds(f, "messages_to_chat", ".request.json")
	seeds(f, "messages_to_chat", ".response.json")
	f.Fuzz(func(t *testing.T, body []byte) { fuzzRequest(t, NewMessagesToChat(), body) })
}

// fuzzStream: any input gives a stream of valid JSON events ending in the client's
// terminator, and the same output whatever the split.
func fuzzStream(t *testing.T, newT func() translator.Translator, input []byte, cut int, terminator string, openAI bool) {
	whole, err := newT().ResponseStream(nil, input, true)
	if err != nil {
		t.Fatalf("ResponseStream: %v", err)
	}
	if !bytes.HasSuffix(whole, []byte(terminator)) {
		t.Fatalf("stream does not end in %q: %q", terminator, whole)
	}
	var r sse.Reader
	r.Feed(whole)
	for ev, ok := r.Next(); ok; ev, ok = r.Next() {
		if openAI && string(ev.Data) == "[DONE]" {
			continue
		}
		if !json.Valid(ev.Data) {
			t.Fatalf("event %q is not valid JSON in %q", ev.Data, whole)
		}
	}
	if r.Pending() {
		t.Fatalf("output ends in an incomplete event: %q", whole)
	}
	if len(input) > 0 {
		cut %= len(input) + 1
		if cut < 0 {
			cut = -cut
		}
		tr := newT()
		split, _ := tr.ResponseStream(nil, input[:cut], false)
		split, _ = tr.ResponseStream(split, input[cut:], true)
		if !bytes.Equal(split, whole) {
			t.Fatalf("split at %d differs:\n%q\nwhole:\n%q", cut, split, whole)
		}
	}
}

func FuzzChatToMessagesStream(f *testing.F) {
	seeds(f, "chat_to_messages", ".stream.sse")
	f.Fuzz(func(t *testing.T, input []byte) {
		newT := func() translator.Translator {
			c := NewChatToMessages()
			c.Now = func() int64 { return fixedNow }
			return c
		}
		fuzzStream(t, newT, input, len(input)/3, "data: [DONE]\n\n", true)
	})
}

func FuzzMessagesToChatStream(f *testing.F) {
	seeds(f, "messages_to_chat", ".stream.sse")
	f.Fuzz(func(t *testing.T, input []byte) {
		newT := func() translator.Translator { return NewMessagesToChat() }
		fuzzStream(t, newT, input, len(input)/3, messageStop, false)
	})
}

// TestStreamTerminators: a stream always ends in the client's terminator, however it
// went, and the terminator is written once.
func TestStreamTerminators(t *testing.T) {
	for _, tt := range []struct {
		name, input string
	}{
		{"empty", ""},
		{"garbage", "hello\n\n"},
		{"only ping", "event: ping\ndata: {\"type\":\"ping\"}\n\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := NewChatToMessages().ResponseStream(nil, []byte(tt.input), true)
			if strings.Count(string(out), "[DONE]") != 1 || !strings.HasSuffix(string(out), "data: [DONE]\n\n") {
				t.Errorf("chat: got %q", out)
			}
			out, _ = NewMessagesToChat().ResponseStream(nil, []byte(tt.input), true)
			if strings.Count(string(out), "message_stop") != 2 || !strings.HasSuffix(string(out), messageStop) {
				t.Errorf("messages: got %q", out)
			}
		})
	}
}
