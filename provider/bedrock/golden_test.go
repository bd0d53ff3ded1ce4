package bedrock

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/tidwall/gjson"
)

// Golden files live in testdata/bedrock/chat/:
//
//	<case>.request.json  → <case>.request.want.json  (OpenAI request → Converse request)
//	<case>.response.json → <case>.response.want.json (Converse answer → OpenAI answer;
//	                       {"status": N, "body": ...} for an error answer)
//	<case>.stream.json   → <case>.stream.want.sse    (ConverseStream messages, built into
//	                       event-stream frames by the test → OpenAI chunks)
//
// `go test ./provider/bedrock -run Golden -update` rewrites the want files.
var update = flag.Bool("update", false, "rewrite the golden want files")

const testdata = "../../testdata/bedrock/chat"

var fixedNow = time.Unix(1700000000, 0)

var testOpts = &Options{Host: "bedrock-runtime.us-east-1.amazonaws.com", AdditionalFields: `{"top_k":200}`}

func newChat(o *Options) *Chat {
	c := NewChat(o)
	c.Now = func() time.Time { return fixedNow }
	return c
}

// streamBytes builds the event-stream of a .stream.json fixture: a list of
// {"event": type, "payload": {...}} or {"exception": type, "payload": {...}}.
func streamBytes(t testing.TB, fixture []byte) []byte {
	t.Helper()
	var msgs []struct {
		Event, Exception string
		Payload          json.RawMessage
	}
	if err := json.Unmarshal(fixture, &msgs); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, m := range msgs {
		if m.Exception != "" {
			out = AppendException(out, m.Exception, m.Payload)
		} else {
			out = AppendEvent(out, m.Event, m.Payload)
		}
	}
	return out
}

// runStream converts a whole stream fed in pieces of the given sizes (0: one piece).
func runStream(t testing.TB, stream []byte, split func(i int) bool) []byte {
	c := newChat(testOpts)
	if _, err := c.RequestBody([]byte(`{"model":"anthropic.claude-3-5-haiku-20241022-v1:0","stream":true,"messages":[]}`)); err != nil {
		t.Fatal(err)
	}
	var out []byte
	start := 0
	for i := 1; i <= len(stream); i++ {
		if i == len(stream) || split(i) {
			var err error
			if out, err = c.ResponseStream(out, stream[start:i], false); err != nil {
				t.Fatal(err)
			}
			start = i
		}
	}
	out, _ = c.ResponseStream(out, nil, true)
	return out
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*"))
	n := 0
	for _, in := range files {
		base := filepath.Base(in)
		var got []byte
		var want string
		switch {
		case strings.HasSuffix(base, ".request.json"):
			body, _ := os.ReadFile(in)
			out, err := newChat(testOpts).RequestBody(body)
			if err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			got, want = indent(t, out), strings.TrimSuffix(in, ".json")+".want.json"
		case strings.HasSuffix(base, ".response.json"):
			body, _ := os.ReadFile(in)
			status := 200
			if r := gjson.ParseBytes(body); r.Get("status").Exists() && r.Get("body").Exists() {
				status, body = int(r.Get("status").Int()), []byte(r.Get("body").Raw)
			}
			c := newChat(testOpts)
			c.model = "anthropic.claude-3-5-haiku-20241022-v1:0"
			out, err := c.ResponseBody(status, body)
			if err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			got, want = indent(t, out), strings.TrimSuffix(in, ".json")+".want.json"
		case strings.HasSuffix(base, ".stream.json"):
			fixture, _ := os.ReadFile(in)
			stream := streamBytes(t, fixture)
			got = runStream(t, stream, func(int) bool { return false })
			want = strings.TrimSuffix(in, ".json") + ".want.sse"
			// Every split at one byte gives the same output.
			for cut := 1; cut < len(stream); cut++ {
				if split := runStream(t, stream, func(i int) bool { return i == cut }); !bytes.Equal(split, got) {
					t.Fatalf("%s split at byte %d:\n%s\nwant\n%s", base, cut, split, got)
				}
			}
			// And byte by byte.
			if split := runStream(t, stream, func(int) bool { return true }); !bytes.Equal(split, got) {
				t.Fatalf("%s fed byte by byte:\n%s\nwant\n%s", base, split, got)
			}
		default:
			continue
		}
		n++
		if *update {
			os.WriteFile(want, got, 0o644)
			continue
		}
		w, err := os.ReadFile(want)
		if err != nil {
			t.Fatalf("%s: %v (run with -update)", base, err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s:\n got %s\nwant %s", base, got, w)
		}
	}
	if n < 8 {
		t.Fatalf("only %d fixtures", n)
	}
}

func indent(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return append(buf.Bytes(), '\n')
}

var suiteLikeKey = sign.AWS{AccessKey: "AKID", SecretKey: "secret", Region: "us-east-1", Service: "bedrock"}
