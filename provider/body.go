package provider

import (
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// bodyFields is what RewriteRequestBody reads from a request body: the raw values of
// the first top-level "model", "stream" and "stream_options" members ("" when absent)
// and where the edits go. One Scan finds them all and validates the body on the way
// (gjson.Valid's rules): a 1 MB body is read once, not once per field.
type bodyFields struct {
	model, stream, streamOptions string
	modelAt                      int  // offset of the model's value
	end                          int  // offset of the top-level object's closing brace; -1: no object
	empty                        bool // the object has no members
}

// readBodyFields scans body; ok is false when it is not valid JSON.
func readBodyFields(body []byte) (f bodyFields, ok bool) {
	f.end = -1
	s := translator.NewScan(translator.View(body))
	for s.Next() {
		switch s.Key() {
		case "model":
			if f.model == "" {
				f.model, f.modelAt = s.Value(), s.Offset()
			}
		case "stream":
			if f.stream == "" {
				f.stream = s.Value()
			}
		case "stream_options":
			if f.streamOptions == "" {
				f.streamOptions = s.Value()
			}
		}
	}
	if !s.Valid() {
		return f, false
	}
	if i := s.Offset() - 1; i >= 0 && i < len(body) && body[i] == '}' {
		f.end = i
	}
	return f, true
}

// includeUsage is the member asking an OpenAI-compatible upstream for usage in the
// last chunk of a stream.
const includeUsage = `"stream_options":{"include_usage":true}`

// spliceBody returns body with the model's value replaced by model (when setModel)
// and the include_usage member added (when addUsage: the body is a streaming request,
// so the object has members), copying body once.
func spliceBody(body []byte, f *bodyFields, setModel bool, model string, addUsage bool) []byte {
	out := make([]byte, 0, len(body)+len(model)+len(includeUsage)+8)
	rest := 0
	if setModel {
		out = append(out, body[:f.modelAt]...)
		out = translator.AppendString(out, model)
		rest = f.modelAt + len(f.model)
	}
	if addUsage {
		out = append(out, body[rest:f.end]...)
		out = append(out, ',')
		out = append(out, includeUsage...)
		rest = f.end
	}
	return append(out, body[rest:]...)
}
