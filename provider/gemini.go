package provider

import (
	"fmt"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/gemini"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// defaultGeminiVersion is the API version in Gemini paths when the config names none
// (`apiVersion`).
const defaultGeminiVersion = "v1beta"

// Gemini: Google AI Studio / the Generative Language API, type "gemini". OpenAI chat
// is converted to generateContent (streamGenerateContent?alt=sse for streams),
// embeddings to batchEmbedContents and the models list from Gemini's; Anthropic
// clients reach it through the chat conversion; native Gemini routes
// (/v1beta/models/M:generateContent, :streamGenerateContent) pass through with
// credentials. The token goes in x-goog-api-key. With `protocol: original`
// customSettings go raw under `generation_config`.
func init() {
	register("gemini", &Spec{
		Host:              "generativelanguage.googleapis.com",
		Auth:              Auth{Header: "x-goog-api-key"},
		NativePrefixes:    []string{"/v1beta/", "/v1/", "/upload/"}, // files, caches, ... with protocol: original
		Settings:          "gemini",
		RawSettingsPrefix: "generation_config.",
		Setup:             setupGemini,
		Translate:         translateGemini,
	})
}

func setupGemini(c *Config) error {
	v := c.APIVersion
	if v == "" {
		v = defaultGeminiVersion
	}
	if strings.ContainsAny(v, "/?# ") {
		return fmt.Errorf("apiVersion: %q must be a version name such as v1beta or v1", v)
	}
	c.Capabilities[APIChatCompletion] = "/" + v + "/models/{model}:generateContent"
	c.Capabilities[APIEmbeddings] = "/" + v + "/models/{model}:batchEmbedContents"
	c.Capabilities[APIModels] = "/" + v + keepTail
	c.Capabilities[APIGeminiGenerate] = keepPath
	c.Capabilities[APIGeminiStreamGenerat] = keepPath
	return nil
}

func translateGemini(c *Config, r *Request) translator.Translator {
	switch r.API {
	case APIChatCompletion:
		return gemini.NewChat(gemini.Options{SafetySettings: c.GeminiSafetySetting, ThinkingBudget: c.GeminiThinkingBudget})
	case APIEmbeddings:
		return gemini.NewEmbeddings()
	case APIModels:
		return gemini.NewModels()
	}
	return nil
}
