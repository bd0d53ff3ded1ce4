package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"gopkg.in/yaml.v3"
)

// TestDocumentedExamplesStart starts the plugin with every documented configuration
// example, written as YAML exactly as a Higress user would.
func TestDocumentedExamplesStart(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/config/seed-examples.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var examples map[string]any
	if err := yaml.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(examples))
	for n := range examples {
		names = append(names, n)
	}
	sort.Strings(names)
	test.RunGoTest(t, func(t *testing.T) {
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				js, err := json.Marshal(examples[name])
				if err != nil {
					t.Fatal(err)
				}
				host, status := test.NewTestHost(js)
				defer host.Reset()
				if status != types.OnPluginStartStatusOK {
					t.Fatalf("plugin start failed: %v", host.GetCriticalLogs())
				}
			})
		}
	})
}

// TestShippedExamplesStart starts the plugin with the configuration of every shipped
// Envoy and Higress example (build/*.yaml) and every example of the README's Model
// services section.
func TestShippedExamplesStart(t *testing.T) {
	var configs []struct {
		name string
		cfg  any
	}
	add := func(name string, cfg any) {
		configs = append(configs, struct {
			name string
			cfg  any
		}{name, cfg})
	}
	files, _ := filepath.Glob("../../build/*.yaml")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc any
			if err := dec.Decode(&doc); err != nil {
				break
			}
			walkConfigs(doc, func(cfg any) { add(filepath.Base(f), cfg) })
		}
	}
	for i, block := range readmeYAML(t, "## Model services") {
		var cfg any
		if err := yaml.Unmarshal([]byte(block), &cfg); err != nil {
			t.Fatalf("README Model services example %d: %v", i+1, err)
		}
		add(fmt.Sprintf("README model services example %d", i+1), cfg)
	}
	if len(configs) < 8 {
		t.Fatalf("only %d example configurations found", len(configs))
	}
	test.RunGoTest(t, func(t *testing.T) {
		for _, c := range configs {
			t.Run(c.name, func(t *testing.T) {
				js, err := json.Marshal(c.cfg)
				if err != nil {
					t.Fatal(err)
				}
				host, status := test.NewTestHost(js)
				defer host.Reset()
				if status != types.OnPluginStartStatusOK {
					t.Fatalf("plugin start failed: %v", host.GetCriticalLogs())
				}
			})
		}
	})
}

// readmeYAML returns the ```yaml blocks of the README section under heading.
func readmeYAML(t *testing.T, heading string) []string {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(sec, "```yaml\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks, sec = append(blocks, block), after
	}
}

// walkConfigs finds plugin configurations in a YAML document: Envoy's wasm filter
// `configuration.value` (JSON text), and a WasmPlugin's spec as Higress hands it to the
// plugin (defaultConfig, with matchRules as `_rules_`: ingress, domain and service as
// `_match_route_`, `_match_domain_`, `_match_service_`).
func walkConfigs(v any, found func(any)) {
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
			walkConfigs(e, found)
		}
	case []any:
		for _, e := range x {
			walkConfigs(e, found)
		}
	}
}
