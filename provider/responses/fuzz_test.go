package responses

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
)

func seeds(f *testing.F, suffix string) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*"+suffix))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzRequest: any body is refused or converted into valid JSON; any answer body
// becomes valid JSON or an error.
func FuzzRequest(f *testing.F) {
	seeds(f, ".request.json")
	seeds(f, ".response.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		tr := newT()
		if out, err := tr.RequestBody(body); err == nil && !json.Valid(out) {
			t.Fatalf("RequestBody(%q) wrote invalid JSON: %s", body, out)
		}
		if out, err := tr.ResponseBody(200, body); err == nil && !json.Valid(out) {
			t.Fatalf("ResponseBody(%q) wrote invalid JSON: %s", body, out)
		}
		if out, _ := tr.ResponseBody(500, body); !json.Valid(out) {
			t.Fatalf("error body for %q is invalid JSON: %s", body, out)
		}
	})
}

// FuzzStream: any input gives events of valid JSON ending in a terminal event, and
// the same output whatever the split.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.stream.sse"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !strings.Contains(p, ".want.") {
			f.Add(b, 7)
		}
	}
	f.Fuzz(func(t *testing.T, input []byte, cut int) {
		whole, _ := newFor().ResponseStream(nil, input, true)
		var r sse.Reader
		r.Feed(whole)
		var last []byte
		for ev, ok := r.Next(); ok; ev, ok = r.Next() {
			if !json.Valid(ev.Data) {
				t.Fatalf("event is not valid JSON: %s", ev.Data)
			}
			last = append(last[:0], ev.Name...)
		}
		if r.Pending() {
			t.Fatalf("output ends inside an event: %q", whole)
		}
		switch string(last) {
		case "response.completed", "response.incomplete", "response.failed":
		default:
			t.Fatalf("stream ends in %q", last)
		}
		if len(input) > 0 {
			cut = ((cut % len(input)) + len(input)) % len(input)
		} else {
			cut = 0
		}
		tr := newFor()
		out, _ := tr.ResponseStream(nil, input[:cut], false)
		out, _ = tr.ResponseStream(out, input[cut:], true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("split at %d differs:\n%s\nwant\n%s", cut, out, whole)
		}
	})
}
