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
		r.last.follow = r.API == APIResponses
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
	if len(r.last.tail) > 0 && !bytes.HasSuffix(r.last.tail, []byte("\n\n")) {
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

// lastEvent finds a stream's last event without reading every piece twice: it keeps
// the stream's last maxTail bytes (a copy, the cheap part), where, at the end, the last
// blank line starts the last event and its first line names it. Only an event longer
// than the tail hides its first line; of the terminal events only Responses' can be one
// (response.completed carries the whole response), so for Responses streams (follow)
// the first line of each event begun is kept as the pieces go.
type lastEvent struct {
	tail   []byte // the stream's last maxTail bytes
	seen   int    // bytes of the stream read: up to maxTail, tail holds it whole
	follow bool   // keep the head of every event begun (Responses)
	head   []byte // (follow) the first line of the last event begun, up to maxHead bytes
	inHead bool   // (follow) the head's line goes on in the next piece
	nl     int    // (follow) newlines at the end of what was read: a boundary may span pieces
}

const (
	maxTail = 256 // how much of a stream's end is kept: [DONE] and message_stop are ~50 bytes
	maxHead = 64  // enough of an event's first line to name it
)

func (e *lastEvent) feed(b []byte) {
	if len(b) == 0 {
		return
	}
	e.seen += len(b)
	if len(b) >= maxTail {
		e.tail = append(e.tail[:0], b[len(b)-maxTail:]...)
	} else {
		if over := len(e.tail) + len(b) - maxTail; over > 0 {
			e.tail = append(e.tail[:0], e.tail[over:]...)
		}
		e.tail = append(e.tail, b...)
	}
	if e.follow {
		e.followHeads(b)
	}
}

// followHeads keeps the first line of the last event that begins in b, or goes on
// with the one begun before.
func (e *lastEvent) followHeads(b []byte) {
	body := bytes.TrimRight(b, "\r\n")
	trailing := bytes.Count(b[len(body):], []byte("\n"))
	if len(body) == 0 {
		e.nl += trailing
		e.inHead = e.inHead && trailing == 0
		return
	}
	start := lastBoundary(body)
	if lead := len(body) - len(bytes.TrimLeft(body, "\r\n")); start < 0 && e.nl+bytes.Count(body[:lead], []byte("\n")) >= 2 {
		start = lead // the blank line spans the pieces
	}
	line := body
	switch {
	case start >= 0:
		e.head, e.inHead, line = e.head[:0], true, body[start:]
	case !e.inHead:
		e.nl = trailing
		return
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line, e.inHead = line[:i], false
	} else {
		e.inHead = trailing == 0
	}
	e.head = append(e.head, line[:min(len(line), maxHead-len(e.head))]...)
	e.nl = trailing
}

// lastBoundary returns where the last event that begins after a blank line in b
// begins, or -1; b does not end with a newline.
func lastBoundary(b []byte) int {
	for k := len(b); k > 0; {
		i := bytes.LastIndexByte(b[:k], '\n')
		switch {
		case i < 1:
			return -1
		case b[i-1] == '\n', i > 1 && b[i-1] == '\r' && b[i-2] == '\n':
			return i + 1
		}
		k = i
	}
	return -1
}

// last returns the first line of the stream's last event and whether that event
// ended (its blank line came); head is nil when it is unknown.
func (e *lastEvent) last() (head []byte, ended bool) {
	body := bytes.TrimRight(e.tail, "\r\n")
	ended = bytes.Count(e.tail[len(body):], []byte("\n")) >= 2
	start := lastBoundary(body)
	switch {
	case start >= 0:
	case e.seen <= maxTail: // the stream's start is an event's
		start = 0
	case e.follow:
		return bytes.TrimRight(e.head, "\r"), ended
	default:
		return nil, ended
	}
	head = body[start:]
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return bytes.TrimRight(head, "\r"), ended
}

// is reports whether the stream ended with one of names, whole: its `event:` line names
// it, or, in streams without them, its `data:` line (`[DONE]`, or an object whose "type"
// it is). An event counts when its blank line came (an SSE client drops one cut before
// it); `[DONE]` has nothing to lose and counts without.
func (e *lastEvent) is(names []string) bool {
	head, ended := e.last()
	for _, n := range names {
		if v, ok := bytes.CutPrefix(head, []byte("event:")); ok && string(bytes.TrimSpace(v)) == n {
			return ended
		}
		if v, ok := bytes.CutPrefix(head, []byte("data:")); ok {
			v = bytes.TrimSpace(v)
			if string(v) == n || bytes.HasPrefix(v, []byte(`{"type":"`+n+`"`)) {
				return ended || n == "[DONE]"
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
