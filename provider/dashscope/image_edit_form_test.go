package dashscope

import (
	"bytes"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Multipart image edits (fixtures in testdata/multipart, boundary AaB03x): the same
// goldens as JSON edits, the files as data URLs.
func init() {
	form := func(model string) func(Options) translator.Translator {
		return func(o Options) translator.Translator { return NewImageEditForm(o, "AaB03x", model) }
	}
	goldenCases = append(goldenCases,
		// openai-go's order (file first, octet-stream): qwen-image-edit, synchronous.
		goldenCase{name: "image_edit_form", newT: form("qwen-image-edit"), in: "../multipart/image_edit.form",
			path: PathImage2Image, wantPath: PathMultimodalGeneration, answer: "image_gen.answer.json", status: 200},
		// Two images and a mask on wanx2.1-imageedit: asynchronous, a task.
		goldenCase{name: "image_edit_form_wanx_mask", newT: form("wanx2.1-imageedit"), in: "../multipart/image_edit_mask.form",
			path: PathImage2Image, wantPath: PathImage2Image, wantHdr: map[string]string{"x-dashscope-async": "enable"},
			answer: "image_async.answer.json", status: 200},
		goldenCase{name: "image_edit_form_wan25", newT: form("wan2.5-i2i-preview"), in: "../multipart/image_edit_mask.form",
			path: PathImage2Image, wantPath: PathImage2Image, wantHdr: map[string]string{"x-dashscope-async": "enable"}},
	)
}

// TestImageEditFormBytes: the image DashScope receives is exactly the uploaded file.
func TestImageEditFormBytes(t *testing.T) {
	png, err := os.ReadFile(testdata + "/../multipart/red16.png")
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewImageEditForm(Options{}, "AaB03x", "qwen-image-edit").RequestBody(readFixture(t, "../multipart/image_edit.form"))
	if err != nil {
		t.Fatal(err)
	}
	u := gjson.GetBytes(out, "input.messages.0.content.0.image").String()
	data, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("image = %.40q, want a PNG data URL", u)
	}
	got, err := base64.StdEncoding.DecodeString(data)
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("image bytes differ from the upload (err %v)", err)
	}
}

func TestImageEditFormErrors(t *testing.T) {
	body := readFixture(t, "../multipart/image_edit.form")
	tests := []struct{ name, body, want string }{
		{"cut form", string(body[:len(body)-10]), "closing boundary"},
		{"no image", "--AaB03x\r\nContent-Disposition: form-data; name=prompt\r\n\r\nx\r\n--AaB03x--", "image: required"},
		{"no prompt", "--AaB03x\r\nContent-Disposition: form-data; name=image; filename=a.png\r\n\r\nx\r\n--AaB03x--", "prompt: required"},
	}
	for _, tt := range tests {
		_, err := NewImageEditForm(Options{}, "AaB03x", "qwen-image-edit").RequestBody([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestImageType(t *testing.T) {
	tests := []struct{ ct, name, data, want string }{
		{"image/webp", "x.png", "", "image/webp"},
		{"application/octet-stream", "x.bin", "\x89PNG\r\n\x1a\nrest", "image/png"},
		{"", "", "\xff\xd8\xff\xe0", "image/jpeg"},
		{"", "photo.JPG", "??", "image/jpeg"},
		{"", "x", "??", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := imageType(tt.ct, tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("imageType(%q, %q) = %q, want %q", tt.ct, tt.name, got, tt.want)
		}
	}
}

// FuzzImageEditForm: any form body converts or fails cleanly, into valid JSON.
func FuzzImageEditForm(f *testing.F) {
	f.Add(readFixture(f, "../multipart/image_edit.form"))
	f.Add(readFixture(f, "../multipart/image_edit_mask.form"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, m := range []string{"qwen-image-edit", "wanx2.1-imageedit", "wan2.5-i2i-preview"} {
			out, err := NewImageEditForm(Options{}, "AaB03x", m).RequestBody(body)
			if err == nil && !gjson.ValidBytes(out) {
				t.Fatalf("%s: invalid JSON %q", m, out)
			}
		}
	})
}
