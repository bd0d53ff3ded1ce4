package responses

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// stream is the state of one chat chunk stream converted to Responses events.
type stream struct {
	started, finished bool
	seq               int64
	h                 head
	idBuf             []byte // owns h.id

	next     int64 // output_index of the next item
	cur      byte  // the open text item: 'm' message, 'r' reasoning; 0 for none
	curIndex int64
	curID    []byte // its item id, quoted
	text     []byte // its text so far, escaped body
	delta    []byte // its delta events after sequence_number up to the delta value
	calls    []call
	items    []byte // the finished output items, comma separated
	finish   string // the chat finish_reason once one arrived
	usage    chatUsage
}

// call is one tool call of the stream and its function_call item.
type call struct {
	index, out             int64 // chat tool call index, output_index
	id, callID, name, args []byte
	open                   bool
}

// ResponseStream implements translator.Translator: chat chunks in, Responses events
// out, always ending in response.completed, response.incomplete or response.failed.
// An error chunk, or a stream cut before a finish_reason, is response.failed.
func (t *ResponsesToChat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	if t.rawErr {
		t.errBuf = append(t.errBuf, chunk...)
		if end && !t.s.finished {
			dst = t.fail(dst, translator.ReadUpstreamError(t.status, t.errBuf).Message)
		}
		return dst, nil
	}
	t.rd.Feed(chunk)
	for ev, ok := t.rd.Next(); ok; ev, ok = t.rd.Next() {
		dst = t.event(dst, ev.Data)
	}
	if !end {
		return dst, nil
	}
	// An event the stream ends inside is discarded, as SSE says.
	if !t.s.finished {
		if t.s.finish != "" {
			dst = t.complete(dst) // some upstreams never send [DONE]
		} else {
			dst = t.fail(dst, translator.StreamCutMessage)
		}
	}
	return dst, nil
}

// ev starts an event of type typ, through its sequence_number.
func (t *ResponsesToChat) ev(dst []byte, typ string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: {\"type\":\""...)
	dst = append(dst, typ...)
	dst = append(dst, `","sequence_number":`...)
	dst = translator.AppendInt(dst, t.s.seq)
	t.s.seq++
	return dst
}

const evEnd = "}\n\n"

func (t *ResponsesToChat) start(dst []byte, id, model, created string) []byte {
	s := &t.s
	s.started = true
	s.idBuf = append(s.idBuf[:0], strBody(id)...)
	s.h.id = translator.View(s.idBuf)
	if m := translator.Str(model); m != "" {
		s.h.model = strings.Clone(m)
	} else {
		s.h.model = t.model
	}
	if isNum(created) {
		s.h.created = rawInt(created)
	} else {
		s.h.created = t.Now()
	}
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		dst = t.ev(dst, typ)
		dst = append(dst, `,"response":`...)
		dst = t.appendResponse(dst, &s.h, "in_progress", "", nil, nil, "")
		dst = append(dst, evEnd...)
	}
	return dst
}

// itemRef appends `,"item_id":ID,"output_index":N`.
func itemRef(dst, id []byte, index int64) []byte {
	dst = append(dst, `,"item_id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"output_index":`...)
	return translator.AppendInt(dst, index)
}

// openText opens a message ('m') or reasoning ('r') item, closing what is open.
func (t *ResponsesToChat) openText(dst []byte, kind byte) []byte {
	s := &t.s
	dst = t.closeCur(dst)
	dst = t.closeCalls(dst)
	s.cur, s.curIndex = kind, s.next
	s.next++
	s.text = s.text[:0]
	prefix := "msg_"
	if kind == 'r' {
		prefix = "rs_"
	}
	s.curID = appendItemID(s.curID[:0], prefix, &s.h, s.curIndex)
	dst = t.ev(dst, "response.output_item.added")
	dst = append(dst, `,"output_index":`...)
	dst = translator.AppendInt(dst, s.curIndex)
	dst = append(dst, `,"item":`...)
	s.delta = itemRef(s.delta[:0], s.curID, s.curIndex)
	if kind == 'r' {
		dst = append(dst, `{"id":`...)
		dst = append(dst, s.curID...)
		dst = append(dst, `,"type":"reasoning","summary":[]}`+evEnd...)
		dst = t.ev(dst, "response.reasoning_summary_part.added")
		dst = append(dst, s.delta...)
		dst = append(dst, `,"summary_index":0,"part":{"type":"summary_text","text":""}`+evEnd...)
		s.delta = append(s.delta, `,"summary_index":0,"delta":`...)
		return dst
	}
	dst = appendMessageItem(dst, s.curID, "in_progress", "", false)
	dst = append(dst, evEnd...)
	dst = t.ev(dst, "response.content_part.added")
	dst = append(dst, s.delta...)
	dst = append(dst, `,"content_index":0,"part":`...)
	dst = appendTextPart(dst, "")
	dst = append(dst, evEnd...)
	s.delta = append(s.delta, `,"content_index":0,"delta":`...)
	return dst
}

// text writes a text or reasoning delta (raw, a JSON string), opening its item first.
func (t *ResponsesToChat) text(dst []byte, kind byte, raw string) []byte {
	s := &t.s
	if s.cur != kind {
		dst = t.openText(dst, kind)
	}
	s.text = append(s.text, strBody(raw)...)
	if kind == 'r' {
		dst = t.ev(dst, "response.reasoning_summary_text.delta")
		dst = append(dst, s.delta...)
		dst = append(dst, raw...)
		return append(dst, evEnd...)
	}
	dst = t.ev(dst, "response.output_text.delta")
	dst = append(dst, s.delta...)
	dst = append(dst, raw...)
	return append(dst, `,"logprobs":[]`+evEnd...)
}

func (t *ResponsesToChat) addItem(item []byte) {
	if len(t.s.items) > 0 {
		t.s.items = append(t.s.items, ',')
	}
	t.s.items = append(t.s.items, item...)
}

// closeCur closes the open message or reasoning item.
func (t *ResponsesToChat) closeCur(dst []byte) []byte {
	s := &t.s
	if s.cur == 0 {
		return dst
	}
	ref := itemRef(t.out[:0], s.curID, s.curIndex)
	text := translator.View(s.text)
	if s.cur == 'r' {
		dst = t.ev(dst, "response.reasoning_summary_text.done")
		dst = append(dst, ref...)
		dst = append(dst, `,"summary_index":0,"text":"`...)
		dst = append(dst, text...)
		dst = append(dst, `"`+evEnd...)
		dst = t.ev(dst, "response.reasoning_summary_part.done")
		dst = append(dst, ref...)
		dst = append(dst, `,"summary_index":0,"part":{"type":"summary_text","text":"`...)
		dst = append(dst, text...)
		dst = append(dst, `"}`+evEnd...)

		dst = t.ev(dst, "response.output_item.done")
		dst = append(dst, `,"output_index":`...)
		dst = translator.AppendInt(dst, s.curIndex)
		dst = append(dst, `,"item":`...)
		at := len(dst)
		dst = appendReasoningItem(dst, s.curID, text)
		t.addItem(dst[at:])
	} else {
		dst = t.ev(dst, "response.output_text.done")
		dst = append(dst, ref...)
		dst = append(dst, `,"content_index":0,"text":"`...)
		dst = append(dst, text...)
		dst = append(dst, `","logprobs":[]`+evEnd...)
		dst = t.ev(dst, "response.content_part.done")
		dst = append(dst, ref...)
		dst = append(dst, `,"content_index":0,"part":`...)
		dst = appendTextPart(dst, text)
		dst = append(dst, evEnd...)
		dst = t.ev(dst, "response.output_item.done")
		dst = append(dst, `,"output_index":`...)
		dst = translator.AppendInt(dst, s.curIndex)
		dst = append(dst, `,"item":`...)
		at := len(dst)
		dst = appendMessageItem(dst, s.curID, "completed", text, false)
		t.addItem(dst[at:])
	}
	dst = append(dst, evEnd...)
	t.out = ref
	s.cur = 0
	return dst
}

// closeCalls closes the open function_call items in the order they opened.
func (t *ResponsesToChat) closeCalls(dst []byte) []byte {
	for i := range t.s.calls {
		c := &t.s.calls[i]
		if !c.open {
			continue
		}
		c.open = false
		args := translator.View(c.args)
		dst = t.ev(dst, "response.function_call_arguments.done")
		dst = itemRef(dst, c.id, c.out)
		dst = append(dst, `,"name":"`...)
		dst = append(dst, c.name...)
		dst = append(dst, `","arguments":"`...)
		dst = append(dst, args...)
		dst = append(dst, `"`+evEnd...)
		dst = t.ev(dst, "response.output_item.done")
		dst = append(dst, `,"output_index":`...)
		dst = translator.AppendInt(dst, c.out)
		dst = append(dst, `,"item":`...)
		at := len(dst)
		dst = appendCallItem(dst, c.id, "completed", translator.View(c.callID), translator.View(c.name), args)
		t.addItem(dst[at:])
		dst = append(dst, evEnd...)
	}
	return dst
}

var deltaCallKeys = [...]string{"index", "id", "function"}

// toolCall converts one chat tool-call delta: the first for a call index opens its
// function_call item, arguments become function_call_arguments.delta events.
func (t *ResponsesToChat) toolCall(dst []byte, tc string, ordinal int64) []byte {
	s := &t.s
	var v [3]string
	pick(tc, deltaCallKeys[:], v[:])
	index := ordinal
	if isNum(v[0]) {
		index = rawInt(v[0])
	}
	var fn [2]string
	pick(v[2], fnKeys[:], fn[:])
	var c *call
	for i := range s.calls {
		if s.calls[i].index == index {
			c = &s.calls[i]
			break
		}
	}
	if c == nil {
		if len(s.calls) >= maxCalls {
			return dst
		}
		dst = t.closeCur(dst)
		s.calls = append(s.calls, call{index: index, out: s.next, open: true})
		c = &s.calls[len(s.calls)-1]
		s.next++
		c.id = appendItemID(c.id, "fc_", &s.h, c.out)
		if isText(v[1]) {
			c.callID = append(c.callID, strBody(v[1])...)
		} else {
			c.callID = append(c.callID, "call_proxy_"...)
			c.callID = translator.AppendInt(c.callID, index)
		}
		c.name = append(c.name, strBody(fn[0])...)
		dst = t.ev(dst, "response.output_item.added")
		dst = append(dst, `,"output_index":`...)
		dst = translator.AppendInt(dst, c.out)
		dst = append(dst, `,"item":`...)
		dst = appendCallItem(dst, c.id, "in_progress", translator.View(c.callID), translator.View(c.name), "")
		dst = append(dst, evEnd...)
	}
	if !c.open {
		return dst // arguments for a call closed by later text: no event can carry them
	}
	if isText(fn[1]) {
		c.args = append(c.args, strBody(fn[1])...)
		dst = t.ev(dst, "response.function_call_arguments.delta")
		dst = itemRef(dst, c.id, c.out)
		dst = append(dst, `,"delta":`...)
		dst = append(dst, fn[1]...)
		dst = append(dst, evEnd...)
	}
	return dst
}

// maxCalls bounds the tool calls of one answer (a hostile stream cannot grow state).
const maxCalls = 128

// complete closes what is open and writes response.completed (or .incomplete).
func (t *ResponsesToChat) complete(dst []byte) []byte {
	s := &t.s
	if !s.started {
		dst = t.start(dst, "", "", "")
	}
	dst = t.closeCur(dst)
	dst = t.closeCalls(dst)
	st, reason := finishStatus(s.finish)
	typ := "response.completed"
	if st == "incomplete" {
		typ = "response.incomplete"
	}
	t.usage = s.usage.translator(s.h.model)
	dst = t.ev(dst, typ)
	dst = append(dst, `,"response":`...)
	dst = t.appendResponse(dst, &s.h, st, reason, s.items, &s.usage, "")
	dst = append(dst, evEnd...)
	s.finished = true
	return dst
}

// fail writes response.failed: the answer is not complete.
func (t *ResponsesToChat) fail(dst []byte, msg string) []byte {
	s := &t.s
	if !s.started {
		dst = t.start(dst, "", "", "")
	}
	var u *chatUsage
	if s.usage.seen {
		u = &s.usage
		t.usage = s.usage.translator(s.h.model)
	}
	dst = t.ev(dst, "response.failed")
	dst = append(dst, `,"response":`...)
	dst = t.appendResponse(dst, &s.h, "failed", "", s.items, u, msg)
	dst = append(dst, evEnd...)
	s.finished = true
	return dst
}

// event converts one chat chunk.
func (t *ResponsesToChat) event(dst, data []byte) []byte {
	s := &t.s
	if s.finished || len(data) == 0 {
		return dst
	}
	if string(data) == "[DONE]" {
		return t.complete(dst)
	}
	// A chunk like the last one but for its text: only the text needs reading.
	if text, ok := t.tmpl.Match(translator.View(data)); ok {
		if isText(text) {
			dst = t.text(dst, t.tmplK, text)
		}
		return dst
	}
	t.tmpl.Reset()
	var id, model, created, usage, errObj string
	var c translator.ChatChoice
	sc := translator.NewScan(translator.View(data))
	for sc.Next() {
		switch sc.Key() {
		case "id":
			id = sc.Value()
		case "model":
			model = sc.Value()
		case "created":
			created = sc.Value()
		case "choices":
			c = translator.ReadChatChoices(&sc)
		case "usage":
			usage = sc.Value()
		case "error":
			errObj = sc.Value()
		}
	}
	if !sc.Valid() || data[0] != '{' {
		return t.fail(dst, "upstream sent an event that is not valid JSON")
	}
	if !isNull(errObj) {
		return t.fail(dst, translator.ReadUpstreamError(500, data).Message)
	}
	if !s.started {
		dst = t.start(dst, id, model, created)
	}
	if isObj(usage) {
		s.usage.read(usage)
		t.usage = s.usage.translator(s.h.model)
	} else if c.Found {
		t.setTemplate(data, &c)
	}
	return t.choice(dst, &c)
}

// setTemplate remembers a chunk whose only effect is one text or reasoning delta, as
// the next chunks will likely differ from it only in that text.
func (t *ResponsesToChat) setTemplate(data []byte, c *translator.ChatChoice) {
	if v, reasoning, ok := c.TemplateText(); ok {
		t.tmpl.Set(translator.View(data), v)
		t.tmplK = 'm'
		if reasoning {
			t.tmplK = 'r'
		}
	}
}

// choice converts the delta and finish_reason of the first choice.
func (t *ResponsesToChat) choice(dst []byte, c *translator.ChatChoice) []byte {
	s := &t.s
	if isText(c.Reasoning) {
		dst = t.text(dst, 'r', c.Reasoning)
	}
	if isText(c.Content) {
		dst = t.text(dst, 'm', c.Content)
	}
	if isArr(c.Calls) {
		var n int64
		sc := translator.NewScan(c.Calls)
		for sc.Next() {
			dst = t.toolCall(dst, sc.Value(), n)
			n++
		}
	}
	if isText(c.Finish) {
		s.finish = strings.Clone(translator.Str(c.Finish))
		dst = t.closeCur(dst)
		dst = t.closeCalls(dst)
	}
	return dst
}
