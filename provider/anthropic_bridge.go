package provider

import (
	"github.com/ai-proxy/ai-proxy/provider/anthropic"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// Anthropic clients of providers without a native /v1/messages route are served
// through the provider's chat completions API: the request is converted to OpenAI chat
// and the answer back. When the provider converts chat itself (a native protocol), the
// two conversions are chained.
func init() {
	anthropicBridge = bridgeAnthropic
}

func bridgeAnthropic(c *Config, r *Request) translator.Translator {
	if r.API != APIAnthropicMessages || r.UpstreamAPI != APIChatCompletion {
		return nil
	}
	bridge := anthropic.NewMessagesToChat()
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
