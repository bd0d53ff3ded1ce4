package hunyuan

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// FuzzRequest: no body makes a converter panic, and a body it accepts becomes valid
// JSON; the same for answers.
func FuzzRequest(f *testing.F) {
	for _, dir := range []string{"chat"} {
		for _, b := range golden.Seeds("*.request.json", testdata+"/"+dir) {
			f.Add(b)
		}
		for _, b := range golden.Seeds("*.response.json", testdata+"/"+dir) {
			f.Add(b)
		}
	}
	z := golden.Fuzz{New: []func() translator.Translator{newChat},
		Statuses: []int{200, 429}, RequestPassThrough: true}
	f.Fuzz(z.Body)
}

// FuzzStream: any input gives valid JSON events ending in [DONE], the same whatever
// the split.
func FuzzStream(f *testing.F) {
	for i, b := range golden.Seeds("*.stream.sse", testdata+"/chat") {
		f.Add(b, 37*i)
	}
	stream, _ := hunyuanStream() // events that match the last one's shape
	f.Add([]byte(stream[:3000]), 1500)
	f.Fuzz(golden.Fuzz{New: []func() translator.Translator{newChat}, Walked: []func() translator.Translator{walkedChat}}.Stream)
}

// FuzzUsage: the quick reading of a flat Usage object reads what a Scan does.
func FuzzUsage(f *testing.F) {
	f.Add(`{"PromptTokens":25,"CompletionTokens":3,"TotalTokens":28}`)
	f.Add(`{"PromptTokens":25,"CompletionTokens":"3"}`)
	f.Fuzz(func(t *testing.T, v string) {
		quick, ok := readUsage(v, "m")
		scanned, sok := scanUsage(v)
		if scanned.TotalTokens == 0 {
			scanned.TotalTokens = scanned.PromptTokens + scanned.CompletionTokens
		}
		scanned.Model = "m"
		if quick != scanned || ok != sok {
			t.Fatalf("readUsage(%s) = %+v %v, a Scan reads %+v %v", v, quick, ok, scanned, sok)
		}
	})
}
