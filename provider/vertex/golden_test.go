package vertex

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/gemini"
	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Golden files live in testdata/vertex/<converter>/ (the layout of provider/internal/golden):
// Vertex AI's own answers (msg_vrtx_ ids, trafficType, createTime). `go test
// ./provider/vertex -run Golden -update` rewrites the want files; review the diff.
const testdata = "../../testdata/vertex"

const fixedNow = 1700000000

func newChat() translator.Translator {
	c := NewChat(gemini.Options{})
	c.Now = func() int64 { return fixedNow }
	return c
}

func newClaude() translator.Translator {
	c := NewClaudeChat()
	c.Now = func() int64 { return fixedNow }
	return c
}

func TestGolden(t *testing.T) {
	t.Run("claude", func(t *testing.T) {
		golden.RunWith(t, testdata+"/claude", newClaude, golden.Options{Choices: 1, Usage: true})
	})
	t.Run("gemini", func(t *testing.T) {
		golden.RunWith(t, testdata+"/gemini", newChat, golden.Options{Choices: 1, Usage: true})
	})
	t.Run("embeddings", func(t *testing.T) {
		golden.RunWith(t, testdata+"/embeddings", func() translator.Translator { return gemini.NewPredictEmbeddings() },
			golden.Options{Answer: golden.NoCheck})
	})
}

// TestChatPicksByModel: the model picks the converter and the upstream method.
func TestChatPicksByModel(t *testing.T) {
	const p = "/v1/projects/p/locations/l/publishers/google/models/M:generateContent"
	for _, tc := range []struct{ body, want string }{
		{`{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"x"}]}`, p},
		{`{"model":"gemini-2.5-pro","stream":true,"messages":[{"role":"user","content":"x"}]}`,
			"/v1/projects/p/locations/l/publishers/google/models/M:streamGenerateContent?alt=sse"},
		{`{"model":"claude-opus-4@20250514","messages":[{"role":"user","content":"x"}]}`,
			"/v1/projects/p/locations/l/publishers/anthropic/models/M:rawPredict"},
		{`{"model":"claude-opus-4@20250514","stream":true,"messages":[{"role":"user","content":"x"}]}`,
			"/v1/projects/p/locations/l/publishers/anthropic/models/M:streamRawPredict"},
	} {
		c := NewChat(gemini.Options{})
		if _, err := c.RequestBody([]byte(tc.body)); err != nil {
			t.Fatal(err)
		}
		if got := c.EditUpstream(p, func(string, string) {}); got != tc.want {
			t.Errorf("%s: path %s, want %s", tc.body, got, tc.want)
		}
	}
}

// FuzzRequest: no body makes a converter panic, and a body it accepts becomes valid
// JSON; the same for answers.
func FuzzRequest(f *testing.F) {
	for _, dir := range []string{"claude", "gemini", "embeddings"} {
		for _, pat := range []string{"*.request.json", "*.response.json"} {
			for _, b := range golden.Seeds(pat, testdata+"/"+dir) {
				f.Add(b)
			}
		}
	}
	z := golden.Fuzz{New: []func() translator.Translator{newChat, newClaude, func() translator.Translator { return gemini.NewPredictEmbeddings() }},
		Statuses: []int{200, 429}}
	f.Fuzz(z.Body)
}

// FuzzStream: any input gives valid JSON events ending in [DONE], the same whatever
// the split, for Claude's and Gemini's streams.
func FuzzStream(f *testing.F) {
	for _, dir := range []string{"claude", "gemini"} {
		for i, b := range golden.Seeds("*.stream.sse", testdata+"/"+dir) {
			f.Add(b, 37*i)
		}
	}
	f.Fuzz(golden.Fuzz{New: []func() translator.Translator{newClaude, newChat}}.Stream)
}
