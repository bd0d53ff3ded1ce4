package telemetry

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func collect(r *Record) []string {
	var w MetricWriter
	var out []string
	w.Write(r, func(name []byte, kind MetricKind, v int64) {
		k := "counter"
		if kind == Histogram {
			k = "histogram"
		}
		out = append(out, fmt.Sprintf("%s %s %d", name, k, v))
	})
	sort.Strings(out)
	return out
}

func TestMetrics(t *testing.T) {
	p := "route.ai-route-openai.internal.upstream.outbound|443||api.openai.com.model.gpt-4o-2024-08-06.consumer.none.metric."
	q := p + "ai_provider=.=openai-1;.;"
	want := []string{
		p + "ai_provider=.=openai-1;.;ai_proxy_cached_token counter 1024",
		q + "ai_proxy_reasoning_token counter 12",
		q + "ai_proxy_request_duration_ms histogram 2340",
		q + "ai_proxy_time_per_output_token_ms histogram 44", // 2000 ms / 45
		q + "ai_proxy_time_to_first_token_ms histogram 340",
		q + "ai_status_class=.=2xx;.;ai_error_cause=.=none;.;ai_proxy_requests counter 1",
		p + "input_token counter 1117",
		p + "llm_duration_count counter 1",
		p + "llm_first_token_duration counter 340",
		p + "llm_service_duration counter 2340",
		p + "llm_stream_duration_count counter 1",
		p + "output_token counter 46",
		p + "total_token counter 1163",
	}
	sort.Strings(want)
	if got := collect(sample()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A rejected request without usage: only ours, no Higress counters.
	r := &Record{Status: 400, Cause: CausePlugin4xx, Start: sec, End: sec + 1e6, RequestModel: "qwen2.5-max"}
	want = []string{
		"route.-.upstream.-.model.qwen2.5-max.consumer.none.metric.ai_provider=.=-;.;ai_proxy_request_duration_ms histogram 1",
		"route.-.upstream.-.model.qwen2.5-max.consumer.none.metric.ai_provider=.=-;.;ai_status_class=.=4xx;.;ai_error_cause=.=plugin_4xx;.;ai_proxy_requests counter 1",
	}
	if got := collect(r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMetricValueEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"qwen2.5-max":                  "qwen2.5-max",
		"outbound|443||api.openai.com": "outbound|443||api.openai.com",
		"my.modelhub.com":              "my_modelhub.com",
		"a.upstream.b.consumer.c":      "a_upstream.b_consumer.c",
		"x;.;y\n":                      "x_._y_",
		"a.metrics":                    "a_metrics",
		"":                             "-",
	} {
		if got := string(appendValue(nil, in, "-")); got != want {
			t.Errorf("appendValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpanAttributes(t *testing.T) {
	got := map[string]string{}
	SpanAttributes(sample(), func(k, v string) { got[k] = v })
	want := map[string]string{
		"gen_ai.span.kind": "LLM", "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.system": "openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-1",
		"gen_ai.usage.input_tokens": "1117", "gen_ai.usage.output_tokens": "46", "gen_ai.usage.total_tokens": "1163",
		"gen_ai.usage.cache_read.input_tokens": "1024", "gen_ai.usage.reasoning.output_tokens": "12", "gen_ai.request.stream": "true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func BenchmarkMetrics(b *testing.B) {
	r := sample()
	var w MetricWriter
	n := 0
	add := func(name []byte, kind MetricKind, v int64) { n += len(name) }
	b.ReportAllocs()
	for b.Loop() {
		w.Write(r, add)
	}
}
