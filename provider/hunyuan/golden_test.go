package hunyuan

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/sign"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
)

// Golden files live in testdata/hunyuan/<converter>/:
//
//	<case>.request.json  → <case>.request.want.json   (client request → upstream request)
//	<case>.response.json → <case>.response.want.json  (upstream answer → client answer)
//	<case>.stream.sse    → <case>.stream.want.sse     (upstream stream → client stream)
//
// `go test ./provider/gemini -run Golden -update` rewrites the want files; review the
// diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden want files")

const testdata = "../../testdata/hunyuan"

const fixedNow = 1700000000

// testKey is the credential of the fixtures; the mock verifies signatures made with it.
var testKey = &sign.TC3{SecretID: "AKIDhunyuanTestSecretId00000000000000", SecretKey: "hunyuanTestSecretKey000000000000", Service: Service}

// newChat is the converter of a request for hunyuan-turbos-latest, its request body
// read (RequestBody again replaces what it knows).
func newChat() translator.Translator {
	c := NewChat(Options{Credential: testKey, Host: Host, Now: func() int64 { return fixedNow }})
	if _, err := c.RequestBody([]byte(`{"model":"hunyuan-turbos-latest","messages":[],"stream":true}`)); err != nil {
		panic(err)
	}
	return c
}

var converters = map[string]func() translator.Translator{
	"chat": newChat,
}

func TestGolden(t *testing.T) {
	for dir, newT := range converters {
		files, err := filepath.Glob(filepath.Join(testdata, dir, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures for %s: %v", dir, err)
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
			t.Run(dir+"/"+base, func(t *testing.T) {
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
					tr := newT()
					out, err := tr.ResponseBody(200, input)
					if err != nil {
						t.Fatalf("ResponseBody: %v", err)
					}
					if dir == "chat" {
						checkOpenAIAnswer(t, out)
					}
					got = indent(t, out)
				case ".stream.sse":
					got = runStream(newT(), input, len(input)+1)
					checkSplits(t, newT, input, got)
					wantErr := strings.HasPrefix(base, "stream_error") || strings.HasPrefix(base, "cut")
					checkOpenAIStream(t, got, wantErr)
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
// The pieces are copied into a reused buffer, as the plugin does.
func checkSplits(t *testing.T, newT func() translator.Translator, input, whole []byte) {
	t.Helper()
	scratch := make([]byte, len(input))
	feed := func(tr translator.Translator, out, piece []byte, end bool) []byte {
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
		out := feed(tr, nil, input[:cut], false)
		out = feed(tr, out, input[cut:], true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("split at byte %d:\ngot:\n%s\nwant:\n%s", cut, out, whole)
		}
	}
	for _, n := range []int{1, 7, 256} {
		tr := newT()
		var out []byte
		in := input
		for len(in) > n {
			out = feed(tr, out, in[:n], false)
			in = in[n:]
		}
		out = feed(tr, out, in, true)
		if !bytes.Equal(out, whole) {
			t.Fatalf("pieces of %d bytes:\ngot:\n%s\nwant:\n%s", n, out, whole)
		}
	}
	tr := newT()
	out := feed(tr, nil, input, false)
	out = feed(tr, out, nil, true)
	if !bytes.Equal(out, whole) {
		t.Fatalf("separate end call:\ngot:\n%s\nwant:\n%s", out, whole)
	}
}

// The converted answers are read back with the official OpenAI SDK, over HTTP.

func openAIClient(t *testing.T, status int, contentType string, body []byte) openai.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return openai.NewClient(openaiopt.WithBaseURL(srv.URL), openaiopt.WithAPIKey("test"), openaiopt.WithMaxRetries(0))
}

var openAIParams = openai.ChatCompletionNewParams{
	Model:    "m",
	Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
}

func checkOpenAIAnswer(t *testing.T, body []byte) {
	t.Helper()
	c := openAIClient(t, 200, "application/json", body)
	cc, err := c.Chat.Completions.New(context.Background(), openAIParams)
	if err != nil {
		t.Fatalf("openai SDK rejects the answer: %v\n%s", err, body)
	}
	if len(cc.Choices) != 1 || cc.Choices[0].FinishReason == "" {
		t.Fatalf("want one choice with a finish_reason, got %+v\n%s", cc.Choices, body)
	}
	for _, tc := range cc.Choices[0].Message.ToolCalls {
		var v map[string]any
		if tc.ID == "" || tc.Function.Name == "" || json.Unmarshal([]byte(tc.Function.Arguments), &v) != nil {
			t.Errorf("tool call %+v: want id, name and a JSON object as arguments", tc)
		}
	}
	if u := cc.Usage; u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v is not consistent", u)
	}
}

func checkOpenAIStream(t *testing.T, stream []byte, wantErr bool) {
	t.Helper()
	c := openAIClient(t, 200, "text/event-stream", stream)
	s := c.Chat.Completions.NewStreaming(context.Background(), openAIParams)
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
	if len(acc.Choices) != 1 || acc.Choices[0].FinishReason == "" {
		t.Fatalf("want one finished choice, got %+v\n%s", acc.Choices, stream)
	}
	if u := acc.Usage; u.TotalTokens == 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v is not consistent", u)
	}
}
