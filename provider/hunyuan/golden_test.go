package hunyuan

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Golden files live in testdata/hunyuan/<converter>/ (the layout of provider/internal/golden).
// `go test ./provider/hunyuan -run Golden -update` rewrites the want files; review the
// diff before committing it.
const testdata = "../../testdata/hunyuan"

const fixedNow = 1700000000

// testKey is the credential of the fixtures; the mock verifies signatures made with it.
var testKey = &sign.TC3{SecretID: "AKIDhunyuanTestSecretId00000000000000", SecretKey: "hunyuanTestSecretKey000000000000", Service: Service}

// newChat is the converter of a request for hunyuan-turbos-latest, its request body
// read (RequestBody again replaces what it knows).
func newChat() translator.Translator {
	c := NewChat(Options{Credential: testKey, Host: Host, Now: func() int64 { return fixedNow }})
	if _, err := c.RequestBody([]byte(`{"model":"hunyuan-turbos-latest","messages":[],"stream":true}`)); err != nil {
		panic(err)
	}
	return c
}

var converters = map[string]func() translator.Translator{
	"chat": newChat,
}

// TestGolden: answers are read back with openai-go (one choice, usage that adds up)
// and converted without their request.
func TestGolden(t *testing.T) {
	t.Run("chat", func(t *testing.T) {
		golden.RunWith(t, testdata+"/chat", newChat, golden.Options{Fresh: true, Choices: 1, Usage: true, Walked: walkedChat})
	})
}

// walkedChat is newChat with its stream shape off: every event walked.
func walkedChat() translator.Translator {
	c := newChat().(*Chat)
	c.shape.Off = true
	return c
}
