package mock

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultHeader is the request header asking the mock to fail on purpose; see the package
// documentation for its grammar.
const FaultHeader = "X-Mock-Fault"

// Fault builds an X-Mock-Fault value: each fault scoped to host, or unscoped when host is
// "". Values for several hosts join with ",":
//
//	Fault("api.primary.test", "status:503") + "," + Fault("", "gzip")
func Fault(host string, faults ...string) string {
	if host == "" {
		return strings.Join(faults, ",")
	}
	parts := make([]string, len(faults))
	for i, f := range faults {
		parts[i] = host + "=" + f
	}
	return strings.Join(parts, ",")
}

// fault is one parsed fault.
type fault struct {
	kind   string // status, reset, stall, inband-error, cut-after, cut-inside, body, dashscope-sse-error, gzip
	form   string // status: "", "html", "empty"; body: "html", "empty", "truncated"
	status int
	n      int
	dur    time.Duration
}

// faultPlan is what the faults that apply to one request ask for together.
type faultPlan struct {
	stall  time.Duration // sum of the stall faults
	gzip   bool          // compress whatever the request's Accept-Encoding
	answer *fault        // the first other fault: it shapes the answer
}

// parseFaults reads the X-Mock-Fault values and keeps the faults that apply to host (no
// port). Every fault is checked, also those scoped to other hosts.
func parseFaults(values []string, host string) (faultPlan, error) {
	var p faultPlan
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			scope, spec, scoped := strings.Cut(item, "=")
			if !scoped {
				spec = scope
			}
			f, err := parseFault(strings.TrimSpace(spec))
			if err != nil {
				return faultPlan{}, err
			}
			if scoped && hostOnly(strings.TrimSpace(scope)) != host {
				continue
			}
			switch {
			case f.kind == "stall":
				p.stall += f.dur
			case f.kind == "gzip":
				p.gzip = true
			case p.answer == nil:
				p.answer = &f
			}
		}
	}
	return p, nil
}

func parseFault(s string) (fault, error) {
	name, arg, _ := strings.Cut(s, ":")
	status := func(a string) (int, error) {
		n, err := strconv.Atoi(a)
		if err != nil || n < 400 || n > 599 {
			return 0, fmt.Errorf("fault %q: status must be 400..599", s)
		}
		return n, nil
	}
	switch name {
	case "status":
		code, form, _ := strings.Cut(arg, ":")
		n, err := status(code)
		if err != nil {
			return fault{}, err
		}
		if form != "" && form != "html" && form != "empty" {
			return fault{}, fmt.Errorf("fault %q: the body form is html or empty", s)
		}
		return fault{kind: name, status: n, form: form}, nil
	case "dashscope-sse-error":
		n, err := status(arg)
		return fault{kind: name, status: n}, err
	case "stall":
		d, err := time.ParseDuration(arg)
		if err != nil || d < 0 {
			return fault{}, fmt.Errorf("fault %q: stall takes a Go duration", s)
		}
		return fault{kind: name, dur: d}, nil
	case "cut-after", "cut-inside":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return fault{}, fmt.Errorf("fault %q: %s takes an event count", s, name)
		}
		return fault{kind: name, n: n}, nil
	case "body":
		if arg != "html" && arg != "empty" && arg != "truncated" {
			return fault{}, fmt.Errorf("fault %q: body is html, empty or truncated", s)
		}
		return fault{kind: name, form: arg}, nil
	case "reset", "inband-error", "gzip":
		if arg != "" {
			return fault{}, fmt.Errorf("fault %q: %s takes no argument", s, name)
		}
		return fault{kind: name}, nil
	}
	return fault{}, fmt.Errorf("unknown fault %q (known: status:NNN[:html|:empty], reset, stall:DUR, "+
		"inband-error, cut-after:N, cut-inside:N, body:html|empty|truncated, dashscope-sse-error:NNN, gzip)", s)
}

// hostOnly is the lower-cased host of a Host header value, without the port.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.Trim(h, "[]"))
}

// errCut is what a streamer returns once a cut fault ended the stream.
var errCut = errors.New("mock: stream cut by fault")

// answerFault answers a request with the faults that do not need the normal answer
// (status, reset, body:html, body:empty, dashscope-sse-error); it reports whether it did.
func (x *exchange) answerFault() bool {
	f := x.plan.answer
	if f == nil {
		return false
	}
	switch {
	case f.kind == "reset":
		x.fw.dead = true
		conn, _, err := http.NewResponseController(x.fw.w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
	case f.kind == "status" && f.form == "":
		x.fail(f.status, "mock error requested by "+FaultHeader)
	case f.kind == "status" && f.form == "html":
		x.writeHTML(f.status, errorPage(f.status))
	case f.kind == "status" && f.form == "empty", f.kind == "body" && f.form == "empty":
		status := http.StatusOK
		if f.kind == "status" {
			status = f.status
		}
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(status)
	case f.kind == "body" && f.form == "html":
		x.writeHTML(http.StatusOK, loginPage)
	case f.kind == "dashscope-sse-error":
		x.w.Header().Set("Content-Type", "text/event-stream;charset=UTF-8")
		x.w.WriteHeader(f.status)
		x.w.Write(dashscopeSSEError(f.status, dashscopeErrorCode(f.status), dashscopeErrorMessage(f.status), x.id))
	default:
		return false
	}
	return true
}

func (x *exchange) writeHTML(status int, page string) {
	x.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	x.w.WriteHeader(status)
	x.w.Write([]byte(page))
}

// errorPage is the HTML a reverse proxy in front of the API answers with.
func errorPage(status int) string {
	s := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html>\r\n<head><title>" + s + "</title></head>\r\n<body>\r\n<center><h1>" + s +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// loginPage is the HTML a captive portal or misrouted proxy answers with, status 200.
const loginPage = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n" +
	"<body><h1>Please sign in to continue</h1><form method=\"post\"><input name=\"user\"></form></body></html>\n"

// dashscopeSSEError is DashScope's SSE error event: what it sends on a streaming request
// that fails (with that HTTP status), or in-band in a 200 stream.
func dashscopeSSEError(status int, code, msg, requestID string) []byte {
	b := []byte("id:1\nevent:error\n:HTTP_STATUS/")
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "\ndata:"...)
	b = append(b, mustJSON(map[string]any{"code": code, "message": msg, "request_id": requestID})...)
	return append(b, "\n\n"...)
}

func dashscopeErrorMessage(status int) string {
	switch {
	case status == 401:
		return "Invalid API-key provided."
	case status == 404:
		return "Model not exist."
	case status == 429:
		return "Requests rate limit exceeded, please try again later."
	case status >= 500:
		return "An internal error has occured, please try again later or contact service support."
	}
	return "Role must be user or assistant and Content length must be greater than 0"
}

// streaming reports whether the request asks for a streamed answer.
func (x *exchange) streaming() bool {
	switch x.proto {
	case protoDashScope:
		return x.dashscopeStreaming()
	case protoGemini:
		return strings.HasSuffix(x.r.URL.Path, ":streamGenerateContent")
	case protoTriton:
		return strings.HasSuffix(x.r.URL.Path, "/generate_stream")
	case protoDify:
		return x.req.Get("response_mode").String() == "streaming"
	}
	return x.req.Get("stream").Bool()
}

// inbandError answers inband-error: a stream (status 200) whose first event is the
// provider's in-stream error, or for a JSON request status 200 with the error body.
func (x *exchange) inbandError() {
	const msg = "mock in-band error requested by " + FaultHeader
	if !x.streaming() {
		status := http.StatusServiceUnavailable
		if x.proto == protoAnthropic {
			status = 529 // overloaded_error
		}
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(http.StatusOK)
		x.w.Write(x.errorBody(status, msg))
		return
	}
	ev := x.agentsInband() // dify.go
	switch x.proto {
	case protoDify, protoTriton, protoCoze:
	case protoAnthropic:
		ev = []byte("event: error\ndata: ")
		ev = append(ev, mustJSON(map[string]any{"type": "error", "error": map[string]any{
			"type": "overloaded_error", "message": "Overloaded"}})...)
		ev = append(ev, "\n\n"...)
	case protoDashScope:
		ev = dashscopeSSEError(429, "Throttling.AllocationQuota",
			"Allocated quota exceeded, please increase your quota limit.", x.id)
	case protoGemini:
		e := mustJSON(map[string]any{"error": map[string]any{
			"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}})
		if x.r.URL.Query().Get("alt") != "sse" {
			ev = append(append([]byte("["), e...), ']')
			break
		}
		ev = append(append([]byte("data: "), e...), "\r\n\r\n"...)
	default:
		ev = sseData(mustJSON(map[string]any{"error": map[string]any{
			"message": msg, "type": "server_error", "param": nil, "code": nil}}))
	}
	ct := "text/event-stream"
	if x.proto == protoGemini && x.r.URL.Query().Get("alt") != "sse" {
		ct = "application/json"
	}
	x.startStreamAs(ct).send(ev)
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (RFC 9110 12.5.3):
// gzip (or x-gzip) listed with q > 0, or not listed and "*" with q > 0.
func acceptsGzip(h http.Header) bool {
	gz, star := -1.0, -1.0
	for _, v := range h.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(p, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil {
						f = 0
					}
					q = f
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = q
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// respWriter is the ResponseWriter every answer goes through. It holds the status until
// the first body byte, so an answer with a body can be gzip-compressed (Content-Encoding:
// gzip, no Content-Length, the gzip stream flushed with every Flush) while an empty one
// stays plain; in half mode it keeps the whole body and sends its first half at the end.
type respWriter struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	compress bool
	half     bool
	dead     bool // the connection was hijacked or aborted

	status    int // 0 until WriteHeader
	committed bool
	gz        *gzip.Writer
	buf       bytes.Buffer
}

func newRespWriter(w http.ResponseWriter, compress bool) *respWriter {
	return &respWriter{w: w, rc: http.NewResponseController(w), compress: compress}
}

func (w *respWriter) Header() http.Header { return w.w.Header() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.w }

func (w *respWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// commit sends the status line and headers, compressed when there is a body to compress.
func (w *respWriter) commit(body bool) {
	if w.committed {
		return
	}
	w.committed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.compress && body {
		h := w.w.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		h.Add("Vary", "Accept-Encoding")
		w.gz = gzip.NewWriter(w.w)
	}
	w.w.WriteHeader(w.status)
}

func (w *respWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.half {
		return w.buf.Write(b)
	}
	if len(b) == 0 {
		return 0, nil
	}
	w.commit(true)
	if w.gz != nil {
		return w.gz.Write(b)
	}
	return w.w.Write(b)
}

// FlushError sends what was written so far (through the gzip stream when compressing).
func (w *respWriter) FlushError() error {
	if w.half || w.dead {
		return nil
	}
	w.WriteHeader(http.StatusOK)
	w.commit(true)
	if w.gz != nil {
		if err := w.gz.Flush(); err != nil {
			return err
		}
	}
	if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// finish ends the answer: the first half of a half-mode body, the gzip trailer.
func (w *respWriter) finish() {
	if w.dead {
		return
	}
	if w.half {
		w.half = false
		b := w.buf.Bytes()
		w.Write(b[:len(b)/2])
	}
	w.commit(false)
	if w.gz != nil {
		w.gz.Close()
		// Flushing before the handler returns keeps net/http from adding a Content-Length.
		if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return
		}
	}
}
