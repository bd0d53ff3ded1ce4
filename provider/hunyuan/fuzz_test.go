package hunyuan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

func seeds(f *testing.F, dir, suffix string) {
	files, _ := filepath.Glob(filepath.Join(testdata, dir, "*"+suffix))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzRequest: no body makes a converter panic, and a body it accepts becomes valid
// JSON; the same for answers.
func FuzzRequest(f *testing.F) {
	for _, dir := range []string{"chat"} {
		seeds(f, dir, ".request.json")
		seeds(f, dir, ".response.json")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newT := range converters {
			tr := newT()
			if out, err := tr.RequestBody(body); err == nil && !json.Valid(out) && string(out) != string(body) {
				t.Fatalf("RequestBody(%q) wrote invalid JSON: %s", body, out)
			}
			for _, status := range []int{200, 429} {
				if out, err := newT().ResponseBody(status, body); err == nil && !json.Valid(out) {
					t.Fatalf("ResponseBody(%d, %q) wrote invalid JSON: %s", status, body, out)
				}
			}
		}
	})
}

// FuzzStream: any input gives valid JSON events ending in [DONE], the same whatever
// the split.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "chat", "*.stream.sse"))
	for i, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, 37*i)
		}
	}
	f.Fuzz(func(t *testing.T, input []byte, cut int) {
		whole, _ := newChat().ResponseStream(nil, input, true)
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
		if len(input) > 0 {
			if cut %= len(input) + 1; cut < 0 {
				cut = -cut
			}
			var tr translator.Translator = newChat()
			split, _ := tr.ResponseStream(nil, input[:cut], false)
			split, _ = tr.ResponseStream(split, input[cut:], true)
			if !bytes.Equal(split, whole) {
				t.Fatalf("split at %d differs:\n%q\nwhole:\n%q", cut, split, whole)
			}
		}
	})
}
