//go:build !wasip1

package main

import "github.com/higress-group/proxy-wasm-go-sdk/proxywasm"

// pieceBuf is reused for every piece, as in body_wasm.go, so that the Go-mode tests
// catch what would keep a piece past its callback.
var pieceBuf []byte

// responseBody returns the current response body piece (size bytes), or nil. (Native
// builds — the Go-mode tests — go through the SDK; see body_wasm.go.)
func responseBody(size int) []byte {
	b, err := proxywasm.GetHttpResponseBody(0, size)
	if err != nil || b == nil {
		return nil
	}
	pieceBuf = append(pieceBuf[:0], b...)
	return pieceBuf
}

// requestBody returns the whole request body (size bytes), or nil.
func requestBody(size int) []byte {
	b, _ := proxywasm.GetHttpRequestBody(0, size)
	return b
}

// replaceResponseBody replaces the whole current response body piece with b.
func replaceResponseBody(b []byte) { _ = proxywasm.ReplaceHttpResponseBody(b) }

// setPropertyBytes sets the property at the one-element path (see body_wasm.go).
func setPropertyBytes(path, value []byte) { _ = proxywasm.SetProperty([]string{string(path)}, value) }

// requestHeaderPairs reads every request header with one host call (see body_wasm.go).
func requestHeaderPairs() [][2]string {
	hs, _ := proxywasm.GetHttpRequestHeaders()
	return hs
}

// requestHeader and responseHeader read one header: "" when it is absent.
func requestHeader(name string) string  { v, _ := proxywasm.GetHttpRequestHeader(name); return v }
func responseHeader(name string) string { v, _ := proxywasm.GetHttpResponseHeader(name); return v }

// property reads the property at the one-element path name: "" when it is not set.
func property(name string) string {
	v, _ := proxywasm.GetProperty([]string{name})
	return string(v)
}
