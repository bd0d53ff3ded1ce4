package wasmhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

type vmKey struct{}

// rootContextID is the id of the plugin (root) context of every VM, as Envoy's first one.
const rootContextID = 1

// LogEntry is one line the plugin logged with proxy_log.
type LogEntry struct {
	Level     LogLevel
	Message   string
	ContextID uint32
}

// VM is one instance of the plugin, with its root context configured. Like an Envoy worker
// it runs one callback at a time; streams on it interleave. Methods are safe for
// concurrent use (they serialize on the VM).
type VM struct {
	host *Host
	id   int
	mod  api.Module
	mem  api.Memory
	ctx  context.Context

	mu     sync.Mutex
	nextID uint32
	// streams by context id, and the effective one (nil: the root context).
	streams map[uint32]*Stream
	cur     *Stream

	fns struct {
		alloc, contextCreate, vmStart, configure, done, log, delete, tick, queueReady api.Function
		reqHeaders, reqBody, reqTrailers, respHeaders, respBody, respTrailers         api.Function
		httpCallResponse                                                              api.Function
	}
	stack      [8]uint64
	allocStack [2]uint64
	scratch    []byte

	pluginConfig []byte
	props        map[string]string
	logs         []LogEntry
	tickPeriod   atomic.Int64 // a time.Duration, read without the VM's lock
	metricIDs    []*Metric
	hostCalls    []uint64 // calls of each hostFunctions entry, by index
	wasiCalls    map[string]uint64

	calls      map[uint32]*HTTPCall
	nextCallID uint32
	newCalls   []*HTTPCall
	callResp   *HTTPCallResponse

	err    error
	stderr *tailWriter
}

// NewVM instantiates the module, runs proxy_on_context_create, proxy_on_vm_start and
// proxy_on_configure with pluginConfig (the plugin configuration bytes, JSON for
// Higress plugins). A failed start or configure returns an error quoting the plugin's
// error logs; the VM is then closed.
func (h *Host) NewVM(ctx context.Context, pluginConfig []byte) (*VM, error) {
	h.mu.Lock()
	h.vmSeq++
	id := h.vmSeq
	h.mu.Unlock()

	v := &VM{
		host:         h,
		id:           id,
		nextID:       rootContextID + 1,
		streams:      map[uint32]*Stream{},
		pluginConfig: bytes.Clone(pluginConfig),
		props:        map[string]string{},
		calls:        map[uint32]*HTTPCall{},
		stderr:       &tailWriter{max: 4096},
		hostCalls:    make([]uint64, len(hostFunctions)),
		wasiCalls:    map[string]uint64{},
	}
	v.ctx = context.WithValue(context.Background(), vmKey{}, v)
	var stderr io.Writer = v.stderr
	if h.opts.Stderr != nil {
		stderr = io.MultiWriter(v.stderr, h.opts.Stderr)
	}
	stdout := h.opts.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithStdout(stdout).
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep().
		WithRandSource(rand.Reader)
	mod, err := h.runtime.InstantiateModule(v.ctx, h.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: instantiate: %w%s", err, v.stderrTail())
	}
	v.mod = mod
	v.mem = mod.Memory()
	f := mod.ExportedFunction
	// Like Envoy (proxy-wasm-cpp-host WasmBase::getFunctions): the module's malloc
	// when it exports one, else proxy_on_memory_allocate.
	v.fns.alloc = f("malloc")
	if v.fns.alloc == nil {
		v.fns.alloc = f("proxy_on_memory_allocate")
	}
	v.fns.contextCreate = f("proxy_on_context_create")
	v.fns.vmStart = f("proxy_on_vm_start")
	v.fns.configure = f("proxy_on_configure")
	v.fns.done = f("proxy_on_done")
	v.fns.log = f("proxy_on_log")
	v.fns.delete = f("proxy_on_delete")
	v.fns.tick = f("proxy_on_tick")
	v.fns.queueReady = f("proxy_on_queue_ready")
	v.fns.reqHeaders = f("proxy_on_request_headers")
	v.fns.reqBody = f("proxy_on_request_body")
	v.fns.reqTrailers = f("proxy_on_request_trailers")
	v.fns.respHeaders = f("proxy_on_response_headers")
	v.fns.respBody = f("proxy_on_response_body")
	v.fns.respTrailers = f("proxy_on_response_trailers")
	v.fns.httpCallResponse = f("proxy_on_http_call_response")

	v.mu.Lock()
	calls, err := v.start()
	v.mu.Unlock()
	if err != nil {
		mod.Close(ctx)
		return nil, err
	}
	v.runCalls(calls)
	return v, nil
}

func (v *VM) start() ([]*HTTPCall, error) {
	v.newCalls = nil
	if _, err := v.call("proxy_on_context_create", v.fns.contextCreate, rootContextID, 0); err != nil {
		return nil, err
	}
	ok, err := v.call("proxy_on_vm_start", v.fns.vmStart, rootContextID, uint64(len(v.host.opts.VMConfig)))
	if err != nil {
		return nil, err
	}
	if ok == 0 {
		return nil, fmt.Errorf("wasmhost: proxy_on_vm_start failed%s", v.errorLogs())
	}
	ok, err = v.call("proxy_on_configure", v.fns.configure, rootContextID, uint64(len(v.pluginConfig)))
	if err != nil {
		return nil, err
	}
	if ok == 0 {
		return nil, fmt.Errorf("wasmhost: plugin configuration rejected (proxy_on_configure failed)%s", v.errorLogs())
	}
	return v.takeNewCalls(), nil
}

// call runs one guest export with the VM locked; a trap or exit fails the VM for good.
func (v *VM) call(name string, fn api.Function, params ...uint64) (uint64, error) {
	if v.err != nil {
		return 0, v.err
	}
	if fn == nil {
		return 0, nil
	}
	copy(v.stack[:], params)
	if err := fn.CallWithStack(v.ctx, v.stack[:]); err != nil {
		v.err = fmt.Errorf("wasmhost: %w: %s: %v%s", ErrVMFailed, name, err, v.stderrTail())
		return 0, v.err
	}
	return uint64(uint32(v.stack[0])), nil // every export used returns i32 (or nothing)
}

func (v *VM) stderrTail() string {
	if s := strings.TrimSpace(v.stderr.String()); s != "" {
		return "\nguest stderr:\n" + s
	}
	return ""
}

func (v *VM) errorLogs() string {
	var b strings.Builder
	for _, l := range v.logs {
		if l.Level >= LogWarn {
			b.WriteString("\n  [")
			b.WriteString(l.Level.String())
			b.WriteString("] ")
			b.WriteString(l.Message)
		}
	}
	if b.Len() == 0 {
		return " (the plugin logged no warning or error)"
	}
	return ": plugin logs:" + b.String()
}

// ID is the VM's number within its Host, from 1.
func (v *VM) ID() int { return v.id }

// Err reports why the VM failed (wrapping ErrVMFailed), or nil.
func (v *VM) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// HostCalls returns how often the plugin called each host function — proxy-wasm ABI
// names, and WASI functions as "wasi.<name>" — on this VM since it started or since
// ResetHostCalls; functions never called are left out.
func (v *VM) HostCalls() map[string]uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]uint64{}
	for i, n := range v.hostCalls {
		if n > 0 {
			out[hostFunctions[i].name] = n
		}
	}
	for k, n := range v.wasiCalls {
		if n > 0 {
			out[k] = n
		}
	}
	return out
}

// ResetHostCalls sets every host call count to zero.
func (v *VM) ResetHostCalls() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.hostCalls)
	clear(v.wasiCalls)
}

// MemorySize is the current size in bytes of the guest's linear memory. Wasm memory never
// shrinks, so this is the high-water mark of the guest heap.
func (v *VM) MemorySize() uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.mem.Size()
}

// Logs returns a copy of the log lines captured so far (at most Options.MaxLogs).
func (v *VM) Logs() []LogEntry {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]LogEntry(nil), v.logs...)
}

// ClearLogs drops the captured log lines.
func (v *VM) ClearLogs() {
	v.mu.Lock()
	v.logs = nil
	v.mu.Unlock()
}

// TickPeriod is the period the plugin asked for with proxy_set_tick_period_milliseconds
// (0: no ticks). The host does not tick by itself: call Tick.
func (v *VM) TickPeriod() time.Duration {
	return time.Duration(v.tickPeriod.Load())
}

// Tick runs proxy_on_tick on the root context (then its callouts, if Options.HTTPCall).
func (v *VM) Tick() error {
	v.mu.Lock()
	v.newCalls = nil
	v.cur = nil
	_, err := v.call("proxy_on_tick", v.fns.tick, rootContextID)
	calls := v.takeNewCalls()
	v.mu.Unlock()
	if err != nil {
		return err
	}
	v.runCalls(calls)
	return nil
}

// Property returns a VM-level property set by the plugin outside a stream.
func (v *VM) Property(key string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.props[key]
	return p, ok
}

// Host returns the Host this VM belongs to.
func (v *VM) Host() *Host { return v.host }

// Close releases the instance. Streams on it must not be used afterwards.
func (v *VM) Close(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err == nil {
		v.err = fmt.Errorf("wasmhost: %w: closed", ErrVMFailed)
	}
	return v.mod.Close(ctx)
}

func (v *VM) logf(level LogLevel, ctxID uint32, msg string) {
	if len(v.logs) >= v.host.opts.MaxLogs {
		n := copy(v.logs, v.logs[len(v.logs)/2:])
		clear(v.logs[n:])
		v.logs = v.logs[:n]
	}
	v.logs = append(v.logs, LogEntry{Level: level, Message: msg, ContextID: ctxID})
	if w := v.host.opts.LogWriter; w != nil && level >= v.host.opts.LogLevel {
		fmt.Fprintf(w, "[wasm %s] vm%d ctx%d: %s\n", level, v.id, ctxID, msg)
	}
}

// HTTPCall is a callout the plugin made with proxy_http_call.
type HTTPCall struct {
	// ID is the callout id the plugin was given.
	ID uint32
	// Cluster is the upstream (Envoy cluster) name the plugin called.
	Cluster string
	// Headers include ":method", ":path" and ":authority".
	Headers  Headers
	Body     []byte
	Trailers Headers
	Timeout  time.Duration
	// ContextID is the context that made the call (the root context is 1).
	ContextID uint32
}

// HTTPCallResponse is the answer to a callout; Headers include ":status".
type HTTPCallResponse struct {
	Headers  Headers
	Body     []byte
	Trailers Headers
}

// PendingHTTPCalls returns the callouts not yet answered, in call order.
func (v *VM) PendingHTTPCalls() []*HTTPCall {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pendingCalls(0)
}

func (v *VM) pendingCalls(ctxID uint32) []*HTTPCall {
	var out []*HTTPCall
	for id := uint32(1); id <= v.nextCallID; id++ {
		if c, ok := v.calls[id]; ok && (ctxID == 0 || c.ContextID == ctxID) {
			out = append(out, c)
		}
	}
	return out
}

// DeliverHTTPCallResponse answers callout id with resp (nil: the call failed, as Envoy
// reports a reset or timeout) through proxy_on_http_call_response. Callouts made while
// handling it are run too if Options.HTTPCall is set.
func (v *VM) DeliverHTTPCallResponse(id uint32, resp *HTTPCallResponse) error {
	calls, err := v.deliver(id, resp)
	if err != nil {
		return err
	}
	v.runCalls(calls)
	return nil
}

func (v *VM) deliver(id uint32, resp *HTTPCallResponse) ([]*HTTPCall, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.calls[id]; !ok {
		return nil, fmt.Errorf("wasmhost: no pending http call %d", id)
	}
	delete(v.calls, id)
	if resp == nil {
		resp = &HTTPCallResponse{}
	}
	resp = &HTTPCallResponse{Headers: resp.Headers.lowered(), Body: resp.Body, Trailers: resp.Trailers.lowered()}
	v.callResp = resp
	v.newCalls = nil
	v.cur = nil
	_, err := v.call("proxy_on_http_call_response", v.fns.httpCallResponse, rootContextID, uint64(id),
		uint64(len(resp.Headers)), uint64(len(resp.Body)), uint64(len(resp.Trailers)))
	v.callResp = nil
	return v.takeNewCalls(), err
}

func (v *VM) takeNewCalls() []*HTTPCall {
	c := v.newCalls
	v.newCalls = nil
	return c
}

// runCalls performs callouts with Options.HTTPCall, outside the VM lock.
func (v *VM) runCalls(calls []*HTTPCall) {
	handler := v.host.opts.HTTPCall
	if handler == nil {
		return
	}
	for len(calls) > 0 {
		c := calls[0]
		calls = calls[1:]
		v.mu.Lock()
		_, pending := v.calls[c.ID]
		v.mu.Unlock()
		if !pending {
			continue // cancelled: its stream ended
		}
		resp, err := handler(context.Background(), c)
		if err != nil {
			resp = nil
		}
		more, err := v.deliver(c.ID, resp)
		if err != nil {
			return
		}
		calls = append(calls, more...)
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var errStreamEnded = errors.New("wasmhost: stream already ended (local reply or Done)")
