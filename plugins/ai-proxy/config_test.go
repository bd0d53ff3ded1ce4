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
	"github.com/tidwall/gjson"
	"gopkg.in/yaml.v3"

	"github.com/ai-proxy/ai-proxy/hack/examples"
	"github.com/ai-proxy/ai-proxy/provider"
)

// TestDocumentedExamplesStart starts the plugin with every documented configuration
// example, written as YAML exactly as a Higress user would: the configuration
// reference's (seed-examples.yaml) and the usage examples of Higress's own ai-proxy
// README (higress-readme-examples.yaml). A README example of a provider type this build
// does not register is skipped, naming the type.
func TestDocumentedExamplesStart(t *testing.T) {
	type example struct {
		name string
		cfg  any
	}
	var all []example
	for _, file := range []string{"seed-examples.yaml", "higress-readme-examples.yaml"} {
		raw, err := os.ReadFile("../../testdata/config/" + file)
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
		for _, n := range names {
			all = append(all, example{strings.TrimSuffix(file, ".yaml") + "/" + n, examples[n]})
		}
	}
	// Examples this plugin rejects on purpose, with the error it gives.
	rejected := map[string]string{
		// A providers list without ids or activeProviderId: Higress starts with no
		// active provider (requests pass untouched); here plugin start names the field.
		"higress-readme-examples/nvidia-triton-interference-server": "providers[0].id: required",
		// The README elides the service account's key (a placeholder, not JSON); the same
		// examples with a real key are in seed-examples.yaml (vertex-*).
		"higress-readme-examples/google-vertex-standard-mode":          "provider.vertexAuthKey: not a JSON object",
		"higress-readme-examples/google-vertex-openai-compatible-mode": "provider.vertexAuthKey: not a JSON object",
	}
	registered := map[string]bool{}
	for _, typ := range provider.Types() {
		registered[typ] = true
	}
	test.RunGoTest(t, func(t *testing.T) {
		for _, ex := range all {
			t.Run(ex.name, func(t *testing.T) {
				js, err := json.Marshal(ex.cfg)
				if err != nil {
					t.Fatal(err)
				}
				typesUsed := append(gjson.GetBytes(js, "providers.#.type").Array(), gjson.GetBytes(js, "provider.type"))
				for _, typ := range typesUsed {
					if typ.Exists() && !registered[typ.String()] && strings.HasPrefix(ex.name, "higress-readme") {
						t.Skipf("provider type %q is not registered", typ)
					}
				}
				host, status := test.NewTestHost(js)
				defer host.Reset()
				if want, ok := rejected[ex.name]; ok {
					if logs := strings.Join(host.GetCriticalLogs(), "\n"); status == types.OnPluginStartStatusOK || !strings.Contains(logs, want) {
						t.Fatalf("want plugin start to fail naming %q, got %v %s", want, status, logs)
					}
					return
				}
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
			examples.WalkConfigs(doc, func(cfg any) { add(filepath.Base(f), cfg) })
		}
	}
	blocks, err := examples.ReadmeYAML("../..", "## Model services")
	if err != nil {
		t.Fatal(err)
	}
	for i, block := range blocks {
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
