package spark

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const testdata = "../../testdata/spark"

var dirs = []string{"chat"}

func newChat() translator.Translator {
	c := NewChat()
	c.Now = func() int64 { return 1700000000 }
	return c
}

// TestGolden runs testdata/spark/chat (`-update` rewrites the want files).
func TestGolden(t *testing.T) {
	golden.RunWith(t, testdata+"/chat", newChat, golden.Options{Walked: walkedChat})
}

// walkedChat is newChat with its stream shape off: every event walked.
func walkedChat() translator.Translator {
	c := newChat().(*Chat)
	c.shape.Off = true
	return c
}
