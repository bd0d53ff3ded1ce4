package multipart

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	stdmp "mime/multipart"
	"net/textproto"
	"testing"
)

// form builds a body with Go's own writer (the reference encoder): fields are name,
// value pairs; a name with a "@" part is a file: "image@a.png".
func form(t testing.TB, boundary string, fields ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := stdmp.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		name, file, isFile := bytes.Cut([]byte(fields[i]), []byte("@"))
		var pw io.Writer
		var err error
		if isFile {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, name, file))
			h.Set("Content-Type", "image/png")
			pw, err = w.CreatePart(h)
		} else {
			pw, err = w.CreateFormField(string(name))
		}
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(fields[i+1]))
	}
	w.Close()
	return b.Bytes()
}

// collect feeds body in the given pieces and rebuilds each field from the events.
func collect(body []byte, boundary string, cuts []int) ([]Field, error) {
	p := NewParser(boundary)
	var fields []Field
	var cur []byte
	var start int64
	fn := func(e *Event) error {
		switch e.Kind {
		case PartStart:
			cur, start = nil, e.Offset
		case Data:
			if e.Offset != start+int64(len(cur)) {
				return fmt.Errorf("data at offset %d, want %d", e.Offset, start+int64(len(cur)))
			}
			cur = append(cur, e.Data...)
		case PartEnd:
			if e.Offset != start+int64(len(cur)) {
				return fmt.Errorf("part end at %d, want %d", e.Offset, start+int64(len(cur)))
			}
			fields = append(fields, Field{Part: *e.Part, Value: cur})
		}
		return nil
	}
	prev := 0
	for _, c := range append(cuts, len(body)) {
		if err := p.Feed(body[prev:c], c == len(body), fn); err != nil {
			return fields, err
		}
		prev = c
	}
	return fields, nil
}

func sameFields(t *testing.T, label string, got, want []Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d fields, want %d", label, len(got), len(want))
	}
	for i := range want {
		if got[i].Part != want[i].Part || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Fatalf("%s: field %d = %+v %q, want %+v %q", label, i, got[i].Part, got[i].Value, want[i].Part, want[i].Value)
		}
	}
}

func TestParseSplitAnywhere(t *testing.T) {
	png := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n\r\n-\r\n--x"), 40) // CRLFs and near-boundaries inside the file
	const boundary = "b0undary"
	body := form(t, boundary, "model", "gpt-image-1", "image@cat.png", string(png), "prompt", "a hat\r\n--b0undar", "empty", "")
	want := []Field{
		{Part{Name: "model"}, []byte("gpt-image-1")},
		{Part{Name: "image", FileName: "cat.png", ContentType: "image/png"}, png},
		{Part{Name: "prompt"}, []byte("a hat\r\n--b0undar")},
		{Part{Name: "empty"}, []byte{}},
	}
	whole, err := Parse(body, boundary)
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, "whole", whole, want)
	for i := 0; i <= len(body); i++ {
		got, err := collect(body, boundary, []int{i})
		if err != nil {
			t.Fatalf("split at %d: %v", i, err)
		}
		sameFields(t, fmt.Sprintf("split at %d", i), got, want)
	}
	// One byte at a time, and random pieces.
	var ones []int
	for i := 1; i < len(body); i++ {
		ones = append(ones, i)
	}
	got, err := collect(body, boundary, ones)
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, "bytewise", got, want)
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		var cuts []int
		for c := r.IntN(7); c < len(body); c += 1 + r.IntN(40) {
			cuts = append(cuts, c)
		}
		got, err := collect(body, boundary, cuts)
		if err != nil {
			t.Fatalf("cuts %v: %v", cuts, err)
		}
		sameFields(t, fmt.Sprint("cuts ", cuts), got, want)
	}
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Field
		err        error
	}{
		{"preamble and epilogue", "ignored\r\n--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--\r\nepilogue",
			[]Field{{Part{Name: "a"}, []byte("1")}}, nil},
		{"LF-free quoting and escapes", "--B\r\ncontent-disposition: form-data; name=\"a\\\"b\"; filename=\"x;y.png\"\r\ncontent-type: image/png\r\n\r\nD\r\n--B--",
			[]Field{{Part{Name: `a"b`, FileName: "x;y.png", ContentType: "image/png"}, []byte("D")}}, nil},
		{"whitespace after boundary", "--B  \r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--", []Field{{Part{Name: "a"}, []byte("1")}}, nil},
		{"no closing boundary", "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n", nil, ErrUnexpectedEnd},
		{"cut in headers", "--B\r\nContent-Disposition: form-da", nil, ErrUnexpectedEnd},
		{"empty body", "", nil, ErrUnexpectedEnd},
		{"not form-data", "--B\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--B--", nil, ErrNoFormData},
		{"no disposition", "--B\r\nContent-Type: text/plain\r\n\r\n1\r\n--B--", nil, ErrNoFormData},
		{"boundary-like text is data", "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--Bx\r\n--B-x\r\n--B \tz\r\n--B--",
			[]Field{{Part{Name: "a"}, []byte("1\r\n--Bx\r\n--B-x\r\n--B \tz")}}, nil},
		{"boundary-like text at the end", "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--Bx--", nil, ErrUnexpectedEnd},
		{"no parts", "--B--", nil, nil},
		{"header too long", "--B\r\nX: " + string(bytes.Repeat([]byte("a"), MaxHeaderBytes)) + "\r\n\r\n\r\n--B--", nil, ErrHeaderTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.body); i++ {
				got, err := collect([]byte(tt.body), "B", []int{i})
				if err != tt.err {
					t.Fatalf("split %d: err %v, want %v", i, err, tt.err)
				}
				if tt.err == nil {
					sameFields(t, fmt.Sprint("split ", i), got, tt.want)
				}
			}
		})
	}
}

func TestBoundary(t *testing.T) {
	tests := []struct {
		ct, want string
		ok       bool
	}{
		{"multipart/form-data; boundary=abc", "abc", true},
		{`Multipart/Form-Data; charset=utf-8; boundary="a b:c"`, "a b:c", true},
		{"multipart/form-data", "", false},
		{"multipart/mixed; boundary=abc", "", false},
		{"application/json", "", false},
		{"multipart/form-data; boundary=" + string(bytes.Repeat([]byte("x"), 71)), "", false},
	}
	for _, tt := range tests {
		got, ok := Boundary(tt.ct)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Boundary(%q) = %q, %v; want %q, %v", tt.ct, got, ok, tt.want, tt.ok)
		}
	}
}

// TestBoundedMemory: a large file streamed in 32 KiB pieces leaves the parser holding
// no more than a boundary's worth of carry, and Data aliases the input pieces.
func TestBoundedMemory(t *testing.T) {
	file := bytes.Repeat([]byte("0123456789abcdef\r\n"), 1<<16) // ~1.2 MB
	body := form(t, "XYZ", "file@big.bin", string(file), "purpose", "batch")
	p := NewParser("XYZ")
	n := 0
	for off := 0; off < len(body); off += 32 << 10 {
		end := min(off+32<<10, len(body))
		if err := p.Feed(body[off:end], end == len(body), func(e *Event) error {
			if e.Kind == Data && e.Part.Name == "file" {
				n += len(e.Data)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if cap(p.carry) > 64 || cap(p.hdr) > MaxHeaderBytes+4 {
			t.Fatalf("parser holds %d bytes of carry, %d of header", cap(p.carry), cap(p.hdr))
		}
	}
	if n != len(file) {
		t.Fatalf("file data %d bytes, want %d", n, len(file))
	}
}

func BenchmarkFeed(b *testing.B) {
	file := bytes.Repeat([]byte("0123456789abcdef\r\n"), 1<<14)
	body := form(b, "XYZ", "model", "whisper-1", "file@a.wav", string(file))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser("XYZ")
		for off := 0; off < len(body); off += 16 << 10 {
			end := min(off+16<<10, len(body))
			if err := p.Feed(body[off:end], end == len(body), func(*Event) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
