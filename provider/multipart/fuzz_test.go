package multipart

import (
	"bytes"
	"io"
	stdmp "mime/multipart"
	"testing"
)

// FuzzParse: any body, split anywhere, never panics and gives the same fields as the
// whole body; a body Go's mime/multipart reads as a form gives the same fields here.
func FuzzParse(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nqwen\r\n--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--B--\r\n"), 7)
	f.Add([]byte("--B\r\n\r\n\r\n--B--"), 3)
	f.Add([]byte("pre\r\n--B  \r\ncontent-disposition: form-data; name=a\r\n\r\n\r\n--B\r\n--B--"), 12)
	f.Fuzz(func(t *testing.T, body []byte, split int) {
		whole, werr := Parse(body, "B")
		if split < 0 {
			split = -split
		}
		if len(body) > 0 {
			split %= len(body) + 1
		} else {
			split = 0
		}
		got, err := collect(body, "B", []int{split})
		if (err == nil) != (werr == nil) {
			t.Fatalf("split at %d: err %v, whole: %v", split, err, werr)
		}
		if werr == nil {
			sameFields(t, "split", got, whole)
			checkStd(t, body, whole)
		}
	})
}

// checkStd compares a form this parser accepted with Go's reading of it, where Go reads
// it all (Go accepts less: it also requires header syntax this parser ignores).
func checkStd(t *testing.T, body []byte, fields []Field) {
	if bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
		return // Go also ends header lines at a bare LF; this parser needs CRLF
	}
	r := stdmp.NewReader(bytes.NewReader(body), "B")
	var names []string
	var values [][]byte
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return // Go stops at something: its reading of the earlier parts is no reference
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return
		}
		names, values = append(names, p.FormName()), append(values, data)
	}
	for i := range min(len(values), len(fields)) {
		if names[i] == fields[i].Name && !bytes.Equal(values[i], fields[i].Value) {
			t.Fatalf("field %d (%s): %q, Go's mime/multipart reads %q", i, fields[i].Name, fields[i].Value, values[i])
		}
	}
}
