package anthropic

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Golden files live in testdata/anthropic/<direction>/ (the layout of
// provider/internal/golden). `go test ./provider/anthropic -run Golden -update`
// rewrites the want files; review the diff before committing it.

const testdata = "../../testdata/anthropic"

// fixedNow makes `created` in OpenAI answers reproducible.
const fixedNow = 1700000000

type direction struct {
	name string
	new  func() translator.Translator
	// checks the client side with the official SDK: a JSON answer, a stream (wantErr:
	// the stream must end in an error the SDK reports).
	checkAnswer func(t *testing.T, body []byte)
	checkStream func(t *testing.T, stream []byte, wantErr bool)
}

var directions = []direction{
	{
		name: "chat_to_messages",
		new: func() translator.Translator {
			c := NewChatToMessages()
			c.Now = func() int64 { return fixedNow }
			return c
		},
		checkAnswer: checkOpenAIAnswer,
		checkStream: checkOpenAIStream,
	},
	{
		name:        "messages_to_chat",
		new:         func() translator.Translator { return NewMessagesToChat() },
		checkAnswer: checkAnthropicAnswer,
		checkStream: checkAnthropicStream,
	},
}

// TestGolden runs each direction's fixtures, answers converted without their request
// and read back with the SDK of the client's protocol.
func TestGolden(t *testing.T) {
	for _, d := range directions {
		t.Run(d.name, func(t *testing.T) {
			golden.RunWith(t, testdata+"/"+d.name, d.new, golden.Options{Fresh: true, Answer: d.checkAnswer, Stream: d.checkStream})
		})
	}
}
