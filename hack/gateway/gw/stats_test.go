package gw

import (
	"os"
	"strings"
	"testing"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/ai-proxy/ai-proxy/provider/telemetry"
	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestStatsTagsMatchEnvoyYAML keeps the gateway's rules and build/envoy.yaml's equal.
func TestStatsTagsMatchEnvoyYAML(t *testing.T) {
	b, err := os.ReadFile("../../../build/envoy.yaml")
	require.NoError(t, err)
	var cfg struct {
		StatsConfig struct {
			StatsTags []TagRule `yaml:"stats_tags"`
		} `yaml:"stats_config"`
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	require.Equal(t, StatsTags, cfg.StatsConfig.StatsTags)
}

func TestExtractTags(t *testing.T) {
	// Higress's README example: a route and a cluster with dots.
	name, labels := extractTags("wasmcustom.route.ai-route-aliyun.internal.upstream.outbound|443||llm-aliyun.internal.dns.model.qwen2.5-max.consumer.none.metric.input_token")
	require.Equal(t, "wasmcustom.route.upstream.model.consumer.metric.input_token", name)
	require.Equal(t, []label{{"ai_route", "ai-route-aliyun.internal"}, {"ai_cluster", "outbound|443||llm-aliyun.internal.dns"},
		{"ai_model", "qwen2.5-max"}, {"ai_consumer", "none"}}, labels)

	name, labels = extractTags("wasmcustom.route.r.upstream.c.model.m.consumer.u.metric.ai_provider=.=openai.eu;.;ai_status_class=.=5xx;.;ai_error_cause=.=timeout;.;ai_proxy_requests")
	require.Equal(t, "wasmcustom.route.upstream.model.consumer.metric.ai_proxy_requests", name)
	require.Equal(t, []label{{"ai_route", "r"}, {"ai_cluster", "c"}, {"ai_model", "m"}, {"ai_consumer", "u"},
		{"ai_provider", "openai.eu"}, {"ai_status_class", "5xx"}, {"ai_error_cause", "timeout"}}, labels)
}

// TestPrometheusFromTelemetry writes the metrics of a telemetry.Record as the plugin
// would define them and checks the exposition.
func TestPrometheusFromTelemetry(t *testing.T) {
	r := &telemetry.Record{
		Route: "ai-route.internal", Cluster: "outbound|443||api.openai.com", Provider: "openai-1", ResponseModel: "gpt-4o.mini",
		Stream: true, Status: 200, Usage: translator.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, CachedTokens: 4},
		Start: 1e9, FirstByte: 1e9 + 100e6, End: 1e9 + 500e6,
	}
	byName := map[string]*wasmhost.Metric{}
	var w telemetry.MetricWriter
	for range 2 {
		w.Write(r, func(name []byte, kind telemetry.MetricKind, v int64) {
			m := byName[string(name)]
			if m == nil {
				typ := wasmhost.MetricCounter
				if kind == telemetry.Histogram {
					typ = wasmhost.MetricHistogram
				}
				m = &wasmhost.Metric{Name: string(name), Type: typ}
				byName[m.Name] = m
			}
			if m.Type == wasmhost.MetricHistogram {
				m.Value++
				m.Sum += uint64(v)
			} else {
				m.Value += v
			}
		})
	}
	var ms []wasmhost.Metric
	for _, m := range byName {
		ms = append(ms, *m)
	}
	var b strings.Builder
	writePrometheus(&b, ms)
	out := b.String()
	l := `ai_route="ai-route.internal",ai_cluster="outbound|443||api.openai.com",ai_model="gpt-4o.mini",ai_consumer="none"`
	for _, want := range []string{
		"# TYPE route_upstream_model_consumer_metric_input_token counter\n",
		"route_upstream_model_consumer_metric_input_token{" + l + "} 20\n",
		"route_upstream_model_consumer_metric_llm_first_token_duration{" + l + "} 200\n",
		"route_upstream_model_consumer_metric_llm_stream_duration_count{" + l + "} 2\n",
		"route_upstream_model_consumer_metric_ai_proxy_cached_token{" + l + `,ai_provider="openai-1"} 8` + "\n",
		"# TYPE route_upstream_model_consumer_metric_ai_proxy_request_duration_ms summary\n",
		"route_upstream_model_consumer_metric_ai_proxy_request_duration_ms_count{" + l + `,ai_provider="openai-1"} 2` + "\n",
		"route_upstream_model_consumer_metric_ai_proxy_request_duration_ms_sum{" + l + `,ai_provider="openai-1"} 1000` + "\n",
		"route_upstream_model_consumer_metric_ai_proxy_time_per_output_token_ms_sum{" + l + `,ai_provider="openai-1"} 200` + "\n",
		"route_upstream_model_consumer_metric_ai_proxy_requests{" + l + `,ai_provider="openai-1",ai_status_class="2xx",ai_error_cause="none"} 2` + "\n",
	} {
		require.Contains(t, out, want)
	}
	require.Equal(t, strings.Count(out, "# TYPE "), len(ms), "one TYPE line per family")

	// A name without tags, e.g. of another plugin, passes through sanitized.
	b.Reset()
	writePrometheus(&b, []wasmhost.Metric{{Name: "test.requests-total", Type: wasmhost.MetricCounter, Value: 3}})
	require.Equal(t, "# TYPE test_requests_total counter\ntest_requests_total 3\n", b.String())
}

func TestAILogUnescape(t *testing.T) {
	line := []byte(`{"model":"m","answer":"a \"q\"\n"}`)
	require.Equal(t, string(line), aiLog(string(telemetry.AppendLogProperty(nil, line))))
	require.Equal(t, "not-escaped\"", aiLog("not-escaped\""))
}
