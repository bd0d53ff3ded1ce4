package main

import (
	"strconv"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/ai-proxy/ai-proxy/provider"
)

// fetchContext fetches the route's system context — the provider's `context` file from
// a gateway service, or the content of `moonshotFileId` from Moonshot's file API on the
// route's own cluster — caches it for the route, then finishes the request body. Until
// the answer arrives the request is paused; a failure answers 502, never a hang (the
// callout has the provider's timeout).
func (h *httpContext) fetchContext(body []byte) {
	c := h.req.Config
	var cluster string
	var headers [][2]string
	if c.Context != nil {
		cluster = "outbound|" + strconv.FormatUint(uint64(c.Context.ServicePort), 10) + "||" + c.Context.ServiceName
		headers = [][2]string{{":method", "GET"}, {":path", c.Context.Path}, {":authority", c.Context.ServiceHost}}
	} else {
		name, _ := proxywasm.GetProperty([]string{"cluster_name"})
		cluster = string(name)
		headers = [][2]string{{":method", "GET"}, {":path", "/v1/files/" + c.MoonshotFileID + "/content"},
			{":authority", c.Host}, {"authorization", "Bearer " + h.req.Token()}}
	}
	_, err := proxywasm.DispatchHttpCall(cluster, headers, nil, nil, c.Timeout, func(_, bodySize, _ int) {
		h.onContext(body, bodySize)
	})
	if err != nil {
		h.contextFailed("cannot dispatch the callout (" + err.Error() + ")")
	}
}

func (h *httpContext) onContext(body []byte, bodySize int) {
	hs, _ := proxywasm.GetHttpCallResponseHeaders()
	status := ""
	for _, kv := range hs {
		if kv[0] == ":status" {
			status = kv[1]
		}
	}
	if status != "200" {
		h.contextFailed("upstream status " + strconv.Quote(status))
		return
	}
	text, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
	cache := h.config.context(h.req.Config)
	cache.text, cache.fetched = string(text), true
	h.req.SystemContext = cache.text
	if h.rewriteBody(body) && h.leave(body) == types.ActionContinue {
		_ = proxywasm.ResumeHttpRequest()
	}
}

func (h *httpContext) contextFailed(why string) {
	h.reply(&provider.Error{Status: 502, Message: "cannot fetch the configured context file: " + why, Code: "context_unavailable"})
}
