package responses

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/openai/openai-go/v3/responses"
)

// Golden files live in testdata/responses/ (the layout of provider/internal/golden:
// Responses request → chat request, chat completion → Response, chat chunks →
// Responses events). `go test ./provider/responses -run Golden -update` rewrites the
// want files; review the diff before committing it.

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

// TestGolden: answers are converted for the fixture request, not their case's, and
// read back with openai-go's Responses types.
func TestGolden(t *testing.T) {
	golden.RunWith(t, testdata, newT, golden.Options{Answers: newFor, Fresh: true,
		Answer: func(t *testing.T, body []byte) { t.Helper(); checkSDKResponse(t, body) },
		Stream: checkSDKStream})
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
