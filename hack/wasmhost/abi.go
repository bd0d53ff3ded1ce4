package wasmhost

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"
)

type apiFunction = api.Function

// proxy-wasm status codes.
const (
	statusOK              = 0
	statusNotFound        = 1
	statusBadArgument     = 2
	statusEmpty           = 7
	statusCasMismatch     = 8
	statusInternalFailure = 10
	statusUnimplemented   = 12
)

// proxy-wasm buffer and map types.
const (
	bufRequestBody      = 0
	bufResponseBody     = 1
	bufHTTPCallResponse = 4
	bufVMConfiguration  = 6
	bufPluginConfig     = 7

	mapRequestHeaders       = 0
	mapRequestTrailers      = 1
	mapResponseHeaders      = 2
	mapResponseTrailers     = 3
	mapHTTPCallRespHeaders  = 6
	mapHTTPCallRespTrailers = 7
)

type hostFunction struct {
	name            string
	params, results []api.ValueType
	fn              func(v *VM, s []uint64)
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func i32s(n int) []api.ValueType {
	out := make([]api.ValueType, n)
	for i := range out {
		out[i] = i32
	}
	return out
}

// fn declares a host function taking n i32 parameters and returning an i32 status.
func fn(name string, n int, f func(v *VM, s []uint64) uint32) hostFunction {
	return hostFunction{name: name, params: i32s(n), results: i32s(1), fn: func(v *VM, s []uint64) {
		s[0] = uint64(f(v, s))
	}}
}

// hostFunctions is the "env" module: every import of the proxy-wasm Go SDK plus the
// ABI 0.2.1 functions it does not use yet.
var hostFunctions = []hostFunction{
	fn("proxy_log", 3, func(v *VM, s []uint64) uint32 {
		msg, ok := v.read(s[1], s[2])
		if !ok {
			return statusBadArgument
		}
		v.logf(LogLevel(s[0]), v.curID(), string(msg))
		return statusOK
	}),
	fn("proxy_get_log_level", 1, func(v *VM, s []uint64) uint32 {
		// Report trace so the plugin emits every line; the host filters what it prints.
		v.mem.WriteUint32Le(uint32(s[0]), uint32(LogTrace))
		return statusOK
	}),
	fn("proxy_get_current_time_nanoseconds", 1, func(v *VM, s []uint64) uint32 {
		v.mem.WriteUint64Le(uint32(s[0]), uint64(time.Now().UnixNano()))
		return statusOK
	}),
	fn("proxy_send_local_response", 8, func(v *VM, s []uint64) uint32 {
		st := v.cur
		if st == nil {
			return statusNotFound
		}
		details, ok1 := v.read(s[1], s[2])
		body, ok2 := v.read(s[3], s[4])
		hb, ok3 := v.read(s[5], s[6])
		if !ok1 || !ok2 || !ok3 {
			return statusBadArgument
		}
		hdrs, ok := deserializeHeaders(hb)
		if !ok {
			return statusBadArgument
		}
		st.local = &LocalReply{
			Status:     int(uint32(s[0])),
			Details:    string(details),
			Headers:    hdrs.lowered(),
			Body:       bytes.Clone(body),
			GRPCStatus: int32(uint32(s[7])),
		}
		return statusOK
	}),
	fn("proxy_get_shared_data", 5, func(v *VM, s []uint64) uint32 {
		key, ok := v.read(s[0], s[1])
		if !ok {
			return statusBadArgument
		}
		h := v.host
		h.mu.Lock()
		val, found := h.shared[string(key)]
		h.mu.Unlock()
		if !found {
			return statusNotFound
		}
		if !v.writeReturn(s[2], s[3], val.value) {
			return statusInternalFailure
		}
		v.mem.WriteUint32Le(uint32(s[4]), val.cas)
		return statusOK
	}),
	fn("proxy_set_shared_data", 5, func(v *VM, s []uint64) uint32 {
		key, ok1 := v.read(s[0], s[1])
		val, ok2 := v.read(s[2], s[3])
		if !ok1 || !ok2 {
			return statusBadArgument
		}
		cas := uint32(s[4])
		h := v.host
		h.mu.Lock()
		defer h.mu.Unlock()
		cur, found := h.shared[string(key)]
		if cas != 0 && found && cur.cas != cas {
			return statusCasMismatch
		}
		h.shared[string(key)] = sharedValue{value: bytes.Clone(val), cas: cur.cas + 1}
		return statusOK
	}),
	fn("proxy_register_shared_queue", 3, func(v *VM, s []uint64) uint32 {
		name, ok := v.read(s[0], s[1])
		if !ok {
			return statusBadArgument
		}
		h := v.host
		h.mu.Lock()
		id, found := h.queues[string(name)]
		if !found {
			id = uint32(len(h.queues) + 1)
			h.queues[string(name)] = id
			h.queueBuf[id] = &queue{name: string(name), owner: v}
		}
		h.mu.Unlock()
		v.mem.WriteUint32Le(uint32(s[2]), id)
		return statusOK
	}),
	fn("proxy_resolve_shared_queue", 5, func(v *VM, s []uint64) uint32 {
		name, ok := v.read(s[2], s[3])
		if !ok {
			return statusBadArgument
		}
		h := v.host
		h.mu.Lock()
		id, found := h.queues[string(name)]
		h.mu.Unlock()
		if !found {
			return statusNotFound
		}
		v.mem.WriteUint32Le(uint32(s[4]), id)
		return statusOK
	}),
	fn("proxy_dequeue_shared_queue", 3, func(v *VM, s []uint64) uint32 {
		h := v.host
		h.mu.Lock()
		q, found := h.queueBuf[uint32(s[0])]
		var item []byte
		empty := true
		if found && len(q.items) > 0 {
			item, q.items, empty = q.items[0], q.items[1:], false
		}
		h.mu.Unlock()
		switch {
		case !found:
			return statusNotFound
		case empty:
			return statusEmpty
		}
		if !v.writeReturn(s[1], s[2], item) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_enqueue_shared_queue", 3, func(v *VM, s []uint64) uint32 {
		data, ok := v.read(s[1], s[2])
		if !ok {
			return statusBadArgument
		}
		h := v.host
		h.mu.Lock()
		defer h.mu.Unlock()
		q, found := h.queueBuf[uint32(s[0])]
		if !found {
			return statusNotFound
		}
		q.items = append(q.items, bytes.Clone(data))
		return statusOK
	}),
	fn("proxy_get_header_map_value", 5, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		key, ok := v.read(s[1], s[2])
		if !ok {
			return statusBadArgument
		}
		val, found := m.Get(string(key))
		if !found {
			return statusNotFound
		}
		if !v.writeReturnString(s[3], s[4], val) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_add_header_map_value", 5, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		key, ok1 := v.read(s[1], s[2])
		val, ok2 := v.read(s[3], s[4])
		if !ok1 || !ok2 {
			return statusBadArgument
		}
		*m = append(*m, [2]string{strings.ToLower(string(key)), string(val)})
		return statusOK
	}),
	fn("proxy_replace_header_map_value", 5, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		key, ok1 := v.read(s[1], s[2])
		val, ok2 := v.read(s[3], s[4])
		if !ok1 || !ok2 {
			return statusBadArgument
		}
		*m = m.set(string(key), string(val))
		return statusOK
	}),
	fn("proxy_remove_header_map_value", 3, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		key, ok := v.read(s[1], s[2])
		if !ok {
			return statusBadArgument
		}
		*m = m.remove(string(key))
		return statusOK
	}),
	fn("proxy_get_header_map_pairs", 3, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		v.scratch = m.serialize(v.scratch)
		if !v.writeReturn(s[1], s[2], v.scratch) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_set_header_map_pairs", 3, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		b, ok := v.read(s[1], s[2])
		if !ok {
			return statusBadArgument
		}
		h, ok := deserializeHeaders(b)
		if !ok {
			return statusBadArgument
		}
		*m = h.lowered()
		return statusOK
	}),
	fn("proxy_get_header_map_size", 2, func(v *VM, s []uint64) uint32 {
		m := v.headerMap(s[0])
		if m == nil {
			return statusNotFound
		}
		v.scratch = m.serialize(v.scratch)
		v.mem.WriteUint32Le(uint32(s[1]), uint32(len(v.scratch)))
		return statusOK
	}),
	fn("proxy_get_buffer_bytes", 5, func(v *VM, s []uint64) uint32 {
		b, ok := v.buffer(s[0])
		if !ok {
			return statusNotFound
		}
		start, max := int(int32(s[1])), int(int32(s[2]))
		if start < 0 || max < 0 {
			return statusBadArgument
		}
		buf := *b
		if start > len(buf) {
			return statusBadArgument
		}
		end := len(buf)
		if max < end-start {
			end = start + max
		}
		if !v.writeReturn(s[3], s[4], buf[start:end]) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_get_buffer_status", 3, func(v *VM, s []uint64) uint32 {
		b, ok := v.buffer(s[0])
		if !ok {
			return statusNotFound
		}
		v.mem.WriteUint32Le(uint32(s[1]), uint32(len(*b)))
		v.mem.WriteUint32Le(uint32(s[2]), 0)
		return statusOK
	}),
	fn("proxy_set_buffer_bytes", 5, func(v *VM, s []uint64) uint32 {
		if s[0] != bufRequestBody && s[0] != bufResponseBody {
			return statusBadArgument
		}
		b, ok := v.buffer(s[0])
		if !ok {
			return statusNotFound
		}
		data, ok := v.read(s[3], s[4])
		if !ok {
			return statusBadArgument
		}
		// Envoy's Buffer::copyFrom: start 0 drains `length` bytes then prepends; a start at
		// or past the end appends; anything else is unsupported.
		start, length := int(int32(s[1])), int(int32(s[2]))
		switch {
		case start == 0:
			rest := *b
			if length > len(rest) || length < 0 {
				length = len(rest)
			}
			rest = rest[length:]
			nb := make([]byte, 0, len(data)+len(rest))
			nb = append(append(nb, data...), rest...)
			*b = nb
		case start >= len(*b):
			*b = append(*b, data...)
		default:
			return statusBadArgument
		}
		return statusOK
	}),
	fn("proxy_continue_stream", 1, func(v *VM, s []uint64) uint32 {
		st := v.cur
		if st == nil {
			return statusNotFound
		}
		if st.local != nil {
			return statusOK
		}
		switch s[0] {
		case 0:
			st.req.resumeFlow()
		case 1:
			st.resp.resumeFlow()
		default:
			return statusBadArgument
		}
		return statusOK
	}),
	fn("proxy_close_stream", 1, func(v *VM, s []uint64) uint32 {
		if v.cur == nil {
			return statusNotFound
		}
		v.cur.reset = true
		return statusOK
	}),
	fn("proxy_http_call", 10, func(v *VM, s []uint64) uint32 {
		cluster, ok1 := v.read(s[0], s[1])
		hb, ok2 := v.read(s[2], s[3])
		body, ok3 := v.read(s[4], s[5])
		tb, ok4 := v.read(s[6], s[7])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return statusBadArgument
		}
		hdrs, ok := deserializeHeaders(hb)
		trailers, okT := deserializeHeaders(tb)
		if !ok || !okT {
			return statusBadArgument
		}
		hdrs = hdrs.lowered()
		// Envoy refuses a callout without these.
		for _, k := range []string{":method", ":path", ":authority"} {
			if _, found := hdrs.Get(k); !found {
				v.logf(LogWarn, v.curID(), "wasmhost: proxy_http_call to "+string(cluster)+" without "+k)
				return statusBadArgument
			}
		}
		v.nextCallID++
		c := &HTTPCall{
			ID:        v.nextCallID,
			Cluster:   string(cluster),
			Headers:   hdrs,
			Body:      bytes.Clone(body),
			Trailers:  trailers,
			Timeout:   time.Duration(uint32(s[8])) * time.Millisecond,
			ContextID: v.curID(),
		}
		v.calls[c.ID] = c
		v.newCalls = append(v.newCalls, c)
		v.mem.WriteUint32Le(uint32(s[9]), c.ID)
		return statusOK
	}),
	fn("proxy_call_foreign_function", 6, func(v *VM, s []uint64) uint32 {
		name, ok1 := v.read(s[0], s[1])
		params, ok2 := v.read(s[2], s[3])
		if !ok1 || !ok2 {
			return statusBadArgument
		}
		f, found := v.host.opts.ForeignFunctions[string(name)]
		if !found {
			return statusNotFound
		}
		out, err := f(bytes.Clone(params))
		if err != nil {
			return statusInternalFailure
		}
		if !v.writeReturn(s[4], s[5], out) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_inject_encoded_data_to_filter_chain", 3, func(v *VM, s []uint64) uint32 {
		st := v.cur
		if st == nil {
			return statusNotFound
		}
		data, ok := v.read(s[0], s[1])
		if !ok {
			return statusBadArgument
		}
		// The data goes downstream after this filter, as response body.
		if len(data) > 0 {
			st.resp.pieces = append(st.resp.pieces, bytes.Clone(data))
		}
		if s[2] != 0 {
			st.resp.ended = true
		}
		return statusOK
	}),
	fn("proxy_get_upstream_hosts", 2, func(v *VM, s []uint64) uint32 { return statusNotFound }),
	fn("proxy_set_upstream_override_host", 2, func(v *VM, s []uint64) uint32 {
		host, ok := v.read(s[0], s[1])
		if !ok {
			return statusBadArgument
		}
		if v.cur == nil {
			return statusNotFound
		}
		v.cur.override = string(host)
		return statusOK
	}),
	fn("proxy_redis_init", 7, func(v *VM, s []uint64) uint32 { return statusUnimplemented }),
	fn("proxy_redis_call", 5, func(v *VM, s []uint64) uint32 { return statusUnimplemented }),
	fn("proxy_set_tick_period_milliseconds", 1, func(v *VM, s []uint64) uint32 {
		v.tickPeriod.Store(int64(time.Duration(uint32(s[0])) * time.Millisecond))
		return statusOK
	}),
	fn("proxy_set_effective_context", 1, func(v *VM, s []uint64) uint32 {
		id := uint32(s[0])
		if id == rootContextID {
			v.cur = nil
			return statusOK
		}
		st, found := v.streams[id]
		if !found {
			return statusBadArgument
		}
		v.cur = st
		return statusOK
	}),
	{name: "proxy_done", params: nil, results: i32s(1), fn: func(v *VM, s []uint64) { s[0] = statusOK }},
	fn("proxy_define_metric", 4, func(v *VM, s []uint64) uint32 {
		name, ok := v.read(s[1], s[2])
		if !ok || s[0] > uint64(MetricHistogram) {
			return statusBadArgument
		}
		h := v.host
		h.mu.Lock()
		m, found := h.metrics[string(name)]
		if !found {
			m = &Metric{Name: string(name), Type: MetricType(s[0])}
			h.metrics[m.Name] = m
		}
		h.mu.Unlock()
		if m.Type != MetricType(s[0]) {
			return statusBadArgument
		}
		v.metricIDs = append(v.metricIDs, m)
		v.mem.WriteUint32Le(uint32(s[3]), uint32(len(v.metricIDs)))
		return statusOK
	}),
	{name: "proxy_increment_metric", params: []api.ValueType{i32, i64}, results: i32s(1), fn: func(v *VM, s []uint64) {
		m := v.metric(s[0])
		if m == nil {
			s[0] = statusNotFound
			return
		}
		off := int64(s[1])
		h := v.host
		h.mu.Lock()
		defer h.mu.Unlock()
		switch {
		case m.Type == MetricHistogram, m.Type == MetricCounter && off < 0:
			s[0] = statusBadArgument
		default:
			m.Value += off
			s[0] = statusOK
		}
	}},
	{name: "proxy_record_metric", params: []api.ValueType{i32, i64}, results: i32s(1), fn: func(v *VM, s []uint64) {
		m := v.metric(s[0])
		if m == nil {
			s[0] = statusNotFound
			return
		}
		h := v.host
		h.mu.Lock()
		defer h.mu.Unlock()
		if m.Type == MetricHistogram {
			m.Value++
			m.Sum += s[1]
		} else {
			m.Value = int64(s[1])
		}
		s[0] = statusOK
	}},
	fn("proxy_get_metric", 2, func(v *VM, s []uint64) uint32 {
		m := v.metric(s[0])
		if m == nil {
			return statusNotFound
		}
		h := v.host
		h.mu.Lock()
		val := m.Value
		h.mu.Unlock()
		v.mem.WriteUint64Le(uint32(s[1]), uint64(val))
		return statusOK
	}),
	fn("proxy_get_property", 4, func(v *VM, s []uint64) uint32 {
		path, ok := v.read(s[0], s[1])
		if !ok {
			return statusBadArgument
		}
		val, found := v.property(string(bytes.ReplaceAll(path, []byte{0}, []byte{'.'})))
		if !found {
			return statusNotFound
		}
		if !v.writeReturnString(s[2], s[3], val) {
			return statusInternalFailure
		}
		return statusOK
	}),
	fn("proxy_set_property", 4, func(v *VM, s []uint64) uint32 {
		path, ok1 := v.read(s[0], s[1])
		val, ok2 := v.read(s[2], s[3])
		if !ok1 || !ok2 {
			return statusBadArgument
		}
		key := string(bytes.ReplaceAll(path, []byte{0}, []byte{'.'}))
		if v.cur != nil {
			v.cur.props[key] = string(val)
		} else {
			v.props[key] = string(val)
		}
		return statusOK
	}),
}

// read returns a view of guest memory; it is invalid after the guest runs again (an
// allocation may grow and move memory), so copy what must be kept.
func (v *VM) read(ptr, size uint64) ([]byte, bool) {
	if size == 0 {
		return nil, true
	}
	return v.mem.Read(uint32(ptr), uint32(size))
}

// writeReturn copies data into guest memory allocated by the guest (fns.alloc) and
// stores its address and size at ptrAddr and sizeAddr (0 and 0 for empty data).
func (v *VM) writeReturn(ptrAddr, sizeAddr uint64, data []byte) bool {
	if len(data) == 0 {
		return v.mem.WriteUint32Le(uint32(ptrAddr), 0) && v.mem.WriteUint32Le(uint32(sizeAddr), 0)
	}
	v.allocStack[0] = uint64(len(data))
	if err := v.fns.alloc.CallWithStack(v.ctx, v.allocStack[:]); err != nil {
		return false
	}
	p := uint32(v.allocStack[0])
	return v.mem.Write(p, data) &&
		v.mem.WriteUint32Le(uint32(ptrAddr), p) &&
		v.mem.WriteUint32Le(uint32(sizeAddr), uint32(len(data)))
}

func (v *VM) writeReturnString(ptrAddr, sizeAddr uint64, s string) bool {
	if len(s) == 0 {
		return v.writeReturn(ptrAddr, sizeAddr, nil)
	}
	v.allocStack[0] = uint64(len(s))
	if err := v.fns.alloc.CallWithStack(v.ctx, v.allocStack[:]); err != nil {
		return false
	}
	p := uint32(v.allocStack[0])
	return v.mem.WriteString(p, s) &&
		v.mem.WriteUint32Le(uint32(ptrAddr), p) &&
		v.mem.WriteUint32Le(uint32(sizeAddr), uint32(len(s)))
}

func (v *VM) curID() uint32 {
	if v.cur == nil {
		return rootContextID
	}
	return v.cur.id
}

func (v *VM) headerMap(t uint64) *Headers {
	switch t {
	case mapHTTPCallRespHeaders, mapHTTPCallRespTrailers:
		if v.callResp == nil {
			return nil
		}
		if t == mapHTTPCallRespHeaders {
			return &v.callResp.Headers
		}
		return &v.callResp.Trailers
	}
	st := v.cur
	if st == nil {
		return nil
	}
	switch t {
	case mapRequestHeaders:
		return &st.req.headers
	case mapRequestTrailers:
		return &st.req.trailers
	case mapResponseHeaders:
		return &st.resp.headers
	case mapResponseTrailers:
		return &st.resp.trailers
	}
	return nil
}

func (v *VM) buffer(t uint64) (*[]byte, bool) {
	switch t {
	case bufVMConfiguration:
		b := v.host.opts.VMConfig
		return &b, true
	case bufPluginConfig:
		return &v.pluginConfig, true
	case bufHTTPCallResponse:
		if v.callResp == nil {
			return nil, false
		}
		return &v.callResp.Body, true
	case bufRequestBody, bufResponseBody:
		if v.cur == nil {
			return nil, false
		}
		if t == bufRequestBody {
			return &v.cur.req.buf, true
		}
		return &v.cur.resp.buf, true
	}
	return nil, false
}

func (v *VM) metric(id uint64) *Metric {
	if id == 0 || id > uint64(len(v.metricIDs)) {
		return nil
	}
	return v.metricIDs[id-1]
}

// property resolves a property path: stream properties, then VM ones, then host ones,
// then values Envoy derives (plugin identity, request attributes from the headers).
func (v *VM) property(key string) (string, bool) {
	if st := v.cur; st != nil {
		if p, ok := st.props[key]; ok {
			return p, true
		}
	}
	if p, ok := v.props[key]; ok {
		return p, true
	}
	if p, ok := v.host.opts.Properties[key]; ok {
		return p, true
	}
	switch key {
	case "plugin_name", "plugin_root_id":
		return v.host.opts.PluginName, true
	case "plugin_vm_id":
		return "", true
	case "plugin_vm_memory":
		return strconv.FormatUint(uint64(v.mem.Size()), 10), true
	}
	st := v.cur
	if st == nil {
		return "", false
	}
	hdr := func(name string) (string, bool) { return st.req.headers.Get(name) }
	switch key {
	case "x_request_id", "request.id":
		return hdr("x-request-id")
	case "request.path":
		return hdr(":path")
	case "request.url_path":
		p, ok := hdr(":path")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p, ok
	case "request.host":
		return hdr(":authority")
	case "request.method":
		return hdr(":method")
	case "request.scheme":
		return hdr(":scheme")
	case "response.code":
		code, err := strconv.Atoi(st.resp.headers.Value(":status"))
		if err != nil {
			return "", false
		}
		var b [8]byte // Envoy encodes integer properties as 8 little-endian bytes
		binary.LittleEndian.PutUint64(b[:], uint64(code))
		return string(b[:]), true
	}
	if name, ok := strings.CutPrefix(key, "request.headers."); ok {
		return hdr(name)
	}
	return "", false
}
