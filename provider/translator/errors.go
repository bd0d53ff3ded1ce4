package translator

import "strconv"

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
