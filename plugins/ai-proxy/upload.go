package main

import (
	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
)

// streamUpload follows a multipart upload streaming through (provider.Request.UploadChunk):
// only the bytes not read before are taken from the host, the request is held only
// while the provider waits for the form's model field, and what the host holds is
// replaced only when that field changes. The upload is never buffered whole.
func (h *httpContext) streamUpload(size int, end bool) types.Action {
	held := h.req.UploadHeld()
	var chunk []byte
	if size > held && h.req.UploadReadsBytes() {
		chunk, _ = proxywasm.GetHttpRequestBody(held, size-held)
	}
	step, perr := h.req.UploadChunk(size-held, chunk, end, requestHeaders{})
	if perr != nil {
		h.reply(perr)
		return types.ActionPause
	}
	switch step {
	case provider.UploadHold:
		return types.ActionPause
	case provider.UploadRewrite:
		if buf, err := proxywasm.GetHttpRequestBody(0, size); err == nil {
			if err := proxywasm.ReplaceHttpRequestBody(h.req.RewriteUpload(buf)); err != nil {
				proxywasm.LogErrorf("ai-proxy: cannot replace request body: %v", err)
			}
		}
	}
	if !h.uploadSent {
		h.uploadSent = true
		h.sent(nil)
	}
	h.upload = h.req.StreamsBody() // the rest only streams on: no more callbacks needed
	return types.ActionContinue
}
