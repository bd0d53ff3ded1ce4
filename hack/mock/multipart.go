package mock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// OpenAI's multipart uploads, as api.openai.com takes them (any prefix before the path):
//
//   - POST .../audio/transcriptions and .../audio/translations: `file` and `model`
//     required; answers {"text": ...} (response_format json, the default) or the bare
//     text (text, srt, vtt).
//   - POST .../images/edits: `image` (or `image[]`, one or more files) and `prompt`;
//     POST .../images/variations: `image`. Both answer {"created","data":[{"url"}]}.
//   - POST .../files: `file` and `purpose`; answers the file object. GET .../files
//     lists the files uploaded to this Handler ({"object":"list","data":[...]}).
//
// The answers say what arrived, so a test through a gateway can check that the upload
// reached the provider intact: the transcript is "<model> heard <n> bytes sha256 <hex>",
// image URLs end in <model>-<sha256 of the first image>.png, a file's id is
// file-<first 24 hex digits of its sha256>.

// UploadDigest is the hex SHA-256 the mock reports for an uploaded file.
func UploadDigest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// uploadPath reports the multipart endpoints.
func uploadPath(p string) bool {
	for _, s := range []string{"/audio/transcriptions", "/audio/translations", "/images/edits", "/images/variations", "/files"} {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// mockFile is one upload kept for the file list.
type mockFile struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Bytes     int    `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
	Status    string `json:"status"`
}

var (
	filesMu sync.Mutex
	files   = map[*Handler][]mockFile{}
)

// form reads a multipart/form-data body: text fields, and files by field name.
func (x *exchange) form() (fields map[string]string, uploads map[string][][]byte, names map[string]string, ok bool) {
	mt, params, err := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		x.fail(http.StatusBadRequest, "expected a multipart/form-data body")
		return nil, nil, nil, false
	}
	fields, uploads, names = map[string]string{}, map[string][][]byte{}, map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(x.body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, uploads, names, true
		}
		if err != nil {
			x.fail(http.StatusBadRequest, "malformed multipart body: "+err.Error())
			return nil, nil, nil, false
		}
		data, err := io.ReadAll(p)
		if err != nil {
			x.fail(http.StatusBadRequest, "malformed multipart body: "+err.Error())
			return nil, nil, nil, false
		}
		name := strings.TrimSuffix(p.FormName(), "[]")
		if p.FileName() != "" {
			uploads[name] = append(uploads[name], data)
			names[name] = p.FileName()
		} else if _, dup := fields[name]; !dup {
			fields[name] = string(data)
		}
	}
}

// upload answers the multipart endpoints (and the file list).
func (x *exchange) upload() {
	p := x.r.URL.Path
	if strings.HasSuffix(p, "/files") && x.r.Method == http.MethodGet {
		filesMu.Lock()
		list := append([]mockFile{}, files[x.h]...)
		filesMu.Unlock()
		writeJSON(x.w, map[string]any{"object": "list", "data": list, "has_more": false})
		return
	}
	if x.r.Method != http.MethodPost {
		x.fail(http.StatusMethodNotAllowed, "mock: "+x.r.Method+" not allowed on "+p)
		return
	}
	fields, uploads, names, ok := x.form()
	if !ok {
		return
	}
	if status, bad := errorModel(fields["model"]); bad {
		x.fail(status, "mock error requested by model name")
		return
	}
	required := func(names ...string) bool {
		for _, n := range names {
			_, isField := fields[n]
			if !isField && len(uploads[n]) == 0 {
				x.fail(http.StatusBadRequest, "missing required parameter: '"+n+"'")
				return false
			}
		}
		return true
	}
	switch {
	case strings.HasSuffix(p, "/audio/transcriptions"), strings.HasSuffix(p, "/audio/translations"):
		if !required("file", "model") || len(uploads["file"]) == 0 {
			return
		}
		f := uploads["file"][0]
		text := fields["model"] + " heard " + strconv.Itoa(len(f)) + " bytes sha256 " + UploadDigest(f)
		switch fields["response_format"] {
		case "text", "srt", "vtt":
			x.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			x.w.Write([]byte(text + "\n"))
		default:
			writeJSON(x.w, map[string]any{"text": text})
		}
	case strings.HasSuffix(p, "/images/edits"), strings.HasSuffix(p, "/images/variations"):
		need := []string{"image"}
		if strings.HasSuffix(p, "/edits") {
			need = append(need, "prompt")
		}
		if !required(need...) || len(uploads["image"]) == 0 {
			if len(uploads["image"]) == 0 && fields["image"] != "" {
				x.fail(http.StatusBadRequest, "'image' must be a file")
			}
			return
		}
		model := fields["model"]
		if model == "" {
			model = "dall-e-2"
		}
		writeJSON(x.w, map[string]any{"created": 1700000000, "data": []map[string]any{
			{"url": ImageURLPrefix + model + "-" + UploadDigest(uploads["image"][0]) + ".png"}}})
	default: // files
		if !required("file", "purpose") || len(uploads["file"]) == 0 {
			return
		}
		f := mockFile{ID: "file-" + UploadDigest(uploads["file"][0])[:24], Object: "file", Bytes: len(uploads["file"][0]),
			CreatedAt: 1700000000, Filename: names["file"], Purpose: fields["purpose"], Status: "processed"}
		filesMu.Lock()
		files[x.h] = append(files[x.h], f)
		filesMu.Unlock()
		writeJSON(x.w, f)
	}
}
