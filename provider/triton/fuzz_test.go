package triton

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var fuzz = golden.Fuzz{New: []func() translator.Translator{newChat}, Statuses: []int{200, 400}}

// FuzzRequest: no body makes the converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	for _, b := range golden.Seeds("*.json", testdata+"/chat") {
		f.Add(b)
	}
	f.Fuzz(fuzz.Body)
}

// FuzzStream: any input gives JSON events ending in [DONE], the same whatever the split.
func FuzzStream(f *testing.F) {
	for i, b := range golden.Seeds("*.sse", testdata+"/chat") {
		f.Add(b, 37*i)
	}
	f.Fuzz(fuzz.Stream)
}
