// Package golden runs a converter's golden fixtures: one directory of
//
//	<case>.request.json  → <case>.request.want.json   (client request → upstream request)
//	<case>.response.json → <case>.response.want.json  (upstream answer → client answer)
//	<case>.stream.sse    → <case>.stream.want.sse     (upstream stream → client stream)
//
// with every stream also fed split at every byte, byte by byte and in 7- and 256-byte
// pieces, into reused (then scribbled) memory: each split must give the same output.
// A response fixture is converted after its case's request fixture when there is one
// (the request names the model and the mode). The answers are read back with the
// official openai-go SDK. Only tests import it.
package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
)

var update = flag.Bool("update", false, "rewrite the golden want files")

// Run checks every fixture in dir with converters made by newT. A fixture whose name
// starts with "error" is an error answer: its want file holds the HTTP status on the
// first line, then the client's error. A stream fixture whose name starts with "error",
// "stream_error" or "cut" must end in an error.
func Run(t *testing.T, dir string, newT func() translator.Translator) {
	RunWith(t, dir, newT, Options{})
}

// Options are where a package's fixtures differ from what Run assumes: an OpenAI chat
// client reading the answers, answers converted after their case's request fixture.
type Options struct {
	// Answers makes the converter of response and stream fixtures (default: newT).
	Answers func() translator.Translator
	// Fresh converts response and stream fixtures with a converter from Answers alone,
	// never after their case's request fixture.
	Fresh bool
	// Answer reads a converted JSON answer back (default: CheckAnswer with Choices
	// and Usage); NoCheck reads nothing.
	Answer func(t *testing.T, body []byte)
	// Stream reads a converted stream back (default: CheckStream with Choices and
	// Usage); wantErr says it must end in an error.
	Stream func(t *testing.T, stream []byte, wantErr bool)
	// Choices, when not 0, is the number of choices every default check wants.
	Choices int
	// Usage makes the default checks want usage that adds up (total = prompt +
	// completion), and present in streams.
	Usage bool
	// Walked, when set, is Answers with its translator.Shape off: every stream must
	// convert the same with and without it.
	Walked func() translator.Translator
}

// NoCheck is an Options.Answer for answers no SDK reads back (embeddings, model lists).
func NoCheck(*testing.T, []byte) {}

// RunWith is Run with the given options.
func RunWith(t *testing.T, dir string, newT func() translator.Translator, o Options) {
	if o.Answers == nil {
		o.Answers = newT
	}
	if o.Answer == nil {
		o.Answer = func(t *testing.T, body []byte) { checkAnswer(t, body, o.Choices, o.Usage) }
	}
	if o.Stream == nil {
		o.Stream = func(t *testing.T, stream []byte, wantErr bool) { checkStream(t, stream, wantErr, o.Choices, o.Usage) }
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	for _, in := range files {
		base := filepath.Base(in)
		var kind string
		for _, k := range []string{".request.json", ".response.json", ".stream.sse"} {
			if strings.HasSuffix(base, k) {
				kind = k
			}
		}
		if kind == "" || strings.Contains(base, ".want.") {
			continue
		}
		t.Run(base, func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			caseName := strings.TrimSuffix(base, kind)
			preparedAs := func(newT func() translator.Translator) translator.Translator {
				tr := newT()
				if !o.Fresh {
					if req, err := os.ReadFile(filepath.Join(dir, caseName+".request.json")); err == nil {
						if _, err := tr.RequestBody(req); err != nil {
							t.Fatalf("RequestBody of %s.request.json: %v", caseName, err)
						}
					}
				}
				return tr
			}
			prepared := func() translator.Translator { return preparedAs(o.Answers) }
			isErr := strings.HasPrefix(base, "error")
			var got []byte
			switch kind {
			case ".request.json":
				out, err := newT().RequestBody(input)
				if err != nil {
					t.Fatalf("RequestBody: %v", err)
				}
				got = Indent(t, out)
			case ".response.json":
				status := 200
				if isErr {
					status = 0 // the fixture's first line
					line, rest, _ := bytes.Cut(input, []byte("\n"))
					if err := json.Unmarshal(line, &status); err != nil {
						t.Fatalf("error fixture: first line must be the upstream status: %v", err)
					}
					input = rest
				}
				out, err := prepared().ResponseBody(status, input)
				var se *translator.StatusError
				if errors.As(err, &se) {
					got = append([]byte(itoa(se.Status)+"\n"), Indent(t, se.OpenAI())...)
				} else if err != nil {
					t.Fatalf("ResponseBody: %v", err)
				} else if isErr {
					got = append([]byte(itoa(status)+"\n"), Indent(t, out)...)
				} else {
					o.Answer(t, out)
					got = Indent(t, out)
				}
			case ".stream.sse":
				got = feed(prepared(), nil, input, len(input)+1)
				CheckSplits(t, prepared, input, got)
				if o.Walked != nil {
					if walked := feed(preparedAs(o.Walked), nil, input, len(input)+1); !bytes.Equal(walked, got) {
						t.Fatalf("events matched by their shape convert otherwise:\n%s\nwalked:\n%s", got, walked)
					}
				}
				o.Stream(t, got, isErr || strings.HasPrefix(base, "stream_error") || strings.HasPrefix(base, "cut"))
			}
			ext := filepath.Ext(kind)
			Compare(t, filepath.Join(dir, caseName+strings.TrimSuffix(kind, ext)+".want"+ext), got)
		})
	}
}

func itoa(n int) string { return string(translator.AppendInt(nil, int64(n))) }

// Indent returns b indented, failing when it is not JSON.
func Indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// Compare compares got with the want file (rewriting it with -update).
func Compare(t *testing.T, path string, got []byte) {
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

// feed feeds input in pieces of n bytes, the last with end set.
func feed(tr translator.Translator, out, input []byte, n int) []byte {
	for len(input) > n {
		out, _ = tr.ResponseStream(out, input[:n], false)
		input = input[n:]
	}
	out, _ = tr.ResponseStream(out, input, true)
	return out
}

// CheckSplits feeds the stream split in every way listed in the package doc.
func CheckSplits(t *testing.T, newT func() translator.Translator, input, whole []byte) {
	t.Helper()
	scratch := make([]byte, len(input))
	put := func(tr translator.Translator, out, piece []byte, end bool) []byte {
		b := scratch[:len(piece)]
		copy(b, piece)
		out, _ = tr.ResponseStream(out, b, end)
		for i := range b {
			b[i] = 'X' // the host reuses the memory
		}
		return out
	}
	for cut := 0; cut <= len(input); cut++ {
		tr := newT()
		out := put(tr, nil, input[:cut], false)
		out = put(tr, out, input[cut:], true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("split at byte %d:\ngot:\n%s\nwant:\n%s", cut, out, whole)
		}
	}
	for _, n := range []int{1, 7, 256} {
		tr := newT()
		var out []byte
		in := input
		for len(in) > n {
			out = put(tr, out, in[:n], false)
			in = in[n:]
		}
		out = put(tr, out, in, true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("pieces of %d bytes:\ngot:\n%s\nwant:\n%s", n, out, whole)
		}
	}
	tr := newT()
	out := put(tr, nil, input, false)
	out = put(tr, out, nil, true)
	if !bytes.Equal(out, whole) {
		t.Fatalf("separate end call:\ngot:\n%s\nwant:\n%s", out, whole)
	}
}

func client(t *testing.T, contentType string, body []byte) openai.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", contentType)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return openai.NewClient(openaiopt.WithBaseURL(srv.URL), openaiopt.WithAPIKey("test"), openaiopt.WithMaxRetries(0))
}

var params = openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}

// CheckAnswer reads a chat completion with openai-go: choices with a finish_reason,
// tool calls with an id, a name and JSON object arguments.
func CheckAnswer(t *testing.T, body []byte) { t.Helper(); checkAnswer(t, body, 0, false) }

// checkAnswer is CheckAnswer also wanting n choices (n > 0) and usage that adds up.
func checkAnswer(t *testing.T, body []byte, n int, usage bool) {
	t.Helper()
	c := client(t, "application/json", body)
	cc, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("openai SDK rejects the answer: %v\n%s", err, body)
	}
	if len(cc.Choices) == 0 || n > 0 && len(cc.Choices) != n {
		t.Fatalf("%d choices, want %d\n%s", len(cc.Choices), max(n, 1), body)
	}
	for _, c := range cc.Choices {
		if c.FinishReason == "" {
			t.Errorf("choice %d has no finish_reason\n%s", c.Index, body)
		}
		for _, tc := range c.Message.ToolCalls {
			var v map[string]any
			if tc.ID == "" || tc.Function.Name == "" || json.Unmarshal([]byte(tc.Function.Arguments), &v) != nil {
				t.Errorf("tool call %+v: want id, name and a JSON object as arguments", tc)
			}
		}
	}
	if u := cc.Usage; usage && u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v is not consistent", u)
	}
}

// CheckStream reads a stream with openai-go's accumulator: it must end in an error
// when wantErr, else in finished choices.
func CheckStream(t *testing.T, stream []byte, wantErr bool) {
	t.Helper()
	checkStream(t, stream, wantErr, 0, false)
}

// checkStream is CheckStream also wanting n choices (n > 0) and usage that adds up.
func checkStream(t *testing.T, stream []byte, wantErr bool, n int, usage bool) {
	t.Helper()
	if !bytes.HasSuffix(stream, []byte("data: [DONE]\n\n")) {
		t.Fatalf("stream does not end in [DONE]:\n%s", stream)
	}
	c := client(t, "text/event-stream", stream)
	s := c.Chat.Completions.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); (err != nil) != wantErr {
		t.Fatalf("stream error = %v, want error: %v\n%s", err, wantErr, stream)
	}
	if wantErr {
		return
	}
	if len(acc.Choices) == 0 || n > 0 && len(acc.Choices) != n {
		t.Fatalf("%d choices, want %d\n%s", len(acc.Choices), max(n, 1), stream)
	}
	for _, c := range acc.Choices {
		if c.FinishReason == "" {
			t.Fatalf("choice %d not finished\n%s", c.Index, stream)
		}
	}
	if u := acc.Usage; usage && (u.TotalTokens == 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens) {
		t.Errorf("usage %+v is not consistent", u)
	}
}
