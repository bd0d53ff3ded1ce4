//go:build copy

package main

import (
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
)

// Built with -tags copy (make build-copy-floor), the floor also reads every body it sees,
// whole or piece by piece, and writes it back unchanged through the SDK: what a plugin
// that converts bodies pays for the host's side alone when it uses the SDK's calls (a
// fresh allocation per read). Used as -floor, it puts a converter's cost beside that.
// (ai-proxy reads pieces with direct ABI calls into a reused buffer, which is cheaper.)

// OnHttpRequestBody holds the request body until it is whole, then copies it.
func (*httpContext) OnHttpRequestBody(size int, end bool) types.Action {
	if !end {
		return types.ActionPause
	}
	copyBody(size, proxywasm.GetHttpRequestBody, proxywasm.ReplaceHttpRequestBody)
	return types.ActionContinue
}

// OnHttpResponseBody copies each piece of the answer as it comes, as a stream converter must.
func (*httpContext) OnHttpResponseBody(size int, _ bool) types.Action {
	copyBody(size, proxywasm.GetHttpResponseBody, proxywasm.ReplaceHttpResponseBody)
	return types.ActionContinue
}

func copyBody(size int, get func(int, int) ([]byte, error), set func([]byte) error) {
	if size == 0 {
		return
	}
	if b, err := get(0, size); err == nil {
		_ = set(b)
	}
}
