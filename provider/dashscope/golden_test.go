package dashscope

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/internal/golden"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

const testdata = "../../testdata/dashscope"

func fixedNow() int64 { return 1700000000 }

// goldenCase is one exchange: a client request converted for DashScope, and a recorded
// DashScope answer converted back. Goldens are <name>.upstream.json (the converted
// request) and <name>.client.json / <name>.client.sse (the converted answer).
type goldenCase struct {
	name     string
	newT     func(Options) translator.Translator
	opts     Options
	in       string // client request fixture
	path     string // upstream path before EditUpstream
	wantPath string
	wantHdr  map[string]string
	answer   string // DashScope answer fixture (.json or .sse)
	status   int
	ct       string // answer content-type, given through StreamStatus
}

func newChat(o Options) translator.Translator       { return NewChat(o) }
func newEmbeddings(o Options) translator.Translator { return NewEmbeddings(o) }
func newRerank(o Options) translator.Translator     { return NewRerank(o) }
func newImageGen(o Options) translator.Translator   { return NewImageGeneration(o) }
func newImageEdit(o Options) translator.Translator  { return NewImageEdit(o) }
func newCompatible(o Options) translator.Translator { return NewCompatible(o) }

const sseCT = "text/event-stream;charset=UTF-8"

var goldenCases = []goldenCase{
	{name: "chat_text", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_text.answer.json", status: 200},
	{name: "chat_text_search_fileids", newT: newChat, opts: Options{EnableSearch: true, FileIDs: []string{"file-fe-1", "file-fe-2"}},
		in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration},
	{name: "chat_reasoning_stream", newT: newChat, in: "chat_reasoning.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		wantHdr: map[string]string{"x-dashscope-sse": "enable"}, answer: "chat_reasoning.answer.sse", status: 200, ct: sseCT},
	{name: "chat_reasoning_stream_concat", newT: newChat, opts: Options{ReasoningMode: ReasoningConcat}, in: "chat_reasoning.in.json",
		path: PathTextGeneration, wantPath: PathTextGeneration, answer: "chat_reasoning.answer.sse", status: 200, ct: sseCT},
	{name: "chat_reasoning_stream_ignore", newT: newChat, opts: Options{ReasoningMode: ReasoningIgnore}, in: "chat_reasoning.in.json",
		path: PathTextGeneration, wantPath: PathTextGeneration, answer: "chat_reasoning.answer.sse", status: 200, ct: sseCT},
	{name: "chat_reasoning_json", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_reasoning.answer.json", status: 200},
	{name: "chat_reasoning_json_concat", newT: newChat, opts: Options{ReasoningMode: ReasoningConcat}, in: "chat_text.in.json",
		path: PathTextGeneration, wantPath: PathTextGeneration, answer: "chat_reasoning.answer.json", status: 200},
	{name: "chat_tools_stream", newT: newChat, in: "chat_tools.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_tools.answer.sse", status: 200, ct: sseCT},
	// The upstream repeats the tool call's id and name in every event: sent once.
	{name: "chat_tools_stream_repeated", newT: newChat, in: "chat_tools.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_tools_repeated.answer.sse", status: 200, ct: sseCT},
	{name: "chat_tools_json", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_tools.answer.json", status: 200},
	{name: "chat_vl_stream", newT: newChat, in: "chat_vl.in.json", path: "/base" + PathTextGeneration, wantPath: "/base" + PathMultimodalGeneration,
		answer: "chat_vl.answer.sse", status: 200, ct: sseCT},
	{name: "chat_vl_json", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_vl.answer.json", status: 200},
	{name: "chat_stream_error_event", newT: newChat, in: "chat_reasoning.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_error.answer.sse", status: 200, ct: sseCT},
	{name: "chat_stream_error_json", newT: newChat, in: "chat_reasoning.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_error.answer.json", status: 400, ct: "application/json"},
	{name: "chat_stream_whole_json", newT: newChat, in: "chat_reasoning.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_reasoning.answer.json", status: 200, ct: "application/json"},
	{name: "chat_error_json", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_error.answer.json", status: 400},
	{name: "chat_auth_error_json", newT: newChat, in: "chat_text.in.json", path: PathTextGeneration, wantPath: PathTextGeneration,
		answer: "chat_auth_error.answer.json", status: 401},
	{name: "embeddings", newT: newEmbeddings, in: "embeddings.in.json", path: PathEmbeddings, wantPath: PathEmbeddings,
		answer: "embeddings.answer.json", status: 200},
	{name: "embeddings_b64", newT: newEmbeddings, in: "embeddings_b64.in.json", path: PathEmbeddings, wantPath: PathEmbeddings,
		answer: "embeddings.answer.json", status: 200},
	{name: "rerank", newT: newRerank, in: "rerank.in.json", path: PathRerank, wantPath: PathRerank,
		answer: "rerank.answer.json", status: 200},
	{name: "rerank_error", newT: newRerank, in: "rerank.in.json", path: PathRerank, wantPath: PathRerank,
		answer: "chat_error.answer.json", status: 400},
	{name: "image_gen", newT: newImageGen, in: "image_gen.in.json", path: PathMultimodalGeneration, wantPath: PathMultimodalGeneration,
		answer: "image_gen.answer.json", status: 200},
	{name: "image_gen_wan_async", newT: newImageGen, in: "image_gen_wan.in.json", path: PathMultimodalGeneration, wantPath: PathText2Image,
		wantHdr: map[string]string{"x-dashscope-async": "enable"}, answer: "image_async.answer.json", status: 200},
	{name: "image_task_done", newT: newImageGen, in: "image_gen_wan.in.json", path: PathMultimodalGeneration, wantPath: PathText2Image,
		answer: "image_task_done.answer.json", status: 200},
	{name: "image_edit", newT: newImageEdit, in: "image_edit.in.json", path: PathImage2Image, wantPath: PathMultimodalGeneration,
		answer: "image_gen.answer.json", status: 200},
	{name: "image_edit_wanx_async", newT: newImageEdit, in: "image_edit_wanx.in.json", path: PathImage2Image, wantPath: PathImage2Image,
		wantHdr: map[string]string{"x-dashscope-async": "enable"}, answer: "image_async.answer.json", status: 200},
	{name: "image_edit_wan25_async", newT: newImageEdit, in: "image_edit_wan25.in.json", path: PathImage2Image, wantPath: PathImage2Image,
		wantHdr: map[string]string{"x-dashscope-async": "enable"}, answer: "image_async.answer.json", status: 200},
	{name: "compat_fileids_stream", newT: newCompatible, opts: Options{EnableSearch: true, FileIDs: []string{"file-fe-a"}},
		in: "compat_fileids.in.json", answer: "compat.answer.sse", status: 200, ct: sseCT},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got with the golden file (or writes it with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Compare(t, filepath.Join(testdata, name), got)
}

// prepare creates the case's translator and runs its request conversion.
func (c *goldenCase) prepare(t testing.TB) (translator.Translator, []byte, string, map[string]string) {
	t.Helper()
	o := c.opts
	o.Now = fixedNow
	tr := c.newT(o)
	out, err := tr.RequestBody(readFixture(t, c.in))
	if err != nil {
		t.Fatalf("RequestBody: %v", err)
	}
	hdr := map[string]string{}
	path := c.path
	if e, ok := tr.(translator.UpstreamEditor); ok {
		path = e.EditUpstream(c.path, func(k, v string) { hdr[k] = v })
	}
	return tr, append([]byte(nil), out...), path, hdr
}

// runStream converts the answer fed in the given pieces.
func (c *goldenCase) runStream(t testing.TB, pieces [][]byte) []byte {
	t.Helper()
	tr, _, _, _ := c.prepare(t)
	if s, ok := tr.(translator.StreamStatus); ok {
		s.SetUpstreamStatus(c.status, c.ct)
	}
	var out []byte
	var err error
	for i, p := range pieces {
		if out, err = tr.ResponseStream(out, p, i == len(pieces)-1); err != nil {
			t.Fatalf("ResponseStream: %v", err)
		}
	}
	if len(pieces) == 0 {
		out, _ = tr.ResponseStream(out, nil, true)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			_, up, path, hdr := c.prepare(t)
			if c.in != "" && !json.Valid(up) {
				t.Fatalf("upstream body is not valid JSON: %s", up)
			}
			if c.wantPath != "" && path != c.wantPath {
				t.Errorf("path: got %q, want %q", path, c.wantPath)
			}
			for k, v := range c.wantHdr {
				if hdr[k] != v {
					t.Errorf("header %s: got %q, want %q", k, hdr[k], v)
				}
			}
			checkGolden(t, c.name+".upstream.json", up)
			if c.answer == "" {
				return
			}
			answer := readFixture(t, c.answer)
			if c.ct != "" {
				// The streaming path: whole, then split in every way golden.CheckSplits lists.
				whole := c.runStream(t, [][]byte{answer})
				checkGolden(t, c.name+".client.sse", whole)
				golden.CheckSplits(t, func() translator.Translator {
					tr, _, _, _ := c.prepare(t)
					if s, ok := tr.(translator.StreamStatus); ok {
						s.SetUpstreamStatus(c.status, c.ct)
					}
					return tr
				}, answer, whole)
				return
			}
			tr, _, _, _ := c.prepare(t)
			got, err := tr.ResponseBody(c.status, answer)
			if err != nil {
				t.Fatalf("ResponseBody: %v", err)
			}
			if !json.Valid(got) {
				t.Fatalf("client body is not valid JSON: %s", got)
			}
			checkGolden(t, c.name+".client.json", got)
		})
	}
}

// sseData returns the data payloads of an OpenAI SSE stream.
func sseData(s []byte) []string {
	var out []string
	for _, ev := range strings.Split(string(s), "\n\n") {
		if d, ok := strings.CutPrefix(ev, "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func findCase(t *testing.T, name string) *goldenCase {
	for i := range goldenCases {
		if goldenCases[i].name == name {
			return &goldenCases[i]
		}
	}
	t.Fatalf("no case %s", name)
	return nil
}
