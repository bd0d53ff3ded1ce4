package deepl

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var fuzz = golden.Fuzz{New: []func() translator.Translator{newChat}, Statuses: []int{200, 456}}

// FuzzRequest: no body makes the converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	for _, b := range golden.Seeds("*.json", testdata) {
		f.Add(b)
	}
	f.Fuzz(fuzz.Body)
}

// FuzzStream: any answer gives a stream of JSON events ending in [DONE], the same
// whatever the split.
func FuzzStream(f *testing.F) {
	for i, b := range golden.Seeds("*.sse", testdata) {
		f.Add(b, 13*i)
	}
	f.Fuzz(fuzz.Stream)
}
