package gemini

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// FuzzRequest: no body makes a converter panic, and a body it accepts becomes valid
// JSON (Models passes its empty request body on untouched); the same for answers.
func FuzzRequest(f *testing.F) {
	for _, dir := range []string{"chat", "embeddings", "models"} {
		for _, b := range golden.Seeds("*.request.json", testdata+"/"+dir) {
			f.Add(b)
		}
		for _, b := range golden.Seeds("*.response.json", testdata+"/"+dir) {
			f.Add(b)
		}
	}
	z := golden.Fuzz{New: []func() translator.Translator{converters["chat"], converters["embeddings"], converters["models"]},
		Statuses: []int{200, 429}, RequestPassThrough: true}
	f.Fuzz(z.Body)
}

// FuzzStream: any input gives valid JSON events ending in [DONE], the same whatever
// the split.
func FuzzStream(f *testing.F) {
	for i, b := range golden.Seeds("*.stream.sse", testdata+"/chat") {
		f.Add(b, 37*i)
	}
	stream, _ := geminiStream() // events that match the last one's shape
	f.Add([]byte(stream[:3000]), 1500)
	f.Fuzz(golden.Fuzz{New: []func() translator.Translator{newChat}, Walked: []func() translator.Translator{walkedChat}}.Stream)
}
