package gw

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// ConsolePath is where the gateway serves its debug console: one self-contained page
// (console/index.html) that talks to the gateway's own endpoints as a client would
// (/v1/models, /v1/chat/completions, /v1/messages, /metrics).
const ConsolePath = "/console/"

//go:embed console/index.html
var consoleHTML []byte

// serveConsole answers the console's paths; false for any other path.
func (g *Gateway) serveConsole(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/console":
		http.Redirect(w, r, ConsolePath, http.StatusMovedPermanently)
	case ConsolePath, ConsolePath + "index.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		// Nothing but the gateway itself: no script or style from anywhere else.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
		w.Write(consoleHTML)
	case ConsolePath + "info.json":
		// What the page cannot learn from the client endpoints; never a key.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		json.NewEncoder(w).Encode(map[string]any{
			"monitoring":   g.monitoringEnabled(),
			"exampleModel": g.cfg.ExampleModel,
			"routeName":    g.cfg.RouteName,
		})
	default:
		return false
	}
	return true
}

// monitoringEnabled says whether the plugin config turns monitoring on, at the top
// level or in any _rules_ entry.
func (g *Gateway) monitoringEnabled() bool {
	b, err := g.cfg.PluginJSON()
	if err != nil {
		return false
	}
	var c struct {
		Monitoring struct {
			Enabled bool `json:"enabled"`
		} `json:"monitoring"`
		Rules []struct {
			Monitoring struct {
				Enabled bool `json:"enabled"`
			} `json:"monitoring"`
		} `json:"_rules_"`
	}
	if json.Unmarshal(b, &c) != nil {
		return false
	}
	if c.Monitoring.Enabled {
		return true
	}
	for _, r := range c.Rules {
		if r.Monitoring.Enabled {
			return true
		}
	}
	return false
}
