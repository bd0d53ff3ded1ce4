// Package telemetry is what one request leaves behind: usage in one documented meaning
// (translator.Usage: OpenAI's, prompt tokens include cached and cache-creation tokens),
// timings and outcome, turned into metric increments, the AI log line and span
// attributes. It is pure Go; the plugin turns its output into host calls.
//
// For answers the plugin converts, the converter already reports usage
// (translator.Translator.Usage). For answers it passes through unchanged, a Scanner finds
// the usage in the bytes the plugin sees anyway, without converting or fully parsing them.
package telemetry

import (
	"bytes"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Kind is the upstream protocol of a passed-through answer.
type Kind uint8

const (
	// OpenAIChat is chat completions and (legacy) completions: JSON `usage` with
	// prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details.cached_tokens,
	// completion_tokens_details.reasoning_tokens; in streams the usage is in the last
	// chunk(s) (stream_options.include_usage), `usage: null` in the others.
	OpenAIChat Kind = iota
	// OpenAIEmbeddings is /v1/embeddings: usage.prompt_tokens and usage.total_tokens.
	OpenAIEmbeddings
	// OpenAIResponses is the Responses API: usage.input_tokens, output_tokens,
	// input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens; in
	// streams under `response` of response.completed (also response.incomplete and
	// response.failed).
	OpenAIResponses
	// Anthropic is /v1/messages: usage.input_tokens (excluding cache reads and writes),
	// output_tokens, cache_read_input_tokens, cache_creation_input_tokens; in streams
	// message_start has message.usage, message.model and message.id, message_delta the
	// cumulative final usage.
	Anthropic
	// Rerank is Cohere-style rerank (and the compatible APIs of Jina, DashScope,
	// Voyage...): `usage` with prompt_tokens/total_tokens/input_tokens where present,
	// else meta.billed_units.input_tokens/output_tokens. Cohere's search_units are not
	// tokens and are not counted.
	Rerank
)

// maxID bounds the id and model kept from an answer.
const maxID = 256

// Scanner finds usage, model and id in one passed-through answer. Create one per request
// (or Reset it); feed it either the whole JSON body (Body) or the stream pieces as they
// arrive (Piece). Its result does not depend on how the stream is split.
//
// For streams it reads every event with the shared SSE reader (which keeps only the
// incomplete last event between pieces), skips events without a `"usage"` key by a byte
// search, and reads with gjson only the events that carry usage, plus the first event for
// the model and id.
type Scanner struct {
	kind  Kind
	r     sse.Reader
	u     usage
	id    []byte
	model []byte
	seen  bool // an event with data was read (model/id looked for)
	tail  []byte
	cut   bool // tail lost the stream's beginning
}

// usage as read, in the upstream's meaning; converted by Usage.
type usage struct {
	prompt, completion, total int64
	cached, cacheCreation     int64
	reasoning                 int64
	hasTotal                  bool
}

// NewScanner returns a Scanner for answers of the given protocol.
func NewScanner(kind Kind) *Scanner { return &Scanner{kind: kind} }

// Reset makes s ready for another answer of the given protocol, keeping its memory.
func (s *Scanner) Reset(kind Kind) {
	s.r.Reset()
	*s = Scanner{kind: kind, r: s.r, id: s.id[:0], model: s.model[:0], tail: s.tail[:0]}
}

// Body reads a complete, non-streamed JSON answer.
func (s *Scanner) Body(b []byte) {
	j := translator.View(b)
	switch s.kind {
	case Anthropic, OpenAIChat, OpenAIEmbeddings:
		s.topLevel(j)
		return
	}
	if !gjson.Valid(j) {
		return
	}
	switch s.kind {
	case OpenAIResponses:
		// A Responses body is the response object; a background/stream-shaped one
		// may wrap it in `response`.
		if r := gjson.Get(j, "response"); r.IsObject() {
			j = r.Raw
		}
		s.responses(gjson.Get(j, "usage"))
		s.meta(gjson.Get(j, "id"), gjson.Get(j, "model"))
	case Rerank:
		s.rerank(j)
		s.meta(gjson.Get(j, "id"), gjson.Get(j, "model"))
	}
}

// topLevel reads the id, model and usage of a chat, embeddings or Anthropic answer in
// one validating pass over its top level (translator.Scan), where gjson would validate
// and then look for each key from the start (usage comes last). Like gjson.Get, the
// first of repeated keys counts; an invalid body yields nothing.
func (s *Scanner) topLevel(j string) {
	var id, model, u string
	var seen [3]bool
	sc := translator.NewScan(j)
	for sc.Next() {
		k, i := sc.Key(), -1
		switch k {
		case "id":
			i = 0
		case "model":
			i = 1
		case "usage":
			i = 2
		}
		if i < 0 || seen[i] {
			continue
		}
		seen[i] = true
		switch v := sc.Value(); i {
		case 0:
			id = v
		case 1:
			model = v
		default:
			u = v
		}
	}
	if !sc.Valid() {
		return
	}
	if s.kind == Anthropic {
		s.anthropic(gjson.Parse(u))
	} else {
		s.openai(gjson.Parse(u))
	}
	s.meta(gjson.Parse(id), gjson.Parse(model))
}

// Piece reads the next piece of a streamed (SSE) answer; end marks the last piece. b is
// only read during the call.
//
// Chat and Anthropic streams carry their model and id in the first event and their
// final usage in the last ones: once the first event is read, pieces are only kept as a
// bounded tail, read when the stream ends — no per-event work in between. Responses
// streams are read event by event (response.completed carries the whole answer and may
// be larger than the tail).
func (s *Scanner) Piece(b []byte, end bool) {
	tailMode := s.kind == OpenAIChat || s.kind == Anthropic
	if tailMode && s.seen {
		s.keepTail(b)
	} else if len(b) > 0 {
		if tailMode {
			s.keepTail(b)
		}
		s.r.Feed(b)
		for {
			ev, ok := s.r.Next()
			if !ok {
				break
			}
			s.event(ev.Data)
		}
	}
	if !end {
		return
	}
	if tailMode {
		// The last events, from the first event boundary in the tail when it is cut.
		t := s.tail
		if s.cut {
			i := bytes.Index(t, []byte("\n\n"))
			if i < 0 {
				return
			}
			t = t[i+2:]
		}
		var r sse.Reader
		r.Feed(t)
		for {
			ev, ok := r.Flush()
			if !ok {
				break
			}
			s.event(ev.Data)
		}
		return
	}
	for {
		ev, ok := s.r.Flush()
		if !ok {
			break
		}
		s.event(ev.Data)
	}
}

// maxTail is how much of a stream's end is kept for its usage (the usage chunk of a chat
// stream and Anthropic's message_delta are a few hundred bytes).
const maxTail = 2 << 10

// keepTail keeps at least the last maxTail bytes of the stream in s.tail: it grows to
// twice that before the oldest half is dropped, so each byte is copied about twice.
func (s *Scanner) keepTail(b []byte) {
	if len(b) >= maxTail {
		s.tail, s.cut = append(s.tail[:0], b[len(b)-maxTail:]...), true
		return
	}
	if s.tail == nil {
		s.tail = make([]byte, 0, 2*maxTail) // one allocation per stream
	}
	if len(s.tail)+len(b) > 2*maxTail {
		n := copy(s.tail, s.tail[len(s.tail)-maxTail:])
		s.tail, s.cut = s.tail[:n], true
	}
	s.tail = append(s.tail, b...)
}

// event reads one SSE event's data.
func (s *Scanner) event(d []byte) {
	if len(d) == 0 || d[0] != '{' {
		return // [DONE], pings, empty events
	}
	if !s.seen {
		s.first(d)
	}
	at := usageAt(d)
	if at < 0 {
		return
	}
	if isNull(d[at:]) {
		return // OpenAI's `"usage":null` in every chunk but the last
	}
	j := translator.View(d)
	switch s.kind {
	case Anthropic:
		// message_start: message.usage (and message.model/id, read by first);
		// message_delta: usage, cumulative: the fields it has replace ours.
		if u := gjson.Get(j, "usage"); u.Exists() {
			s.anthropic(u)
		} else {
			s.anthropic(gjson.Get(j, "message.usage"))
		}
	case OpenAIResponses:
		r := gjson.Get(j, "response")
		if !r.IsObject() {
			return
		}
		if u := r.Get("usage"); u.IsObject() {
			s.responses(u)
			// response.completed carries the final model and id.
			s.meta(r.Get("id"), r.Get("model"))
		}
	case Rerank:
		s.rerank(j)
	default:
		s.openai(gjson.Get(j, "usage"))
	}
}

// first reads the model and id from the first JSON event: OpenAI chunks carry them at the
// top, Anthropic's message_start and the Responses API's response.created in an object.
func (s *Scanner) first(d []byte) {
	s.seen = true
	j := translator.View(d)
	switch s.kind {
	case Anthropic:
		s.meta(gjson.Get(j, "message.id"), gjson.Get(j, "message.model"))
	case OpenAIResponses:
		s.meta(gjson.Get(j, "response.id"), gjson.Get(j, "response.model"))
	default:
		s.meta(gjson.Get(j, "id"), gjson.Get(j, "model"))
	}
	if len(s.id) == 0 && len(s.model) == 0 {
		s.seen = false // look again in the next event
	}
}

// usageAt returns the index just past `"usage"` and its colon, or -1.
func usageAt(d []byte) int {
	for off := 0; ; {
		i := bytes.Index(d[off:], quotedUsage)
		if i < 0 {
			return -1
		}
		k := off + i + len(quotedUsage)
		for k < len(d) && (d[k] == ' ' || d[k] == '\t' || d[k] == '\n' || d[k] == '\r') {
			k++
		}
		if k < len(d) && d[k] == ':' {
			return k + 1
		}
		off = k
	}
}

var quotedUsage = []byte(`"usage"`)

func isNull(b []byte) bool {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return len(b) >= 4 && string(b[:4]) == "null"
}

func (s *Scanner) meta(id, model gjson.Result) {
	if id.Type == gjson.String && id.Str != "" && len(id.Str) <= maxID {
		s.id = append(s.id[:0], id.Str...)
	}
	if model.Type == gjson.String && model.Str != "" && len(model.Str) <= maxID {
		s.model = append(s.model[:0], model.Str...)
	}
}

func (s *Scanner) openai(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	s.u = usage{
		prompt:     u.Get("prompt_tokens").Int(),
		completion: u.Get("completion_tokens").Int(),
		cached:     u.Get("prompt_tokens_details.cached_tokens").Int(),
		reasoning:  u.Get("completion_tokens_details.reasoning_tokens").Int(),
	}
	if t := u.Get("total_tokens"); t.Exists() {
		s.u.total, s.u.hasTotal = t.Int(), true
	}
}

func (s *Scanner) responses(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	s.u = usage{
		prompt:     u.Get("input_tokens").Int(),
		completion: u.Get("output_tokens").Int(),
		cached:     u.Get("input_tokens_details.cached_tokens").Int(),
		reasoning:  u.Get("output_tokens_details.reasoning_tokens").Int(),
	}
	if t := u.Get("total_tokens"); t.Exists() {
		s.u.total, s.u.hasTotal = t.Int(), true
	}
}

// anthropic merges an Anthropic usage object: the fields present replace ours
// (message_delta's counts are cumulative). prompt holds input_tokens here, in
// Anthropic's meaning; Usage converts.
func (s *Scanner) anthropic(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			s.u.prompt = v.Int()
		case "output_tokens":
			s.u.completion = v.Int()
		case "cache_read_input_tokens":
			s.u.cached = v.Int()
		case "cache_creation_input_tokens":
			s.u.cacheCreation = v.Int()
		}
		return true
	})
}

func (s *Scanner) rerank(j string) {
	if u := gjson.Get(j, "usage"); u.IsObject() {
		p := u.Get("prompt_tokens")
		if !p.Exists() {
			p = u.Get("input_tokens")
		}
		s.u = usage{prompt: p.Int(), completion: u.Get("output_tokens").Int()}
		if t := u.Get("total_tokens"); t.Exists() {
			s.u.total, s.u.hasTotal = t.Int(), true
		}
		return
	}
	if b := gjson.Get(j, "meta.billed_units"); b.IsObject() {
		s.u = usage{prompt: b.Get("input_tokens").Int(), completion: b.Get("output_tokens").Int()}
	}
}

// Usage reports what was found, in OpenAI's meaning: PromptTokens includes CachedTokens
// and CacheCreationTokens; TotalTokens is the upstream's total when it gave one, else
// prompt + completion. Model is the model the upstream named.
func (s *Scanner) Usage() translator.Usage {
	u := translator.Usage{
		PromptTokens:        s.u.prompt,
		CompletionTokens:    s.u.completion,
		CachedTokens:        s.u.cached,
		CacheCreationTokens: s.u.cacheCreation,
		ReasoningTokens:     s.u.reasoning,
		Model:               string(s.model),
	}
	if s.kind == Anthropic {
		u.PromptTokens += s.u.cached + s.u.cacheCreation
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	if s.u.hasTotal {
		u.TotalTokens = s.u.total
	}
	return u
}

// Found reports whether any usage was read.
func (s *Scanner) Found() bool { return s.u != usage{} }

// ID is the answer's id (chat completion, response or message id), "" if none was seen.
func (s *Scanner) ID() string { return string(s.id) }

// Model is the model the upstream named, "" if none.
func (s *Scanner) Model() string { return string(s.model) }

// KindFor returns the Scanner kind for an API path the client called, as the plugin
// names them ("chat/completions", "completions", "embeddings", "responses",
// "anthropic/v1/messages", "rerank"), and false for APIs without token usage.
func KindFor(api string) (Kind, bool) {
	switch {
	case api == "chat/completions" || api == "completions":
		return OpenAIChat, true
	case api == "embeddings":
		return OpenAIEmbeddings, true
	case api == "responses":
		return OpenAIResponses, true
	case strings.HasSuffix(api, "v1/messages"):
		return Anthropic, true
	case strings.HasSuffix(api, "rerank"):
		return Rerank, true
	}
	return 0, false
}
