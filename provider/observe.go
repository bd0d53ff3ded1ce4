package provider

import (
	"bytes"

	"github.com/ai-proxy/ai-proxy/provider/telemetry"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Observe makes the request read its answer for token usage even where it passes through
// unchanged (monitoring). Call it before RewriteRequestHeaders: an observed answer is
// asked for uncompressed, like a converted one.
func (r *Request) Observe() {
	if r.translator != nil || r.Config.Original {
		return // a converter counts usage itself; original-protocol answers are opaque
	}
	if kind, ok := usageKind(r.API); ok {
		r.scanner = telemetry.NewScanner(kind)
	}
}

// Observing reports whether a passed-through answer is read — for usage (see Observe),
// or, for a stream, to see that it ends with its protocol's last event — and whether it
// is a stream: then the plugin hands its pieces to ObserveChunk, else its whole body to
// ObserveBody. Valid after RewriteResponseHeaders.
func (r *Request) Observing() (observed, stream bool) {
	return (r.scanner != nil || r.watch) && r.status/100 == 2, r.streaming
}

// watchStream marks a passed-through streaming request whose answer is watched for its
// last event, and asks for it uncompressed (a compressed stream cannot be watched).
func (r *Request) watchStream(h Headers) {
	if r.translator != nil || r.Config.Original || !r.Stream {
		return
	}
	switch r.API {
	case APIChatCompletion, APICompletion, APIAnthropicMessages, APIResponses:
		r.watch = true
		h.Set("accept-encoding", "identity")
	}
}

// usageKind is the answer format of an API that reports token usage.
func usageKind(api API) (telemetry.Kind, bool) {
	switch api {
	case APIChatCompletion, APICompletion:
		return telemetry.OpenAIChat, true
	case APIEmbeddings:
		return telemetry.OpenAIEmbeddings, true
	case APIResponses:
		return telemetry.OpenAIResponses, true
	case APIAnthropicMessages:
		return telemetry.Anthropic, true
	case APICohereRerank:
		return telemetry.Rerank, true
	}
	return 0, false
}

// ObserveBody reads a whole passed-through answer.
func (r *Request) ObserveBody(body []byte) {
	if r.scanner != nil {
		r.scanner.Body(body)
	}
}

// ObserveChunk reads the next piece of a passed-through stream and returns what to append
// to it: nothing while it goes well, and at its end, when the upstream stopped before
// the protocol's last event (OpenAI `[DONE]`, Anthropic `message_stop`), an error in the
// client's protocol, so that the cut never passes for a complete answer.
func (r *Request) ObserveChunk(chunk []byte, end bool) []byte {
	if r.scanner != nil {
		r.scanner.Piece(chunk, end)
		r.scanned = end
	}
	r.tail = appendTail(r.tail, chunk)
	if !end || r.API == APIEmbeddings || r.API == APICohereRerank {
		return nil
	}
	terminal := "data: [DONE]"
	if r.Protocol == ProtocolAnthropic {
		terminal = "message_stop"
	} else if r.API == APIResponses {
		terminal = "response.completed"
	}
	if bytes.Contains(r.tail, []byte(terminal)) {
		return nil
	}
	r.truncated = true
	var out []byte
	if len(r.tail) > 0 && !bytes.HasSuffix(r.tail, []byte("\n\n")) {
		out = append(out, "\n\n"...) // end the broken event, which the client then rejects
	}
	if r.Protocol == ProtocolAnthropic {
		out = append(out, "event: error\ndata: "...)
		out = translator.AppendAnthropicError(out, translator.StreamCutMessage, "api_error")
		return append(out, "\n\n"...)
	}
	out = append(out, "data: "...)
	out = translator.AppendOpenAIError(out, translator.StreamCutMessage, "server_error", "stream_truncated")
	return append(out, "\n\ndata: [DONE]\n\n"...)
}

// maxTail is how much of a stream's end is kept to find its terminal event.
const maxTail = 256

// appendTail keeps the last maxTail bytes of a stream.
func appendTail(tail, chunk []byte) []byte {
	if len(chunk) >= maxTail {
		return append(tail[:0], chunk[len(chunk)-maxTail:]...)
	}
	if over := len(tail) + len(chunk) - maxTail; over > 0 {
		tail = append(tail[:0], tail[over:]...)
	}
	return append(tail, chunk...)
}

// Truncated reports whether the answer was cut short by the upstream (a converter or the
// passthrough check ended the client's stream with an error).
func (r *Request) Truncated() bool { return r.truncated }

// InBandError reports whether the first event of a streamed answer (its raw SSE lines)
// is an error the upstream sent with status 200: Anthropic's `event: error`, DashScope's
// `event:error`, or a data object holding an `error` (OpenAI, Gemini). Such an answer
// has no content yet, so another target may still serve the request.
func InBandError(event []byte) bool {
	for len(event) > 0 {
		line := event
		if i := bytes.IndexByte(event, '\n'); i >= 0 {
			line, event = event[:i], event[i+1:]
		} else {
			event = nil
		}
		line = bytes.TrimRight(line, "\r")
		if v, ok := bytes.CutPrefix(line, []byte("event:")); ok && string(bytes.TrimSpace(v)) == "error" {
			return true
		}
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			v = bytes.TrimSpace(v)
			if len(v) > 0 && v[0] == '{' {
				e := gjson.GetBytes(v, "error")
				return e.Exists() && e.Type != gjson.Null
			}
		}
	}
	return false
}

// AnswerID is the id of a passed-through answer (its chat completion, response or
// message id), "" when the plugin did not read it.
func (r *Request) AnswerID() string {
	if r.scanner == nil {
		return ""
	}
	return r.scanner.ID()
}

// ObserveEnd reads what an observed stream left when it ended before its last piece
// reached the plugin (the client went away right after the answer's last event): the
// usage is in the stream's tail, read at its end.
func (r *Request) ObserveEnd() {
	if r.scanner != nil && r.streaming && !r.scanned {
		r.scanner.Piece(nil, true)
		r.scanned = true
	}
}
