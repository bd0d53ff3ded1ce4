package spark

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// fuzz: every converter; a body passed on unchanged (an OpenAI-compatible answer) need
// not be JSON.
var fuzz = golden.Fuzz{New: []func() translator.Translator{newChat}, Statuses: []int{200, 429},
	RequestPassThrough: true, AnswerPassThrough: true, Walked: []func() translator.Translator{walkedChat}}

func seeds(pattern string) [][]byte {
	var ds []string
	for _, d := range dirs {
		ds = append(ds, testdata+"/"+d)
	}
	return golden.Seeds(pattern, ds...)
}

// FuzzRequest: no body makes a converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	for _, b := range seeds("*.json") {
		f.Add(b)
	}
	f.Fuzz(fuzz.Body)
}

// FuzzStream: any input gives JSON events ending in [DONE], the same whatever the split.
func FuzzStream(f *testing.F) {
	for i, b := range seeds("*.sse") {
		f.Add(b, 37*i)
	}
	f.Add(sparkStream()[:3000], 1500) // events that match the last one's shape
	f.Fuzz(fuzz.Stream)
}
