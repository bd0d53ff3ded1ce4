// Package dashscope converts between the OpenAI API (as clients speak it) and Alibaba
// Cloud Model Studio's native DashScope API: chat (text and multimodal generation, JSON
// and SSE), embeddings, text rerank, and image generation and editing, including
// DashScope's asynchronous image-synthesis tasks. It also holds the small request
// editor used in DashScope's OpenAI-compatible mode (qwenEnableSearch, qwenFileIds).
//
// Every converter is a translator.Translator created per request; none reads a whole
// body through encoding/json: requests and answers are read with gjson (chat, the hot
// path, with the one-pass raw scanner of scan.go) and written by appending to a buffer
// the converter reuses.
package dashscope

import (
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/tidwall/gjson"
)

// DashScope upstream paths.
const (
	PathTextGeneration       = "/api/v1/services/aigc/text-generation/generation"
	PathMultimodalGeneration = "/api/v1/services/aigc/multimodal-generation/generation"
	PathEmbeddings           = "/api/v1/services/embeddings/text-embedding/text-embedding"
	PathRerank               = "/api/v1/services/rerank/text-rerank/text-rerank"
	PathImage2Image          = "/api/v1/services/aigc/image2image/image-synthesis"
	PathText2Image           = "/api/v1/services/aigc/text2image/image-synthesis"
	// PathTasks is the task route; a task's status is at PathTasks + task_id (GET).
	PathTasks = "/api/v1/tasks/"

	// OpenAI-compatible mode ("compatible-mode") and its sibling for rerank.
	PathCompatiblePrefix = "/compatible-mode/v1"
	PathCompatibleRerank = "/compatible-api/v1/reranks"
	// PathAnthropicMessages serves the Anthropic Messages API natively.
	PathAnthropicMessages = "/apps/anthropic/v1/messages"
)

// Reasoning content modes (the config's reasoningContentMode).
const (
	ReasoningPassthrough = "passthrough"
	ReasoningIgnore      = "ignore"
	ReasoningConcat      = "concat"
)

// Reasoning markers used by ReasoningConcat: the answer's content becomes
// "<think>" + reasoning + "</think>\n" + content, as Higress writes it.
const (
	thinkStart = "<think>"
	thinkEnd   = "</think>"
)

// Options are the provider settings a converter needs. The zero value is valid.
type Options struct {
	// ReasoningMode is ReasoningPassthrough (also for ""), ReasoningIgnore or
	// ReasoningConcat.
	ReasoningMode string
	// EnableSearch sets enable_search (qwenEnableSearch) unless the request sets it.
	EnableSearch bool
	// FileIDs become a first system message "fileid://a,fileid://b" (qwenFileIds).
	FileIDs []string
	// Now returns the Unix time written as `created`; nil means the wall clock.
	Now func() int64
}

func (o *Options) now() int64 {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now().Unix()
}

// fileIDContent returns "fileid://a,fileid://b".
func fileIDContent(ids []string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("fileid://")
		b.WriteString(id)
	}
	return b.String()
}

// IsMultimodalModel reports whether a model is served by multimodal-generation rather
// than text-generation: the vision (vl, qvq), omni and audio families.
func IsMultimodalModel(model string) bool {
	m := strings.ToLower(model)
	if strings.HasPrefix(m, "qvq") {
		return true
	}
	for m != "" { // each segment between '-', '_' and '.', without allocating
		i := strings.IndexAny(m, "-_.")
		seg := m
		if i >= 0 {
			seg, m = m[:i], m[i+1:]
		} else {
			m = ""
		}
		switch {
		case seg == "vl", strings.HasPrefix(seg, "omni"), strings.HasSuffix(seg, "omni"),
			strings.HasPrefix(seg, "audio"), strings.HasSuffix(seg, "audio"), strings.HasSuffix(seg, "vl"):
			return true
		}
	}
	return false
}

// ErrorStatus maps a DashScope error code to the HTTP status DashScope documents for
// it; 0 when the code is unknown.
func ErrorStatus(code string) int {
	base, _, _ := strings.Cut(code, ".")
	switch base {
	case "InvalidParameter", "InvalidURL", "InvalidFile", "DataInspectionFailed", "BadRequest",
		"InvalidSchema", "InvalidSchemaFormat", "InvalidImage", "InvalidVideo", "InvalidAudio",
		"data_inspection_failed", "invalid_parameter_error", "invalid_value":
		return 400
	case "InvalidApiKey", "Unauthorized", "invalid_api_key":
		return 401
	case "AccessDenied", "Arrearage", "Model", "Workspace", "AppNotFound":
		if code == "Model.NotFound" {
			return 404
		}
		return 403
	case "ModelNotFound", "NotFound", "model_not_found", "WorkspaceNotFound":
		return 404
	case "Throttling", "LimitRequests", "limit_requests", "RateQuota", "insufficient_quota":
		return 429
	case "InternalError", "SystemError", "internal_error":
		return 500
	case "ServiceUnavailable", "ModelServiceFailed", "ModelUnavailable":
		return 503
	case "RequestTimeOut", "Timeout":
		return 504
	}
	return 0
}

// appendError converts a DashScope error answer ({"code","message","request_id"}) with
// the given HTTP status into an OpenAI error body. A body that is no DashScope error
// still yields a well-formed OpenAI error carrying the status.
func appendError(dst []byte, status int, body []byte) []byte {
	e := translator.ReadUpstreamError(status, body)
	code, msg := e.Code, e.Message
	st := status
	if st/100 == 2 || st == 0 {
		st = ErrorStatus(code)
		if st == 0 {
			st = 500
		}
	} else if s := ErrorStatus(code); s != 0 && (st == 400 || st == 500) {
		// DashScope answers several codes with a generic status; the code is sharper.
		st = s
	}
	return translator.AppendOpenAIError(dst, msg, translator.ErrorType(st), code)
}

// isError reports whether a 2xx-looking DashScope body is in fact an error.
func isError(r gjson.Result) bool {
	return r.Get("code").Type == gjson.String && r.Get("code").Str != "" && !r.Get("output").Exists()
}

// appendUsage writes an OpenAI `usage` object from a raw DashScope one and records it.
func appendUsage(dst []byte, raw string, rec *translator.Usage) []byte {
	readUsageRaw(raw, rec)
	return appendUsageFrom(dst, rec)
}

// appendUsageFrom writes an OpenAI usage object from recorded numbers.
func appendUsageFrom(dst []byte, u *translator.Usage) []byte {
	dst = translator.AppendOpenAIUsageCounts(dst, *u)
	if u.CachedTokens > 0 || u.CacheCreationTokens > 0 {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = translator.AppendInt(dst, u.CachedTokens)
		if u.CacheCreationTokens > 0 {
			dst = append(dst, `,"cache_creation_tokens":`...)
			dst = translator.AppendInt(dst, u.CacheCreationTokens)
		}
		dst = append(dst, '}')
	}
	if u.ReasoningTokens > 0 {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = translator.AppendInt(dst, u.ReasoningTokens)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// readUsage reads a DashScope usage object into rec, keeping rec.Model.
func readUsage(u gjson.Result, rec *translator.Usage) { readUsageRaw(u.Raw, rec) }

// readUsageRaw reads a raw DashScope usage object into rec, keeping rec.Model.
func readUsageRaw(raw string, rec *translator.Usage) {
	it := members(raw)
	readUsageIter(&it, rec)
}

// readUsageIter reads a DashScope usage object into rec, keeping rec.Model, in one pass
// with integers parsed directly. DashScope's input_tokens include cached tokens, as
// OpenAI's prompt_tokens do.
func readUsageIter(it *iter, rec *translator.Usage) {
	*rec = translator.Usage{Model: rec.Model}
	for {
		k, ok := it.key()
		if !ok {
			break
		}
		switch k {
		case "input_tokens", "prompt_tokens":
			rec.PromptTokens = it.int()
		case "output_tokens", "completion_tokens":
			rec.CompletionTokens = it.int()
		case "total_tokens":
			rec.TotalTokens = it.int()
		case "prompt_tokens_details", "input_tokens_details":
			var cached, created string // the first of each, as gjson's Get
			d := it.enterObject()
			for {
				k, ok := d.key()
				if !ok {
					break
				}
				if k == "cached_tokens" && cached == "" {
					cached = d.raw()
				} else if k == "cache_creation_input_tokens" && created == "" {
					created = d.raw()
				}
			}
			it.leave(&d)
			if cached != "" {
				rec.CachedTokens = intOf(cached)
			}
			if created != "" {
				rec.CacheCreationTokens = intOf(created)
			}
		case "output_tokens_details", "completion_tokens_details":
			var reasoning string
			d := it.enterObject()
			for {
				k, ok := d.key()
				if !ok {
					break
				}
				if k == "reasoning_tokens" && reasoning == "" {
					reasoning = d.raw()
				}
			}
			it.leave(&d)
			rec.ReasoningTokens = intOf(reasoning)
		}
	}
	if rec.TotalTokens == 0 {
		rec.TotalTokens = rec.PromptTokens + rec.CompletionTokens
	}
}

// jsonAnswer gives non-streaming converters a ResponseStream: a JSON answer that
// arrives through the streaming path is collected and converted once complete.
type jsonAnswer struct {
	status int
	buf    []byte
}

// SetUpstreamStatus implements translator.StreamStatus.
func (j *jsonAnswer) SetUpstreamStatus(status int, _ string) { j.status = status }

func (j *jsonAnswer) collect(dst, chunk []byte, end bool, conv func(int, []byte) ([]byte, error)) ([]byte, error) {
	j.buf = append(j.buf, chunk...)
	if !end {
		return dst, nil
	}
	st := j.status
	if st == 0 {
		st = 200
	}
	out, err := conv(st, j.buf)
	return append(dst, out...), err
}
