// Package hunyuan converts between the OpenAI chat protocol and Tencent Hunyuan's
// ChatCompletions action of the Tencent Cloud API 3.0 (hunyuan.tencentcloudapi.com,
// version 2023-09-01), and signs each request with TC3-HMAC-SHA256 (package sign).
//
// Chat is a translator.Translator created per request. It reads JSON with the shared
// scanner and gjson, writes JSON by appending to buffers, and converts streams event by
// event with sse.Reader, so every way a stream is split gives the same output.
//
// What an OpenAI client sees:
//
//   - Messages, tools, tool calls and results map field for field (Role/Content,
//     Contents for images, Tools with Parameters as a JSON string, ToolCalls,
//     ToolCallId); tool_choice none/auto as ToolChoice, a named function (or required
//     with a single tool) as ToolChoice custom with CustomTool.
//   - temperature, top_p, seed, stop become Temperature, TopP, Seed, Stop;
//     max_tokens has no Hunyuan equivalent and is dropped. Top-level fields whose name
//     starts with an upper-case letter are Hunyuan's own (EnableEnhancement,
//     StreamModeration, ... e.g. from raw customSettings) and pass through as they are.
//   - The answer's Id is the completion id, Usage is OpenAI usage, FinishReason
//     sensitive (moderation) is finish_reason content_filter, ReasoningContent is
//     reasoning_content.
//   - Tencent answers errors with HTTP 200 and Response.Error {Code, Message}; they
//     become OpenAI errors with the status the code means (AuthFailure.* 401,
//     LimitExceeded 429, InvalidParameter 400, InternalError 500, ...) and the Tencent
//     code as `code`. A stream's ErrorMsg {Code, Msg} ends the stream with an OpenAI
//     error chunk and `data: [DONE]`, as does a stream cut before its FinishReason.
package hunyuan

import (
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// The Tencent Cloud API endpoint of Hunyuan chat.
const (
	Host    = "hunyuan.tencentcloudapi.com"
	Service = "hunyuan"
	Action  = "ChatCompletions"
	Version = "2023-09-01"
	// ContentType is the request's Content-Type; it is signed, so it is sent as is.
	ContentType = "application/json; charset=utf-8"
)

// OpenAIHost is Tencent's OpenAI-compatible Hunyuan endpoint (/v1/chat/completions,
// /v1/embeddings with a bearer API key), used when no TC3 credential is configured.
const OpenAIHost = "api.hunyuan.cloud.tencent.com"

// finishReason maps a Hunyuan FinishReason to OpenAI's.
func finishReason(r string) string {
	switch r {
	case "tool_calls":
		return "tool_calls"
	case "sensitive":
		return "content_filter"
	case "length":
		return "length"
	}
	return "stop"
}

// ErrorStatus is the HTTP status an OpenAI client gets for a Tencent Cloud error code.
func ErrorStatus(code string) int {
	switch {
	case code == "AuthFailure.UnauthorizedOperation" || strings.HasPrefix(code, "UnauthorizedOperation") ||
		strings.HasPrefix(code, "OperationDenied"):
		return 403
	case strings.HasPrefix(code, "AuthFailure"):
		return 401
	case code == "RequestSizeLimitExceeded":
		return 413
	case strings.Contains(code, "LimitExceeded"):
		return 429
	case strings.HasPrefix(code, "ResourceNotFound") || code == "InvalidAction":
		return 404
	case strings.HasPrefix(code, "ResourceInsufficient") || strings.HasPrefix(code, "ResourceUnavailable") ||
		strings.HasPrefix(code, "FailedOperation.ServiceNotActivated") || strings.HasPrefix(code, "FailedOperation.ServiceStop"):
		return 403
	case strings.Contains(code, "Timeout"):
		return 504
	case strings.HasPrefix(code, "InternalError") || strings.HasPrefix(code, "FailedOperation") ||
		strings.HasPrefix(code, "ResourceUnavailable"):
		return 500
	}
	return 400
}

// tcError is a Response.Error object's code and message.
type tcError struct{ code, message string }

// readError reads {"Code","Message"} (raw object); ok is false when it holds neither.
func readError(raw string) (e tcError, ok bool) {
	sc := translator.NewScan(raw)
	for sc.Next() {
		switch sc.Key() {
		case "Code":
			e.code = strings.Clone(translator.Str(sc.Value()))
		case "Message":
			e.message = strings.Clone(translator.Str(sc.Value()))
		}
	}
	if e.message == "" && e.code != "" {
		e.message = "Tencent Cloud error " + e.code
	}
	return e, e.code != "" || e.message != ""
}

func itoa(n int) string { return string(translator.AppendInt(nil, int64(n))) }
