package provider

import (
	"github.com/ai-proxy/ai-proxy/provider/anthropic"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// defaultClaudeVersion is the anthropic-version header sent when the config names none
// (`claudeVersion` / `apiVersion`).
const defaultClaudeVersion = "2023-06-01"

// Claude: Anthropic's Messages API, type "claude". OpenAI chat clients are converted to
// /v1/messages and back; Anthropic clients pass through natively; the token goes in
// x-api-key and every request carries anthropic-version.
func init() {
	register("claude", &Spec{
		Host: "api.anthropic.com",
		Paths: map[API]string{
			APIChatCompletion:    "/v1/messages",
			APIAnthropicMessages: "/v1/messages",
			APIModels:            "/v1/models",
		},
		Auth:           Auth{Header: "x-api-key"},
		Settings:       "claude",
		RequestHeaders: claudeHeaders,
		Translate:      translateClaude,
	})
}

// claudeHeaders sets anthropic-version: the configured one always, else the client's
// own (an Anthropic SDK sends it), else the default.
func claudeHeaders(c *Config, r *Request, h Headers) {
	switch {
	case c.APIVersion != "":
		h.Set("anthropic-version", c.APIVersion)
	case h.Get("anthropic-version") == "":
		h.Set("anthropic-version", defaultClaudeVersion)
	}
}

func translateClaude(c *Config, r *Request) translator.Translator {
	if r.API == APIChatCompletion {
		return anthropic.NewChatToMessages()
	}
	return nil
}
