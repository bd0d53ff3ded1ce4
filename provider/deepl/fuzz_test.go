package deepl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRequest: no body makes the converter panic; what it writes is JSON.
func FuzzRequest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tr := newChat()
		if out, err := tr.RequestBody(body); err == nil && !json.Valid(out) {
			t.Fatalf("RequestBody(%q) wrote invalid JSON: %s", body, out)
		}
		for _, status := range []int{200, 456} {
			if out, err := tr.ResponseBody(status, body); err == nil && !json.Valid(out) {
				t.Fatalf("ResponseBody(%d, %q) wrote invalid JSON: %s", status, body, out)
			}
		}
	})
}

// FuzzStream: any answer gives a stream ending in [DONE], the same whatever the split.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.sse"))
	for i, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, 13*i)
		}
	}
	f.Fuzz(func(t *testing.T, input []byte, cut int) {
		whole, _ := newChat().ResponseStream(nil, input, true)
		if !bytes.HasSuffix(whole, []byte("data: [DONE]\n\n")) {
			t.Fatalf("stream does not end in [DONE]: %q", whole)
		}
		if cut %= len(input) + 1; cut < 0 {
			cut = -cut
		}
		tr := newChat()
		split, _ := tr.ResponseStream(nil, input[:cut], false)
		split, _ = tr.ResponseStream(split, input[cut:], true)
		if !bytes.Equal(split, whole) {
			t.Fatalf("split at %d differs:\n%q\nwhole:\n%q", cut, split, whole)
		}
	})
}
