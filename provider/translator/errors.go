package translator

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// ErrorType returns the OpenAI error `type` conventionally used for an HTTP status.
func ErrorType(status int) string {
	switch {
	case status == 400 || status == 404 || status == 413 || status == 422:
		return "invalid_request_error"
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 429:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	}
	return "api_error"
}

// AnthropicErrorType returns Anthropic's error `type` for an HTTP status.
func AnthropicErrorType(status int) string {
	switch status {
	case 400, 413, 422:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 429:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "api_error"
}

// AppendOpenAIError appends `{"error":{"message","type","code"}}`. code may be empty
// (then null).
func AppendOpenAIError(dst []byte, message, typ, code string) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = AppendString(dst, message)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, typ)
	dst = append(dst, `,"code":`...)
	if code == "" {
		dst = append(dst, "null"...)
	} else {
		dst = AppendString(dst, code)
	}
	return append(dst, "}}"...)
}

// AppendAnthropicError appends `{"type":"error","error":{"type","message"}}`.
func AppendAnthropicError(dst []byte, message, typ string) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = AppendString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = AppendString(dst, message)
	return append(dst, "}}"...)
}

// AppendInt appends the decimal form of n.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// UpstreamError is what an upstream error answer says, whatever its shape.
type UpstreamError struct {
	Message string
	Type    string // the upstream's error type, when it names one
	Code    string // the upstream's error code (OpenAI `code`, DashScope `code`), when it names one
}

// maxErrorText caps the text of a non-JSON error body copied into a message.
const maxErrorText = 512

// ReadUpstreamError finds the message, type and code in an upstream error body of any
// shape: an OpenAI or Anthropic error object, a DashScope {code, message}, a bare
// {message} or {detail}, the same JSON inside an SSE event (DashScope answers streaming
// requests that fail with `event:error`), or plain text and HTML (capped). An empty body
// gets a message naming the status, so the client always learns what happened.
func ReadUpstreamError(status int, body []byte) UpstreamError {
	s := trimSpace(View(body))
	if s != "" && s[0] != '{' {
		if data, ok := sseErrorData(s); ok {
			s = data
		}
	}
	if s != "" && s[0] == '{' && gjson.Valid(s) {
		root := gjson.Parse(s)
		var e UpstreamError
		switch v := root.Get("error"); {
		case v.IsObject():
			e.Message, e.Type, e.Code = v.Get("message").String(), v.Get("type").String(), v.Get("code").String()
		case v.Type == gjson.String:
			e.Message = v.Str
		}
		if e.Code == "" {
			e.Code = root.Get("code").String()
		}
		for _, k := range [...]string{"message", "detail", "msg", "error_msg"} {
			if e.Message != "" {
				break
			}
			e.Message = root.Get(k).String()
		}
		if e.Message != "" {
			e.Message, e.Type, e.Code = strings.Clone(e.Message), strings.Clone(e.Type), strings.Clone(e.Code)
			return e
		}
	}
	st := strconv.Itoa(status)
	if s == "" {
		return UpstreamError{Message: "upstream answered HTTP " + st + " with an empty body"}
	}
	if len(s) > maxErrorText {
		s = s[:maxErrorText] + "..."
	}
	return UpstreamError{Message: "upstream answered HTTP " + st + ": " + strings.ToValidUTF8(s, "")}
}

// sseErrorData returns the first `data:` value of an SSE body that is a JSON object.
func sseErrorData(s string) (string, bool) {
	for s != "" {
		line := s
		if i := strings.IndexAny(s, "\r\n"); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			if v = trimSpace(v); v != "" && v[0] == '{' {
				return v, true
			}
		}
	}
	return "", false
}

func trimSpace(s string) string { return strings.TrimSpace(s) }

// StreamCutMessage is the error every converter reports when an upstream stream ends
// before its protocol's last event: the answer is incomplete and must not pass for whole.
const StreamCutMessage = "upstream stream ended before the answer was complete"

// CheckPart returns an error naming field when a request's content part (raw JSON) is
// not an object with a string `type`: unreadable content is refused, never converted
// into an empty message.
func CheckPart(field, raw string) error {
	raw = trimSpace(raw)
	if raw == "" || raw[0] != '{' {
		return errors.New(field + ": content parts must be objects with a type, got " + kindOf(raw))
	}
	if t := gjson.Get(raw, "type"); t.Exists() && t.Type != gjson.String {
		return errors.New(field + ": content part type must be a string")
	}
	return nil
}

func kindOf(raw string) string {
	switch {
	case raw == "":
		return "nothing"
	case raw[0] == '[':
		return "an array"
	case raw[0] == '"':
		return "a string"
	case raw == "null":
		return "null"
	}
	return "a " + gjson.Parse(raw).Type.String()
}
