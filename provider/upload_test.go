package provider

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// formBody is a multipart body with boundary XyZ: fields are name, value pairs; a name
// with "@" is a file ("file@a.wav").
func formBody(fields ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(fields); i += 2 {
		name, file, isFile := strings.Cut(fields[i], "@")
		b.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"")
		if isFile {
			b.WriteString("; filename=\"" + file + "\"\r\nContent-Type: application/octet-stream")
		}
		b.WriteString("\r\n\r\n" + fields[i+1] + "\r\n")
	}
	b.WriteString("--XyZ--\r\n")
	return b.String()
}

// hostRun drives a streamed upload as Envoy does: the pieces accumulate in the host's
// buffer while the plugin holds them; Continue lets the buffer (and the held headers)
// go. It returns the headers as sent, the body as it went upstream, and the most bytes
// the host held.
type hostRun struct {
	sent     testHeaders
	body     []byte
	maxHeld  int
	err      *Error
	streamed bool
}

func runUpload(t *testing.T, c *Config, path, body string, hdr map[string]string, piece int) hostRun {
	t.Helper()
	r, e := NewRequest(c, path)
	if e != nil {
		t.Fatalf("NewRequest: %s", e.Message)
	}
	h := testHeaders{":path": path, "content-type": "multipart/form-data; boundary=XyZ", "content-length": strconv.Itoa(len(body))}
	for k, v := range hdr {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	var run hostRun
	if run.err = r.PrepareUpload(h); run.err != nil {
		return run
	}
	r.RewriteRequestHeaders(h)
	if !r.StreamsBody() {
		run.sent, run.body = h, []byte(body)
		return run
	}
	run.streamed = true
	var buf []byte
	for off := 0; off < len(body); off += piece {
		end := min(off+piece, len(body))
		buf = append(buf, body[off:end]...)
		if r.UploadHeld() != len(buf)-(end-off) {
			t.Fatalf("UploadHeld %d, host holds %d", r.UploadHeld(), len(buf)-(end-off))
		}
		var chunk []byte
		if r.UploadReadsBytes() {
			chunk = buf[r.UploadHeld():]
		}
		step, err := r.UploadChunk(end-off, chunk, end == len(body), h)
		if err != nil {
			run.err = err
			return run
		}
		run.maxHeld = max(run.maxHeld, len(buf))
		switch step {
		case UploadHold:
			if end == len(body) {
				t.Fatal("held at end of stream")
			}
			continue
		case UploadRewrite:
			buf = r.RewriteUpload(buf)
		}
		if run.sent == nil {
			run.sent = testHeaders{}
			for k, v := range h {
				run.sent[k] = v
			}
		}
		run.body = append(run.body, buf...)
		buf = nil
	}
	return run
}

func TestUploadPassthrough(t *testing.T) {
	big := strings.Repeat("RIFF\r\n--XyZ-ish audio\r\n--XyZ\t\r", 8000) // ~190 KB, past the hold window
	mapped := `"modelMapping":{"whisper-1":"whisper-large-v3-turbo","gpt-image-1":"dall-e-2"}`
	tests := []struct {
		name, cfg, path, body string
		hdr                   map[string]string
		wantBody, wantPath    string
		wantLength            string // "" for no content-length header
		streamed              bool
	}{
		{name: "no mapping: not read", cfg: `{"type":"openai","apiTokens":["k"]}`, path: "/v1/audio/transcriptions",
			body: formBody("model", "whisper-1", "file@a.wav", big), wantBody: formBody("model", "whisper-1", "file@a.wav", big),
			wantLength: "keep"},
		{name: "model first: rewritten, length adjusted", cfg: `{"type":"groq","apiTokens":["k"],` + mapped + `}`, path: "/v1/audio/transcriptions",
			body: formBody("model", "whisper-1", "file@a.wav", big), wantBody: formBody("model", "whisper-large-v3-turbo", "file@a.wav", big),
			wantLength: "new", streamed: true},
		{name: "model after the file: rewritten, chunked", cfg: `{"type":"openai","apiTokens":["k"],` + mapped + `}`, path: "/v1/audio/transcriptions",
			body: formBody("file@a.wav", big, "model", "whisper-1", "language", "en"), wantBody: formBody("file@a.wav", big, "model", "whisper-large-v3-turbo", "language", "en"),
			streamed: true},
		{name: "model after a small file: length adjusted", cfg: `{"type":"openai","apiTokens":["k"],` + mapped + `}`, path: "/v1/images/variations",
			body: formBody("image@a.png", "\x89PNG\r\n", "model", "gpt-image-1"), wantBody: formBody("image@a.png", "\x89PNG\r\n", "model", "dall-e-2"),
			wantLength: "new", streamed: true},
		{name: "unmapped model: untouched", cfg: `{"type":"openai","apiTokens":["k"],` + mapped + `}`, path: "/v1/audio/transcriptions",
			body: formBody("model", "whisper-2", "file@a.wav", "x"), wantBody: formBody("model", "whisper-2", "file@a.wav", "x"),
			wantLength: "keep", streamed: true},
		{name: "no model field", cfg: `{"type":"openai","apiTokens":["k"],` + mapped + `}`, path: "/v1/files",
			body: formBody("purpose", "batch", "file@b.jsonl", big), wantBody: formBody("purpose", "batch", "file@b.jsonl", big), streamed: true},
		{name: "azure: the deployment from the form", cfg: `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=2025-04-01-preview","modelMapping":{"gpt-image-1":"img-deploy"}}`,
			path: "/v1/images/edits", body: formBody("image@a.png", big, "prompt", "hat", "model", "gpt-image-1"),
			wantBody: formBody("image@a.png", big, "prompt", "hat", "model", "gpt-image-1"), wantLength: "keep",
			wantPath: "/openai/deployments/img-deploy/images/edits?api-version=2025-04-01-preview", streamed: true},
		{name: "azure: model first, rewritten too", cfg: `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=2025-04-01-preview","modelMapping":{"gpt-image-1":"img-deploy"}}`,
			path: "/v1/images/variations", body: formBody("model", "gpt-image-1", "image@a.png", "png"),
			wantBody: formBody("model", "img-deploy", "image@a.png", "png"), wantLength: "new",
			wantPath: "/openai/deployments/img-deploy/images/variations?api-version=2025-04-01-preview", streamed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.cfg)
			for _, piece := range []int{32 << 10, 4 << 10, 7, 1} {
				if piece < 7 && len(tt.body) > 10000 {
					continue
				}
				run := runUpload(t, c, tt.path, tt.body, tt.hdr, piece)
				label := fmt.Sprintf("pieces of %d", piece)
				if run.err != nil {
					t.Fatalf("%s: %d %s", label, run.err.Status, run.err.Message)
				}
				if run.streamed != tt.streamed {
					t.Fatalf("%s: streamed %v, want %v", label, run.streamed, tt.streamed)
				}
				if !bytes.Equal(run.body, []byte(tt.wantBody)) {
					t.Fatalf("%s: upstream body differs (%d bytes, want %d)", label, len(run.body), len(tt.wantBody))
				}
				cl, has := run.sent["content-length"]
				switch tt.wantLength {
				case "":
					if has {
						t.Fatalf("%s: content-length %s sent, want none", label, cl)
					}
				case "keep", "new":
					if cl != strconv.Itoa(len(tt.wantBody)) {
						t.Fatalf("%s: content-length %q, want %d", label, cl, len(tt.wantBody))
					}
				}
				if tt.wantPath != "" && run.sent[":path"] != tt.wantPath {
					t.Fatalf("%s: path %q, want %q", label, run.sent[":path"], tt.wantPath)
				}
				if run.sent["authorization"] == "" && run.sent["api-key"] == "" {
					t.Fatalf("%s: no credential sent", label)
				}
				// Held: the hold window and one piece, unless the path needs the model.
				if tt.wantPath == "" && run.maxHeld > UploadHoldBytes+piece+maxFormModel+200 {
					t.Fatalf("%s: host held %d bytes", label, run.maxHeld)
				}
			}
		})
	}
}

func TestUploadErrors(t *testing.T) {
	mapped := mustConfig(t, `{"type":"openai","apiTokens":["k"],"modelMapping":{"*":"m"}}`)
	plain := mustConfig(t, `{"type":"openai","apiTokens":["k"]}`)
	qwen := mustConfig(t, `{"type":"qwen","apiTokens":["k"]}`)
	azure := mustConfig(t, `{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=v1"}`)
	tests := []struct {
		name   string
		c      *Config
		path   string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"past the passthrough limit (length)", plain, "/v1/files", "x", map[string]string{"content-length": strconv.Itoa(MaxUpload + 1)}, 413, "request_too_large"},
		{"past the converted limit (length)", qwen, "/v1/images/edits", "x", map[string]string{"content-length": strconv.Itoa(MaxConvertedUpload + 1)}, 413, "request_too_large"},
		{"malformed form", mapped, "/v1/audio/transcriptions", "--XyZ\r\nno disposition\r\n\r\nx\r\n--XyZ--", nil, 400, "invalid_multipart"},
		{"model field too long", mapped, "/v1/audio/transcriptions", formBody("model", strings.Repeat("m", 300)), nil, 400, "invalid_request"},
		{"azure without a model", azure, "/v1/images/edits", formBody("prompt", "x"), nil, 400, "missing_model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runUpload(t, tt.c, tt.path, tt.body, tt.hdr, 5)
			if run.err == nil || run.err.Status != tt.status || run.err.Code != tt.code {
				t.Fatalf("err %+v, want %d %s", run.err, tt.status, tt.code)
			}
		})
	}
	// Without Content-Length the bytes are counted as they stream.
	r, _ := NewRequest(plain, "/v1/files")
	h := testHeaders{"content-type": "multipart/form-data; boundary=XyZ"}
	if e := r.PrepareUpload(h); e != nil || !r.StreamsBody() {
		t.Fatalf("chunked upload: err %v, streams %v", e, r.StreamsBody())
	}
	piece := make([]byte, 1<<20)
	for i := 0; ; i++ {
		step, e := r.UploadChunk(len(piece), nil, false, h)
		if e != nil {
			if e.Status != 413 || i != MaxUpload>>20 {
				t.Fatalf("piece %d: %d %s", i, e.Status, e.Message)
			}
			if !strings.Contains(string(e.Body(ProtocolOpenAI)), `"code":"request_too_large"`) {
				t.Fatalf("413 body %s", e.Body(ProtocolOpenAI))
			}
			break
		}
		if step != UploadContinue {
			t.Fatalf("piece %d held: a counted upload is never held", i)
		}
	}
}

// TestUploadConverted: a multipart image edit for DashScope is read whole and converted,
// the mapped model in the converted body and in the route.
func TestUploadConverted(t *testing.T) {
	c := mustConfig(t, `{"type":"qwen","apiTokens":["k"],"modelMapping":{"gpt-image-1":"wanx2.1-imageedit"}}`)
	body, err := os.ReadFile("../testdata/multipart/image_edit.form")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewRequest(c, "/v1/images/edits")
	h := testHeaders{":path": "/v1/images/edits", "content-type": "multipart/form-data; boundary=AaB03x", "content-length": strconv.Itoa(len(body))}
	if e := r.PrepareUpload(h); e != nil {
		t.Fatal(e.Message)
	}
	r.RewriteRequestHeaders(h)
	if r.StreamsBody() || !r.NeedsBody() {
		t.Fatalf("a converted form is read whole: streams %v, needs body %v", r.StreamsBody(), r.NeedsBody())
	}
	if _, ok := h["content-length"]; ok {
		t.Fatal("content-length kept on a body that changes")
	}
	out, e := r.RewriteRequestBody(body, h)
	if e != nil {
		t.Fatal(e.Message)
	}
	if m := gjson.GetBytes(out, "model").String(); m != "wanx2.1-imageedit" || r.ClientModel != "gpt-image-1" {
		t.Fatalf("model %q (client %q)", m, r.ClientModel)
	}
	if !strings.HasPrefix(gjson.GetBytes(out, "input.base_image_url").String(), "data:image/png;base64,iVBORw0KGgo") {
		t.Fatalf("base_image_url: %.80s", gjson.GetBytes(out, "input.base_image_url").String())
	}
	if h[":path"] != "/api/v1/services/aigc/image2image/image-synthesis" || h["x-dashscope-async"] != "enable" || h["content-type"] != "application/json" {
		t.Fatalf("headers %v", h)
	}
	// A broken form is a 400, not a panic or a pass.
	r, _ = NewRequest(c, "/v1/images/edits")
	_ = r.PrepareUpload(h)
	if _, e := r.RewriteRequestBody(body[:100], h); e == nil || e.Status != 400 {
		t.Fatalf("cut form: %+v", e)
	}
}

// TestJSONImageEdit: a JSON image edit (image URLs) is read like any JSON body: the
// model mapped, Azure's deployment taken from it.
func TestJSONImageEdit(t *testing.T) {
	body := `{"model":"gpt-image-1","prompt":"a hat","images":[{"image_url":"https://x/a.png"}]}`
	for _, tt := range []struct{ cfg, path, model string }{
		{`{"type":"openai","apiTokens":["k"],"modelMapping":{"gpt-image-1":"gpt-image-1.5"}}`, "/v1/images/edits", "gpt-image-1.5"},
		{`{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=v1","modelMapping":{"gpt-image-1":"dep"}}`,
			"/openai/deployments/dep/images/edits?api-version=v1", "dep"},
	} {
		h, out := upstream(t, mustConfig(t, tt.cfg), "/v1/images/edits", body, map[string]string{"content-type": "application/json"})
		if h[":path"] != tt.path || gjson.Get(out, "model").String() != tt.model {
			t.Errorf("%s: path %q, body %s", tt.cfg, h[":path"], out)
		}
	}
}

// FuzzUpload: any body, in any piece size, through the streamed form: no panic, never
// held at the end, and what goes upstream is the body with at most the model's value
// changed, its length as announced.
func FuzzUpload(f *testing.F) {
	f.Add(formBody("model", "whisper-1", "file@a.wav", "RIFF"), 3)
	f.Add(formBody("file@a.wav", "RIFF\r\n--XyZ\t\r", "model", "whisper-1"), 1)
	f.Add("--XyZ\r\nContent-Disposition: form-data; name=model\r\n\r\nwhisper-1", 2)
	c := mustConfig(f, `{"type":"openai","apiTokens":["k"],"modelMapping":{"whisper-1":"whisper-large-v3-turbo-x"}}`)
	f.Fuzz(func(t *testing.T, body string, piece int) {
		if piece <= 0 || piece > 1<<16 {
			piece = 1 + piece&0xff
		}
		run := runUpload(t, c, "/v1/audio/transcriptions", body, nil, piece)
		if run.err != nil {
			return
		}
		if cl, ok := run.sent["content-length"]; ok && cl != strconv.Itoa(len(run.body)) {
			t.Fatalf("content-length %s on %d bytes", cl, len(run.body))
		}
		got := strings.Replace(string(run.body), "whisper-large-v3-turbo-x", "whisper-1", 1)
		if got != body && string(run.body) != body {
			t.Fatalf("upstream body %q\nfrom %q", run.body, body)
		}
	})
}
