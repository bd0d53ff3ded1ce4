package anthropic

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

var errAnswerNotJSON = errors.New("upstream answer is not valid JSON")

// claudeUsage is an Anthropic usage object's counts.
type claudeUsage struct {
	input, output, cacheRead, cacheCreation int64
}

// read overwrites the counts the raw object v holds; Anthropic's counts are cumulative.
func (u *claudeUsage) read(v string) {
	s := translator.NewScan(v)
	for s.Next() {
		n := s.Value()
		if !isNum(n) {
			continue
		}
		switch s.Key() {
		case "input_tokens":
			u.input = rawInt(n)
		case "output_tokens":
			u.output = rawInt(n)
		case "cache_read_input_tokens":
			u.cacheRead = rawInt(n)
		case "cache_creation_input_tokens":
			u.cacheCreation = rawInt(n)
		}
	}
}

// openAI returns the counts in OpenAI's meaning: prompt tokens include cache reads and
// cache writes.
func (u *claudeUsage) openAI(model string) translator.Usage {
	prompt := u.input + u.cacheRead + u.cacheCreation
	return translator.Usage{
		PromptTokens:        prompt,
		CompletionTokens:    u.output,
		TotalTokens:         prompt + u.output,
		CachedTokens:        u.cacheRead,
		CacheCreationTokens: u.cacheCreation,
		Model:               model,
	}
}

// appendOpenAIUsage appends an OpenAI usage object.
func appendOpenAIUsage(dst []byte, u translator.Usage) []byte {
	dst = translator.AppendOpenAIUsageCounts(dst, u)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
	dst = translator.AppendInt(dst, u.CachedTokens)
	return append(dst, "}}"...)
}

// ResponseBody implements translator.Translator: an Anthropic message (or error) in, an
// OpenAI chat completion (or error with the same meaning) out.
func (t *ChatToMessages) ResponseBody(status int, body []byte) ([]byte, error) {
	t.status = status
	if !is2xx(status) {
		return openAIErrorBody(status, body), nil
	}
	var id, model, content, stop, usage string
	isError := false
	sc := translator.NewScan(translator.View(body))
	for sc.Next() {
		switch v := sc.Value(); sc.Key() {
		case "id":
			id = v
		case "model":
			model = v
		case "content":
			content = v
		case "stop_reason":
			stop = v
		case "usage":
			usage = v
		case "type":
			isError = translator.Str(v) == "error"
		}
	}
	if !sc.Valid() {
		return nil, errAnswerNotJSON
	}
	if isError {
		return openAIErrorBody(status, body), nil
	}

	t.text, t.think, t.blocks, t.tools = t.text[:0], t.think[:0], t.blocks[:0], t.tools[:0]
	var signature string
	thinkBlocks, redacted, tools := 0, false, 0
	sc = translator.NewScan(content)
	for sc.Next() {
		var typ, text, thinking, sig, data, bid, name, input string
		b := translator.NewScan(sc.Value())
		for b.Next() {
			switch v := b.Value(); b.Key() {
			case "type":
				typ = v
			case "text":
				text = v
			case "thinking":
				thinking = v
			case "signature":
				sig = v
			case "data":
				data = v
			case "id":
				bid = v
			case "name":
				name = v
			case "input":
				input = v
			}
		}
		switch translator.Str(typ) {
		case "text":
			t.text = appendStringBody(t.text, text)
		case "thinking":
			thinkBlocks++
			t.think = appendStringBody(t.think, thinking)
			signature = sig
			if len(t.blocks) > 0 {
				t.blocks = append(t.blocks, ',')
			}
			t.blocks = appendThinkingBlock(t.blocks, thinking, sig)
		case "redacted_thinking":
			redacted = true
			if len(t.blocks) > 0 {
				t.blocks = append(t.blocks, ',')
			}
			t.blocks = appendRedactedBlock(t.blocks, data)
		case "tool_use":
			if tools > 0 {
				t.tools = append(t.tools, ',')
			}
			t.tools = append(t.tools, `{"id":`...)
			t.tools = appendJSONStr(t.tools, bid)
			t.tools = append(t.tools, `,"type":"function","function":{"name":`...)
			t.tools = appendJSONStr(t.tools, name)
			t.tools = append(t.tools, `,"arguments":`...)
			if input != "" {
				t.tools = translator.AppendString(t.tools, input)
			} else {
				t.tools = append(t.tools, `"{}"`...)
			}
			t.tools = append(t.tools, "}}"...)
			tools++
		}
	}

	var u claudeUsage
	u.read(usage)
	m := rawString(model)
	if m == "" {
		m = t.model
	}
	m = strings.Clone(m) // kept in Usage after body is gone
	t.usage = u.openAI(m)

	out := make([]byte, 0, len(t.text)+len(t.think)+len(t.blocks)+len(t.tools)+384)
	out = append(out, `{"id":`...)
	out = appendJSONStr(out, id)
	out = append(out, `,"object":"chat.completion","created":`...)
	out = translator.AppendInt(out, t.now())
	out = append(out, `,"model":`...)
	out = translator.AppendString(out, m)
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	switch {
	case len(t.text) > 0 || tools == 0:
		out = append(out, '"')
		out = append(out, t.text...)
		out = append(out, '"')
	default:
		out = append(out, "null"...)
	}
	if thinkBlocks > 0 {
		out = append(out, `,"reasoning_content":"`...)
		out = append(out, t.think...)
		out = append(out, '"')
		if signature != "" {
			out = append(out, `,"reasoning_signature":`...)
			out = append(out, signature...)
		}
	}
	if thinkBlocks > 1 || redacted {
		out = append(out, `,"thinking_blocks":[`...)
		out = append(out, t.blocks...)
		out = append(out, ']')
	}
	if tools > 0 {
		out = append(out, `,"tool_calls":[`...)
		out = append(out, t.tools...)
		out = append(out, ']')
	}
	out = append(out, `},"finish_reason":"`...)
	out = append(out, finishReason(translator.Str(stop))...)
	out = append(out, `","logprobs":null}],"usage":`...)
	out = appendOpenAIUsage(out, t.usage)
	return append(out, '}'), nil
}

func appendThinkingBlock(dst []byte, thinking, sig string) []byte {
	dst = append(dst, `{"type":"thinking","thinking":`...)
	dst = appendJSONStr(dst, thinking)
	dst = append(dst, `,"signature":`...)
	dst = appendJSONStr(dst, sig)
	return append(dst, '}')
}

func appendRedactedBlock(dst []byte, data string) []byte {
	dst = append(dst, `{"type":"redacted_thinking","data":`...)
	dst = appendJSONStr(dst, data)
	return append(dst, '}')
}

// openAIErrorBody converts an upstream error body of any shape into OpenAI error JSON.
// Anthropic's error types (invalid_request_error, rate_limit_error, overloaded_error,
// ...) are kept as the OpenAI `type`; they share most names.
func openAIErrorBody(status int, body []byte) []byte {
	msg, typ := upstreamErrorMessage(status, body)
	if typ == "" {
		typ = translator.ErrorType(status)
	}
	return translator.AppendOpenAIError(nil, msg, typ, "")
}

// chatStream is the state of one Claude stream converted to OpenAI chunks.
type chatStream struct {
	started  bool
	finished bool   // [DONE] written; later input is ignored
	head     []byte // `{"id":..,"object":"chat.completion.chunk","created":..,"model":..`
	prefix   []byte // head + `,"choices":[{"index":0,"delta":`
	head2    []byte // `data: ` + prefix + `{"<field>":` for deltas of headKind
	headKind byte
	blocks   []chatBlock
	tools    int    // tool calls seen, the next one's OpenAI index
	finish   string // OpenAI finish_reason once message_delta named one
	usage    claudeUsage
	model    string
}

// chatBlock is one Anthropic content block of the stream.
type chatBlock struct {
	index int64 // Anthropic block index
	kind  byte  // 't'ext, 'k' thinking, 'u' tool_use, 'o'ther
	tool  int   // OpenAI tool call index
	args  bool  // some argument text was sent for the tool call
}

// ResponseStream implements translator.Translator: Claude SSE in, OpenAI chunks out,
// always ending in `data: [DONE]`. An in-stream error, or a stream cut before Claude
// finished the message, becomes an OpenAI error chunk before [DONE].
func (t *ChatToMessages) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.rawErr {
		t.errBuf = append(t.errBuf, chunk...)
		if end && !t.s.finished {
			msg, typ := upstreamErrorMessage(t.status, t.errBuf)
			if typ == "" {
				typ = translator.ErrorType(t.status)
			}
			dst = t.streamError(dst, msg, typ)
		}
		return dst, nil
	}
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		dst = t.event(dst, ev.Data, false)
	}
	if !end {
		return dst, nil
	}
	// An event the stream ends inside is discarded, as SSE says.
	if !t.s.finished {
		if t.s.finish != "" {
			// message_delta arrived: the answer is whole, only message_stop is missing.
			dst = t.done(dst)
		} else {
			dst = t.streamError(dst, translator.StreamCutMessage, "server_error")
		}
	}
	return dst, nil
}

// streamError writes an OpenAI error chunk and ends the stream.
func (t *ChatToMessages) streamError(dst []byte, msg, typ string) []byte {
	dst = append(dst, "data: "...)
	dst = translator.AppendOpenAIError(dst, msg, typ, "")
	dst = append(dst, "\n\n"...)
	dst = append(dst, sse.Done...)
	t.s.finished = true
	return dst
}

// done writes the usage chunk and [DONE].
func (t *ChatToMessages) done(dst []byte) []byte {
	t.usage = t.s.usage.openAI(t.s.model)
	if t.s.started {
		dst = append(dst, "data: "...)
		dst = append(dst, t.s.head...)
		dst = append(dst, `,"choices":[],"usage":`...)
		dst = appendOpenAIUsage(dst, t.usage)
		dst = append(dst, "}\n\n"...)
	}
	dst = append(dst, sse.Done...)
	t.s.finished = true
	return dst
}

// start builds the chunk prefix from the message's id and model.
func (t *ChatToMessages) start(id, model string) {
	s := &t.s
	s.started = true
	s.model = rawString(model)
	if s.model == "" {
		s.model = t.model
	} else {
		s.model = strings.Clone(s.model) // the event's bytes are reused
	}
	s.head = append(s.head[:0], `{"id":`...)
	if isStr(id) {
		s.head = append(s.head, id...)
	} else {
		s.head = append(s.head, `"chatcmpl-claude"`...)
	}
	s.head = append(s.head, `,"object":"chat.completion.chunk","created":`...)
	s.head = translator.AppendInt(s.head, t.now())
	s.head = append(s.head, `,"model":`...)
	s.head = translator.AppendString(s.head, s.model)
	s.prefix = append(append(s.prefix[:0], s.head...), `,"choices":[{"index":0,"delta":`...)
	s.headKind = 0
}

// chunk opens `data: {...,"delta":`; the caller writes the delta object and closes it
// with endChunk.
func (t *ChatToMessages) chunk(dst []byte) []byte {
	if !t.s.started {
		t.start("", "")
	}
	dst = append(dst, "data: "...)
	return append(dst, t.s.prefix...)
}

func endChunk(dst []byte) []byte {
	return append(dst, ",\"finish_reason\":null}]}\n\n"...)
}

func (t *ChatToMessages) block(index int64) *chatBlock {
	for i := len(t.s.blocks) - 1; i >= 0; i-- {
		if t.s.blocks[i].index == index {
			return &t.s.blocks[i]
		}
	}
	return nil
}

// event converts one Claude event. At EOF an event that is no valid JSON is the
// remnant of a cut stream and is dropped; the stream then ends as cut.
func (t *ChatToMessages) event(dst, data []byte, atEOF bool) []byte {
	if t.s.finished || len(data) == 0 {
		return dst
	}
	// A delta like the last one but for its text: only the text needs reading.
	if text, ok := t.tmpl.Match(translator.View(data)); ok {
		return t.delta(dst, t.tmplKind, t.tmplIndex, text)
	}
	t.tmpl.Reset()
	// One pass picks the fields and checks the event is JSON.
	var typ, index, block, message, usage, errObj string
	var d claudeDelta
	sc := translator.NewScan(translator.View(data))
	for sc.Next() {
		switch sc.Key() {
		case "type":
			typ = sc.Value()
		case "index":
			index = sc.Value()
		case "delta": // in every content event: read in place
			d.read(&sc)
		case "content_block":
			block = sc.Value()
		case "message":
			message = sc.Value()
		case "usage":
			usage = sc.Value()
		case "error":
			errObj = sc.Value()
		}
	}
	if !sc.Valid() {
		if atEOF {
			return dst
		}
		return t.streamError(dst, "upstream sent an event that is not valid JSON", "server_error")
	}
	s := &t.s
	switch translator.Str(typ) {
	case "message_start":
		var id, model string
		sc = translator.NewScan(message)
		for sc.Next() {
			switch v := sc.Value(); sc.Key() {
			case "id":
				id = v
			case "model":
				model = v
			case "usage":
				s.usage.read(v)
			}
		}
		t.start(id, model)
		dst = t.chunk(dst)
		dst = append(dst, `{"role":"assistant","content":""}`...)
		return endChunk(dst)

	case "content_block_start":
		b := chatBlock{index: rawInt(index), kind: 'o'}
		var btyp, text, thinking, data, id, name, input string
		sc = translator.NewScan(block)
		for sc.Next() {
			switch v := sc.Value(); sc.Key() {
			case "type":
				btyp = v
			case "text":
				text = v
			case "thinking":
				thinking = v
			case "data":
				data = v
			case "id":
				id = v
			case "name":
				name = v
			case "input":
				input = v
			}
		}
		switch translator.Str(btyp) {
		case "text":
			b.kind = 't'
			if isText(text) {
				dst = t.chunk(dst)
				dst = append(dst, `{"content":`...)
				dst = append(dst, text...)
				dst = endChunk(append(dst, '}'))
			}
		case "thinking":
			b.kind = 'k'
			if isText(thinking) {
				dst = t.chunk(dst)
				dst = append(dst, `{"reasoning_content":`...)
				dst = append(dst, thinking...)
				dst = endChunk(append(dst, '}'))
			}
		case "redacted_thinking":
			dst = t.chunk(dst)
			dst = append(dst, `{"thinking_blocks":[`...)
			dst = appendRedactedBlock(dst, data)
			dst = endChunk(append(dst, "]}"...))
		case "tool_use":
			b.kind, b.tool = 'u', s.tools
			s.tools++
			dst = t.chunk(dst)
			dst = append(dst, `{"tool_calls":[{"index":`...)
			dst = translator.AppendInt(dst, int64(b.tool))
			dst = append(dst, `,"id":`...)
			dst = appendJSONStr(dst, id)
			dst = append(dst, `,"type":"function","function":{"name":`...)
			dst = appendJSONStr(dst, name)
			dst = append(dst, `,"arguments":`...)
			// Claude opens with an empty input and streams it; a non-empty one is whole.
			if isObj(input) && input != "{}" {
				dst = translator.AppendString(dst, input)
				b.args = true
			} else {
				dst = append(dst, `""`...)
			}
			dst = endChunk(append(dst, "}}]}"...))
		}
		if len(s.blocks) < maxBlocks {
			s.blocks = append(s.blocks, b)
		}

	case "content_block_delta":
		kind, i := deltaKind(translator.Str(d.typ)), rawInt(index)
		if kind != 0 && isStr(d.text) {
			// The next deltas of this block will likely differ only in their text.
			t.tmpl.Set(translator.View(data), d.text)
			t.tmplKind, t.tmplIndex = kind, i
		}
		return t.delta(dst, kind, i, d.text)

	case "content_block_stop":
		// A tool call whose input never arrived still gets valid JSON arguments.
		if b := t.block(rawInt(index)); b != nil && b.kind == 'u' && !b.args {
			b.args = true
			dst = t.chunk(dst)
			dst = append(dst, `{"tool_calls":[{"index":`...)
			dst = translator.AppendInt(dst, int64(b.tool))
			dst = append(dst, `,"function":{"arguments":"{}"}}]}`...)
			return endChunk(dst)
		}

	case "message_delta":
		s.usage.read(usage)
		if r := d.stop; isStr(r) {
			s.finish = finishReason(translator.Str(r))
			dst = t.chunk(dst)
			dst = append(dst, `{},"finish_reason":"`...)
			dst = append(dst, s.finish...)
			dst = append(dst, "\"}]}\n\n"...)
		}
		t.usage = s.usage.openAI(s.model)

	case "message_stop":
		return t.done(dst)

	case "error":
		msg, etyp := rawString(field(errObj, "message")), rawString(field(errObj, "type"))
		if msg == "" {
			msg = "upstream stream error"
		}
		if etyp == "" {
			etyp = "server_error"
		}
		return t.streamError(dst, msg, etyp)
	}
	// ping and event types added later need nothing.
	return dst
}

// deltaKind codes a content_block_delta type: 't'ext, 'k' thinking, 's'ignature,
// 'j'son input; 0 for types without an OpenAI form.
func deltaKind(typ string) byte {
	switch typ {
	case "text_delta":
		return 't'
	case "thinking_delta":
		return 'k'
	case "signature_delta":
		return 's'
	case "input_json_delta":
		return 'j'
	}
	return 0
}

// delta converts a content_block_delta of the given kind for block index; text is
// its raw text, thinking, signature or partial_json.
func (t *ChatToMessages) delta(dst []byte, kind byte, index int64, text string) []byte {
	if !isText(text) {
		return dst
	}
	switch kind {
	case 't', 'k', 's':
		s := &t.s
		if s.headKind != kind || !s.started {
			s.head2 = t.chunk(s.head2[:0])
			switch kind {
			case 't':
				s.head2 = append(s.head2, `{"content":`...)
			case 'k':
				s.head2 = append(s.head2, `{"reasoning_content":`...)
			default:
				s.head2 = append(s.head2, `{"reasoning_signature":`...)
			}
			s.headKind = kind
		}
		dst = append(dst, s.head2...)
		dst = append(dst, text...)
		return append(dst, "},\"finish_reason\":null}]}\n\n"...)
	case 'j':
		b := t.block(index)
		if b == nil || b.kind != 'u' {
			return dst
		}
		b.args = true
		dst = t.chunk(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = translator.AppendInt(dst, int64(b.tool))
		dst = append(dst, `,"function":{"arguments":`...)
		dst = append(dst, text...)
		return endChunk(append(dst, "}}]}"...))
	}
	return dst
}

// claudeDelta is what an event's delta holds, as raw values.
type claudeDelta struct {
	typ, text, stop string
}

// read reads the current value of sc, the delta object, in place.
func (d *claudeDelta) read(sc *translator.Scan) {
	*d = claudeDelta{}
	in := sc.Enter()
	for in.Next() {
		switch in.Key() {
		case "type":
			d.typ = in.Value()
		case "text", "thinking", "partial_json", "signature":
			d.text = in.Value()
		case "stop_reason":
			if d.stop == "" { // the first, as gjson's Get
				d.stop = in.Value()
			}
		}
	}
	sc.Leave(&in)
}

// maxBlocks bounds the per-stream block table against hostile input.
const maxBlocks = 1024
