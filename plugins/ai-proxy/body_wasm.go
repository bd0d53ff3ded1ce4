//go:build wasip1

package main

import (
	"math"
	"unsafe"
)

// proxyGetBufferBytes is the ABI's proxy_get_buffer_bytes, declared here so that its
// out-parameters can live in package variables: the SDK's wrapper passes addresses of
// locals, which makes Go heap-allocate both on every call (two allocations per body
// piece, on top of the buffer the host allocates).
//
//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(bufferType uint32, start, maxSize int32, returnData unsafe.Pointer, returnSize *int32) uint32

// proxySetBufferBytes is the ABI's proxy_set_buffer_bytes, called directly: the SDK's
// ReplaceHttpResponseBody goes through two more calls (and an error value) per piece.
//
//go:wasmimport env proxy_set_buffer_bytes
func proxySetBufferBytes(bufferType uint32, start, maxSize int32, data *byte, size int32) uint32

// proxy-wasm ABI BufferType
const (
	bufferTypeHttpRequestBody  = 0
	bufferTypeHttpResponseBody = 1
)

var (
	bodyData *byte
	bodySize int32

	// pieceBuf receives the response body pieces: the host copies each piece into
	// memory it gets from malloc, and a fresh Go allocation per piece (what the SDK's
	// proxy_on_memory_allocate does) was, with the GC work it causes, about a quarter
	// of the guest time of a converted stream.
	pieceBuf []byte
	// usePieceBuf is set only while responseBody's host call runs, so that malloc
	// hands out pieceBuf for that one copy and fresh memory for everything else.
	usePieceBuf bool
)

// maxPieceBuf bounds the memory kept for pieces between callbacks; a larger piece gets
// memory of its own.
const maxPieceBuf = 256 << 10

// malloc is the guest allocator the host calls to return data to the guest. Envoy
// (proxy-wasm-cpp-host) looks for `malloc` first and uses `proxy_on_memory_allocate`
// (the SDK's, always a new allocation) only when it is missing.
//
//go:wasmexport malloc
func malloc(size uint32) *byte {
	if size == 0 {
		size = 1
	}
	if usePieceBuf && size <= maxPieceBuf {
		usePieceBuf = false
		if uint32(cap(pieceBuf)) < size {
			pieceBuf = make([]byte, max(size, 16<<10))
		}
		return unsafe.SliceData(pieceBuf)
	}
	return unsafe.SliceData(make([]byte, size))
}

// responseBody returns the current response body piece (size bytes), or nil. The
// piece lives in pieceBuf: it is valid until the next call, so the caller must not
// keep it (the converters copy what they keep; see translator.Translator).
func responseBody(size int) []byte {
	bodyData, bodySize = nil, 0
	usePieceBuf = true
	st := proxyGetBufferBytes(bufferTypeHttpResponseBody, 0, int32(size), unsafe.Pointer(&bodyData), &bodySize)
	usePieceBuf = false
	if st != 0 || bodyData == nil {
		return nil
	}
	return unsafe.Slice(bodyData, bodySize)
}

// requestBody returns the whole request body (size bytes) in memory of its own, which
// the request may keep (a fallback resends it), or nil when it cannot be read.
func requestBody(size int) []byte {
	bodyData, bodySize = nil, 0
	if proxyGetBufferBytes(bufferTypeHttpRequestBody, 0, int32(size), unsafe.Pointer(&bodyData), &bodySize) != 0 || bodyData == nil {
		return nil
	}
	return unsafe.Slice(bodyData, bodySize)
}

// replaceResponseBody replaces the whole current response body piece with b.
func replaceResponseBody(b []byte) {
	proxySetBufferBytes(bufferTypeHttpResponseBody, 0, math.MaxInt32, unsafe.SliceData(b), int32(len(b)))
}

// proxySetProperty is the ABI's proxy_set_property, called directly: the SDK's
// SetProperty serializes the path into a new allocation on every call, and monitoring
// sets a dozen properties per request.
//
//go:wasmimport env proxy_set_property
func proxySetProperty(pathData *byte, pathSize int32, data *byte, dataSize int32) uint32

// setPropertyBytes sets the property at the one-element path (a one-element path is
// its own serialization).
func setPropertyBytes(path, value []byte) {
	proxySetProperty(unsafe.SliceData(path), int32(len(path)), unsafe.SliceData(value), int32(len(value)))
}

// proxyGetProperty is the ABI's proxy_get_property, called directly (see proxySetProperty).
//
//go:wasmimport env proxy_get_property
func proxyGetProperty(pathData *byte, pathSize int32, returnData unsafe.Pointer, returnSize *int32) uint32

// property reads the property at the one-element path name: "" when it is not set.
func property(name string) string {
	valueData, valueSize = nil, 0
	if proxyGetProperty(unsafe.StringData(name), int32(len(name)), unsafe.Pointer(&valueData), &valueSize) != 0 || valueData == nil {
		return ""
	}
	return unsafe.String(valueData, valueSize)
}

// proxyGetHeaderMapPairs is the ABI's proxy_get_header_map_pairs, called directly so
// that the pairs can be read in place (see requestHeaderPairs).
//
//go:wasmimport env proxy_get_header_map_pairs
func proxyGetHeaderMapPairs(mapType uint32, returnData unsafe.Pointer, returnSize *int32) uint32

// proxy-wasm ABI MapType
const (
	mapTypeHttpRequestHeaders  = 0
	mapTypeHttpResponseHeaders = 2
)

// proxyGetHeaderMapValue is the ABI's proxy_get_header_map_value, declared here for the
// same reason as proxyGetBufferBytes: the SDK's wrapper heap-allocates both
// out-parameters on every header read.
//
//go:wasmimport env proxy_get_header_map_value
func proxyGetHeaderMapValue(mapType uint32, keyData *byte, keySize int32, returnData unsafe.Pointer, returnSize *int32) uint32

var (
	valueData *byte
	valueSize int32
)

// headerValue reads one header: "" when it is absent. The string views the memory the
// host copied the value into (from malloc, its own allocation).
func headerValue(mapType uint32, name string) string {
	valueData, valueSize = nil, 0
	if proxyGetHeaderMapValue(mapType, unsafe.StringData(name), int32(len(name)), unsafe.Pointer(&valueData), &valueSize) != 0 || valueData == nil {
		return ""
	}
	return unsafe.String(valueData, valueSize)
}

func requestHeader(name string) string  { return headerValue(mapTypeHttpRequestHeaders, name) }
func responseHeader(name string) string { return headerValue(mapTypeHttpResponseHeaders, name) }

var (
	pairsData *byte
	pairsSize int32
)

// requestHeaderPairs reads every request header with one host call. The names and
// values are views into the memory the host copied the map into (a fresh allocation
// from malloc, kept alive by them): one allocation for the list, none per string, where
// the SDK's GetHttpRequestHeaders makes two per header.
func requestHeaderPairs() [][2]string {
	pairsData, pairsSize = nil, 0
	if proxyGetHeaderMapPairs(mapTypeHttpRequestHeaders, unsafe.Pointer(&pairsData), &pairsSize) != 0 || pairsData == nil {
		return nil
	}
	return parsePairs(unsafe.Slice(pairsData, pairsSize))
}
