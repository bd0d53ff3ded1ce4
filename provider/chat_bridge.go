package provider

import (
	"github.com/ai-proxy/ai-proxy/provider/anthropic"
	"github.com/ai-proxy/ai-proxy/provider/responses"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// chatBridges are the client APIs a provider without their native route serves through
// its chat completions API: the request is converted to OpenAI chat and the answer
// back. When the provider converts chat itself (a native protocol), the two
// conversions are chained. One row per client API.
var chatBridges = map[API]func() translator.Translator{
	// Anthropic clients (/v1/messages).
	APIAnthropicMessages: func() translator.Translator { return anthropic.NewMessagesToChat() },
	// OpenAI Responses clients (/v1/responses); no server-side state (see package responses).
	APIResponses: func() translator.Translator { return responses.NewResponsesToChat() },
}

func init() {
	anthropicBridge = bridgeToChat
}

// bridgedToChat reports whether clients of api reach providers without api's route
// through their chat completions.
func bridgedToChat(api API) bool { return chatBridges[api] != nil }

func bridgeToChat(c *Config, r *Request) translator.Translator {
	newBridge := chatBridges[r.API]
	if newBridge == nil || r.UpstreamAPI != APIChatCompletion {
		return nil
	}
	bridge := newBridge()
	if c.spec.Translate == nil {
		return bridge
	}
	// The provider sees an OpenAI chat request.
	chat := *r
	chat.API, chat.Protocol = APIChatCompletion, ProtocolOpenAI
	if inner := c.spec.Translate(c, &chat); inner != nil {
		return translator.Chain(bridge, inner)
	}
	return bridge
}
