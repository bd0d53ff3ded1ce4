package gemini

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Golden files live in testdata/gemini/<converter>/ (the layout of provider/internal/golden).
// `go test ./provider/gemini -run Golden -update` rewrites the want files; review the
// diff before committing it.
const testdata = "../../testdata/gemini"

const fixedNow = 1700000000

func newChat() translator.Translator {
	c := NewChat(Options{SafetySettings: map[string]string{
		"HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE", "HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"}})
	c.Now = func() int64 { return fixedNow }
	return c
}

// walkedChat is newChat with its stream shape off: every event walked.
func walkedChat() translator.Translator {
	c := newChat().(*Chat)
	c.shape.Off = true
	return c
}

var converters = map[string]func() translator.Translator{
	"chat":       newChat,
	"embeddings": func() translator.Translator { return NewEmbeddings() },
	"models":     func() translator.Translator { return NewModels() },
}

// TestGolden: chat answers are read back with openai-go (one choice, usage that adds
// up) and converted without their request; an embeddings answer reports the model of
// its request.
func TestGolden(t *testing.T) {
	t.Run("chat", func(t *testing.T) {
		golden.RunWith(t, testdata+"/chat", newChat, golden.Options{Fresh: true, Choices: 1, Usage: true, Walked: walkedChat})
	})
	t.Run("embeddings", func(t *testing.T) {
		golden.RunWith(t, testdata+"/embeddings", converters["embeddings"], golden.Options{Answer: golden.NoCheck})
	})
	t.Run("models", func(t *testing.T) {
		golden.RunWith(t, testdata+"/models", converters["models"], golden.Options{Answer: golden.NoCheck})
	})
}
