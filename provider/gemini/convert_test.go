package gemini

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestThoughtSignatureRoundTrip: a signature Gemini puts on a function call comes back
// on that call when the client returns the conversation with the tool call id it got.
func TestThoughtSignatureRoundTrip(t *testing.T) {
	for _, sig := range []string{"c2ln+/9=", "c2lnbmF0dXJlLW9uZQ==", "AAAA"} {
		c := newChat()
		out, _ := c.ResponseStream(nil, []byte(`data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"`+sig+`"}]},"finishReason":"STOP"}]}`+"\n\n"), true)
		id := gjson.Get(strings.SplitN(string(out), "\n", 2)[0][len("data: "):], "choices.0.delta.tool_calls.0.id").Str
		if strings.ContainsAny(id, "+/=") || !strings.HasPrefix(id, "call_0"+sigMarker) {
			t.Fatalf("id %q: want call_0%s<base64url>", id, sigMarker)
		}
		req := `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"` + id +
			`","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"` + id + `","content":"ok"}]}`
		body, err := newChat().RequestBody([]byte(req))
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(body, "contents.1.parts.0.thoughtSignature").Str; got != sig {
			t.Errorf("signature %q came back as %q", sig, got)
		}
		if got := gjson.GetBytes(body, "contents.2.parts.0.functionResponse.name").Str; got != "f" {
			t.Errorf("functionResponse name %q", got)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not json", `{"model":`, "not valid JSON"},
		{"not object", `[1]`, "must be a JSON object"},
		{"no messages", `{"model":"m"}`, "messages: must be a list"},
		{"image url without type", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.com/img"}}]}]}`, "cannot tell the media type"},
		{"bad data url", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "data URL must be"},
		{"string part", `{"messages":[{"role":"user","content":["hi"]}]}`, "content parts must be objects"},
		{"orphan tool", `{"messages":[{"role":"tool","tool_call_id":"x","content":"r"}]}`, "answers no tool call"},
		{"bad args", `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1]"}}]}]}`, "must be a JSON object"},
		{"bad role", `{"messages":[{"role":"robot","content":"x"}]}`, "is not one of"},
		{"bad effort", `{"messages":[],"reasoning_effort":"huge"}`, "reasoning_effort"},
		{"web search tool", `{"messages":[],"tools":[{"type":"web_search"}]}`, "only function tools"},
		{"bad tool_choice", `{"messages":[],"tool_choice":"sometimes"}`, "tool_choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newChat().RequestBody([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestResponseErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"quota", 429, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}`,
			`{"error":{"message":"Resource has been exhausted","type":"rate_limit_error","code":"RESOURCE_EXHAUSTED"}}`},
		{"array form", 400, `[{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}]`,
			`{"error":{"message":"API key not valid","type":"invalid_request_error","code":"INVALID_ARGUMENT"}}`},
		{"html", 502, `<html>bad gateway</html>`,
			`{"error":{"message":"upstream answered HTTP 502: <html>bad gateway</html>","type":"server_error","code":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tr := range []interface {
				ResponseBody(int, []byte) ([]byte, error)
			}{newChat().(*Chat), NewEmbeddings(), NewModels()} {
				got, err := tr.ResponseBody(tt.status, []byte(tt.body))
				if err != nil || string(got) != tt.want {
					t.Errorf("%T: got %s, %v\nwant %s", tr, got, err, tt.want)
				}
			}
		})
	}
	if _, err := newChat().ResponseBody(200, []byte(`{"candidates":[`)); err == nil {
		t.Error("a cut JSON answer must be an error")
	}
}

func TestEditUpstream(t *testing.T) {
	tests := []struct{ body, path, want string }{
		{`{"messages":[],"stream":true}`, "/v1beta/models/m:generateContent", "/v1beta/models/m:streamGenerateContent?alt=sse"},
		{`{"messages":[],"stream":true}`, "/v1beta/models/m:generateContent?x=1", "/v1beta/models/m:streamGenerateContent?alt=sse&x=1"},
		{`{"messages":[]}`, "/v1beta/models/m:generateContent", "/v1beta/models/m:generateContent"},
	}
	for _, tt := range tests {
		c := NewChat(Options{})
		if _, err := c.RequestBody([]byte(tt.body)); err != nil {
			t.Fatal(err)
		}
		if got := c.EditUpstream(tt.path, nil); got != tt.want {
			t.Errorf("%s %s: got %s, want %s", tt.body, tt.path, got, tt.want)
		}
	}
}

func TestEmbeddingsBase64(t *testing.T) {
	e := NewEmbeddings()
	if _, err := e.RequestBody([]byte(`{"model":"gemini-embedding-001","input":"a","encoding_format":"base64"}`)); err != nil {
		t.Fatal(err)
	}
	out, err := e.ResponseBody(200, []byte(`{"embeddings":[{"values":[1,0]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// float32 1.0 = 00 00 80 3f, 0.0 = 00 00 00 00 (little endian)
	if got := gjson.GetBytes(out, "data.0.embedding").Str; got != "AACAPwAAAAA=" {
		t.Errorf("got %q", got)
	}
}
