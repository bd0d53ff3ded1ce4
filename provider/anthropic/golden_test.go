package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Golden files live in testdata/anthropic/<direction>/:
//
//	<case>.request.json  → <case>.request.want.json   (client request → upstream request)
//	<case>.response.json → <case>.response.want.json  (upstream answer → client answer)
//	<case>.stream.sse    → <case>.stream.want.sse     (upstream stream → client stream)
//
// `go test ./provider/anthropic -run Golden -update` rewrites the want files; review
// the diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden want files")

const testdata = "../../testdata/anthropic"

// fixedNow makes `created` in OpenAI answers reproducible.
const fixedNow = 1700000000

type direction struct {
	name string
	new  func() translator.Translator
	// checks the client side with the official SDK: a JSON answer, a stream (wantErr:
	// the stream must end in an error the SDK reports).
	checkAnswer func(t *testing.T, body []byte)
	checkStream func(t *testing.T, stream []byte, wantErr bool)
}

var directions = []direction{
	{
		name: "chat_to_messages",
		new: func() translator.Translator {
			c := NewChatToMessages()
			c.Now = func() int64 { return fixedNow }
			return c
		},
		checkAnswer: checkOpenAIAnswer,
		checkStream: checkOpenAIStream,
	},
	{
		name:        "messages_to_chat",
		new:         func() translator.Translator { return NewMessagesToChat() },
		checkAnswer: checkAnthropicAnswer,
		checkStream: checkAnthropicStream,
	},
}

func TestGolden(t *testing.T) {
	for _, d := range directions {
		files, err := filepath.Glob(filepath.Join(testdata, d.name, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures for %s: %v", d.name, err)
		}
		for _, in := range files {
			base := filepath.Base(in)
			var kind string
			for _, k := range []string{".request.json", ".response.json", ".stream.sse"} {
				if strings.HasSuffix(base, k) {
					kind = k
				}
			}
			if kind == "" {
				continue
			}
			t.Run(d.name+"/"+base, func(t *testing.T) {
				input, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				ext := filepath.Ext(kind)
				switch kind {
				case ".request.json":
					out, err := d.new().RequestBody(input)
					if err != nil {
						t.Fatalf("RequestBody: %v", err)
					}
					got = indent(t, out)
				case ".response.json":
					out, err := d.new().ResponseBody(200, input)
					if err != nil {
						t.Fatalf("ResponseBody: %v", err)
					}
					d.checkAnswer(t, out)
					got = indent(t, out)
				case ".stream.sse":
					got = runStream(d.new(), input, len(input)+1)
					checkSplits(t, d.new, input, got)
					wantErr := strings.HasPrefix(base, "stream_error") || strings.HasPrefix(base, "cut")
					d.checkStream(t, got, wantErr)
				}
				want := strings.TrimSuffix(in, kind) + strings.TrimSuffix(kind, ext) + ".want" + ext
				compareGolden(t, want, got)
			})
		}
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

// runStream feeds input in pieces of size n, the last piece with end set.
func runStream(tr translator.Translator, input []byte, n int) []byte {
	var out []byte
	for len(input) > n {
		out, _ = tr.ResponseStream(out, input[:n], false)
		input = input[n:]
	}
	out, _ = tr.ResponseStream(out, input, true)
	return out
}

// checkSplits runs the stream cut in two at every byte, byte by byte, in 256-byte
// pieces and with a separate empty end call: each must give the whole-stream output.
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
