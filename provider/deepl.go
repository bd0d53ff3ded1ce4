package provider

import (
	"fmt"

	"github.com/ai-proxy/ai-proxy/provider/deepl"
	"github.com/ai-proxy/ai-proxy/provider/translator"
)

// DeepL: text translation behind the chat completions API, type "deepl" (package
// deepl). The request's model ("Free" or "Pro") selects api-free.deepl.com or
// api.deepl.com; `targetLang` is required. The token goes in
// `Authorization: DeepL-Auth-Key <token>`.
func init() {
	register("deepl", &Spec{
		Host:        deepl.HostFree,
		Paths:       map[API]string{APIChatCompletion: "/v2/translate"},
		Auth:        Auth{Header: "Authorization", Prefix: "DeepL-Auth-Key "},
		JSONStreams: true,
		Setup: func(c *Config) error {
			if c.TargetLang == "" {
				return fmt.Errorf("targetLang: required for provider type \"deepl\" (a DeepL target language code such as ZH)")
			}
			return nil
		},
		Translate: func(c *Config, r *Request) translator.Translator {
			if r.API != APIChatCompletion {
				return nil
			}
			return deepl.NewChat(deepl.Options{TargetLang: c.TargetLang, KeepHost: c.Host != deepl.HostFree})
		},
	})
}
