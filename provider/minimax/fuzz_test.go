package minimax

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func seeds(f *testing.F, pattern string) [][]byte {
	var out [][]byte
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(testdata, dir, pattern))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// FuzzRequest: no body makes a converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	for _, b := range seeds(f, "*.json") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newT := range converters {
			tr := newT()
			if out, err := tr.RequestBody(body); err == nil && !json.Valid(out) && !bytes.Equal(out, body) {
				t.Fatalf("RequestBody(%q) wrote invalid JSON: %s", body, out)
			}
			for _, status := range []int{200, 429} {
				if out, err := tr.ResponseBody(status, body); err == nil && !json.Valid(out) && !bytes.Equal(out, body) {
					t.Fatalf("ResponseBody(%d, %q) wrote invalid JSON: %s", status, body, out)
				}
			}
		}
	})
}

// FuzzStream: any input gives JSON events ending in [DONE], the same whatever the split.
func FuzzStream(f *testing.F) {
	for i, b := range seeds(f, "*.sse") {
		f.Add(b, 37*i)
	}
	f.Fuzz(func(t *testing.T, input []byte, cut int) {
		for _, newT := range converters {
			whole, _ := newT().ResponseStream(nil, input, true)
			if !bytes.HasSuffix(whole, []byte("data: [DONE]\n\n")) {
				t.Fatalf("stream does not end in [DONE]: %q", whole)
			}
			var r sse.Reader
			r.Feed(whole)
			for ev, ok := r.Next(); ok; ev, ok = r.Next() {
				if string(ev.Data) != "[DONE]" && !json.Valid(ev.Data) {
					t.Fatalf("event %q is not valid JSON in %q", ev.Data, whole)
				}
			}
			c := cut % (len(input) + 1)
			if c < 0 {
				c = -c
			}
			var tr translator.Translator = newT()
			split, _ := tr.ResponseStream(nil, input[:c], false)
			split, _ = tr.ResponseStream(split, input[c:], true)
			if !bytes.Equal(split, whole) {
				t.Fatalf("split at %d differs:\n%q\nwhole:\n%q", c, split, whole)
			}
		}
	})
}
