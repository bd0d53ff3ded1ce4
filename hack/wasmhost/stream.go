package wasmhost

import (
	"bytes"
	"fmt"
)

// Action is what a plugin callback returned.
type Action uint32

// Callback results. For headers, ActionPause is Envoy's StopIteration; for a body it is
// StopIterationAndBuffer. Watermark (2) and NoBuffer (3) body results are treated as
// StopIterationAndBuffer; ContinueAndEndStream (2) from a headers callback ends the stream.
const (
	ActionContinue Action = 0
	ActionPause    Action = 1
)

func (a Action) String() string {
	switch a {
	case ActionContinue:
		return "Continue"
	case ActionPause:
		return "Pause"
	}
	return fmt.Sprintf("Action(%d)", uint32(a))
}

// LocalReply is a response the plugin sent with proxy_send_local_response.
type LocalReply struct {
	Status     int
	Details    string
	Headers    Headers
	Body       []byte
	GRPCStatus int32
}

// Flow is one direction (request or response) of a Stream as Envoy's filter chain sees it
// after this plugin: headers held or sent, the body buffered by the plugin, and what has
// flowed on.
type Flow struct {
	s        *Stream
	headers  Headers
	trailers Headers

	held        bool // headers callback stopped iteration; headers not sent yet
	headersSent bool
	sent        Headers // headers as they flowed on

	buf     []byte   // the buffer the plugin sees (buffered data + current chunk)
	pieces  [][]byte // what flowed on, one entry per callback that let data through
	taken   int
	endSeen bool // the host delivered end of stream
	ended   bool // end of stream flowed on

	inCallback bool
	resume     bool // proxy_continue_stream during this flow's own callback
}

// Stream is one HTTP request/response exchange on a VM (a proxy-wasm HTTP context). Drive
// it in order: RequestHeaders, RequestBody..., ResponseHeaders, ResponseBody..., Done.
// A local reply ends it: later phases return an error without calling the plugin.
type Stream struct {
	vm    *VM
	id    uint32
	props map[string]string

	req, resp Flow
	local     *LocalReply
	reset     bool
	done      bool
	override  string
}

// NewStream creates an HTTP context on the VM (proxy_on_context_create). props are the
// stream's properties (e.g. "route_name", "cluster_name", "x_request_id"), consulted
// before the host-wide Options.Properties.
func (v *VM) NewStream(props map[string]string) (*Stream, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := &Stream{vm: v, id: v.nextID, props: map[string]string{}}
	for k, val := range props {
		s.props[k] = val
	}
	s.req.s, s.resp.s = s, s
	v.nextID++
	v.cur = nil
	if _, err := v.call("proxy_on_context_create", v.fns.contextCreate, uint64(s.id), rootContextID); err != nil {
		return nil, err
	}
	v.streams[s.id] = s
	return s, nil
}

// ID is the stream's proxy-wasm context id.
func (s *Stream) ID() uint32 { return s.id }

// VM is the VM the stream runs on.
func (s *Stream) VM() *VM { return s.vm }

// Request is the request direction.
func (s *Stream) Request() *Flow { return &s.req }

// Response is the response direction.
func (s *Stream) Response() *Flow { return &s.resp }

// RequestHeaders runs proxy_on_request_headers with h (pseudo-headers included);
// endStream says the request has no body.
func (s *Stream) RequestHeaders(h Headers, endStream bool) (Action, error) {
	return s.headers(&s.req, s.vm.fns.reqHeaders, "proxy_on_request_headers", h, endStream)
}

// RequestBody runs proxy_on_request_body with chunk appended to whatever the plugin had
// buffered; the plugin sees the whole buffer's size.
func (s *Stream) RequestBody(chunk []byte, endStream bool) (Action, error) {
	return s.body(&s.req, s.vm.fns.reqBody, "proxy_on_request_body", chunk, endStream)
}

// RequestTrailers runs proxy_on_request_trailers; trailers end the request.
func (s *Stream) RequestTrailers(t Headers) (Action, error) {
	return s.trailers(&s.req, s.vm.fns.reqTrailers, "proxy_on_request_trailers", t)
}

// ResponseHeaders runs proxy_on_response_headers with h (":status" included).
func (s *Stream) ResponseHeaders(h Headers, endStream bool) (Action, error) {
	return s.headers(&s.resp, s.vm.fns.respHeaders, "proxy_on_response_headers", h, endStream)
}

// ResponseBody runs proxy_on_response_body, like RequestBody.
func (s *Stream) ResponseBody(chunk []byte, endStream bool) (Action, error) {
	return s.body(&s.resp, s.vm.fns.respBody, "proxy_on_response_body", chunk, endStream)
}

// ResponseTrailers runs proxy_on_response_trailers; trailers end the response.
func (s *Stream) ResponseTrailers(t Headers) (Action, error) {
	return s.trailers(&s.resp, s.vm.fns.respTrailers, "proxy_on_response_trailers", t)
}

// enter locks the VM and makes s the effective context. The caller must call leave.
func (s *Stream) enter() error {
	s.vm.mu.Lock()
	if s.done || s.local != nil || s.reset {
		s.vm.mu.Unlock()
		return errStreamEnded
	}
	s.vm.newCalls = nil
	s.vm.cur = s
	return nil
}

func (s *Stream) leave() {
	calls := s.vm.takeNewCalls()
	s.vm.mu.Unlock()
	s.vm.runCalls(calls)
}

func (s *Stream) headers(f *Flow, fn apiFunction, name string, h Headers, end bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if f.headersSent || f.held {
		return 0, fmt.Errorf("wasmhost: %s called twice", name)
	}
	f.headers = h.lowered()
	f.endSeen = end
	f.inCallback = true
	r, err := s.vm.call(name, fn, uint64(s.id), uint64(len(h)), b2u(end))
	f.inCallback = false
	if err != nil {
		return 0, err
	}
	a := Action(r)
	if s.local != nil || s.reset {
		return a, nil
	}
	switch {
	case a == ActionContinue || f.resume:
		f.flush()
	case a == 2: // ContinueAndEndStream
		f.endSeen = true
		f.flush()
	default:
		f.held = true
	}
	return a, nil
}

func (s *Stream) body(f *Flow, fn apiFunction, name string, chunk []byte, end bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if f.ended || f.endSeen {
		return 0, fmt.Errorf("wasmhost: %s after end of stream", name)
	}
	f.buf = append(f.buf, chunk...)
	f.endSeen = end
	f.inCallback = true
	r, err := s.vm.call(name, fn, uint64(s.id), uint64(len(f.buf)), b2u(end))
	f.inCallback = false
	if err != nil {
		return 0, err
	}
	a := Action(r)
	if s.local != nil || s.reset {
		return a, nil
	}
	if a == ActionContinue || f.resume {
		f.flush()
	}
	return a, nil
}

func (s *Stream) trailers(f *Flow, fn apiFunction, name string, t Headers) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	f.trailers = t.lowered()
	f.endSeen = true
	f.inCallback = true
	r, err := s.vm.call(name, fn, uint64(s.id), uint64(len(t)))
	f.inCallback = false
	if err != nil {
		return 0, err
	}
	a := Action(r)
	if s.local == nil && !s.reset && (a == ActionContinue || f.resume) {
		f.flush()
	}
	return a, nil
}

// flush lets held headers and the buffered body flow on, as Envoy does when a callback
// returns Continue or the plugin resumes the stream.
func (f *Flow) flush() {
	f.resume = false
	if !f.headersSent {
		f.held = false
		f.headersSent = true
		f.sent = f.headers.Clone()
	}
	if len(f.buf) > 0 {
		f.pieces = append(f.pieces, f.buf)
		f.buf = nil
	}
	if f.endSeen {
		f.ended = true
	}
}

// resumeFlow implements proxy_continue_stream for one direction.
func (f *Flow) resumeFlow() {
	if f.inCallback {
		f.resume = true
		return
	}
	if f.held || len(f.buf) > 0 || (f.endSeen && !f.ended) {
		f.flush()
	}
}

// Done finalizes the stream as Envoy does when it is destroyed: pending callouts are
// cancelled, then proxy_on_done, proxy_on_log and proxy_on_delete run. Calling it again
// does nothing.
func (s *Stream) Done() error {
	v := s.vm
	v.mu.Lock()
	defer v.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	for id, c := range v.calls {
		if c.ContextID == s.id {
			delete(v.calls, id)
		}
	}
	v.cur = s
	_, err := v.call("proxy_on_done", v.fns.done, uint64(s.id))
	if err == nil {
		_, err = v.call("proxy_on_log", v.fns.log, uint64(s.id))
	}
	if err == nil {
		_, err = v.call("proxy_on_delete", v.fns.delete, uint64(s.id))
	}
	delete(v.streams, s.id)
	v.cur = nil
	v.newCalls = nil
	return err
}

// LocalReply is the local reply the plugin sent, or nil.
func (s *Stream) LocalReply() *LocalReply {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	return s.local
}

// Reset reports whether the plugin closed the stream with proxy_close_stream.
func (s *Stream) Reset() bool {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	return s.reset
}

// UpstreamOverrideHost is what the plugin set with proxy_set_upstream_override_host.
func (s *Stream) UpstreamOverrideHost() string {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	return s.override
}

// Property returns a stream property (set by NewStream or by the plugin).
func (s *Stream) Property(key string) (string, bool) {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	p, ok := s.props[key]
	return p, ok
}

// HTTPCalls returns the callouts this stream made that are not answered yet.
func (s *Stream) HTTPCalls() []*HTTPCall {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	return s.vm.pendingCalls(s.id)
}

// Headers returns a copy of the current header map (as the plugin last left it).
func (f *Flow) Headers() Headers {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return f.headers.Clone()
}

// SentHeaders returns the headers as they flowed on, and whether they have.
func (f *Flow) SentHeaders() (Headers, bool) {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return f.sent.Clone(), f.headersSent
}

// Trailers returns a copy of the current trailer map.
func (f *Flow) Trailers() Headers {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return f.trailers.Clone()
}

// Buffered returns a copy of what the plugin holds buffered.
func (f *Flow) Buffered() []byte {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return bytes.Clone(f.buf)
}

// Pieces returns what flowed on, one element per callback (or resume) that let data
// through, in order. A streamed response shows here piece by piece.
func (f *Flow) Pieces() [][]byte {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return append([][]byte(nil), f.pieces...)
}

// Body returns everything that flowed on so far.
func (f *Flow) Body() []byte {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return bytes.Join(f.pieces, nil)
}

// Take returns what flowed on since the previous Take.
func (f *Flow) Take() []byte {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	if f.taken == len(f.pieces) {
		return nil
	}
	out := bytes.Join(f.pieces[f.taken:], nil)
	f.taken = len(f.pieces)
	return out
}

// Ended reports whether the end of stream has flowed on.
func (f *Flow) Ended() bool {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return f.ended
}

// Held reports whether the plugin holds the headers (stopped iteration, not resumed).
func (f *Flow) Held() bool {
	f.s.vm.mu.Lock()
	defer f.s.vm.mu.Unlock()
	return f.held
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
