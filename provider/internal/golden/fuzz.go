package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Seeds returns the files in dirs whose names match pattern, the seed corpus of a
// package's fuzz targets.
func Seeds(pattern string, dirs ...string) [][]byte {
	var out [][]byte
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// Fuzz is what a package's FuzzRequest and FuzzStream check, for each converter of New.
type Fuzz struct {
	New []func() translator.Translator
	// Statuses are the upstream statuses every fuzzed body is converted as an answer
	// with (default 200).
	Statuses []int
	// RequestPassThrough and AnswerPassThrough: a body the converter passes on
	// unchanged need not be JSON (it is the upstream's or the client's own).
	RequestPassThrough, AnswerPassThrough bool
	// Walked[i], when set, makes New[i] with its translator.Shape off: a stream must
	// convert the same with and without it.
	Walked []func() translator.Translator
}

// Body checks one fuzzed body: no converter panics; a request body it accepts, and an
// answer body for every status it accepts, become valid JSON.
func (z Fuzz) Body(t *testing.T, body []byte) {
	t.Helper()
	statuses := z.Statuses
	if len(statuses) == 0 {
		statuses = []int{200}
	}
	for _, newT := range z.New {
		tr := newT()
		if out, err := tr.RequestBody(body); err == nil && !json.Valid(out) && !(z.RequestPassThrough && bytes.Equal(out, body)) {
			t.Fatalf("RequestBody(%q) wrote invalid JSON: %s", body, out)
		}
		for _, status := range statuses {
			if out, err := tr.ResponseBody(status, body); err == nil && !json.Valid(out) && !(z.AnswerPassThrough && bytes.Equal(out, body)) {
				t.Fatalf("ResponseBody(%d, %q) wrote invalid JSON: %s", status, body, out)
			}
		}
	}
}

// Stream checks one fuzzed OpenAI stream: any input gives JSON events ending in
// [DONE], and the same output when split at cut (taken modulo the input's length).
func (z Fuzz) Stream(t *testing.T, input []byte, cut int) {
	t.Helper()
	for i, newT := range z.New {
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
		if cut %= len(input) + 1; cut < 0 {
			cut = -cut
		}
		tr := newT()
		split, _ := tr.ResponseStream(nil, input[:cut], false)
		split, _ = tr.ResponseStream(split, input[cut:], true)
		if !bytes.Equal(split, whole) {
			t.Fatalf("split at %d differs:\n%q\nwhole:\n%q", cut, split, whole)
		}
		if i < len(z.Walked) && z.Walked[i] != nil {
			if walked, _ := z.Walked[i]().ResponseStream(nil, input, true); !bytes.Equal(walked, whole) {
				t.Fatalf("events matched by their shape convert otherwise:\n%q\nwalked:\n%q", whole, walked)
			}
		}
	}
}
