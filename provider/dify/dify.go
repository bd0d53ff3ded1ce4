// Package dify converts between the OpenAI chat completions protocol and the service
// API of a Dify app (https://api.dify.ai/v1 or a self-hosted Dify), `Authorization:
// Bearer <app key>`. The app's type (Higress's `botType`) picks the endpoint:
//
//   - Chat and Agent: POST /v1/chat-messages {"query", "inputs", "response_mode",
//     "user", "conversation_id"?, "files"?, "auto_generate_name": false}.
//   - Completion: POST /v1/completion-messages, the text in inputs.query.
//   - Workflow: POST /v1/workflows/run, the text in inputs[inputVariable]; the answer is
//     data.outputs[outputVariable].
//
// The messages become one text (translator.AppendTranscript): a single message as it
// is, several as a role-labelled transcript, and only the last user message when the
// request continues a Dify conversation (Dify keeps the history itself). Image URL parts
// become Dify `files` (remote_url); a client `inputs` object is sent as the app's inputs.
// `user` is the request's, else "api-user" (Higress's default).
//
// Conversations: the client names one in the `ConversationId` request header (Higress's
// convention) or a `conversation_id` body field; the answer's `id` is the Dify
// conversation id for Chat and Agent apps (as Higress), so the next turn can send it
// back. Completion answers carry the message id, Workflow answers the run id.
//
// Streams (response_mode streaming) are Dify's SSE events: message and agent_message
// carry text, message_replace a moderated replacement (finish_reason content_filter),
// message_end the usage, text_chunk a Workflow's text and workflow_finished its outputs,
// error an in-stream error; ping, agent_thought (its thought is streamed as
// agent_message too, its tool ran inside Dify), node_*, workflow_started (in Chat and
// Agent streams also workflow_finished), message_file and tts_* events carry nothing an
// OpenAI client reads. A stream ends at message_end (workflow_finished for Workflow
// apps); one that ends before gets the stream-cut error.
//
// Errors: Dify answers {"code", "message", "status"} with an HTTP error status; they
// become OpenAI errors with that status and Dify's code. A Workflow run that did not
// succeed (HTTP 200, data.status failed, stopped or paused) is a 500.
//
// Agent apps answer in streaming mode only: a non-streaming request is sent streaming
// and the whole stream, held by the plugin (provider Spec.HeldStreams), is collected into
// one chat completion by ResponseBody, or into the error the stream ended with.
package dify

import (
	"errors"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Bot is a Dify app type, Higress's `botType`.
type Bot uint8

// The app types.
const (
	Chat Bot = iota
	Completion
	Agent
	Workflow
)

// ParseBot reads a `botType` value: Chat, Completion, Agent or Workflow (any case);
// empty is Chat.
func ParseBot(s string) (Bot, bool) {
	switch strings.ToLower(s) {
	case "", "chat":
		return Chat, true
	case "completion":
		return Completion, true
	case "agent":
		return Agent, true
	case "workflow":
		return Workflow, true
	}
	return Chat, false
}

// Upstream paths by app type.
const (
	PathChat       = "/v1/chat-messages"
	PathCompletion = "/v1/completion-messages"
	PathWorkflow   = "/v1/workflows/run"
)

// Path is the endpoint of an app type.
func (b Bot) Path() string {
	switch b {
	case Completion:
		return PathCompletion
	case Workflow:
		return PathWorkflow
	}
	return PathChat
}

// Options are a provider config's Dify fields.
type Options struct {
	Bot                           Bot
	InputVariable, OutputVariable string // Workflow apps
}

// Converter converts one chat completion exchange. Create one per request with New.
type Converter struct {
	// Now returns the Unix time stamped on answers that carry none; tests fix it.
	Now          func() int64
	opts         Options
	conversation string // from the ConversationId header, before RequestBody
	hold         bool   // an Agent app streams the answer to a non-streaming request
	model        string
	usage        translator.Usage
	rd           sse.Reader
	st           stream
}

// stream is the state of a streamed answer.
type stream struct {
	id       []byte // the chunks' id: raw JSON string
	created  int64
	role     bool // the role was sent
	text     bool // text was streamed (a Workflow's outputs are not sent again)
	replaced bool // message_replace: the answer was moderated
	done     bool
	err      *translator.StatusError // the error the stream ended with
}

// New returns the converter for one request.
func New(o Options) *Converter {
	return &Converter{opts: o, Now: func() int64 { return time.Now().Unix() }}
}

// SetConversation names the Dify conversation the request continues (the client's
// ConversationId header); a conversation_id in the body wins.
func (t *Converter) SetConversation(id string) { t.conversation = id }

// RequestBody implements translator.Translator.
func (t *Converter) RequestBody(body []byte) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	t.model = strings.Clone(root.Get("model").String())
	if c := root.Get("conversation_id"); c.Type == gjson.String && c.Str != "" {
		t.conversation = strings.Clone(c.Str)
	}
	chat := t.opts.Bot == Chat || t.opts.Bot == Agent
	var files []byte
	image := func(field string, p gjson.Result) error {
		if p.Get("type").Str != "image_url" || t.opts.Bot == Workflow {
			return errors.New(field + ": a Dify app takes text and image URLs, got a " + p.Get("type").Raw + " part")
		}
		url := p.Get("image_url.url").String()
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return errors.New(field + ": Dify takes images by http(s) URL (upload files to Dify for others)")
		}
		if files == nil {
			files = append(files, '[')
		} else {
			files = append(files, ',')
		}
		files = append(files, `{"type":"image","transfer_method":"remote_url","url":`...)
		files = translator.AppendString(files, url)
		files = append(files, '}')
		return nil
	}
	query, err := translator.AppendTranscript(nil, root.Get("messages"), chat && t.conversation != "", image)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(query)+len(files)+256)
	out = append(out, `{"inputs":`...)
	inputs := root.Get("inputs")
	if inputs.Exists() && !inputs.IsObject() {
		return nil, errors.New("inputs: must be an object of the Dify app's variables")
	}
	var key string
	switch t.opts.Bot {
	case Completion:
		key = "query"
	case Workflow:
		key = t.opts.InputVariable
	}
	switch {
	case key == "":
		out = translator.AppendRawOr(out, inputs.Raw, "{}")
	default:
		out = append(out, '{')
		out = translator.AppendString(out, key)
		out = append(out, ':')
		out = translator.AppendString(out, translator.View(query))
		inputs.ForEach(func(k, v gjson.Result) bool {
			if k.Str != key {
				out = append(out, ',')
				out = append(out, k.Raw...)
				out = append(out, ':')
				out = append(out, v.Raw...)
			}
			return true
		})
		out = append(out, '}')
	}
	if chat {
		out = append(out, `,"query":`...)
		out = translator.AppendString(out, translator.View(query))
	}
	out = append(out, `,"response_mode":"`...)
	// Agent apps answer in streaming mode only: a non-streaming request is streamed and
	// the answer collected (Spec.HeldStreams).
	t.hold = t.opts.Bot == Agent && !root.Get("stream").Bool()
	if root.Get("stream").Bool() || t.hold {
		out = append(out, `streaming"`...)
	} else {
		out = append(out, `blocking"`...)
	}
	out = append(out, `,"user":`...)
	if u := root.Get("user"); u.Type == gjson.String && u.Str != "" {
		out = append(out, u.Raw...)
	} else {
		out = append(out, `"api-user"`...)
	}
	if chat {
		out = append(out, `,"auto_generate_name":false`...)
		if t.conversation != "" {
			out = append(out, `,"conversation_id":`...)
			out = translator.AppendString(out, t.conversation)
		}
	}
	if files != nil {
		out = append(out, `,"files":`...)
		out = append(append(out, files...), ']')
	}
	return append(out, '}'), nil
}

// ResponseBody implements translator.Translator.
func (t *Converter) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		e := translator.ReadUpstreamError(status, body)
		return translator.AppendOpenAIError(nil, "Dify: "+e.Message, translator.ErrorType(status), e.Code), nil
	}
	if t.hold || isSSE(body) {
		return t.collect(body)
	}
	if !gjson.ValidBytes(body) {
		return nil, errors.New("upstream answer is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	var id, content string
	var created int64
	if t.opts.Bot == Workflow {
		d := root.Get("data")
		if st := d.Get("status").String(); st != "succeeded" {
			return nil, workflowError(st, d.Get("error").String())
		}
		id, created = root.Get("workflow_run_id").Raw, d.Get("created_at").Int()
		content = outputText(d.Get("outputs").Get(gjson.Escape(t.opts.OutputVariable)))
		t.usage = translator.Usage{TotalTokens: d.Get("total_tokens").Int(), Model: t.model}
	} else {
		if t.opts.Bot == Completion {
			id = root.Get("message_id").Raw
		} else {
			id = root.Get("conversation_id").Raw
		}
		if id == "" {
			id = root.Get("id").Raw
		}
		created, content = root.Get("created_at").Int(), root.Get("answer").Raw
		t.readUsage(root.Get("metadata.usage"))
	}
	if created == 0 {
		created = t.Now()
	}
	out := make([]byte, 0, len(content)+256)
	out = t.head(out, id, "chat.completion", created)
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	out = translator.AppendRawOr(out, stringOr(content), `""`)
	out = append(out, `},"finish_reason":"stop"}],"usage":`...)
	out = translator.AppendOpenAIUsage(out, t.usage)
	return append(out, '}'), nil
}

// isSSE reports whether an answer body is an event stream (it starts with a field).
func isSSE(body []byte) bool {
	s := strings.TrimLeft(translator.View(body), " \t\r\n")
	return strings.HasPrefix(s, "data:") || strings.HasPrefix(s, "event:") || strings.HasPrefix(s, ":")
}

// collect converts a whole streamed answer into one chat completion: the stream's
// chunks joined, or the error it ended with.
func (t *Converter) collect(body []byte) ([]byte, error) {
	chunks, _ := t.ResponseStream(nil, body, true)
	if t.st.err != nil {
		return nil, t.st.err
	}
	var content []byte
	finish := "stop"
	var rd sse.Reader
	rd.Feed(chunks)
	for ev, ok := rd.Next(); ok; ev, ok = rd.Next() {
		c := gjson.GetBytes(ev.Data, "choices.0")
		content = append(content, c.Get("delta.content").Str...)
		if f := c.Get("finish_reason").Str; f != "" {
			finish = f
		}
	}
	out := make([]byte, 0, len(content)+256)
	out = t.head(out, translator.View(t.st.id), "chat.completion", t.createdAt())
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	out = translator.AppendString(out, translator.View(content))
	out = append(out, `},"finish_reason":`...)
	out = translator.AppendString(out, finish)
	out = append(out, `}],"usage":`...)
	out = translator.AppendOpenAIUsage(out, t.usage)
	return append(out, '}'), nil
}

// outputText is a Workflow output as message text: a string as it is (raw JSON), any
// other value as its JSON text.
func outputText(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return v.Raw
	case !v.Exists() || v.Type == gjson.Null:
		return ""
	}
	return string(translator.AppendString(nil, v.Raw))
}

// stringOr is raw when it is a JSON string, else "".
func stringOr(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' {
		return raw
	}
	return ""
}

func workflowError(status, msg string) error {
	if status == "" {
		status = "unknown"
	}
	m := "Dify workflow run " + status
	if msg != "" {
		m += ": " + msg
	}
	return &translator.StatusError{Status: 500, Message: m, Type: "server_error", Code: "workflow_" + status}
}

func (t *Converter) readUsage(u gjson.Result) {
	if usage, ok := translator.ReadOpenAIUsage(u, t.model); ok {
		t.usage = usage
	}
}

// head appends {"id","object","created","model" of a completion or chunk; id is raw JSON.
func (t *Converter) head(dst []byte, id, object string, created int64) []byte {
	dst = append(dst, `{"id":`...)
	dst = translator.AppendRawOr(dst, stringOr(id), `"chatcmpl-dify"`)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = translator.AppendInt(dst, created)
	dst = append(dst, `,"model":`...)
	return translator.AppendString(dst, t.model)
}

// ResponseStream implements translator.Translator: Dify's SSE events in, OpenAI chunks
// out, ending with a finish chunk carrying the usage and `data: [DONE]`.
func (t *Converter) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
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
		dst = t.fail(dst, 502, translator.StreamCutMessage, "server_error", "stream_cut")
	}
	return dst, nil
}

// fail ends the client's stream with an error chunk and [DONE]; the error is kept for
// an answer held whole (collect).
func (t *Converter) fail(dst []byte, status int, msg, typ, code string) []byte {
	t.st.done = true
	t.st.err = &translator.StatusError{Status: status, Message: msg, Type: typ, Code: code}
	return append(translator.AppendOpenAIErrorEvent(dst, msg, typ, code), "data: [DONE]\n\n"...)
}

// fields are what one Dify event says, as raw JSON values viewing the event.
type fields struct {
	event, answer, text, output     string
	conversation, message, run      string
	created                         string
	status, code, msg               string // error events; status also a run's (data.status)
	runError                        string
	prompt, completion, total, runT string
}

// read scans one event's members in one pass.
func (t *Converter) read(data string) (f fields, ok bool) {
	s := translator.NewScan(data)
	for s.Next() {
		switch s.Key() {
		case "event":
			f.event = s.Value()
		case "answer":
			f.answer = s.Value()
		case "conversation_id":
			f.conversation = s.Value()
		case "message_id":
			f.message = s.Value()
		case "workflow_run_id":
			f.run = s.Value()
		case "created_at":
			f.created = s.Value()
		case "status":
			f.status = s.Value()
		case "code":
			f.code = s.Value()
		case "message":
			f.msg = s.Value()
		case "metadata":
			m := s.Enter()
			for m.Next() {
				if m.Key() != "usage" {
					continue
				}
				u := m.Enter()
				for u.Next() {
					switch u.Key() {
					case "prompt_tokens":
						f.prompt = u.Value()
					case "completion_tokens":
						f.completion = u.Value()
					case "total_tokens":
						f.total = u.Value()
					}
				}
				m.Leave(&u)
			}
			s.Leave(&m)
		case "data":
			d := s.Enter()
			for d.Next() {
				switch d.Key() {
				case "text":
					f.text = d.Value()
				case "status":
					f.status = d.Value()
				case "error":
					f.runError = d.Value()
				case "total_tokens":
					f.runT = d.Value()
				case "created_at":
					if f.created == "" {
						f.created = d.Value()
					}
				case "outputs":
					if t.opts.Bot != Workflow {
						continue
					}
					o := d.Enter()
					for o.Next() {
						if o.Key() == t.opts.OutputVariable {
							f.output = o.Value()
						}
					}
					d.Leave(&o)
				}
			}
			s.Leave(&d)
		}
	}
	return f, s.Valid()
}

// event converts one SSE event's data.
func (t *Converter) event(dst, data []byte) []byte {
	st := &t.st
	s := strings.TrimSpace(translator.View(data))
	if s == "" {
		return dst
	}
	f, ok := t.read(s)
	if !ok {
		return t.fail(dst, 502, "Dify sent an event that is not JSON", "server_error", "bad_upstream_response")
	}
	if st.id == nil {
		id := f.conversation
		switch t.opts.Bot {
		case Completion:
			id = f.message
		case Workflow:
			id = f.run
		}
		if id = stringOr(id); id != "" {
			st.id = append(st.id, id...)
		}
	}
	if st.created == 0 {
		st.created, _ = translator.Int(f.created)
	}
	switch f.event {
	case `"message"`, `"agent_message"`:
		if t.opts.Bot != Workflow {
			return t.text(dst, f.answer)
		}
	case `"text_chunk"`:
		if t.opts.Bot == Workflow {
			return t.text(dst, f.text)
		}
	case `"message_replace"`:
		st.replaced = true
		return t.text(dst, f.answer)
	case `"message_end"`:
		if t.opts.Bot != Workflow {
			t.usage = translator.Usage{Model: t.model}
			t.usage.PromptTokens, _ = translator.Int(f.prompt)
			t.usage.CompletionTokens, _ = translator.Int(f.completion)
			t.usage.TotalTokens, _ = translator.Int(f.total)
			if t.usage.TotalTokens == 0 {
				t.usage.TotalTokens = t.usage.PromptTokens + t.usage.CompletionTokens
			}
			return t.finish(dst)
		}
	case `"workflow_finished"`:
		if t.opts.Bot != Workflow {
			return dst // a chatflow's run: message_end follows
		}
		if f.status != `"succeeded"` {
			e := workflowError(translator.Str(f.status), translator.Str(f.runError)).(*translator.StatusError)
			return t.fail(dst, e.Status, e.Message, e.Type, e.Code)
		}
		t.usage = translator.Usage{Model: t.model}
		t.usage.TotalTokens, _ = translator.Int(f.runT)
		if !st.text && f.output != "" && f.output != "null" {
			if f.output[0] == '"' {
				dst = t.text(dst, f.output)
			} else {
				dst = t.text(dst, string(translator.AppendString(nil, f.output)))
			}
		}
		return t.finish(dst)
	case `"error"`:
		status, _ := translator.Int(f.status)
		msg := translator.Str(f.msg)
		if msg == "" {
			msg = "Dify stream error"
		}
		if status < 400 || status > 599 {
			status = 500
		}
		return t.fail(dst, int(status), "Dify: "+msg, translator.ErrorType(int(status)), translator.Str(f.code))
	}
	return dst
}

// chunkHead appends the start of a chunk up to its choice's delta object, opened.
func (t *Converter) chunkHead(dst []byte) []byte {
	dst = append(dst, "data: "...)
	dst = t.head(dst, translator.View(t.st.id), "chat.completion.chunk", t.createdAt())
	dst = append(dst, `,"choices":[{"index":0,"delta":{`...)
	if !t.st.role {
		t.st.role = true
		dst = append(dst, `"role":"assistant",`...)
	}
	return dst
}

func (t *Converter) createdAt() int64 {
	if t.st.created == 0 {
		t.st.created = t.Now()
	}
	return t.st.created
}

// text appends a content delta; raw is a JSON string (anything else is skipped).
func (t *Converter) text(dst []byte, raw string) []byte {
	if raw = stringOr(raw); raw == "" || raw == `""` {
		return dst
	}
	t.st.text = true
	dst = append(t.chunkHead(dst), `"content":`...)
	dst = append(dst, raw...)
	return append(dst, "},\"finish_reason\":null}]}\n\n"...)
}

// finish appends the finish chunk with the usage, and [DONE].
func (t *Converter) finish(dst []byte) []byte {
	t.st.done = true
	dst = t.chunkHead(dst)
	if dst[len(dst)-1] == ',' {
		dst = dst[:len(dst)-1]
	}
	if t.st.replaced {
		dst = append(dst, `},"finish_reason":"content_filter"}],"usage":`...)
	} else {
		dst = append(dst, `},"finish_reason":"stop"}],"usage":`...)
	}
	dst = translator.AppendOpenAIUsage(dst, t.usage)
	return append(dst, "}\n\ndata: [DONE]\n\n"...)
}

// Usage implements translator.Translator.
func (t *Converter) Usage() translator.Usage {
	u := t.usage
	if u.Model == "" {
		u.Model = t.model
	}
	return u
}
