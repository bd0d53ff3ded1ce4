package telemetry

import (
	"strconv"
	"strings"
)

// SpanAttributes reports the OpenTelemetry gen_ai span attributes of r to set. The
// plugin writes each with proxy_set_property at path ["trace_span_tag.<key>"] (Higress
// wasm-go's WriteUserAttributeToTrace: pkg/wrapper/plugin_wrapper.go TraceSpanTagPrefix),
// which Higress's Envoy adds to the active span as a tag.
//
// Keys: gen_ai.operation.name (chat, text_completion, embeddings, rerank...),
// gen_ai.provider.name and the older gen_ai.system (the provider type), gen_ai.request.model,
// gen_ai.response.model, gen_ai.response.id, gen_ai.usage.input_tokens,
// gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens,
// gen_ai.usage.cache_creation.input_tokens, gen_ai.usage.reasoning.output_tokens (when
// non-zero), gen_ai.usage.total_tokens (Higress/ARMS), gen_ai.span.kind=LLM (ARMS, as
// ai-statistics sets it), gen_ai.request.stream (ours), error.type (the error cause when
// not none).
func SpanAttributes(r *Record, set func(key, value string)) {
	set("gen_ai.span.kind", "LLM")
	if op := operation(r.API); op != "" {
		set("gen_ai.operation.name", op)
	}
	if r.ProviderType != "" {
		set("gen_ai.provider.name", r.ProviderType)
		set("gen_ai.system", r.ProviderType)
	}
	if r.RequestModel != "" {
		set("gen_ai.request.model", r.RequestModel)
	}
	if m := r.ResponseModel; m != "" || r.Usage.Model != "" {
		if m == "" {
			m = r.Usage.Model
		}
		set("gen_ai.response.model", m)
	}
	if r.ChatID != "" {
		set("gen_ai.response.id", r.ChatID)
	}
	var num [20]byte
	n := func(k string, v int64, always bool) {
		if v != 0 || always {
			set(k, string(strconv.AppendInt(num[:0], v, 10)))
		}
	}
	u := &r.Usage
	if u.TotalTokens > 0 {
		n("gen_ai.usage.input_tokens", u.PromptTokens, true)
		n("gen_ai.usage.output_tokens", u.CompletionTokens, true)
		n("gen_ai.usage.total_tokens", u.TotalTokens, true)
	}
	n("gen_ai.usage.cache_read.input_tokens", u.CachedTokens, false)
	n("gen_ai.usage.cache_creation.input_tokens", u.CacheCreationTokens, false)
	n("gen_ai.usage.reasoning.output_tokens", u.ReasoningTokens, false)
	if r.Stream {
		set("gen_ai.request.stream", "true")
	}
	if r.Cause != CauseNone && r.Cause != CauseFallback {
		set("error.type", r.Cause.String())
	}
}

// operation maps the API the client called to gen_ai.operation.name.
func operation(api string) string {
	switch {
	case strings.HasSuffix(api, "chatcompletions"), strings.HasSuffix(api, "chat/completions"),
		strings.HasSuffix(api, "messages"), strings.HasSuffix(api, "responses"):
		return "chat"
	case strings.HasSuffix(api, "completions"):
		return "text_completion"
	case strings.HasSuffix(api, "embeddings"):
		return "embeddings"
	case strings.HasSuffix(api, "rerank"):
		return "rerank"
	}
	return ""
}
