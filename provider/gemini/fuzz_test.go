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

// FuzzUsage: the quick reading of a flat usageMetadata object reads what a Scan does.
func FuzzUsage(f *testing.F) {
	f.Add(`{"promptTokenCount":25,"candidatesTokenCount":3,"totalTokenCount":28,"x":1}`)
	f.Add(`{"promptTokenCount":25,"promptTokensDetails":[{"modality":"TEXT","tokenCount":25}]}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, v string) {
		start := usageCounts{prompt: 1, total: 2}
		quick, scanned := start, start
		quick.read(v)
		scanned.scan(v)
		if quick != scanned {
			t.Fatalf("read(%s) = %+v, a Scan reads %+v", v, quick, scanned)
		}
	})
}
