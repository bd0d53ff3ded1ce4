package responses

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/openai/openai-go/v3/responses"
)

// Golden files live in testdata/responses/:
//
//	<case>.request.json  → <case>.request.want.json   (Responses request → chat request)
//	<case>.response.json → <case>.response.want.json  (chat completion → Response)
//	<case>.stream.sse    → <case>.stream.want.sse     (chat chunks → Responses events)
//
// `go test ./provider/responses -run Golden -update` rewrites the want files; review
// the diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden want files")

const testdata = "../../testdata/responses"

const fixedNow = 1700000000

// fixture is the request every answer fixture is converted for (its echo fields).
const fixtureRequest = `{"model":"gpt-4o-mini","input":"hi","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`

func newT() translator.Translator {
	t := NewResponsesToChat()
	t.Now = func() int64 { return fixedNow }
	return t
}

// newFor returns a converter that has read the fixture request.
func newFor() translator.Translator {
	t := newT()
	if _, err := t.RequestBody([]byte(fixtureRequest)); err != nil {
		panic(err)
	}
	return t
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, in := range files {
		base := filepath.Base(in)
		var kind string
		for _, k := range []string{".request.json", ".response.json", ".stream.sse"} {
			if strings.HasSuffix(base, k) && !strings.HasSuffix(base, ".want"+filepath.Ext(k)) {
				kind = k
			}
		}
		if kind == "" {
			continue
		}
		t.Run(base, func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			ext := filepath.Ext(kind)
			switch kind {
			case ".request.json":
				out, err := newT().RequestBody(input)
				if err != nil {
					t.Fatalf("RequestBody: %v", err)
				}
				got = indent(t, out)
			case ".response.json":
				out, err := newFor().ResponseBody(200, input)
				if err != nil {
					t.Fatalf("ResponseBody: %v", err)
				}
				checkSDKResponse(t, out)
				got = indent(t, out)
			case ".stream.sse":
				got = runStream(newFor(), input, len(input)+1)
				checkSplits(t, newFor, input, got)
				wantErr := strings.HasPrefix(base, "stream_error") || strings.HasPrefix(base, "cut")
				checkSDKStream(t, got, wantErr)
			}
			want := strings.TrimSuffix(in, kind) + strings.TrimSuffix(kind, ext) + ".want" + ext
			compareGolden(t, want, got)
		})
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func runStream(tr translator.Translator, input []byte, n int) []byte {
	var out []byte
	for len(input) > n {
		out, _ = tr.ResponseStream(out, input[:n], false)
		input = input[n:]
	}
	out, _ = tr.ResponseStream(out, input, true)
	return out
}

// checkSplits: the stream cut in two at every byte, byte by byte, in 256-byte pieces
// and with a separate empty end call gives the whole-stream output.
func checkSplits(t *testing.T, newT func() translator.Translator, input, whole []byte) {
	t.Helper()
	for cut := 0; cut <= len(input); cut++ {
		tr := newT()
		out, _ := tr.ResponseStream(nil, input[:cut], false)
		out, _ = tr.ResponseStream(out, input[cut:], true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("split at byte %d:\ngot:\n%s\nwant:\n%s", cut, out, whole)
		}
	}
	for _, n := range []int{1, 256} {
		if out := runStream(newT(), input, n); !bytes.Equal(out, whole) {
			t.Fatalf("pieces of %d bytes:\ngot:\n%s\nwant:\n%s", n, out, whole)
		}
	}
	tr := newT()
	out, _ := tr.ResponseStream(nil, input, false)
	out, _ = tr.ResponseStream(out, nil, true)
	if !bytes.Equal(out, whole) {
		t.Fatalf("separate end call:\ngot:\n%s\nwant:\n%s", out, whole)
	}
}

// checkSDKResponse decodes the answer with openai-go's Response type.
func checkSDKResponse(t *testing.T, body []byte) *responses.Response {
	t.Helper()
	var r responses.Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("openai-go cannot decode the Response: %v\n%s", err, body)
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"id", r.JSON.ID.Valid()}, {"created_at", r.JSON.CreatedAt.Valid()}, {"output", r.JSON.Output.Valid()},
		{"model", r.JSON.Model.Valid()}, {"tools", r.JSON.Tools.Valid()}, {"tool_choice", r.JSON.ToolChoice.Valid()},
		{"temperature", r.JSON.Temperature.Valid()}, {"top_p", r.JSON.TopP.Valid()},
		{"parallel_tool_calls", r.JSON.ParallelToolCalls.Valid()}, {"usage", r.JSON.Usage.Valid() || r.Status == "failed" || r.Status == "in_progress"},
	} {
		if !f.ok {
			t.Errorf("Response field %s does not decode: %s", f.name, body)
		}
	}
	if !strings.HasPrefix(r.ID, "resp_") || r.Object != "response" {
		t.Errorf("id %q object %q", r.ID, r.Object)
	}
	for i, it := range r.Output {
		if it.ID == "" || it.Type == "" {
			t.Errorf("output[%d] lacks id or type: %s", i, it.RawJSON())
		}
	}
	return &r
}

// checkSDKStream decodes every event with openai-go's event union: types match the
// SSE event names, sequence numbers count from 0, text deltas add up to the done text,
// and the last event is the terminal one (response.failed when wantErr).
func checkSDKStream(t *testing.T, stream []byte, wantErr bool) {
	t.Helper()
	var r sse.Reader
	r.Feed(stream)
	var seq int64
	var last responses.ResponseStreamEventUnion
	texts := map[string]*strings.Builder{}
	for ev, ok := r.Next(); ok; ev, ok = r.Next() {
		var e responses.ResponseStreamEventUnion
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			t.Fatalf("openai-go cannot decode event %s: %v", ev.Data, err)
		}
		if e.Type != string(ev.Name) {
			t.Fatalf("event name %q, type %q", ev.Name, e.Type)
		}
		if e.SequenceNumber != seq {
			t.Fatalf("sequence_number %d, want %d: %s", e.SequenceNumber, seq, ev.Data)
		}
		seq++
		switch e.Type {
		case "response.output_text.delta", "response.reasoning_summary_text.delta", "response.function_call_arguments.delta":
			b := texts[e.ItemID]
			if b == nil {
				b = &strings.Builder{}
				texts[e.ItemID] = b
			}
			b.WriteString(e.Delta)
		case "response.output_text.done", "response.reasoning_summary_text.done":
			if got := texts[e.ItemID].String(); got != e.Text {
				t.Errorf("%s: deltas add up to %q, done says %q", e.Type, got, e.Text)
			}
		case "response.function_call_arguments.done":
			if got := texts[e.ItemID].String(); got != e.Arguments {
				t.Errorf("%s: deltas add up to %q, done says %q", e.Type, got, e.Arguments)
			}
		}
		last = e
	}
	if r.Pending() {
		t.Fatalf("stream ends inside an event")
	}
	switch {
	case wantErr && last.Type != "response.failed":
		t.Fatalf("stream ends in %q, want response.failed", last.Type)
	case !wantErr && last.Type != "response.completed" && last.Type != "response.incomplete":
		t.Fatalf("stream ends in %q", last.Type)
	}
	checkSDKResponse(t, []byte(last.Response.RawJSON()))
}
