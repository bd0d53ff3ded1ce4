package main

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/provider/telemetry"
)

// monitoring is a route's `monitoring` section: what each request leaves behind.
type monitoring struct {
	logContent   bool // request and response content in the AI log
	contentLimit int
}

// parseMonitoring reads the `monitoring` object; nil when it is absent or disabled.
func parseMonitoring(v gjson.Result) (*monitoring, error) {
	if !v.Exists() {
		return nil, nil
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("monitoring: must be an object")
	}
	m := &monitoring{contentLimit: telemetry.ContentLimit}
	enabled := false
	var err error
	v.ForEach(func(k, e gjson.Result) bool {
		switch k.String() {
		case "enabled":
			if e.Type != gjson.True && e.Type != gjson.False {
				err = fmt.Errorf("monitoring.enabled: must be true or false")
			}
			enabled = e.Bool()
		case "logContent":
			if e.Type != gjson.True && e.Type != gjson.False {
				err = fmt.Errorf("monitoring.logContent: must be true or false")
			}
			m.logContent = e.Bool()
		case "contentLimit":
			if e.Type != gjson.Number || e.Int() <= 0 || float64(e.Int()) != e.Float() {
				err = fmt.Errorf("monitoring.contentLimit: must be a positive integer (bytes), got %s", e.Raw)
			}
			m.contentLimit = int(e.Int())
		default:
			err = fmt.Errorf("monitoring.%s: unknown field (known: enabled, logContent, contentLimit)", k.String())
		}
		return err == nil
	})
	if err != nil || !enabled {
		return nil, err
	}
	return m, nil
}

// monitor is one request's telemetry as it goes; the plugin hands it to package
// telemetry once the request is over.
type monitor struct {
	rec      telemetry.Record
	t0       time.Time // rec.Start with its monotonic reading: later moments cost one clock read, not two
	secrets  []string  // the client's credential, besides the configured tokens
	done     bool
	response []byte // the answer as the client got it (logContent)
}

// now is the time in Unix nanoseconds, from the monotonic clock since the request began.
func (m *monitor) now() int64 { return m.rec.Start + int64(time.Since(m.t0)) }

// begin starts the record of a request the plugin serves.
func (h *httpContext) beginMonitor() {
	m := h.config.monitoring
	if m == nil {
		return
	}
	h.mon = &monitor{}
	r := &h.mon.rec
	h.mon.t0 = time.Now()
	r.Start = h.mon.t0.UnixNano()
	r.Route, r.Cluster = property("route_name"), property("cluster_name")
	r.Consumer = requestHeader("x-mse-consumer")
	if m.logContent {
		for _, k := range [...]string{"authorization", "x-api-key", "api-key", "anthropic-api-key", "x-goog-api-key"} {
			if v := requestHeader(k); v != "" {
				h.mon.secrets = append(h.mon.secrets, v, trimBearer(v))
			}
		}
	}
}

func trimBearer(v string) string {
	if len(v) > 7 && (v[:7] == "Bearer " || v[:7] == "bearer ") {
		return v[7:]
	}
	return v
}

// monitorRequest notes what the request is, once it is classified and its body read.
func (h *httpContext) monitorRequest(body []byte) {
	if h.mon == nil || h.req == nil {
		return
	}
	r, req := &h.mon.rec, h.req
	r.API, r.Protocol = string(req.API), req.Protocol.String()
	r.Provider, r.ProviderType = req.Config.ID, req.Config.Type
	r.RequestModel, r.Stream = req.ClientModel, req.Stream
	r.Attempts = 1
	if h.routed {
		r.RoutingMode, r.RoutingReason = h.config.routing.Mode(), h.decision.Reason
	}
	if h.config.monitoring.logContent && body != nil {
		r.RequestBody = append([]byte(nil), body...)
	}
}

// monitorFirstByte notes the first byte of the answer.
func (h *httpContext) monitorFirstByte() {
	if h.mon != nil && h.mon.rec.FirstByte == 0 {
		h.mon.rec.FirstByte = h.mon.now()
	}
}

// monitorContent keeps what the client gets, up to the content limit (logContent).
func (h *httpContext) monitorContent(b []byte) {
	if h.mon == nil || !h.config.monitoring.logContent {
		return
	}
	if room := h.config.monitoring.contentLimit + 1 - len(h.mon.response); room > 0 {
		h.mon.response = append(h.mon.response, b[:min(room, len(b))]...)
	}
}

// finishMonitor writes what the request leaves behind — metrics, the AI log, span
// attributes — once, when its answer is complete (or the stream ends without one).
func (h *httpContext) finishMonitor(status int) {
	if h.mon == nil || h.mon.done {
		return
	}
	m, r := h.mon, &h.mon.rec
	m.done = true
	r.End = m.now()
	if r.Status = status; r.Status == 0 {
		r.Status = h.status
	}
	if h.req != nil {
		h.req.ObserveEnd()
		r.Usage = h.req.Usage()
		r.ResponseModel = r.Usage.Model
		r.ChatID = h.req.AnswerID()
		if h.req.Truncated() {
			r.Cause = telemetry.CauseTruncated
		}
	}
	switch {
	case r.Cause != telemetry.CauseNone:
	case r.Attempts > 1 && r.Status < 400:
		r.Cause = telemetry.CauseFallback
	case h.replied && r.Status >= 400 && r.Status < 500 && h.status == 0:
		r.Cause = telemetry.CausePlugin4xx
	case r.Status == 504 || r.Status == 408:
		r.Cause = telemetry.CauseTimeout
	case r.Status >= 400:
		r.Cause = telemetry.CauseUpstreamError
	}
	r.ResponseContent = m.response
	p := h.plugin
	p.metrics.Write(r, p.addMetric)
	var redact []string
	if h.config.monitoring.logContent { // only content can hold a secret
		redact = m.secrets // the client's credential, and every token of the route
		for _, c := range append(h.config.providers, h.config.active) {
			if c != nil {
				redact = append(redact, c.APITokens...)
			}
		}
	}
	// The log line and its escaped form are built in buffers the VM reuses.
	p.logBuf = telemetry.AppendAILog(p.logBuf[:0], r, redact, h.config.monitoring.contentLimit)
	p.propBuf = telemetry.AppendLogProperty(p.propBuf[:0], p.logBuf)
	setPropertyBytes(aiLogPath, p.propBuf)
	telemetry.SpanAttributes(r, p.setSpanTag)
}

// setSpanTag sets one span attribute through Higress's trace_span_tag property; the
// property path is built in a buffer the VM reuses (no map lookup, no allocation).
func (p *pluginContext) setSpanTag(k, v string) {
	p.spanPath = append(append(p.spanPath[:0], "trace_span_tag."...), k...)
	setPropertyBytes(p.spanPath, unsafeBytes(v))
}

// addMetric increments or records a metric, defining it with the host the first time
// this VM sees its name.
func (p *pluginContext) addMetric(name []byte, kind telemetry.MetricKind, value int64) {
	id, ok := p.metricIDs[string(name)]
	if !ok {
		n := string(name)
		if kind == telemetry.Histogram {
			id = uint32(proxywasm.DefineHistogramMetric(n))
		} else {
			id = uint32(proxywasm.DefineCounterMetric(n))
		}
		if p.metricIDs == nil {
			p.metricIDs = map[string]uint32{}
		}
		p.metricIDs[n] = id
	}
	if value < 0 {
		return
	}
	if kind == telemetry.Histogram {
		proxywasm.MetricHistogram(id).Record(uint64(value))
	} else {
		proxywasm.MetricCounter(id).Increment(uint64(value))
	}
}

var aiLogPath = []byte("ai_log")

// unsafeBytes views s as bytes for a host call that only reads them.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
