package telemetry

import (
	"bytes"

	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Cause says why a request ended as it did.
type Cause uint8

const (
	CauseNone          Cause = iota // served
	CausePlugin4xx                  // the plugin rejected the request (bad body, unknown path, ...)
	CauseUpstreamError              // the upstream answered an error (or could not be reached)
	CauseTimeout                    // the upstream timed out
	CauseFallback                   // served, but by a fallback after a failed attempt
	CauseTruncated                  // the upstream cut the answer short
)

var causeNames = [...]string{"none", "plugin_4xx", "upstream_error", "timeout", "fallback", "truncated"}

// String is the cause's name in metrics and the AI log.
func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "unknown"
}

// Record is what one request leaves behind. The plugin fills it as the request goes and
// hands it to AppendAILog, Metrics and SpanAttributes at the end.
type Record struct {
	Route, Cluster, Consumer string // route_name, cluster_name properties; x-mse-consumer ("none" when absent)
	API, Protocol            string // the API the client called ("chat/completions", "anthropic/v1/messages") and its protocol ("openai", "anthropic")
	Provider, ProviderType   string // the provider id and type that served
	RoutingMode              string
	RoutingReason            string
	Attempts                 int
	RequestModel             string // the model the client asked for
	ResponseModel            string // the model the upstream says it served
	Stream                   bool
	Status                   int // HTTP status the client got
	Cause                    Cause
	Usage                    translator.Usage // OpenAI's meaning
	Start, FirstByte, End    int64            // unix ns; FirstByte 0 if none
	ChatID                   string
	RequestBody              []byte // only when content logging is on
	ResponseContent          []byte // only when content logging is on
}

// Model is the model name for labels: the served model, else the requested one, else
// "unknown".
func (r *Record) Model() string {
	switch {
	case r.ResponseModel != "":
		return r.ResponseModel
	case r.Usage.Model != "":
		return r.Usage.Model
	case r.RequestModel != "":
		return r.RequestModel
	}
	return "unknown"
}

// ServiceMs is the request's duration in ms (Start to End).
func (r *Record) ServiceMs() int64 { return ms(r.End - r.Start) }

// FirstTokenMs is the time to the first response byte in ms, -1 if there was none.
func (r *Record) FirstTokenMs() int64 {
	if r.FirstByte == 0 {
		return -1
	}
	return ms(r.FirstByte - r.Start)
}

func ms(ns int64) int64 {
	if ns < 0 {
		return 0
	}
	return ns / 1e6
}

// ContentLimit is the default cap on each logged content field (bytes, before escaping).
const ContentLimit = 4096

// Redacted replaces every secret found in logged content.
const Redacted = "[REDACTED]"

// AppendAILog appends the AI log line of r: one JSON object, with the field names of
// Higress's ai-statistics where they exist (model, input_token, output_token,
// total_token, cached_tokens, reasoning_tokens, llm_first_token_duration,
// llm_service_duration, response_type, chat_id, api, consumer) plus ours (route,
// cluster, protocol, provider, provider_type, routing_mode, routing_reason, attempts,
// stream, status, error_cause, request_model, response_model, cache_creation_tokens) and,
// only when the record has content, request_body and response_body (each capped at
// limit bytes, ContentLimit when limit <= 0, with request_body_truncated /
// response_body_truncated set when cut). Every occurrence of a string of redact (the
// configured API tokens, the client's credential) in the content becomes [REDACTED];
// strings shorter than 4 bytes are ignored (they would redact common text).
//
// Durations are in ms. Only non-empty strings and present values are written, except
// the numbers and outcome fields which are always there.
func AppendAILog(dst []byte, r *Record, redact []string, limit int) []byte {
	if limit <= 0 {
		limit = ContentLimit
	}
	dst = append(dst, '{')
	dst = strField(dst, "model", r.Model(), true)
	dst = intField(dst, "input_token", r.Usage.PromptTokens)
	dst = intField(dst, "output_token", r.Usage.CompletionTokens)
	dst = intField(dst, "total_token", r.Usage.TotalTokens)
	dst = intField(dst, "cached_tokens", r.Usage.CachedTokens)
	dst = intField(dst, "cache_creation_tokens", r.Usage.CacheCreationTokens)
	dst = intField(dst, "reasoning_tokens", r.Usage.ReasoningTokens)
	if r.FirstByte != 0 && r.Stream {
		dst = intField(dst, "llm_first_token_duration", r.FirstTokenMs())
	}
	dst = intField(dst, "llm_service_duration", r.ServiceMs())
	if r.Stream {
		dst = strField(dst, "response_type", "stream", false)
	} else {
		dst = strField(dst, "response_type", "normal", false)
	}
	dst = strField(dst, "chat_id", r.ChatID, false)
	dst = strField(dst, "api", r.API, false)
	dst = strField(dst, "consumer", orNone(r.Consumer), false)
	dst = strField(dst, "route", r.Route, false)
	dst = strField(dst, "cluster", r.Cluster, false)
	dst = strField(dst, "protocol", r.Protocol, false)
	dst = strField(dst, "provider", r.Provider, false)
	dst = strField(dst, "provider_type", r.ProviderType, false)
	dst = strField(dst, "routing_mode", r.RoutingMode, false)
	dst = strField(dst, "routing_reason", r.RoutingReason, false)
	dst = intField(dst, "attempts", int64(r.Attempts))
	dst = append(dst, `,"stream":`...)
	if r.Stream {
		dst = append(dst, "true"...)
	} else {
		dst = append(dst, "false"...)
	}
	dst = intField(dst, "status", int64(r.Status))
	dst = strField(dst, "error_cause", r.Cause.String(), false)
	dst = strField(dst, "request_model", r.RequestModel, false)
	dst = strField(dst, "response_model", r.ResponseModel, false)
	if r.RequestBody != nil {
		dst = contentField(dst, "request_body", r.RequestBody, redact, limit)
	}
	if r.ResponseContent != nil {
		dst = contentField(dst, "response_body", r.ResponseContent, redact, limit)
	}
	return append(dst, '}')
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func key(dst []byte, k string) []byte {
	if len(dst) > 0 && dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

func strField(dst []byte, k, v string, always bool) []byte {
	if v == "" && !always {
		return dst
	}
	return translator.AppendString(key(dst, k), v)
}

func intField(dst []byte, k string, v int64) []byte {
	return translator.AppendInt(key(dst, k), v)
}

// contentField appends the capped, redacted content. Redaction is applied before the
// cap, so a secret straddling the cut cannot leave its first part in the log; the cap is
// moved back to a UTF-8 character start.
func contentField(dst []byte, k string, v []byte, redact []string, limit int) []byte {
	var red []byte
	for _, s := range redact {
		if len(s) >= 4 && bytes.Contains(v, []byte(s)) {
			if red == nil {
				red = append([]byte(nil), v...)
			}
			red = bytes.ReplaceAll(red, []byte(s), []byte(Redacted))
		}
	}
	if red != nil {
		v = red
	}
	cut := false
	if len(v) > limit {
		n := limit
		for n > 0 && v[n]&0xC0 == 0x80 {
			n--
		}
		v, cut = v[:n], true
	}
	dst = translator.AppendString(key(dst, k), translator.View(v))
	if cut {
		dst = append(key(dst, k+"_truncated"), "true"...)
	}
	return dst
}

// AppendLogProperty appends the value the plugin stores in the ai_log property (path
// ["ai_log"]; Envoy keeps it as filter state wasm.ai_log): the AI log line escaped as the
// contents of a JSON string, without the quotes, as Higress wasm-go's MarshalStr does
// (pkg/wrapper/plugin_wrapper.go WriteUserAttributeToLogWithKey), so that the access log
// format `"ai_log":"%FILTER_STATE(wasm.ai_log:PLAIN)%"` is JSON and ai-statistics, when it
// runs too, can merge its fields into ours.
func AppendLogProperty(dst, line []byte) []byte {
	start := len(dst)
	dst = translator.AppendString(dst, translator.View(line))
	n := copy(dst[start:], dst[start+1:len(dst)-1])
	return dst[:start+n]
}
