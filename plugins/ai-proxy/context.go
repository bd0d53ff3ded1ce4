package main

import (
	"strconv"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/ai-proxy/ai-proxy/provider"
)

// fetchContext fetches the provider's `context` file through a callout to the
// configured gateway service, caches it for the route, then finishes the request body.
// It returns false when the callout could not even be dispatched (an error reply was
// sent).
func (h *httpContext) fetchContext(body []byte) bool {
	c := h.config.active.Context
	cluster := "outbound|" + strconv.FormatUint(uint64(c.ServicePort), 10) + "||" + c.ServiceName
	headers := [][2]string{{":method", "GET"}, {":path", c.Path}, {":authority", c.ServiceHost}}
	_, err := proxywasm.DispatchHttpCall(cluster, headers, nil, nil, h.config.active.Timeout, func(_, bodySize, _ int) {
		h.onContext(body, bodySize)
	})
	if err != nil {
		sendErrorProtocol(&provider.Error{Status: 502, Message: "cannot fetch the configured context file: " + err.Error(), Code: "context_unavailable"}, h.req.Protocol)
		return false
	}
	return true
}

func (h *httpContext) onContext(body []byte, bodySize int) {
	status, _ := proxywasm.GetHttpCallResponseHeaders()
	code := ""
	for _, kv := range status {
		if kv[0] == ":status" {
			code = kv[1]
		}
	}
	if code != "200" {
		sendErrorProtocol(&provider.Error{Status: 502, Message: "cannot fetch the configured context file: upstream status " + strconv.Quote(code), Code: "context_unavailable"}, h.req.Protocol)
		return
	}
	text, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
	h.config.context.text, h.config.context.fetched = string(text), true
	h.req.SystemContext = h.config.context.text
	if h.rewriteBody(body) {
		_ = proxywasm.ResumeHttpRequest()
	}
}

var _ types.HttpContext = (*httpContext)(nil)
