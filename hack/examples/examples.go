// Package examples finds the plugin configurations the project documents — the README's
// YAML blocks and the configurations inside the shipped Envoy and Higress manifests — so
// that tests can start the plugin with each and check each against the console schema.
package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReadmeYAML returns the ```yaml blocks of the README section under heading (a "## "
// line), in order. root is the repository's root directory.
func ReadmeYAML(root, heading string) ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	_, sec, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		return nil, fmt.Errorf("README has no %q section", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(sec, "```yaml\n")
		if !ok {
			return blocks, nil
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks, sec = append(blocks, block), after
	}
}

// WalkConfigs finds plugin configurations in a YAML document as the gateway hands them to
// the plugin: Envoy's wasm filter `configuration.value` (JSON text), and a WasmPlugin's
// defaultConfig with its matchRules as `_rules_`.
func WalkConfigs(v any, found func(any)) {
	switch x := v.(type) {
	case map[string]any:
		if x["kind"] == "WasmPlugin" {
			spec, _ := x["spec"].(map[string]any)
			cfg, _ := spec["defaultConfig"].(map[string]any)
			if cfg == nil {
				cfg = map[string]any{}
			}
			var rules []any
			rs, _ := spec["matchRules"].([]any)
			for _, r := range rs {
				r, _ := r.(map[string]any)
				rule := map[string]any{}
				for k, key := range map[string]string{"ingress": "_match_route_", "domain": "_match_domain_", "service": "_match_service_"} {
					if r[k] != nil {
						rule[key] = r[k]
					}
				}
				if c, ok := r["config"].(map[string]any); ok {
					for k, v := range c {
						rule[k] = v
					}
				}
				rules = append(rules, rule)
			}
			if rules != nil {
				cfg["_rules_"] = rules
			}
			found(cfg)
			return
		}
		for k, e := range x {
			if m, ok := e.(map[string]any); ok && k == "configuration" {
				if s, ok := m["value"].(string); ok {
					var cfg any
					if json.Unmarshal([]byte(s), &cfg) == nil {
						found(cfg)
					}
				}
			}
			WalkConfigs(e, found)
		}
	case []any:
		for _, e := range x {
			WalkConfigs(e, found)
		}
	}
}
