package gw

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// ServeHTTP runs one request through the plugin: request headers and body through a VM
// (honouring StopIteration, buffering and local replies), the request the plugin let
// through to its upstream, and the upstream's answer back through the plugin to the
// client as it arrives. GET /metrics and the debug console (ConsolePath) are answered by
// the gateway itself.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
		g.serveMetrics(w)
		return
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && g.serveConsole(w, r) {
		return
	}
	start := time.Now()
	var ailog, upstream string
	status := 0 // 0: the stream was reset (the client went away, or the gateway aborted it)
	if g.opts.AccessLog != nil {
		// Written also when the stream is aborted, as Envoy logs every stream.
		defer func() {
			line := fmt.Sprintf("%s %s %s -> %d %s %s", start.Format(time.TimeOnly), r.Method, r.URL.RequestURI(), status, upstream, time.Since(start).Round(time.Microsecond))
			if ailog != "" {
				line += " ai_log=" + aiLog(ailog)
			}
			fmt.Fprintln(g.opts.AccessLog, line)
		}()
	}
	status, upstream = g.serve(w, r, &ailog)
}

// serve runs the request; the plugin's ai_log property, read once the stream is done
// (as Envoy writes its access log after the filters' log callbacks), goes to *ailog.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, ailog *string) (int, string) {
	sl := g.slots[int(g.next.Add(1)-1)%len(g.slots)]
	vm, err := sl.get(r.Context())
	if err != nil {
		return g.fail(w, "no VM: %v", err), ""
	}
	rid := r.Header.Get("X-Request-Id")
	if rid == "" {
		rid = newRequestID()
	}
	s, err := vm.NewStream(map[string]string{
		"route_name":   g.cfg.RouteName,
		"cluster_name": g.cfg.ClusterName,
		"x_request_id": rid,
	})
	if err != nil {
		return g.fail(w, "%v", err), ""
	}
	defer func() {
		if err := s.Done(); err != nil {
			fmt.Fprintf(g.opts.Log, "gateway: stream done: %v\n", err)
		}
		*ailog, _ = s.Property(AILogProperty)
	}()

	hdrs := wasmhost.Headers{{":method", r.Method}, {":path", r.URL.RequestURI()}, {":authority", r.Host}, {":scheme", "http"}}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if hopHeaders[lk] {
			continue
		}
		for _, v := range vs {
			hdrs = append(hdrs, [2]string{lk, v})
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		hdrs = append(hdrs, [2]string{"x-request-id", rid})
	}
	hdrs = append(hdrs, [2]string{"x-forwarded-proto", "http"})
	if isUpgrade(r) {
		return g.serveUpgrade(w, r, s, hdrs) // upgrade.go
	}
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	if _, err := s.RequestHeaders(hdrs, !hasBody); err != nil {
		return g.fail(w, "%v", err), ""
	}
	if lr := s.LocalReply(); lr != nil {
		return writeLocal(w, lr), "local"
	}
	if hasBody {
		// Deliver the body piece by piece as it is read; the last piece carries end of
		// stream.
		buf := make([]byte, 32<<10)
		var pending []byte
		for {
			n, rerr := r.Body.Read(buf)
			if n > 0 {
				if pending != nil {
					if _, err := s.RequestBody(pending, false); err != nil {
						return g.fail(w, "%v", err), ""
					}
					if lr := s.LocalReply(); lr != nil {
						return writeLocal(w, lr), "local"
					}
				}
				pending = bytes.Clone(buf[:n])
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return writeStatus(w, http.StatusBadRequest, "cannot read request body: "+rerr.Error()), ""
			}
		}
		if _, err := s.RequestBody(pending, true); err != nil {
			return g.fail(w, "%v", err), ""
		}
		if lr := s.LocalReply(); lr != nil {
			return writeLocal(w, lr), "local"
		}
	}
	if !s.Request().Ended() {
		// Nothing can resume it any more: Envoy would wait for the route timeout.
		return g.fail(w, "the plugin holds the request (headers held: %v, %d bytes buffered) and nothing will resume it",
			s.Request().Held(), len(s.Request().Buffered())), ""
	}
	return g.forward(w, r, s)
}

func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, s *wasmhost.Stream) (int, string) {
	sent, _ := s.Request().SentHeaders()
	body := s.Request().Body()
	authority := sent.Value(":authority")
	url := g.routeBase(sent) + sent.Value(":path")
	if cl, ok := sent.Get("content-length"); ok && cl != strconv.Itoa(len(body)) {
		fmt.Fprintf(g.opts.Log, "gateway: warning: the plugin left content-length: %s on a %d-byte request body (Envoy would send the wrong length); sending %d\n", cl, len(body), len(body))
	}

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if ms := timeoutHeader(sent, "x-envoy-upstream-rq-timeout-ms"); ms > 0 {
		t := time.AfterFunc(ms, func() { cancel(context.DeadlineExceeded) })
		defer t.Stop()
	}
	var firstByte *time.Timer
	if ms := timeoutHeader(sent, "x-envoy-upstream-rq-first-byte-timeout-ms"); ms > 0 {
		firstByte = time.AfterFunc(ms, func() { cancel(errFirstByte) })
	}
	req, err := http.NewRequestWithContext(ctx, sent.Value(":method"), url, bytes.NewReader(body))
	if err != nil {
		return g.fail(w, "bad upstream request %s: %v", url, err), url
	}
	copyHeaders(req.Header, sent)
	req.Host = authority
	req.ContentLength = int64(len(body))
	resp, err := g.client.Do(req)
	if firstByte != nil {
		firstByte.Stop()
	}
	if err != nil {
		cause := context.Cause(ctx)
		if cause == errFirstByte || cause == context.DeadlineExceeded {
			return g.respond(w, s, ctx, http.StatusGatewayTimeout, textHeader(), strings.NewReader("upstream request timeout")), url
		}
		if r.Context().Err() != nil {
			return 499, url // the client went away
		}
		fmt.Fprintf(g.opts.Log, "gateway: upstream %s: %v\n", url, err)
		return g.respond(w, s, ctx, http.StatusServiceUnavailable, textHeader(),
			strings.NewReader("upstream connect error or disconnect/reset before headers. reset reason: connection failure")), url
	}
	defer resp.Body.Close()
	var rb io.Reader = resp.Body
	if r.Method == http.MethodHead || resp.ContentLength == 0 {
		rb = nil
	}
	return g.respond(w, s, ctx, resp.StatusCode, resp.Header, rb), url
}

func textHeader() http.Header {
	return http.Header{"Content-Type": {"text/plain"}}
}

func timeoutHeader(h wasmhost.Headers, name string) time.Duration {
	ms, err := strconv.Atoi(h.Value(name))
	if err != nil || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// respond runs a response (upstream's or the router's own error) through the plugin and
// streams what it lets through to the client, flushing each piece.
func (g *Gateway) respond(w http.ResponseWriter, s *wasmhost.Stream, ctx context.Context, status int, h http.Header, body io.Reader) int {
	if _, err := s.ResponseHeaders(responseHeaders(status, h), body == nil); err != nil {
		return g.fail(w, "%v", err)
	}
	flusher, _ := w.(http.Flusher)
	wrote := 0
	out := func() bool {
		if lr := s.LocalReply(); lr != nil {
			if wrote == 0 {
				wrote = writeLocal(w, lr)
				return false
			}
			panic(http.ErrAbortHandler) // Envoy resets a stream whose headers went out
		}
		if s.Reset() {
			panic(http.ErrAbortHandler)
		}
		if wrote == 0 {
			sent, ok := s.Response().SentHeaders()
			if !ok {
				return true
			}
			wrote, _ = strconv.Atoi(sent.Value(":status"))
			if wrote == 0 {
				wrote = http.StatusBadGateway
			}
			copyHeaders(w.Header(), sent)
			w.WriteHeader(wrote)
		}
		if data := s.Response().Take(); len(data) > 0 {
			w.Write(data)
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	if !out() {
		return wrote
	}
	if body != nil {
		buf := make([]byte, 32<<10)
		for {
			n, rerr := body.Read(buf)
			end := rerr == io.EOF
			if rerr != nil && !end {
				if wrote == 0 && context.Cause(ctx) == context.DeadlineExceeded {
					return writeStatus(w, http.StatusGatewayTimeout, "upstream request timeout")
				}
				if wrote == 0 {
					return writeStatus(w, http.StatusBadGateway, "upstream reset: "+rerr.Error())
				}
				panic(http.ErrAbortHandler)
			}
			if n > 0 || end {
				if _, err := s.ResponseBody(buf[:n], end); err != nil {
					if wrote == 0 {
						return g.fail(w, "%v", err)
					}
					fmt.Fprintf(g.opts.Log, "gateway: %v\n", err)
					panic(http.ErrAbortHandler)
				}
				if !out() {
					return wrote
				}
			}
			if end {
				break
			}
		}
	}
	if wrote == 0 {
		return g.fail(w, "the plugin holds the response headers and nothing will resume them")
	}
	return wrote
}

// writeLocal writes a plugin's local reply as Envoy does (text/plain if it has a body
// and no content type).
func writeLocal(w http.ResponseWriter, lr *wasmhost.LocalReply) int {
	copyHeaders(w.Header(), lr.Headers)
	if len(lr.Body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(lr.Body)))
	status := lr.Status
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	w.Write(lr.Body)
	return status
}

func writeStatus(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	io.WriteString(w, msg)
	return status
}

// fail answers 500 for a gateway or VM failure and logs why.
func (g *Gateway) fail(w http.ResponseWriter, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(g.opts.Log, "gateway: %s\n", msg)
	first, _, _ := strings.Cut(msg, "\n") // the log has the guest's stack, the client the gist
	return writeStatus(w, http.StatusInternalServerError, "gateway: "+first)
}

// serveMetrics writes the plugin's metrics in Prometheus text format, with the tags
// build/envoy.yaml extracts (writePrometheus).
func (g *Gateway) serveMetrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	writePrometheus(w, g.host.Metrics())
}

// PrintUsage writes what to try next: the metrics and debug console URLs, curl lines for
// chat and streaming chat, and openai-go and Python SDK snippets.
func (g *Gateway) PrintUsage(w io.Writer) {
	u := g.URL()
	model := g.cfg.ExampleModel
	upstream := "real providers"
	if g.mockURL != "" {
		upstream = "the embedded mock provider at " + g.mockURL
	}
	fmt.Fprintf(w, `ai-proxy local gateway on %[1]s (%[3]d VMs), upstream: %[4]s
Plugin metrics: curl %[1]s/metrics
Debug console:  %[1]s/console/

Chat:
  curl %[1]s/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"%[2]s","messages":[{"role":"user","content":"Hello"}]}'

Streaming chat:
  curl -N %[1]s/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"%[2]s","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

openai-go:
  client := openai.NewClient(option.WithBaseURL("%[1]s/v1"), option.WithAPIKey("unused"))
  c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
      Model:    "%[2]s",
      Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello")},
  })

Python (pip install openai):
  from openai import OpenAI
  c = OpenAI(base_url="%[1]s/v1", api_key="unused")
  print(c.chat.completions.create(model="%[2]s", messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)
`, u, model, len(g.slots), upstream)
}
