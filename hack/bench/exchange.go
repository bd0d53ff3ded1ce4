package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ai-proxy/ai-proxy/hack/mock"
	"github.com/ai-proxy/ai-proxy/hack/wasmhost"
	"github.com/ai-proxy/ai-proxy/provider/sse"
)

// requestPiece is the size of the pieces a request body is delivered in, as Envoy reads
// them off a connection.
const requestPiece = 16 << 10

// input is everything one exchange feeds the plugin, prepared once per case and plugin.
type input struct {
	reqHeaders  wasmhost.Headers
	reqPieces   [][]byte
	respHeaders wasmhost.Headers
	respPieces  [][]byte
	events      int    // SSE events in the upstream answer (0 for JSON)
	upstream    string // the path the plugin called
	respBytes   int
}

func clientHeaders(c *benchCase) wasmhost.Headers {
	h := wasmhost.Headers{
		{":method", "POST"},
		{":path", c.path},
		{":authority", "gateway.bench.local"},
		{":scheme", "https"},
		{"content-type", "application/json"},
		{"content-length", strconv.Itoa(len(c.body))},
		{"accept", "application/json"},
		{"user-agent", "bench/1.0"},
		{"x-request-id", "3f1c9a52-bench"},
	}
	if c.client == clientAnthropic {
		h = append(h, [2]string{"x-api-key", "client-key"}, [2]string{"anthropic-version", "2023-06-01"})
	} else {
		h = append(h, [2]string{"authorization", "Bearer client-key"})
	}
	return h
}

// split cuts b into pieces of n bytes.
func split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return append(out, b)
}

// splitRandom cuts b at seeded random bytes, pieces of 1..2*mean-1 bytes.
func splitRandom(b []byte, mean int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out [][]byte
	for len(b) > 0 {
		n := 1 + r.IntN(2*mean-1)
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return out
}

// countEvents counts the SSE events in a complete stream.
func countEvents(b []byte) int {
	var r sse.Reader
	r.Feed(b)
	n := 0
	for {
		if _, ok := r.Flush(); !ok {
			return n
		}
		n++
	}
}

// errNA marks a case the plugin build does not support.
type errNA struct{ reason string }

func (e errNA) Error() string { return e.reason }

// Phases of an exchange, as the per-phase figures report them.
const (
	phaseRequestHeaders = iota
	phaseRequestBody
	phaseResponseHeaders
	phaseResponseBody
	phaseDone // proxy_on_done, proxy_on_log, proxy_on_delete
	numPhases
)

// phaseTimer adds up the time of each phase over exchanges; a nil timer times nothing
// (the timed runs), so the figures there carry no clock reads.
type phaseTimer struct {
	d    [numPhases]time.Duration
	last time.Time
}

func (t *phaseTimer) start() {
	if t != nil {
		t.last = time.Now()
	}
}

// mark ends phase p.
func (t *phaseTimer) mark(p int) {
	if t != nil {
		now := time.Now()
		t.d[p] += now.Sub(t.last)
		t.last = now
	}
}

// sendRequest runs the request phases; it returns the stream, or the local reply.
func sendRequest(vm *wasmhost.VM, in *input, t *phaseTimer) (*wasmhost.Stream, error) {
	t.start() // the context's creation counts to the request headers
	s, err := vm.NewStream(nil)
	if err != nil {
		return nil, err
	}
	if _, err := s.RequestHeaders(in.reqHeaders, false); err != nil {
		return s, err
	}
	t.mark(phaseRequestHeaders)
	for i, p := range in.reqPieces {
		if s.LocalReply() != nil {
			break
		}
		if _, err := s.RequestBody(p, i == len(in.reqPieces)-1); err != nil {
			return s, err
		}
	}
	t.mark(phaseRequestBody)
	if lr := s.LocalReply(); lr != nil {
		return s, errNA{fmt.Sprintf("local reply %d %.100s", lr.Status, lr.Body)}
	}
	return s, nil
}

// sendResponse runs the response phases.
func sendResponse(s *wasmhost.Stream, in *input, t *phaseTimer) error {
	t.start()
	if _, err := s.ResponseHeaders(in.respHeaders, false); err != nil {
		return err
	}
	t.mark(phaseResponseHeaders)
	for i, p := range in.respPieces {
		if _, err := s.ResponseBody(p, i == len(in.respPieces)-1); err != nil {
			return err
		}
	}
	t.mark(phaseResponseBody)
	return nil
}

// exchange runs one full exchange and finalizes the stream; t (nil: none) gets the
// time of each phase.
func exchange(vm *wasmhost.VM, in *input, t *phaseTimer) error {
	s, err := sendRequest(vm, in, t)
	if err == nil {
		err = sendResponse(s, in, t)
	}
	if s != nil {
		t.start()
		if derr := s.Done(); err == nil {
			err = derr
		}
		t.mark(phaseDone)
	}
	return err
}

// prepare runs the case's request through the plugin once, asks the mock provider for
// the answer to the request the plugin actually sent (with a reply long enough to make
// `events` SSE events), cuts it for the case's delivery, and checks that the plugin turns
// it into a complete answer in the client's protocol. A plugin build that cannot serve
// the case yields errNA.
func prepare(ctx context.Context, vm *wasmhost.VM, c *benchCase, events int, seed uint64) (*input, error) {
	in := &input{reqHeaders: clientHeaders(c), reqPieces: split(c.body, requestPiece)}
	s, err := sendRequest(vm, in, nil)
	if s != nil {
		defer s.Done()
	}
	if err != nil {
		return nil, err
	}
	sent, ok := s.Request().SentHeaders()
	if !ok || !s.Request().Ended() {
		return nil, errNA{"the plugin never let the request go upstream"}
	}
	upBody := s.Request().Body()
	in.upstream = sent.Value(":path")
	if i := strings.IndexByte(in.upstream, '?'); i >= 0 {
		in.upstream = in.upstream[:i]
	}

	// Ask the mock, adjusting the reply length until the stream has the wanted events.
	words := events
	var rec *httptest.ResponseRecorder
	for try := 0; try < 3; try++ {
		rec = askMock(sent, upBody, words)
		if rec.Code != http.StatusOK {
			return nil, errNA{fmt.Sprintf("upstream (mock) answered %d to %s %s: %.160s", rec.Code,
				sent.Value(":method"), sent.Value(":path"), rec.Body.Bytes())}
		}
		if !c.streaming() {
			break
		}
		n := countEvents(rec.Body.Bytes())
		if n == 0 {
			return nil, errNA{"the plugin did not ask upstream for a stream: " + rec.Header().Get("Content-Type")}
		}
		if n == events {
			break
		}
		words += events - n
	}
	body := rec.Body.Bytes()
	in.respBytes = len(body)
	in.respHeaders = wasmhost.Headers{{":status", "200"}}
	keys := make([]string, 0, len(rec.Header()))
	for k := range rec.Header() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range rec.Header()[k] {
			in.respHeaders = append(in.respHeaders, [2]string{strings.ToLower(k), v})
		}
	}
	in.respHeaders = append(in.respHeaders, [2]string{"date", "Mon, 01 Jan 2024 00:00:00 GMT"},
		[2]string{"x-envoy-upstream-service-time", "42"})
	switch c.delivery {
	case deliverJSON:
		in.respHeaders = append(in.respHeaders, [2]string{"content-length", strconv.Itoa(len(body))})
		in.respPieces = [][]byte{body}
	case deliverSSE256:
		in.events = countEvents(body)
		in.respPieces = split(body, 256)
	case deliverRandom:
		in.events = countEvents(body)
		in.respPieces = splitRandom(body, 256, seed)
	}

	if err := sendResponse(s, in, nil); err != nil {
		return nil, err
	}
	status := "none"
	if lr := s.LocalReply(); lr != nil {
		status = strconv.Itoa(lr.Status) + " (local reply)"
	} else if h, ok := s.Response().SentHeaders(); ok {
		status = h.Value(":status")
	}
	if msg := checkOutput(c, status, s.Response().Body()); msg != "" {
		return in, fmt.Errorf("wrong output: %s", msg)
	}
	return in, nil
}

// askMock sends the plugin's upstream request to the mock provider.
func askMock(h wasmhost.Headers, body []byte, words int) *httptest.ResponseRecorder {
	req := httptest.NewRequest(h.Value(":method"), h.Value(":path"), bytes.NewReader(body))
	req.Host = h.Value(":authority")
	for _, kv := range h {
		if !strings.HasPrefix(kv[0], ":") {
			req.Header.Add(kv[0], kv[1])
		}
	}
	req.Header.Set(mock.ReplyWordsHeader, strconv.Itoa(max(words, 1)))
	rec := httptest.NewRecorder()
	mock.NewHandler(mock.WithMaxRecorded(0)).ServeHTTP(rec, req)
	return rec
}
