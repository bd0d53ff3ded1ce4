// Package anthropic converts between the OpenAI chat completions protocol and the
// Anthropic Messages protocol, in both directions:
//
//   - ChatToMessages serves an OpenAI client from an Anthropic (Claude) upstream.
//   - MessagesToChat serves an Anthropic client from an OpenAI-compatible upstream.
//
// Both are translator.Translator values created per request. They read JSON with gjson,
// write JSON by appending to buffers, and convert streams event by event with sse.Reader,
// so every way a stream is split gives the same output.
//
// Conventions an OpenAI client sees for Claude features that OpenAI has no field for:
//
//   - Thinking text is `reasoning_content` (message and stream delta). The thinking
//     block's signature is `reasoning_signature` (message, and a stream delta of its
//     own). When an answer holds more than one thinking block, or a redacted one, the
//     message also carries `thinking_blocks`: the blocks verbatim
//     ({"type":"thinking","thinking","signature"} / {"type":"redacted_thinking","data"}).
//     In a stream a redacted block arrives as a delta with `thinking_blocks`.
//     Sent back on an assistant message, `thinking_blocks` (preferred) or
//     `reasoning_content` + `reasoning_signature` become Anthropic thinking blocks again,
//     so tool loops with extended thinking keep working.
//   - response_format json_schema becomes `output_config.format` (Claude structured
//     outputs), so the answer stays ordinary text content; json_object has no Claude
//     equivalent and is dropped.
package anthropic

import (
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// appendStringBody appends the contents of the JSON string literal raw (quotes
// excluded) as they are, escapes included. It is how text is copied between protocols
// without decoding it; raw must come from validated JSON.
func appendStringBody(dst []byte, raw string) []byte {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return append(dst, raw[1:len(raw)-1]...)
	}
	return dst
}

// appendJSONString appends v as a JSON string: string values verbatim (already
// escaped), any other value as its text.
func appendJSONString(dst []byte, v gjson.Result) []byte {
	if v.Type == gjson.String {
		return append(dst, v.Raw...)
	}
	return translator.AppendString(dst, v.String())
}

// appendToolID appends id as a JSON string usable as an Anthropic tool_use id, which
// allows only [a-zA-Z0-9_-]: other bytes become '_'. The mapping is deterministic, so a
// tool_use and its tool_result still match.
func appendToolID(dst []byte, id string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
	}
	return append(dst, '"')
}

// finishReason maps an Anthropic stop_reason to an OpenAI finish_reason.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	// end_turn, stop_sequence, pause_turn and anything new end the turn normally.
	return "stop"
}

// stopReason maps an OpenAI finish_reason to an Anthropic stop_reason.
func stopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

// upstreamErrorMessage finds the human-readable message in an upstream error body of
// any shape (translator.ReadUpstreamError); typ is the error's type when the body names one.
func upstreamErrorMessage(status int, body []byte) (msg, typ string) {
	e := translator.ReadUpstreamError(status, body)
	return e.Message, e.Type
}

func itoa(n int) string { return string(translator.AppendInt(nil, int64(n))) }

// is2xx reports whether status is a success.
func is2xx(status int) bool { return status >= 200 && status < 300 }

// effortBudget maps an OpenAI reasoning_effort to a Claude thinking budget in tokens;
// 0 means no thinking.
func effortBudget(effort string) int64 {
	switch effort {
	case "low":
		return 1024
	case "medium":
		return 4096
	case "high":
		return 16384
	case "xhigh", "max":
		return 32768
	}
	return 0 // "none", "minimal", unknown
}

// budgetEffort maps a Claude thinking budget to the nearest OpenAI reasoning_effort.
func budgetEffort(budget int64) string {
	switch {
	case budget < 4096:
		return "low"
	case budget < 16384:
		return "medium"
	}
	return "high"
}
