package dify

import (
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// fuzz: a converter of every app type.
var fuzz = func() golden.Fuzz {
	z := golden.Fuzz{Statuses: []int{200, 400, 429}}
	for _, o := range dirs {
		z.New = append(z.New, newFor(o))
	}
	return z
}()

func seeds(pattern string) [][]byte {
	var ds []string
	for d := range dirs {
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
	f.Fuzz(fuzz.Stream)
}

var _ translator.Translator = (*Converter)(nil)
