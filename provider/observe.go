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
// the protocol's last event (OpenAI `[DONE]`, Anthropic `message_stop`, Responses
// `response.completed`/`incomplete`/`failed`), an error in the client's protocol, so
// that the cut never passes for a complete answer.
func (r *Request) ObserveChunk(chunk []byte, end bool) []byte {
	if r.scanner != nil {
		r.scanner.Piece(chunk, end)
		r.scanned = end
	}
	r.last.feed(chunk)
	if !end || r.API == APIEmbeddings || r.API == APICohereRerank {
		return nil
	}
	if r.last.is(r.terminalEvents()) {
		return nil
	}
	r.truncated = true
	var out []byte
	if r.last.read && r.last.newlines < 2 {
		out = append(out, "\n\n"...) // end the broken event, which the client then rejects
	}
	if r.Protocol == ProtocolAnthropic {
		out = append(out, "event: error\ndata: "...)
		out = translator.AppendAnthropicError(out, translator.StreamCutMessage, "api_error")
		return append(out, "\n\n"...)
	}
	// A data object holding "error" is what the OpenAI SDKs raise, for chat and
	// Responses streams alike (a Responses `error` event they would only yield).
	out = append(out, "data: "...)
	out = translator.AppendOpenAIError(out, translator.StreamCutMessage, "server_error", "stream_truncated")
	return append(out, "\n\ndata: [DONE]\n\n"...)
}

// terminalEvents are the names of the events a complete stream of the request's
// protocol ends with.
func (r *Request) terminalEvents() []string {
	switch {
	case r.Protocol == ProtocolAnthropic:
		return []string{"message_stop"}
	case r.API == APIResponses:
		return []string{"response.completed", "response.incomplete", "response.failed"}
	}
	return []string{"[DONE]"}
}

// lastEvent follows a stream's event boundaries (blank lines) across its pieces and
// keeps the first line of the last event begun. That line names the event (`event:
// response.completed`, `data: [DONE]`) however long its data is: a Responses stream's
// last event carries the whole response, kilobytes from the stream's end.
type lastEvent struct {
	head     []byte // the first line of the last event, up to maxHead bytes
	inHead   bool   // the head's line goes on in the next piece
	newlines int    // newlines at the end of what was read: a boundary may span pieces
	read     bool   // anything but newlines was read
}

// maxHead is enough of an event's first line to name it.
const maxHead = 64

func (e *lastEvent) feed(b []byte) {
	body := bytes.TrimRight(b, "\r\n")
	trailing := bytes.Count(b[len(body):], []byte("\n"))
	if len(body) == 0 {
		e.newlines += trailing
		e.inHead = e.inHead && trailing == 0
		return
	}
	e.read = true
	start := -1 // where the last event that begins in this piece begins
	if i := max(bytes.LastIndex(body, []byte("\n\n")), bytes.LastIndex(body, []byte("\n\r\n"))); i >= 0 {
		start = i + bytes.IndexByte(body[i+1:], '\n') + 2
	} else if lead := len(body) - len(bytes.TrimLeft(body, "\r\n")); e.newlines+bytes.Count(body[:lead], []byte("\n")) >= 2 {
		start = lead
	}
	line := body
	switch {
	case start >= 0:
		e.head, e.inHead, line = e.head[:0], true, body[start:]
	case !e.inHead:
		e.newlines = trailing
		return
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line, e.inHead = line[:i], false
	} else {
		e.inHead = trailing == 0
	}
	e.head = append(e.head, line[:min(len(line), maxHead-len(e.head))]...)
	e.newlines = trailing
}

// is reports whether the stream ended with one of names, whole: its `event:` line names
// it, or, in streams without them, its `data:` line (`[DONE]`, or an object whose "type"
// it is). An event counts when its blank line came (an SSE client drops one cut before
// it); `[DONE]` has nothing to lose and counts without.
func (e *lastEvent) is(names []string) bool {
	head := bytes.TrimRight(e.head, "\r")
	for _, n := range names {
		if v, ok := bytes.CutPrefix(head, []byte("event:")); ok && string(bytes.TrimSpace(v)) == n {
			return e.newlines >= 2
		}
		if v, ok := bytes.CutPrefix(head, []byte("data:")); ok {
			v = bytes.TrimSpace(v)
			if string(v) == n || bytes.HasPrefix(v, []byte(`{"type":"`+n+`"`)) {
				return e.newlines >= 2 || n == "[DONE]"
			}
		}
	}
	return false
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
