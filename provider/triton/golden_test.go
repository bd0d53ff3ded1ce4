package triton

import (
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const testdata = "../../testdata/triton"

func newChat() translator.Translator {
	c := New()
	c.Now = func() int64 { return 1700000000 }
	return c
}

// TestGolden runs testdata/triton/chat (`-update` rewrites the want files).
func TestGolden(t *testing.T) { golden.Run(t, testdata+"/chat", newChat) }

func TestStreamPath(t *testing.T) {
	for _, tc := range []struct{ stream, path, want string }{
		{"false", "/v2/models/m/generate", "/v2/models/m/generate"},
		{"true", "/v2/models/m/generate", "/v2/models/m/generate_stream"},
		{"true", "/v2/models/m/versions/2/generate?x=1", "/v2/models/m/versions/2/generate_stream?x=1"},
		{"true", "/custom/path", "/custom/path"},
	} {
		c := New()
		if _, err := c.RequestBody([]byte(`{"model":"m","stream":` + tc.stream + `,"messages":[{"role":"user","content":"x"}]}`)); err != nil {
			t.Fatal(err)
		}
		if got := c.EditUpstream(tc.path, nil); got != tc.want {
			t.Errorf("stream %s: %s → %s, want %s", tc.stream, tc.path, got, tc.want)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}`, `only text parts`},
		{`{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature: must be a number"},
		{`{"messages":{}}`, "messages: must be a list"},
		{`nope`, "not valid JSON"},
	} {
		if _, err := New().RequestBody([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
}
