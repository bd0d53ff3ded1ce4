// Package vertex converts OpenAI chat to Google Vertex AI's model endpoints: Gemini
// models through the gemini converter (generateContent, the same wire format as the
// Generative Language API), Claude models through the Claude converter on the
// publisher's rawPredict / streamRawPredict, whose body names anthropic_version instead
// of the model. Pure functions of bytes, as every converter.
package vertex

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/anthropic"
	"github.com/ai-proxy/ai-proxy/provider/gemini"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// AnthropicVersion is the anthropic_version Claude on Vertex AI requires in the body.
const AnthropicVersion = "vertex-2023-10-16"

// IsClaude reports whether a (mapped) model is one of Anthropic's on Vertex AI.
func IsClaude(model string) bool { return strings.HasPrefix(model, "claude") }

// Chat serves one OpenAI chat request on Vertex AI. The request's model picks the
// converter: a claude* model goes to publishers/anthropic/models/M:rawPredict
// (:streamRawPredict for streams), every other model to publishers/google/models/M:
// generateContent (:streamGenerateContent?alt=sse). Create one per request.
type Chat struct {
	// Now, when set, is the clock of the answers' `created`.
	Now func() int64

	gemini gemini.Options
	inner  translator.Translator
	claude bool
	stream bool
}

// NewChat returns the converter for one chat request; o configures Gemini models.
func NewChat(o gemini.Options) *Chat { return &Chat{gemini: o} }

// NewClaudeChat returns the converter for one chat request to a Claude model, whatever
// the request names.
func NewClaudeChat() *Chat { return &Chat{claude: true} }

// Claude reports whether the request goes to a Claude model (known after RequestBody).
func (t *Chat) Claude() bool { return t.claude }

func (t *Chat) init() {
	if t.inner != nil {
		return
	}
	if t.claude {
		c := anthropic.NewChatToMessages()
		c.BodyVersion, c.Now = AnthropicVersion, t.Now
		t.inner = c
		return
	}
	g := gemini.NewChat(t.gemini)
	g.Now = t.Now
	t.inner = g
}

// RequestBody implements translator.Translator.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	if t.inner == nil && !t.claude {
		t.claude = IsClaude(gjson.GetBytes(body, "model").String())
	}
	t.stream = gjson.GetBytes(body, "stream").Bool()
	t.init()
	return t.inner.RequestBody(body)
}

// EditUpstream implements translator.UpstreamEditor: the publisher and method of a
// Claude model, the stream method of a Gemini one.
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	t.init()
	if !t.claude {
		return t.inner.(translator.UpstreamEditor).EditUpstream(path, setHeader)
	}
	path = strings.Replace(path, "/publishers/google/models/", "/publishers/anthropic/models/", 1)
	method := ":rawPredict"
	if t.stream {
		method = ":streamRawPredict"
	}
	return strings.Replace(path, ":generateContent", method, 1)
}

// ResponseBody implements translator.Translator.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	t.init()
	return t.inner.ResponseBody(status, body)
}

// ResponseStream implements translator.Translator.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	t.init()
	return t.inner.ResponseStream(dst, chunk, end)
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage {
	if t.inner == nil {
		return translator.Usage{}
	}
	return t.inner.Usage()
}

// SetUpstreamStatus implements translator.StreamStatus for the converter that has it.
func (t *Chat) SetUpstreamStatus(status int, contentType string) {
	t.init()
	if s, ok := t.inner.(translator.StreamStatus); ok {
		s.SetUpstreamStatus(status, contentType)
	}
}
