package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/test"
	"gopkg.in/yaml.v3"

	"github.com/ai-proxy/ai-proxy/hack/examples"
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
