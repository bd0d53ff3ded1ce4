package main

import (
	"encoding/json"
	"os"
	"sort"
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
