// Command testplugin exercises the wasmhost ABI: the request header x-mode picks what the
// HTTP context does (see the cases below). It is built by wasmhost's TestMain.
package main

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
)

func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct {
	types.DefaultPluginContext
	requests  proxywasm.MetricCounter
	bodyBytes proxywasm.MetricHistogram
	prefix    string
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	cfg, err := proxywasm.GetPluginConfiguration()
	if err != nil && len(cfg) > 0 {
		proxywasm.LogErrorf("read config: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if bytes.Contains(cfg, []byte(`"fail"`)) {
		proxywasm.LogError("bad config: field fail is set")
		return types.OnPluginStartStatusFailed
	}
	if i := bytes.Index(cfg, []byte(`"prefix":"`)); i >= 0 {
		rest := cfg[i+len(`"prefix":"`):]
		p.prefix = string(rest[:bytes.IndexByte(rest, '"')])
	}
	p.requests = proxywasm.DefineCounterMetric("test_requests_total")
	p.bodyBytes = proxywasm.DefineHistogramMetric("test_body_bytes")
	if err := proxywasm.SetTickPeriodMilliSeconds(1000); err != nil {
		proxywasm.LogErrorf("tick: %v", err)
	}
	proxywasm.LogInfo("configured")
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) OnTick() {
	incShared("ticks")
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	return &httpContext{p: p}
}

type httpContext struct {
	types.DefaultHttpContext
	p    *pluginContext
	mode string
}

// incShared increments a shared-data counter with compare-and-swap and returns it.
func incShared(key string) int {
	for {
		v, cas, err := proxywasm.GetSharedData(key)
		n := 0
		if err == nil {
			n, _ = strconv.Atoi(string(v))
		}
		n++
		if err := proxywasm.SetSharedData(key, []byte(strconv.Itoa(n)), cas); err == nil {
			return n
		}
	}
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	h.p.requests.Increment(1)
	h.mode, _ = proxywasm.GetHttpRequestHeader("x-mode")
	switch h.mode {
	case "headers":
		hs, _ := proxywasm.GetHttpRequestHeaders()
		_ = proxywasm.AddHttpRequestHeader("x-added", "n="+strconv.Itoa(len(hs))+"/"+strconv.Itoa(numHeaders))
		_ = proxywasm.ReplaceHttpRequestHeader(":path", h.p.prefix+"/rewritten")
		_ = proxywasm.RemoveHttpRequestHeader("x-remove")
	case "buffer", "bufferresp":
		_ = proxywasm.RemoveHttpRequestHeader("content-length")
		return types.HeaderStopIteration
	case "local":
		_ = proxywasm.SendHttpResponse(403, [][2]string{{"x-local", "yes"}}, []byte("denied"), -1)
		return types.ActionPause
	case "callout":
		_, err := proxywasm.DispatchHttpCall("auth_cluster", [][2]string{
			{":method", "POST"}, {":path", "/auth"}, {":authority", "auth.local"},
		}, []byte("who"), nil, 1500, func(numHeaders, bodySize, numTrailers int) {
			hs, _ := proxywasm.GetHttpCallResponseHeaders()
			tok, found := "", false
			for _, kv := range hs {
				if kv[0] == "x-token" {
					tok, found = kv[1], true
				}
			}
			if !found {
				_ = proxywasm.SendHttpResponse(502, nil, []byte("callout failed"), -1)
				return
			}
			body, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
			_ = proxywasm.ReplaceHttpRequestHeader("x-token", tok+":"+string(body))
			_ = proxywasm.ResumeHttpRequest()
		})
		if err != nil {
			proxywasm.LogErrorf("dispatch: %v", err)
			return types.ActionContinue
		}
		return types.HeaderStopIteration
	case "shared":
		_ = proxywasm.ReplaceHttpRequestHeader("x-shared", strconv.Itoa(incShared("hits")))
	case "props":
		route, err := proxywasm.GetProperty([]string{"route_name"})
		if err != nil {
			route = []byte("none")
		}
		_ = proxywasm.ReplaceHttpRequestHeader("x-route", string(route))
		_ = proxywasm.SetProperty([]string{"x_test"}, []byte("set-by-plugin"))
		if _, err := proxywasm.GetProperty([]string{"no_such_property"}); err == nil {
			_ = proxywasm.ReplaceHttpRequestHeader("x-missing", "found?")
		}
	case "log":
		proxywasm.LogWarnf("warn from %s", "plugin")
		proxywasm.LogError("error from plugin")
	case "foreign":
		ret, err := proxywasm.CallForeignFunction("echo", []byte("ping"))
		val := string(ret)
		if err != nil {
			val = "err:" + err.Error()
		}
		_ = proxywasm.ReplaceHttpRequestHeader("x-foreign", val)
	case "panic":
		panic("boom")
	case "clock":
		sink += int(time.Now().UnixNano() & 1)
	default:
		// single-N / pairs-N: read N headers one host call each, or all of them in one
		// proxy_get_header_map_pairs (BenchmarkHeaderReads).
		if n, ok := strings.CutPrefix(h.mode, "single-"); ok {
			k, _ := strconv.Atoi(n)
			for _, name := range readNames[:k] {
				v, _ := proxywasm.GetHttpRequestHeader(name)
				sink += len(v)
			}
		} else if n, ok := strings.CutPrefix(h.mode, "rawpairs-"); ok {
			k, _ := strconv.Atoi(n)
			hs := rawRequestHeaders()
			for _, name := range readNames[:k] {
				for _, kv := range hs {
					if kv[0] == name {
						sink += len(kv[1])
					}
				}
			}
		} else if n, ok := strings.CutPrefix(h.mode, "pairs-"); ok {
			k, _ := strconv.Atoi(n)
			hs, _ := proxywasm.GetHttpRequestHeaders()
			for _, name := range readNames[:k] {
				for _, kv := range hs {
					if kv[0] == name {
						sink += len(kv[1])
					}
				}
			}
		}
	}
	return types.ActionContinue
}

// readNames are headers a plugin like ai-proxy looks for (most absent).
var readNames = []string{"authorization", "content-type", "x-api-key", "api-key", "anthropic-api-key", "x-goog-api-key", "x-mse-consumer", "x-request-id"}

var sink int

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	switch h.mode {
	case "buffer", "bufferresp":
		if !endOfStream {
			return types.DataStopIterationAndBuffer
		}
		body, err := proxywasm.GetHttpRequestBody(0, bodySize)
		if err != nil {
			proxywasm.LogErrorf("get body: %v", err)
		}
		h.p.bodyBytes.Record(uint64(len(body)))
		// Headers held by StopIteration may still change here.
		_ = proxywasm.ReplaceHttpRequestHeader("x-body-size", strconv.Itoa(bodySize)+"/"+strconv.Itoa(len(body)))
		_ = proxywasm.ReplaceHttpRequestBody(bytes.ToUpper(body))
	case "append":
		_ = proxywasm.AppendHttpRequestBody([]byte("+"))
		_ = proxywasm.PrependHttpRequestBody([]byte("-"))
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if h.mode == "stream" || h.mode == "bufferresp" {
		_ = proxywasm.RemoveHttpResponseHeader("content-length")
		_ = proxywasm.AddHttpResponseHeader("x-mode", h.mode)
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	switch h.mode {
	case "stream":
		body, _ := proxywasm.GetHttpResponseBody(0, bodySize)
		_ = proxywasm.ReplaceHttpResponseBody([]byte(strings.ToUpper(string(body))))
	case "bufferresp":
		if !endOfStream {
			return types.DataStopIterationAndBuffer
		}
		body, _ := proxywasm.GetHttpResponseBody(0, bodySize)
		_ = proxywasm.ReplaceHttpResponseBody([]byte("total:" + strconv.Itoa(len(body)) + ":" + string(body)))
	case "localresp":
		_ = proxywasm.SendHttpResponse(500, nil, []byte("late"), -1)
		return types.ActionPause
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpStreamDone() {
	incShared("done")
}

//go:wasmimport env proxy_get_header_map_pairs
func proxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *int32) uint32

var (
	rawData *byte
	rawSize int32
)

// rawRequestHeaders reads the request headers with one host call and views the names
// and values in place, as ai-proxy does (plugins/ai-proxy/pairs.go): one allocation for
// the list instead of two per header.
func rawRequestHeaders() [][2]string {
	rawData, rawSize = nil, 0
	if proxyGetHeaderMapPairs(0, unsafe.Pointer(&rawData), &rawSize) != 0 || rawData == nil {
		return nil
	}
	b := unsafe.Slice(rawData, rawSize)
	n := int(binary.LittleEndian.Uint32(b))
	out := make([][2]string, n)
	sizes, data := b[4:4+8*n], b[4+8*n:]
	for i := range out {
		kl := int(binary.LittleEndian.Uint32(sizes[8*i:]))
		vl := int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		out[i][0] = unsafe.String(unsafe.SliceData(data), kl)
		out[i][1] = unsafe.String(unsafe.SliceData(data[kl+1:]), vl)
		data = data[kl+vl+2:]
	}
	return out
}
