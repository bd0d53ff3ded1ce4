package telemetry

// MetricKind is how a metric is defined with the host.
type MetricKind uint8

const (
	Counter   MetricKind = iota // proxy_define_metric type 0, incremented by the value
	Histogram                   // proxy_define_metric type 2, the value recorded
)

// Metric names, as the plugin defines them (Envoy stores them with the `wasmcustom.`
// prefix of custom wasm metrics, and drops it again in /stats/prometheus).
//
// Every name starts with the prefix of Higress's ai-statistics,
//
//	route.<route>.upstream.<cluster>.model.<model>.consumer.<consumer>.metric.
//
// so that the tag rules Higress ships in its Envoy bootstrap (and build/envoy.yaml
// repeats) extract ai_route, ai_cluster, ai_model and ai_consumer from all of them, ours
// included. The tags beyond those four are written the Istio way, `<tag>=.=<value>;.;`,
// which Higress/Istio's extraStatTags rules and build/envoy.yaml extract with
// `(<tag>=\.=(.*?);\.;)`.
//
// Higress ai-statistics counters (same names and meaning; written only when the
// answer had usage, total_token > 0, as ai-statistics does):
//
//	input_token, output_token, total_token       tokens (OpenAI meaning)      gen_ai.client.token.usage{gen_ai.token.type=input|output}
//	llm_first_token_duration                     sum of ms to first byte, streams
//	llm_stream_duration_count                    streams counted in the above
//	llm_service_duration                         sum of ms, all requests      gen_ai.server.request.duration (as sum/count)
//	llm_duration_count                           requests counted in the above
//
// Ours, after the prefix and an `ai_provider=.=<provider id>;.;` tag:
//
//	ai_proxy_cached_token          counter   prompt tokens read from cache   gen_ai.client.token.usage{gen_ai.token.type=input} part; span gen_ai.usage.cache_read.input_tokens
//	ai_proxy_cache_creation_token  counter   prompt tokens written to cache  span gen_ai.usage.cache_creation.input_tokens
//	ai_proxy_reasoning_token       counter   part of output tokens           gen_ai.client.token.usage{gen_ai.token.type=output} part
//	ai_proxy_requests              counter   every request, with ai_status_class (2xx, 4xx, 5xx, ...) and ai_error_cause tags
//	ai_proxy_request_duration_ms   histogram ms, every request               gen_ai.server.request.duration (s)
//	ai_proxy_time_to_first_token_ms histogram ms to the first byte, streams  gen_ai.server.time_to_first_token (s)
//	ai_proxy_time_per_output_token_ms histogram ms per output token after the first, streams with > 1 output token  gen_ai.server.time_per_output_token (s)
//
// Label values keep their dots (`qwen2.5-max`, `outbound|443||api.openai.com`), as in
// Higress: the rules match lazily up to the next `.upstream` / `.model` / `.consumer` /
// `.metric` and up to `;.;`. So that no value can end a tag early, a value's `.` that is
// followed by one of those four words becomes `_`, `;` becomes `_`, control characters
// become `_`, and an empty value becomes `-` (`none` for the consumer, `unknown` for the
// model).
const (
	MetricInputToken           = "input_token"
	MetricOutputToken          = "output_token"
	MetricTotalToken           = "total_token"
	MetricFirstTokenDuration   = "llm_first_token_duration"
	MetricStreamDurationCount  = "llm_stream_duration_count"
	MetricServiceDuration      = "llm_service_duration"
	MetricDurationCount        = "llm_duration_count"
	MetricCachedToken          = "ai_proxy_cached_token"
	MetricCacheCreationToken   = "ai_proxy_cache_creation_token"
	MetricReasoningToken       = "ai_proxy_reasoning_token"
	MetricRequests             = "ai_proxy_requests"
	MetricRequestDurationMs    = "ai_proxy_request_duration_ms"
	MetricTimeToFirstTokenMs   = "ai_proxy_time_to_first_token_ms"
	MetricTimePerOutputTokenMs = "ai_proxy_time_per_output_token_ms"
	TagProvider                = "ai_provider"
	TagStatusClass             = "ai_status_class"
	TagErrorCause              = "ai_error_cause"
)

// MetricWriter builds metric names into a reused buffer. One per VM (not concurrent).
type MetricWriter struct {
	buf []byte
}

// Write reports the metric updates of r to add. name is valid only during the call
// (the plugin looks its metric id up with m[string(name)], which does not allocate, and
// copies it only to define a new metric). Counters with value 0 are not reported.
func (w *MetricWriter) Write(r *Record, add func(name []byte, kind MetricKind, value int64)) {
	b := w.buf[:0]
	b = append(b, "route."...)
	b = appendValue(b, r.Route, "-")
	b = append(b, ".upstream."...)
	b = appendValue(b, r.Cluster, "-")
	b = append(b, ".model."...)
	b = appendValue(b, r.Model(), "unknown")
	b = append(b, ".consumer."...)
	b = appendValue(b, r.Consumer, "none")
	b = append(b, ".metric."...)
	base := len(b)
	counter := func(name string, v int64) {
		if v > 0 {
			b = append(b[:base], name...)
			add(b, Counter, v)
		}
	}
	u := &r.Usage
	service := r.ServiceMs()
	ttft := r.FirstTokenMs()
	if u.TotalTokens > 0 {
		counter(MetricInputToken, u.PromptTokens)
		counter(MetricOutputToken, u.CompletionTokens)
		counter(MetricTotalToken, u.TotalTokens)
		if r.Stream && ttft >= 0 {
			counter(MetricFirstTokenDuration, ttft)
			counter(MetricStreamDurationCount, 1)
		}
		counter(MetricServiceDuration, service)
		counter(MetricDurationCount, 1)
	}

	b = append(b[:base], TagProvider...)
	b = append(b, "=.="...)
	b = appendValue(b, r.Provider, "-")
	b = append(b, ";.;"...)
	base = len(b)
	counter(MetricCachedToken, u.CachedTokens)
	counter(MetricCacheCreationToken, u.CacheCreationTokens)
	counter(MetricReasoningToken, u.ReasoningTokens)
	hist := func(name string, v int64) {
		b = append(b[:base], name...)
		add(b, Histogram, v)
	}
	hist(MetricRequestDurationMs, service)
	if r.Stream && ttft >= 0 {
		hist(MetricTimeToFirstTokenMs, ttft)
		if n := u.CompletionTokens; n > 1 && r.End > r.FirstByte {
			hist(MetricTimePerOutputTokenMs, ms(r.End-r.FirstByte)/(n-1))
		}
	}
	b = append(b[:base], TagStatusClass...)
	b = append(b, "=.="...)
	b = appendStatusClass(b, r.Status)
	b = append(b, ";.;"...)
	b = append(b, TagErrorCause...)
	b = append(b, "=.="...)
	b = append(b, r.Cause.String()...)
	b = append(b, ";.;"...)
	b = append(b, MetricRequests...)
	add(b, Counter, 1)
	w.buf = b
}

func appendStatusClass(b []byte, status int) []byte {
	if status < 100 || status > 999 {
		return append(b, "unknown"...)
	}
	return append(b, byte('0'+status/100), 'x', 'x')
}

var keywords = [...]string{"upstream", "model", "consumer", "metric"}

// appendValue appends a label value escaped as documented on the metric names.
func appendValue(b []byte, v, empty string) []byte {
	if v == "" {
		return append(b, empty...)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ';' || c < 0x20 || c == 0x7f:
			c = '_'
		case c == '.':
			for _, k := range keywords {
				if len(v)-i-1 >= len(k) && v[i+1:i+1+len(k)] == k {
					c = '_'
					break
				}
			}
		}
		b = append(b, c)
	}
	return b
}
