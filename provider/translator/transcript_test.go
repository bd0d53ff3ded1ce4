package translator

import (
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestAppendTranscript(t *testing.T) {
	tests := []struct {
		name, messages string
		lastUser       bool
		want, err      string
	}{
		{"one message alone", `[{"role":"user","content":"hi"}]`, false, "hi", ""},
		{"one system message alone", `[{"role":"system","content":"be brief"}]`, false, "be brief", ""},
		{"labelled transcript", `[{"role":"developer","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"role":"assistant","content":"c"},{"role":"tool","content":"d"}]`,
			false, "SYSTEM: \ns\nUSER: \nab\nASSISTANT: \nc\nUSER: \nd\n", ""},
		{"last user only", `[{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":"3"},{"role":"assistant","content":"4"}]`, true, "3", ""},
		{"no user", `[{"role":"system","content":"s"}]`, true, "", "no user message"},
		{"null content", `[{"role":"assistant","content":null},{"role":"user","content":"x"}]`, false, "ASSISTANT: \n\nUSER: \nx\n", ""},
		{"number content", `[{"role":"user","content":3}]`, false, "", "messages[0].content: must be a string or a list of parts"},
		{"image refused", `[{"role":"user","content":[{"type":"image_url"}]}]`, false, "", `only text parts can be sent, got a "image_url" part`},
		{"part not an object", `[{"role":"user","content":[1]}]`, false, "", "content parts must be objects"},
		{"not a list", `{}`, false, "", "messages: must be a list"},
		{"empty", `[]`, false, "", "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendTranscript(nil, gjson.Parse(tt.messages), tt.lastUser, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	// other sees the non-text parts and may refuse them.
	var seen []string
	other := func(field string, p gjson.Result) error {
		seen = append(seen, field+":"+p.Get("type").Str)
		if p.Get("type").Str == "input_audio" {
			return errors.New("no audio")
		}
		return nil
	}
	got, err := AppendTranscript(nil, gjson.Parse(`[{"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url"}]}]`), false, other)
	if err != nil || string(got) != "t" || strings.Join(seen, ",") != "messages[0].content:image_url" {
		t.Fatalf("got %q %v %v", got, err, seen)
	}
	if _, err := AppendTranscript(nil, gjson.Parse(`[{"role":"user","content":[{"type":"input_audio"}]}]`), false, other); err == nil || err.Error() != "no audio" {
		t.Fatalf("other's error: %v", err)
	}
}
