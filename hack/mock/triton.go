package mock

import (
	"strings"

	"github.com/tidwall/gjson"
)

// NVIDIA Triton Inference Server's generate extension: POST
// /v2/models/{model}[/versions/{version}]/generate and .../generate_stream with
// {"text_input", "parameters"}, no credential. generate answers {"model_name",
// "model_version", "text_output"}; generate_stream sends one such object per `data:`
// event, each with the next piece of text, and simply ends (Triton has no terminal
// event). Errors are {"error": "<message>"}: with status 400 before inference (no
// text_input, the model mock-error-NNN: status NNN), or as an event of a 200 stream
// (mock-error-midstream).
func (x *exchange) triton() {
	in := x.req.Get("text_input")
	if in.Type != gjson.String {
		x.fail(400, "generate request must have 'text_input' field of type string")
		return
	}
	if p := x.req.Get("parameters"); p.Exists() && !p.IsObject() {
		x.fail(400, "generate request 'parameters' must be a JSON object")
		return
	}
	model, version := tritonModel(x.r.URL.Path)
	if version == "" {
		version = "1"
	}
	pieces := splitWords("Hello from the mock " + model + "! You said: " + truncate(lastLine(in.Str), 120))
	if x.words > 0 {
		pieces = generatedWords(x.words)
	}
	out := func(text string) []byte {
		return mustJSON(map[string]any{"model_name": model, "model_version": version, "text_output": text})
	}
	if !x.streaming() {
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(200)
		x.w.Write(out(join(pieces)))
		return
	}
	s := x.startStreamAs("text/event-stream; charset=utf-8")
	for i, p := range pieces {
		if i == 2 && x.midstream() {
			s.send(sseData(mustJSON(map[string]any{"error": "in ensemble 'ensemble', Executor failed process requestId 1 due to the following error: out of memory"})))
			return
		}
		if s.send(sseData(out(p))) != nil {
			return
		}
	}
}

// isTritonPath reports whether p is a generate endpoint.
func isTritonPath(p string) bool {
	return strings.HasPrefix(p, "/v2/models/") && (strings.HasSuffix(p, "/generate") || strings.HasSuffix(p, "/generate_stream"))
}

// tritonModel reads the model name and version of a generate path.
func tritonModel(p string) (model, version string) {
	rest := strings.TrimPrefix(p, "/v2/models/")
	rest = rest[:strings.LastIndexByte(rest, '/')]
	model, version, _ = strings.Cut(rest, "/versions/")
	return model, version
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
