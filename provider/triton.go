package provider

import (
	"errors"
	"strings"

	"github.com/ai-proxy/ai-proxy/provider/translator"
	"github.com/ai-proxy/ai-proxy/provider/triton"
)

// Triton: NVIDIA Triton Inference Server's generate extension, type "triton" (package
// triton). `tritonDomain` is the server's host (required: Triton has no public
// endpoint); `tritonModelVersion` adds /versions/{v} to the path; the mapped model names
// the Triton model. Streams go to generate_stream. Triton takes no key: `apiTokens`,
// when given, are sent as a bearer token (for an authenticating proxy in front).
func init() {
	register("triton", &Spec{
		Paths:   map[API]string{APIChatCompletion: "/v2/models/{model}/generate"},
		Keyless: true, // a self-hosted server (Higress asks for a token it never needs)
		Setup:   setupTriton,
		Translate: func(c *Config, r *Request) translator.Translator {
			if r.API != APIChatCompletion && r.UpstreamAPI != APIChatCompletion {
				return nil
			}
			return triton.New()
		},
	})
}

func setupTriton(c *Config) error {
	a := &c.Agents
	if a.TritonDomain == "" {
		return errors.New("tritonDomain: required for provider type \"triton\" (the Triton server's host, e.g. triton.default.svc:8000)")
	}
	if err := setupDomain("tritonDomain", func(c *Config) string { return c.Agents.TritonDomain })(c); err != nil {
		return err
	}
	if v := a.TritonModelVersion; v != "" {
		if strings.ContainsAny(v, "/?#% ") {
			return errors.New("tritonModelVersion: " + quoteField(v) + " must be a version number such as 1")
		}
		c.Capabilities[APIChatCompletion] = "/v2/models/{model}/versions/" + v + "/generate"
	}
	return nil
}
