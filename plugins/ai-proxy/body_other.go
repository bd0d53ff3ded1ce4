//go:build !wasip1

package main

import "github.com/higress-group/proxy-wasm-go-sdk/proxywasm"

// responseBody returns the current response body piece (size bytes), or nil. (Native
// builds — the Go-mode tests — go through the SDK; see body_wasm.go.)
func responseBody(size int) []byte {
	b, _ := proxywasm.GetHttpResponseBody(0, size)
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
