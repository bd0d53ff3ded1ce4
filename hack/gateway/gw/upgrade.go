package gw

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
)

// isUpgrade reports a WebSocket upgrade request (Connection: upgrade, Upgrade: websocket).
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// serveUpgrade runs a WebSocket upgrade as Envoy does: the request headers, with their
// upgrade and connection headers, through the plugin without end of stream (the frames
// are the request's body), the upgrade to the upstream, its 101 through the plugin's
// response headers, then the bytes of both directions through the plugin's body
// callbacks as they arrive, until either side closes.
func (g *Gateway) serveUpgrade(w http.ResponseWriter, r *http.Request, s *wasmhost.Stream, hdrs wasmhost.Headers) (int, string) {
	hdrs = append(hdrs, [2]string{"connection", "upgrade"}, [2]string{"upgrade", r.Header.Get("Upgrade")})
	if _, err := s.RequestHeaders(hdrs, false); err != nil {
		return g.fail(w, "%v", err), ""
	}
	if lr := s.LocalReply(); lr != nil {
		return writeLocal(w, lr), "local"
	}
	sent, ok := s.Request().SentHeaders()
	if !ok {
		return g.fail(w, "the plugin holds an upgrade request's headers and nothing will resume them"), ""
	}
	url := g.routeBase(sent) + sent.Value(":path")
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
	if err != nil {
		return g.fail(w, "bad upstream request %s: %v", url, err), url
	}
	copyHeaders(req.Header, sent)
	for _, k := range []string{"connection", "upgrade"} { // kept on an upgrade, unlike copyHeaders
		if v, ok := sent.Get(k); ok {
			req.Header.Set(k, v)
		}
	}
	req.Host = sent.Value(":authority")
	resp, err := g.client.Do(req)
	if err != nil {
		return g.respond(w, s, r.Context(), http.StatusServiceUnavailable, textHeader(),
			strings.NewReader("upstream connect error or disconnect/reset before headers. reset reason: connection failure")), url
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return g.respond(w, s, r.Context(), resp.StatusCode, resp.Header, resp.Body), url
	}
	up, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		return g.fail(w, "upstream upgrade without a connection"), url
	}
	defer up.Close()
	rh := responseHeaders(resp.StatusCode, resp.Header)
	rh = append(rh, [2]string{"connection", resp.Header.Get("Connection")}, [2]string{"upgrade", resp.Header.Get("Upgrade")})
	if _, err := s.ResponseHeaders(rh, false); err != nil {
		return g.fail(w, "%v", err), url
	}
	if lr := s.LocalReply(); lr != nil {
		return writeLocal(w, lr), url
	}
	out, ok := s.Response().SentHeaders()
	if !ok {
		return g.fail(w, "the plugin holds the 101 and nothing will resume it"), url
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return g.fail(w, "cannot hijack the client connection: %v", err), url
	}
	defer conn.Close()
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	for _, kv := range out {
		if !strings.HasPrefix(kv[0], ":") && kv[0] != "content-length" {
			fmt.Fprintf(&head, "%s: %s\r\n", http.CanonicalHeaderKey(kv[0]), kv[1])
		}
	}
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		return 101, url
	}
	// Each direction runs through the plugin piece by piece; what it lets through is
	// written on. The first side to close ends both.
	var once sync.Once
	done := make(chan struct{})
	stop := func() { once.Do(func() { close(done); conn.Close(); up.Close() }) }
	pump := func(src io.Reader, dst io.Writer, body func([]byte, bool) (wasmhost.Action, error), f *wasmhost.Flow) {
		defer stop()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, e := body(bytes.Clone(buf[:n]), false); e != nil {
					return
				}
				if data := f.Take(); len(data) > 0 {
					if _, e := dst.Write(data); e != nil {
						return
					}
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pump(bufio.NewReader(io.MultiReader(bytes.NewReader(peeked(brw)), conn)), up, s.RequestBody, s.Request())
	go pump(up, conn, s.ResponseBody, s.Response())
	<-done
	return 101, url
}

// peeked returns what the server already read from a hijacked connection.
func peeked(brw *bufio.ReadWriter) []byte {
	n := brw.Reader.Buffered()
	b, _ := brw.Reader.Peek(n)
	return b
}
