package gemini

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var errAnswerNotJSON = errors.New("upstream answer is not valid JSON")

// response is the top level of a GenerateContentResponse, raw values.
type response struct {
	candidates, feedback, usage, model, id, err string
}

func readResponse(s string) (r response, ok bool) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "candidates":
			r.candidates = v
		case "promptFeedback":
			r.feedback = v
		case "usageMetadata":
			r.usage = v
		case "modelVersion":
			r.model = v
		case "responseId":
			r.id = v
		case "error":
			r.err = v
		}
	}
	return r, sc.Valid()
}

// blockReason returns the raw blockReason of a promptFeedback object, or "".
func blockReason(feedback string) string {
	sc := translator.NewScan(feedback)
	for sc.Next() {
		if sc.Key() == "blockReason" {
			return sc.Value()
		}
	}
	return ""
}

// part is one Gemini content part, raw values.
type part struct {
	text, thought, call, sig string
}

func readPart(s string) (p part) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "text":
			p.text = v
		case "thought":
			p.thought = v
		case "functionCall":
			p.call = v
		case "thoughtSignature":
			p.sig = v
		}
	}
	return p
}

// candidate is one candidate's raw fields.
type candidate struct {
	index, parts, finish string
}

func readCandidate(s string) (c candidate) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "index":
			c.index = v
		case "finishReason":
			c.finish = v
		case "content":
			cs := sc.Enter()
			for cs.Next() {
				if cs.Key() == "parts" {
					c.parts = cs.Value()
				}
			}
			sc.Leave(&cs)
		}
	}
	return c
}

// call reads a functionCall object's name and args (raw).
func readCall(s string) (name, args string) {
	sc := translator.NewScan(s)
	for sc.Next() {
		switch sc.Key() {
		case "name":
			name = sc.Value()
		case "args":
			args = sc.Value()
		}
	}
	return name, args
}

// appendStringBody appends the contents of the JSON string literal raw (quotes
// excluded), escapes kept.
func appendStringBody(dst []byte, raw string) []byte {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return append(dst, raw[1:len(raw)-1]...)
	}
	return dst
}

// appendHead appends the id, object, created and model members shared by a completion
// and its chunks.
func appendHead(dst []byte, id, model, object string, created int64) []byte {
	dst = append(dst, `{"id":"chatcmpl-`...)
	if s := translator.Str(id); s != "" {
		dst = appendIDChars(dst, s)
	} else {
		dst = append(dst, "gemini"...)
	}
	dst = append(dst, `","object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	dst = translator.AppendString(dst, model)
	return dst
}

// appendIDChars appends the id-safe characters of s.
func appendIDChars(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			dst = append(dst, c)
		}
	}
	return dst
}

// modelOf is the model to report: Gemini's modelVersion, else the request's.
func (t *Chat) modelOf(raw string) string {
	if m := translator.Str(raw); m != "" {
		return m
	}
	return t.model
}

// ResponseBody implements translator.Translator: a GenerateContentResponse (or Gemini
// error) in, an OpenAI chat completion (or error) out.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if !is2xx(status) {
		return appendError(nil, status, body), nil
	}
	r, ok := readResponse(translator.View(body))
	if !ok {
		return nil, errAnswerNotJSON
	}
	if r.err != "" {
		return appendError(nil, 500, body), nil
	}
	var u usageCounts
	u.read(r.usage)
	model := t.modelOf(r.model)
	t.usage = u.openAI(model)

	dst := appendHead(make([]byte, 0, len(body)+256), r.id, model, "chat.completion", t.now())
	dst = append(dst, `,"choices":[`...)
	n, calls := 0, 0
	sc := translator.NewScan(r.candidates)
	for sc.Next() {
		c := readCandidate(sc.Value())
		if n > 0 {
			dst = append(dst, ',')
		}
		idx, ok := translator.Int(c.index)
		if !ok {
			idx = int64(n)
		}
		n++
		t.buf = t.buf[:0]
		var think []byte
		hasText, hasThink, tools := false, false, 0
		var toolBuf []byte
		ps := translator.NewScan(c.parts)
		for ps.Next() {
			p := readPart(ps.Value())
			switch {
			case p.call != "":
				name, args := readCall(p.call)
				if tools > 0 {
					toolBuf = append(toolBuf, ',')
				}
				tools++
				toolBuf = append(toolBuf, `{"id":`...)
				toolBuf = appendToolID(toolBuf, calls, p.sig)
				calls++
				toolBuf = append(toolBuf, `,"type":"function","function":{"name":`...)
				toolBuf = translator.AppendRawOr(toolBuf, name, `""`)
				toolBuf = append(toolBuf, `,"arguments":`...)
				toolBuf = translator.AppendString(toolBuf, rawOr(args, "{}"))
				toolBuf = append(toolBuf, "}}"...)
			case p.thought == "true":
				hasThink = true
				think = appendStringBody(think, p.text)
			case p.text != "":
				hasText = true
				t.buf = appendStringBody(t.buf, p.text)
			}
		}
		dst = append(dst, `{"index":`...)
		dst = translator.AppendInt(dst, idx)
		dst = append(dst, `,"message":{"role":"assistant","content":`...)
		if hasText {
			dst = append(dst, '"')
			dst = append(dst, t.buf...)
			dst = append(dst, '"')
		} else {
			dst = append(dst, "null"...)
		}
		if hasThink {
			dst = append(dst, `,"reasoning_content":"`...)
			dst = append(dst, think...)
			dst = append(dst, '"')
		}
		if tools > 0 {
			dst = append(dst, `,"tool_calls":[`...)
			dst = append(dst, toolBuf...)
			dst = append(dst, ']')
		}
		dst = append(dst, `},"finish_reason":"`...)
		dst = append(dst, finishReason(translator.Str(c.finish), tools > 0)...)
		dst = append(dst, `"}`...)
	}
	if n == 0 {
		// No candidate: the prompt was blocked (promptFeedback.blockReason) or nothing
		// came back; either way there is no content to show.
		finish := "stop"
		if blockReason(r.feedback) != "" {
			finish = "content_filter"
		}
		dst = append(dst, `{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"`...)
		dst = append(dst, finish...)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"usage":`...)
	dst = appendUsage(dst, t.usage)
	return append(dst, '}'), nil
}

func rawOr(raw, fallback string) string {
	if raw == "" {
		return fallback
	}
	return raw
}

// streamState is what a stream conversion remembers between events.
type streamState struct {
	begun    bool
	id       string
	model    string
	created  int64
	finished bool // a candidate finished, or the prompt was blocked
	done     bool // the client's stream is terminated
	calls    int  // function calls so far (ids call_<n>)
	cands    []candState
	counts   usageCounts
}

type candState struct {
	roleSent bool
	tools    int
}

func (s *streamState) cand(i int64) *candState {
	if i < 0 || i > 64 {
		i = 0
	}
	for int64(len(s.cands)) <= i {
		s.cands = append(s.cands, candState{})
	}
	return &s.cands[i]
}

// ResponseStream implements translator.Translator: Gemini's SSE stream (each `data:` a
// GenerateContentResponse) in, OpenAI chunks out, ending with a usage chunk and
// `data: [DONE]`. A stream that ends before any candidate finished ends with an error
// chunk instead; an event the stream ends inside is discarded.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	st := &t.st
	if !st.done {
		t.rd.Feed(chunk)
		for !st.done {
			ev, ok := t.rd.Next()
			if !ok {
				break
			}
			dst = t.event(dst, ev.Data)
		}
	}
	if end && !st.done {
		if st.finished {
			dst = append(dst, "data: "...)
			dst = appendHead(dst, st.id, t.streamModel(), "chat.completion.chunk", t.streamCreated())
			dst = append(dst, `,"choices":[],"usage":`...)
			dst = appendUsage(dst, t.usage)
			dst = append(dst, "}\n\n"...)
		} else {
			dst = translator.AppendOpenAIErrorEvent(dst, translator.StreamCutMessage, "server_error", "stream_cut")
		}
		dst = append(dst, "data: [DONE]\n\n"...)
		st.done = true
	}
	return dst, nil
}

func (t *Chat) streamModel() string {
	if t.st.model != "" {
		return t.st.model
	}
	return t.model
}

func (t *Chat) streamCreated() int64 {
	if !t.st.begun {
		t.st.begun, t.st.created = true, t.now()
	}
	return t.st.created
}

// event converts one SSE event's data.
func (t *Chat) event(dst, data []byte) []byte {
	st := &t.st
	s := strings.TrimSpace(translator.View(data))
	if s == "" || s == "[DONE]" {
		return dst
	}
	if text, usage, ok := t.shape.Match(s); ok {
		if usage != "" {
			st.counts.read(usage)
			t.usage = st.counts.openAI(t.streamModel())
		}
		return t.shape.Append(dst, text)
	}
	t.shape.Reset()
	r, ok := readResponse(s)
	if !ok {
		st.done = true
		dst = translator.AppendOpenAIErrorEvent(dst, "upstream stream event is not valid JSON", "server_error", "bad_upstream_response")
		return append(dst, "data: [DONE]\n\n"...)
	}
	if r.err != "" {
		st.done = true
		dst = append(dst, "data: "...)
		dst = appendError(dst, 500, data)
		dst = append(dst, "\n\n"...)
		return append(dst, "data: [DONE]\n\n"...)
	}
	created := t.streamCreated()
	if st.id == "" && r.id != "" {
		st.id = strings.Clone(r.id)
	}
	if st.model == "" && r.model != "" {
		st.model = strings.Clone(translator.Str(r.model))
	}
	if r.usage != "" {
		st.counts.read(r.usage)
		t.usage = st.counts.openAI(t.streamModel())
	}
	model := t.streamModel()
	// An event whose one chunk is one text after the role was sent converts the same
	// way whatever the text: its shape may serve the next events.
	start, chunks, textAt, text := len(dst), 0, 0, ""
	shaped := true
	n := 0
	sc := translator.NewScan(r.candidates)
	for sc.Next() {
		c := readCandidate(sc.Value())
		idx, ok := translator.Int(c.index)
		if !ok {
			idx = int64(n)
		}
		n++
		cs := st.cand(idx)
		ps := translator.NewScan(c.parts)
		for ps.Next() {
			p := readPart(ps.Value())
			if p.call == "" && p.text == "" {
				continue // a signature-only part
			}
			shaped = shaped && cs.roleSent
			chunks++
			dst = t.chunkStart(dst, model, created, idx, cs, true)
			switch {
			case p.call != "":
				shaped = false
				name, args := readCall(p.call)
				dst = append(dst, `"tool_calls":[{"index":`...)
				dst = translator.AppendInt(dst, int64(cs.tools))
				cs.tools++
				dst = append(dst, `,"id":`...)
				dst = appendToolID(dst, st.calls, p.sig)
				st.calls++
				dst = append(dst, `,"type":"function","function":{"name":`...)
				dst = translator.AppendRawOr(dst, name, `""`)
				dst = append(dst, `,"arguments":`...)
				dst = translator.AppendString(dst, rawOr(args, "{}"))
				dst = append(dst, "}}]"...)
			case p.thought == "true":
				dst = append(dst, `"reasoning_content":`...)
				textAt, text = len(dst), p.text
				dst = append(dst, p.text...)
			default:
				dst = append(dst, `"content":`...)
				textAt, text = len(dst), p.text
				dst = append(dst, p.text...)
			}
			dst = append(dst, `},"finish_reason":null}]}`+"\n\n"...)
		}
		if f := translator.Str(c.finish); f != "" {
			shaped = false
			dst = t.chunkStart(dst, model, created, idx, cs, false)
			dst = append(dst, `},"finish_reason":"`...)
			dst = append(dst, finishReason(f, cs.tools > 0)...)
			dst = append(dst, `"}]}`+"\n\n"...)
			st.finished = true
		}
	}
	if n == 0 && blockReason(r.feedback) != "" {
		cs := st.cand(0)
		dst = t.chunkStart(dst, model, created, 0, cs, false)
		dst = append(dst, `},"finish_reason":"content_filter"}]}`+"\n\n"...)
		st.finished = true
	}
	if shaped && chunks == 1 && n == 1 {
		t.shape.Set(s, text, r.usage, dst[start:], textAt-start)
	}
	return dst
}

// chunkStart opens a chunk for candidate idx up to the inside of its delta object.
func (t *Chat) chunkStart(dst []byte, model string, created, idx int64, cs *candState, more bool) []byte {
	dst = append(dst, "data: "...)
	dst = appendHead(dst, t.st.id, model, "chat.completion.chunk", created)
	dst = append(dst, `,"choices":[{"index":`...)
	dst = translator.AppendInt(dst, idx)
	dst = append(dst, `,"delta":{`...)
	if !cs.roleSent {
		cs.roleSent = true
		dst = append(dst, `"role":"assistant"`...)
		if more {
			dst = append(dst, ',')
		}
	}
	return dst
}
