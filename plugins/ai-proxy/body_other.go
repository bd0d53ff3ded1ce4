//go:build !wasip1

package main

import "github.com/higress-group/proxy-wasm-go-sdk/proxywasm"

// responseBody returns the current response body piece (size bytes), or nil. (Native
// builds — the Go-mode tests — go through the SDK; see body_wasm.go.)
func responseBody(size int) []byte {
	b, _ := proxywasm.GetHttpResponseBody(0, size)
	return b
}
