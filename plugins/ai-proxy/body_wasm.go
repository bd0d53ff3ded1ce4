//go:build wasip1

package main

import "unsafe"

// proxyGetBufferBytes is the ABI's proxy_get_buffer_bytes, declared here so that its
// out-parameters can live in package variables: the SDK's wrapper passes addresses of
// locals, which makes Go heap-allocate both on every call (two allocations per body
// piece, on top of the buffer the host allocates).
//
//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(bufferType uint32, start, maxSize int32, returnData unsafe.Pointer, returnSize *int32) uint32

const bufferTypeHttpResponseBody = 1 // proxy-wasm ABI BufferType

var (
	bodyData *byte
	bodySize int32
)

// responseBody returns the current response body piece (size bytes), or nil.
func responseBody(size int) []byte {
	bodyData, bodySize = nil, 0
	if proxyGetBufferBytes(bufferTypeHttpResponseBody, 0, int32(size), unsafe.Pointer(&bodyData), &bodySize) != 0 || bodyData == nil {
		return nil
	}
	return unsafe.Slice(bodyData, bodySize)
}
