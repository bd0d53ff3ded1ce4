package provider

import "fmt"

// ComfyUI: a self-hosted ComfyUI server, type "comfyui". `comfyuiServerHost` (required)
// and `comfyuiServerPort` (default 8188, ComfyUI's own) name it, as ollamaServerHost /
// ollamaServerPort do for Ollama (`providerDomain` overrides both). ComfyUI has no auth
// of its own; a token in `apiTokens` (optional) is sent as a bearer token, for servers
// behind an authenticating proxy.
//
// Every ComfyUI route (APIComfyUI: /prompt, /queue, /history, /view, /upload/image,
// /object_info, /system_stats, ... also below /api) passes through on the client's path
// with the body untouched — uploads stream through — and the /ws WebSocket upgrade is
// passed on as it is: headers only rewritten for host and credentials, nothing held.
func init() {
	register("comfyui", &Spec{
		Paths: map[API]string{APIComfyUI: keepPath, APIComfyUIWebSocket: keepPath},
		Setup: setupComfyUI,
		// ComfyUI has no auth of its own: a token is optional.
		Keyless: true,
	})
}

func setupComfyUI(c *Config) error {
	if c.ComfyUIServerHost == "" {
		return fmt.Errorf("comfyuiServerHost: required for provider type \"comfyui\"")
	}
	c.Host = fmt.Sprintf("%s:%d", c.ComfyUIServerHost, c.ComfyUIServerPort)
	return nil
}
