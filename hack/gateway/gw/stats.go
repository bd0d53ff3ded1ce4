package gw

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// TagRule is one Envoy stats_config.stats_tags entry.
type TagRule struct {
	Name  string `yaml:"tag_name"`
	Regex string `yaml:"regex"`
}

// StatsTags are the tag rules of build/envoy.yaml, in its order (a test keeps them
// equal). The first four are the ones Higress ships in its Envoy bootstrap for
// ai-statistics (higress-group/istio tools/packaging/common/envoy_bootstrap.json); the
// others extract the Istio-style `<tag>=.=<value>;.;` tags of ai-proxy's own metrics
// (provider/telemetry).
var StatsTags = []TagRule{
	{"ai_route", `^wasmcustom\.route\.((.*?)\.)upstream`},
	{"ai_cluster", `^wasmcustom\..*?\.upstream\.((.*?)\.)model`},
	{"ai_model", `^wasmcustom\..*?\.model\.((.*?)\.)consumer`},
	{"ai_consumer", `^wasmcustom\..*?\.consumer\.((.*?)\.)metric`},
	{"ai_provider", `(ai_provider=\.=(.*?);\.;)`},
	{"ai_status_class", `(ai_status_class=\.=(.*?);\.;)`},
	{"ai_error_cause", `(ai_error_cause=\.=(.*?);\.;)`},
}

// customPrefix is what Envoy puts before the name of a metric a wasm plugin defines (a
// custom stat namespace: /stats/prometheus drops it again and adds no envoy_ prefix).
const customPrefix = "wasmcustom."

type tagExtractor struct {
	name string
	re   *regexp.Regexp
}

var extractors = func() []tagExtractor {
	out := make([]tagExtractor, len(StatsTags))
	for i, t := range StatsTags {
		out[i] = tagExtractor{t.Name, regexp.MustCompile(t.Regex)}
	}
	return out
}()

// label is one extracted tag.
type label struct{ name, value string }

// extractTags applies the rules the Envoy way: in order, each matching rule removes its
// first capture group from the name and takes its second (else its first) as the tag
// value; a rule matches the name as earlier rules left it.
func extractTags(name string) (string, []label) {
	var labels []label
	for _, e := range extractors {
		m := e.re.FindStringSubmatchIndex(name)
		if m == nil || m[2] < 0 {
			continue
		}
		v := name[m[2]:m[3]]
		if len(m) >= 6 && m[4] >= 0 {
			v = name[m[4]:m[5]]
		}
		labels = append(labels, label{e.name, v})
		name = name[:m[2]] + name[m[3]:]
	}
	return name, labels
}

var promName = regexp.MustCompile(`[^a-zA-Z0-9_:]`)

// promSeries is a metric as Envoy's /stats/prometheus shows it.
type promSeries struct {
	family string
	labels []label
	m      wasmhost.Metric
}

// writePrometheus writes metrics in Prometheus text format the way Envoy does for
// plugin metrics: the wasmcustom. prefix Envoy adds is dropped, tags are extracted with
// StatsTags and the rest of the name has every character outside [a-zA-Z0-9_:] replaced
// by `_`. Histograms are written as summaries with _count and _sum only: the local host
// records no buckets (Envoy writes _bucket lines with its default bounds).
func writePrometheus(w io.Writer, metrics []wasmhost.Metric) {
	series := make([]promSeries, 0, len(metrics))
	for _, m := range metrics {
		name, labels := extractTags(customPrefix + m.Name)
		name = strings.TrimPrefix(name, customPrefix)
		series = append(series, promSeries{promName.ReplaceAllString(name, "_"), labels, m})
	}
	sort.SliceStable(series, func(i, j int) bool { return series[i].family < series[j].family })
	for i, s := range series {
		if i == 0 || series[i-1].family != s.family {
			typ := s.m.Type.String()
			if s.m.Type == wasmhost.MetricHistogram {
				typ = "summary"
			}
			fmt.Fprintf(w, "# TYPE %s %s\n", s.family, typ)
		}
		l := formatLabels(s.labels)
		if s.m.Type == wasmhost.MetricHistogram {
			fmt.Fprintf(w, "%s_count%s %d\n%s_sum%s %d\n", s.family, l, s.m.Value, s.family, l, s.m.Sum)
		} else {
			fmt.Fprintf(w, "%s%s %d\n", s.family, l, s.m.Value)
		}
	}
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatLabels(ls []label) string {
	if len(ls) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.name)
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(l.value))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// AILogProperty is the property path (joined with ".") the plugin writes its AI log
// line to: ["ai_log"], as Higress wasm-go's AILogKey. Envoy keeps a property set by a
// plugin as filter state with the "wasm." prefix, printed with
// %FILTER_STATE(wasm.ai_log:PLAIN)%.
const AILogProperty = "ai_log"

// aiLog turns the ai_log property into the text of the access log: the value is a JSON
// object escaped as the contents of a JSON string (Higress's MarshalStr), printed
// unescaped; a value that is not escaped that way is printed as it is.
func aiLog(v string) string {
	var s string
	if err := json.Unmarshal([]byte(`"`+v+`"`), &s); err == nil {
		return s
	}
	return v
}
