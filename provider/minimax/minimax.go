// Package minimax converts between the OpenAI chat completions protocol and MiniMax's
// chat APIs (api.minimax.chat, api.minimaxi.com):
//
//   - ChatCompletion v2 (/v1/text/chatcompletion_v2) speaks OpenAI's format; requests
//     pass through, answers are checked for MiniMax's in-band error.
//   - ChatCompletion Pro (/v1/text/chatcompletion_pro?GroupId=<minimaxGroupId>) is used
//     when the config has a group id and the model is abab6.5-chat, abab6.5s-chat,
//     abab5.5s-chat or abab5.5-chat (as Higress does). System messages become
//     bot_setting entries (bot_name: the message's name, else "MM智能助理"), user and
//     assistant messages USER and BOT messages with a sender_name, reply_constraints
//     asks for the first bot's reply; tools become functions, tool_choice function_call,
//     an assistant's tool calls BOT messages with function_call, tool results FUNCTION
//     messages (sender_name: the function); max_tokens is tokens_to_generate. Answers:
//     the BOT text is the content, a function_call one tool call (id call_<n>), Pro's
//     total_tokens the usage (Pro reports no prompt/completion split).
//
// Both APIs answer some errors with HTTP 200 and base_resp.status_code ≠ 0: those become
// OpenAI errors with the status the code means (1004 auth → 401, 1008 balance → 429
// insufficient_quota, 1002/1039 rate limits → 429, 2013 invalid parameters → 400, ...),
// in a stream an error chunk and `data: [DONE]`.
package minimax

import (
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/sse"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// Paths of the two chat APIs.
const (
	PathV2  = "/v1/text/chatcompletion_v2"
	PathPro = "/v1/text/chatcompletion_pro"
)

// ProModels are the models served by ChatCompletion Pro when a group id is configured.
var ProModels = map[string]bool{"abab6.5-chat": true, "abab6.5s-chat": true, "abab5.5s-chat": true, "abab5.5-chat": true}

// Options configure the converter.
type Options struct {
	GroupID string // `minimaxGroupId`
}

// Chat converts one chat completion exchange, through v2 or Pro as the model decides.
// Create one per request with NewChat.
type Chat struct {
	// Now returns the Unix time stamped on answers that carry none; tests fix it.
	Now   func() int64
	opts  Options
	pro   bool
	model string
	bot   string // Pro: the bot name replies come from
	usage translator.Usage
	rd    sse.Reader
	st    stream
	shape translator.Shape // the last text event's, for the next ones
}

type stream struct {
	id       string
	created  int64
	text     []byte // Pro: the text streamed so far (the last event repeats it whole)
	role     bool
	finished bool // v2: a finish_reason passed; Pro: the answer is complete
	calls    int
	done     bool
}

// NewChat returns the converter for one request.
func NewChat(o Options) *Chat { return &Chat{opts: o, Now: func() int64 { return time.Now().Unix() }} }

// Pro reports whether the request goes to ChatCompletion Pro (known after RequestBody).
func (t *Chat) Pro() bool { return t.pro }

// RequestBody implements translator.Translator.
func (t *Chat) RequestBody(body []byte) ([]byte, error) {
	t.model = strings.Clone(gjson.GetBytes(body, "model").String())
	t.pro = t.opts.GroupID != "" && ProModels[t.model]
	if t.pro {
		return t.proRequest(body)
	}
	return body, nil // v2 speaks OpenAI
}

// EditUpstream implements translator.UpstreamEditor: Pro has its own path.
func (t *Chat) EditUpstream(path string, setHeader func(name, value string)) string {
	if t.pro {
		return PathPro + "?GroupId=" + queryEscape(t.opts.GroupID)
	}
	return path
}

func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// ResponseBody implements translator.Translator.
func (t *Chat) ResponseBody(status int, body []byte) ([]byte, error) {
	if status < 200 || status > 299 {
		e := translator.ReadUpstreamError(status, body)
		if code := gjson.GetBytes(body, "base_resp.status_code").Int(); code != 0 {
			return nil, baseRespError(code, gjson.GetBytes(body, "base_resp.status_msg").String())
		}
		return translator.AppendOpenAIError(nil, e.Message, translator.ErrorType(status), e.Code), nil
	}
	var a answer
	if !translator.Members(translator.View(body), answerKeys[:], a[:]) {
		return nil, errNotJSON
	}
	if b := gjson.Parse(a[aBaseResp]); b.Get("status_code").Int() != 0 {
		return nil, baseRespError(b.Get("status_code").Int(), b.Get("status_msg").String())
	}
	if t.pro {
		return t.proResponse(body, &a)
	}
	t.readUsage(gjson.Parse(a[aUsage]))
	if m := gjson.Parse(a[aModel]).Str; m != "" {
		t.usage.Model = strings.Clone(m)
	}
	return body, nil
}

// answer holds the raw top-level values of an answer that the conversion reads, by
// answerKeys, read in one pass (translator.Members).
type answer [7]string

const (
	aBaseResp = iota
	aUsage
	aModel
	aCreated
	aID
	aChoices
	aFunctionCall
)

var answerKeys = [len(answer{})]string{"base_resp", "usage", "model", "created", "id", "choices", "function_call"}

// statusOf maps a MiniMax base_resp status code to an HTTP status, OpenAI error type
// and code (MiniMax's documented error codes).
func statusOf(code int64) (int, string, string) {
	switch code {
	case 1004, 2049:
		return 401, "authentication_error", "invalid_api_key"
	case 1008:
		return 429, "insufficient_quota", "insufficient_quota"
	case 1002, 1039:
		return 429, "rate_limit_error", "rate_limit_exceeded"
	case 2013, 1042, 2045:
		return 400, "invalid_request_error", "invalid_request"
	case 1026, 1027:
		return 400, "invalid_request_error", "content_filter"
	case 1001:
		return 504, "server_error", "timeout"
	}
	return 500, "server_error", "upstream_error"
}

func baseRespError(code int64, msg string) error {
	status, typ, name := statusOf(code)
	m := "MiniMax error " + strconv.FormatInt(code, 10)
	if msg != "" {
		m += ": " + msg
	}
	return &translator.StatusError{Status: status, Message: m, Type: typ, Code: name}
}

func (t *Chat) readUsage(u gjson.Result) bool {
	usage, ok := translator.ReadOpenAIUsage(u, t.model)
	if ok {
		t.usage = usage
	}
	return ok
}

// ResponseStream implements translator.Translator: v2's OpenAI stream is passed on
// event by event, Pro's converted; both end in `data: [DONE]`, an in-band error in an
// error chunk, a stream cut before its answer finished in the stream-cut error. An
// event the stream ends inside is discarded.
func (t *Chat) ResponseStream(dst, chunk []byte, end bool) ([]byte, error) {
	st := &t.st
	if !st.done {
		t.rd.Feed(chunk)
		for !st.done {
			ev, ok := t.rd.Next()
			if !ok {
				break
			}
			if t.pro {
				dst = t.proEvent(dst, ev.Data)
			} else {
				dst = t.v2Event(dst, ev.Data)
			}
		}
	}
	if end && !st.done {
		st.done = true
		if st.finished && !t.pro {
			return append(dst, "data: [DONE]\n\n"...), nil // MiniMax may end without [DONE]
		}
		dst = appendError(dst, translator.StreamCutMessage, "server_error", "stream_cut")
	}
	return dst, nil
}

// appendError ends the client's stream with an error chunk and [DONE].
func appendError(dst []byte, msg, typ, code string) []byte {
	return append(translator.AppendOpenAIErrorEvent(dst, msg, typ, code), "data: [DONE]\n\n"...)
}

// inbandError appends the error chunk for an event whose base_resp holds an error, and
// reports whether it did.
func (t *Chat) inbandError(dst []byte, root gjson.Result) ([]byte, bool) {
	code := root.Get("base_resp.status_code").Int()
	if code == 0 {
		return dst, false
	}
	t.st.done = true
	se := baseRespError(code, root.Get("base_resp.status_msg").String()).(*translator.StatusError)
	return appendError(dst, se.Message, se.Type, se.Code), true
}

// v2Event passes one event of a v2 stream on.
func (t *Chat) v2Event(dst, data []byte) []byte {
	s := translator.View(data)
	if len(s) == 0 {
		return dst
	}
	if s == "[DONE]" {
		t.st.done = true
		return append(dst, "data: [DONE]\n\n"...)
	}
	if !gjson.Valid(s) || !gjson.Parse(s).IsObject() {
		t.st.done = true
		return appendError(dst, "upstream stream event is not a JSON object", "server_error", "bad_upstream_response")
	}
	root := gjson.Parse(s)
	if out, bad := t.inbandError(dst, root); bad {
		return out
	}
	if e := root.Get("error"); e.IsObject() {
		t.st.done = true
		return appendError(dst, e.Get("message").String(), "server_error", "upstream_error")
	}
	t.readUsage(root.Get("usage"))
	if root.Get("choices.0.finish_reason").String() != "" {
		t.st.finished = true
	}
	return sse.AppendData(dst, data)
}

// Usage implements translator.Translator.
func (t *Chat) Usage() translator.Usage { return t.usage }

var _ translator.UpstreamEditor = (*Chat)(nil)
