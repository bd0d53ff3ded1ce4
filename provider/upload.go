package provider

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/multipart"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Multipart uploads (OpenAI's images.edit, images.createVariation, audio.transcriptions,
// audio.translations, files.create, videos.create).
//
// A provider that converts the request (DashScope image edits) gets the whole form: the
// plugin buffers it, up to MaxConvertedUpload, and the converter reads the parts in place.
// Every other provider gets the form as the client sent it, streamed, never buffered:
// only credentials change, and the `model` field when modelMapping (or a routing target)
// changes it, or when the upstream path needs the model (Azure deployments). Then the
// plugin follows the form as it streams, holding the request only until the model field
// has passed:
//   - a model field within the first UploadHoldBytes is rewritten and Content-Length
//     adjusted; the rest of the body streams on untouched;
//   - a model field that comes later (openai-go sends it after the file) is rewritten
//     in the piece that carries it, and the request goes upstream without
//     Content-Length (chunked), as the length is only known once the file has passed;
//   - an upstream path that names the model holds the request until the model field
//     (in the gateway's buffer, not the plugin's); the field is then rewritten only if
//     it came within UploadHoldBytes (the path carries the deployment either way).
//
// Past the limit (Content-Length, or the bytes counted as they stream) the client gets
// 413 in its protocol.
const (
	// MaxConvertedUpload bounds a multipart body the plugin buffers to convert: DashScope
	// takes images up to 10 MB, and the converted JSON carries them base64 (4/3 larger).
	MaxConvertedUpload = 10 << 20
	// MaxUpload bounds a multipart body streamed through: OpenAI's largest upload (a
	// file for the Files API) is 512 MB.
	MaxUpload = 512 << 20
	// UploadHoldBytes is how much of a streamed form the plugin holds waiting for the
	// model field before it lets the request go on.
	UploadHoldBytes = 64 << 10
	// maxFormModel bounds the model field's value.
	maxFormModel = 256
)

// UploadStep says what to do with the piece of a streamed upload just read.
type UploadStep uint8

const (
	// UploadContinue lets what the host holds go on unchanged.
	UploadContinue UploadStep = iota
	// UploadHold keeps the piece (and the request) held.
	UploadHold
	// UploadRewrite replaces what the host holds with RewriteUpload of it, then lets it go.
	UploadRewrite
)

// upload is the state of one multipart request body.
type upload struct {
	boundary string
	limit    int64
	length   int64 // the client's Content-Length; -1 without one

	p          *multipart.Parser // follows a streamed form for its model field; nil when done
	seen       int64             // body bytes read so far
	held       int               // bytes the host holds, read but not let go
	released   bool              // the headers went on
	inModel    bool
	modelDone  bool // the whole model field was read
	model      []byte
	modelStart int64 // body offsets of the model field's value
	modelEnd   int64
	rewrite    bool // the model field's value is to be replaced in what is held
}

var errModelTooLong = errors.New("the form's model field is longer than " + strconv.Itoa(maxFormModel) + " bytes")

// takesUploads reports the APIs OpenAI's SDKs send as multipart/form-data.
func (a API) takesUploads() bool {
	switch a {
	case APIImageEdit, APIImageVariation, APIAudioTranscription, APIAudioTranslation, APIFiles, APIVideos:
		return true
	}
	return false
}

// PrepareUpload reads a multipart request's headers before RewriteRequestHeaders: a body
// past the limit is answered 413 (returned), and the request learns whether its form is
// converted (read whole, NeedsBody) or streamed (StreamsBody). Requests on other APIs
// cost nothing here, not even a header read.
func (r *Request) PrepareUpload(h Headers) *Error {
	if !r.API.takesUploads() {
		return nil
	}
	boundary, ok := multipart.Boundary(h.Get("content-type"))
	if !ok {
		return nil
	}
	u := &upload{boundary: boundary, limit: MaxUpload, length: -1}
	if r.translator != nil {
		u.limit = MaxConvertedUpload
	}
	if v := h.Get("content-length"); v != "" {
		u.length, _ = strconv.ParseInt(v, 10, 64)
	}
	if u.length > u.limit {
		return tooLarge(u.limit)
	}
	if r.translator == nil && (r.Config.ModelMapping != nil || r.ModelOverride != "" || strings.Contains(r.Path, "{model}")) {
		u.p = multipart.NewParser(boundary)
	}
	r.upload = u
	return nil
}

func tooLarge(limit int64) *Error {
	return errorf(413, "request_too_large", "multipart upload larger than "+strconv.FormatInt(limit>>20, 10)+
		" MiB, the limit for this request")
}

// StreamsBody reports whether the plugin follows the request body piece by piece with
// UploadChunk (a streamed form whose model field may change, or whose length is only
// known as it streams) instead of buffering it (NeedsBody) or not reading it at all.
func (r *Request) StreamsBody() bool {
	return r.upload != nil && r.translator == nil && (r.upload.p != nil || r.upload.length < 0)
}

// UploadHeld is how many bytes of the body the host holds for the plugin: the next
// piece starts there in the host's buffer.
func (r *Request) UploadHeld() int { return r.upload.held }

// UploadReadsBytes reports whether UploadChunk needs the bytes of the next piece; when
// not, it only counts them (the model field has passed, or there is none to look for).
func (r *Request) UploadReadsBytes() bool { return r.upload.p != nil }

// UploadChunk reads the next piece of a streamed form, n bytes the host received past
// UploadHeld (chunk holds them when UploadReadsBytes), and says what to do with it.
// Headers that depend on the model (path, Content-Length) are set on h while the
// request is still held. A non-nil Error is the answer to send instead (413 past the
// limit, 400 for a form that cannot be read).
func (r *Request) UploadChunk(n int, chunk []byte, end bool, h Headers) (UploadStep, *Error) {
	u := r.upload
	u.seen += int64(n)
	if u.seen > u.limit {
		return 0, tooLarge(u.limit)
	}
	if u.p != nil {
		if err := u.p.Feed(chunk, end, u.watch); err != nil {
			if err == errModelTooLong {
				return 0, errorf(400, "invalid_request", err.Error())
			}
			return 0, errorf(400, "invalid_multipart", "cannot read the multipart body: "+err.Error())
		}
	}
	step := UploadContinue
	switch {
	case u.p == nil: // not following the form (any more)
	case u.modelDone:
		step = r.modelRead(h)
	case end:
		u.p = nil
		if strings.Contains(r.Path, "{model}") {
			return 0, errorf(400, "missing_model", "the form has no model field, and provider type "+
				strconv.Quote(r.Config.Type)+" needs one in its path")
		}
		if !u.released {
			r.sendPath(h)
		}
	case u.inModel, !u.released && (u.held+n <= UploadHoldBytes || strings.Contains(r.Path, "{model}")):
		step = UploadHold
	case !u.released:
		// The model comes later: its length change cannot be announced any more.
		h.Del("content-length")
		r.sendPath(h)
	}
	if step == UploadHold {
		u.held += n
	} else {
		u.held = 0
		u.released = true
	}
	return step, nil
}

// watch collects the first `model` field of a streamed form.
func (u *upload) watch(e *multipart.Event) error {
	switch {
	case u.modelDone:
	case e.Kind == multipart.PartStart && e.Part.Name == "model" && e.Part.FileName == "":
		u.inModel, u.modelStart = true, e.Offset
	case !u.inModel:
	case e.Kind == multipart.Data:
		if len(u.model)+len(e.Data) > maxFormModel {
			return errModelTooLong
		}
		u.model = append(u.model, e.Data...)
	case e.Kind == multipart.PartEnd:
		u.inModel, u.modelDone, u.modelEnd = false, true, e.Offset
	}
	return nil
}

// modelRead maps the model field just read and decides how the upstream gets it.
func (r *Request) modelRead(h Headers) UploadStep {
	u := r.upload
	u.p = nil // nothing more to learn from the form
	r.setModel(string(u.model))
	step := UploadContinue
	if r.Model != r.ClientModel {
		fits := u.released || u.held <= UploadHoldBytes
		if fits {
			step = UploadRewrite
			u.rewrite = true
			if !u.released && u.length >= 0 {
				h.Set("content-length", strconv.FormatInt(u.length+int64(len(r.Model)-len(u.model)), 10))
			}
		}
	}
	if !u.released {
		r.sendPath(h)
	}
	return step
}

// setModel records the client's model and maps it (routing target first, then the
// provider's modelMapping).
func (r *Request) setModel(client string) {
	r.ClientModel, r.Model = client, client
	if r.ModelOverride != "" {
		r.Model = r.ModelOverride
	}
	r.Model = r.Config.ModelMapping.Map(r.Model)
}

// sendPath sets the upstream path once the model is known (or known to be absent).
func (r *Request) sendPath(h Headers) {
	if strings.Contains(r.Path, "{model}") && r.Model != "" {
		r.Path = strings.ReplaceAll(r.Path, "{model}", r.Model)
		h.Set(":path", r.Path)
	}
}

// RewriteUpload returns held (what the host holds after UploadChunk said UploadRewrite:
// the body's bytes up to those read so far) with the model field's value replaced.
func (r *Request) RewriteUpload(held []byte) []byte {
	u := r.upload
	base := u.seen - int64(len(held))
	a, b := u.modelStart-base, u.modelEnd-base
	if !u.rewrite || a < 0 || b > int64(len(held)) || a > b {
		return held // cannot happen: the field is held until it is whole
	}
	u.rewrite = false
	out := make([]byte, 0, len(held)+len(r.Model)-int(b-a))
	out = append(append(append(out, held[:a]...), r.Model...), held[b:]...)
	return out
}

// rewriteFormBody is RewriteRequestBody for a whole multipart form the plugin buffered to
// convert: the model is read from the form and mapped, then the converter (created again
// now that the form and the model are known) reads the parts in place.
func (r *Request) rewriteFormBody(body []byte, h Headers) ([]byte, *Error) {
	u := r.upload
	if int64(len(body)) > u.limit {
		return nil, tooLarge(u.limit)
	}
	fields, err := multipart.Parse(body, u.boundary)
	if err != nil {
		return nil, errorf(400, "invalid_multipart", "cannot read the multipart body: "+err.Error())
	}
	model := ""
	for _, f := range fields {
		if f.Name == "model" && f.FileName == "" {
			model = string(f.Value)
			break
		}
	}
	r.setModel(model)
	c := r.Config
	if c.spec.Translate != nil {
		r.translator = c.spec.Translate(c, r)
	}
	if r.translator == nil {
		return nil, errorf(400, "unsupported_multipart", "provider type "+strconv.Quote(c.Type)+
			" needs a JSON body here: send JSON with image URLs or data URLs instead of a multipart upload")
	}
	out, err := r.translator.RequestBody(body)
	if err != nil {
		return nil, errorf(400, "invalid_request", err.Error())
	}
	path := strings.ReplaceAll(r.Path, "{model}", r.Model)
	if e, ok := r.translator.(translator.UpstreamEditor); ok {
		path = e.EditUpstream(path, h.Set)
	}
	if path != r.Path {
		r.Path = path
		h.Set(":path", path)
	}
	h.Set("content-type", "application/json")
	return out, nil
}

// formBoundary is the boundary of the request's multipart body, "" when it has none.
func (r *Request) formBoundary() string {
	if r.upload == nil {
		return ""
	}
	return r.upload.boundary
}
