package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/ai-proxy/ai-proxy/hack/examples"
	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/ai-proxy/ai-proxy/provider/route"
)

const root = "../.."

// consoleSchema returns build/spec.yaml's openAPIV3Schema as a JSON value and compiled.
func consoleSchema(t *testing.T) (any, *jsonschema.Schema) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "build/spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		APIVersion string `yaml:"apiVersion"`
		Info       struct {
			Name, Version string
		}
		Spec struct {
			ConfigSchema struct {
				OpenAPIV3Schema any `yaml:"openAPIV3Schema"`
			} `yaml:"configSchema"`
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.APIVersion != "1.0.0" || spec.Info.Name == "" || spec.Spec.ConfigSchema.OpenAPIV3Schema == nil {
		t.Fatalf("spec.yaml: want apiVersion 1.0.0, info.name and spec.configSchema.openAPIV3Schema")
	}
	doc := jsonValue(t, spec.Spec.ConfigSchema.OpenAPIV3Schema)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("spec.yaml", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("spec.yaml")
	if err != nil {
		t.Fatalf("spec.yaml: %v", err)
	}
	return doc, s
}

// jsonValue turns a YAML-decoded value into the JSON value the schema library validates.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

type example struct {
	name string
	cfg  any
}

// documentedExamples returns every documented and shipped plugin configuration: the seed examples,
// the README's ```yaml blocks under "Model services" and "Monitoring", the WasmPlugin of
// the README and the plugin configurations of build/*.yaml.
func documentedExamples(t *testing.T) []example {
	t.Helper()
	var out []example
	raw, err := os.ReadFile(filepath.Join(root, "testdata/config/seed-examples.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var seeds map[string]any
	if err := yaml.Unmarshal(raw, &seeds); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range seeds {
		out = append(out, example{"seed " + name, cfg})
	}
	// Higress's README examples, of the provider types this build registers.
	if raw, err = os.ReadFile(filepath.Join(root, "testdata/config/higress-readme-examples.yaml")); err != nil {
		t.Fatal(err)
	}
	var higressReadme map[string]any
	if err := yaml.Unmarshal(raw, &higressReadme); err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, typ := range provider.Types() {
		registered[typ] = true
	}
	for name, cfg := range higressReadme {
		// The README writes this context as a list of one: the plugin accepts it, the
		// console form keeps the object the field is.
		if registered[exampleType(cfg)] && name != "qwen-with-pure-text-context-information" {
			out = append(out, example{"Higress README " + name, cfg})
		}
	}
	for _, sec := range []string{"## Model services", "## Monitoring"} {
		for i, block := range mustReadme(t, sec) {
			var doc any
			if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
				t.Fatalf("README %s example %d: %v", sec, i+1, err)
			}
			if m, ok := doc.(map[string]any); ok && (m["access_log"] != nil) {
				continue // an Envoy snippet, not a plugin configuration
			}
			out = append(out, example{fmt.Sprintf("README %s example %d", sec[3:], i+1), doc})
		}
	}
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	files, _ := filepath.Glob(filepath.Join(root, "build/*.yaml"))
	sources := map[string][]byte{"README.md": readme}
	for _, f := range files {
		if filepath.Base(f) == "spec.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(f)] = b
	}
	for name, b := range sources {
		if name == "README.md" {
			// the README's WasmPlugin / Envoy blocks, wherever they are
			var blocks []string
			for _, sec := range strings.Split(string(b), "```yaml\n")[1:] {
				block, _, _ := strings.Cut(sec, "```")
				blocks = append(blocks, block)
			}
			b = []byte(strings.Join(blocks, "\n---\n"))
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for n := 1; ; n++ {
			var doc any
			if err := dec.Decode(&doc); err != nil {
				break
			}
			examples.WalkConfigs(doc, func(cfg any) { out = append(out, example{fmt.Sprintf("%s doc %d", name, n), cfg}) })
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// TestSchemaExamples validates every documented and shipped example against the console
// schema (build/spec.yaml).
func TestSchemaExamples(t *testing.T) {
	_, schema := consoleSchema(t)
	exs := documentedExamples(t)
	t.Logf("%d examples", len(exs))
	if len(exs) < 20 {
		t.Fatalf("only %d examples found", len(exs))
	}
	for _, ex := range exs {
		if err := schema.Validate(jsonValue(t, ex.cfg)); err != nil {
			t.Errorf("%s: %v", ex.name, err)
		}
	}
	// and the schema rejects what the plugin rejects
	for name, bad := range map[string]string{
		"unknown type":          `{"provider":{"type":"nope","apiTokens":["k"]}}`,
		"routing unknown field": `{"providers":[{"id":"a","type":"qwen"}],"routing":{"mode":"single","target":{"provider":"a"},"x":1}}`,
		"weight zero":           `{"providers":[{"id":"a","type":"qwen"}],"routing":{"mode":"weight","targets":[{"provider":"a","weight":0}]}}`,
		"monitoring typo":       `{"monitoring":{"enable":true}}`,
		"bad protocol":          `{"provider":{"type":"qwen","protocol":"native"}}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(v) == nil {
			t.Errorf("%s: %s passes the schema", name, bad)
		}
	}
}

// TestSchemaFields compares the schema's property names with the configuration fields
// the code reads, both ways: every field the code reads is documented in the schema, and
// the schema names no field that the code does not read.
func TestSchemaFields(t *testing.T) {
	doc, _ := consoleSchema(t)
	schemaNames := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					schemaNames[k] = true
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)

	code := codeFields(t)
	// read elsewhere: the rule keys by wasm-go's matcher, the intent names from route's table
	for _, k := range []string{"_match_route_", "_match_domain_", "_match_service_", "_match_route_prefix_"} {
		code[k] = "wasm-go pkg/matcher"
	}
	for i := route.Intent(1); i < route.NumIntents; i++ {
		code[i.String()] = "provider/route intentNames"
	}
	for name, where := range code {
		if !schemaNames[name] {
			t.Errorf("config field %q (read in %s) has no entry in build/spec.yaml", name, where)
		}
	}
	for name := range schemaNames {
		if _, ok := code[name]; !ok {
			t.Errorf("build/spec.yaml names %q, which no config parser reads", name)
		}
	}

	// the provider type enum is the registry's list
	types := provider.Types()
	sort.Strings(types)
	props := doc.(map[string]any)["properties"].(map[string]any)
	var enum []string
	for _, e := range props["provider"].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["enum"].([]any) {
		enum = append(enum, e.(string))
	}
	sort.Strings(enum)
	if strings.Join(enum, ",") != strings.Join(types, ",") {
		t.Errorf("provider.type enum %v, registry has %v", enum, types)
	}
}

// bodyReaders are the files of the scanned packages whose gjson reads are of request and
// response bodies or headers, not of the plugin configuration.
var bodyReaders = map[string]bool{
	"provider/request.go":      true,
	"provider/claude.go":       true,
	"provider/messages.go":     true,
	"provider/promote.go":      true,
	"provider/observe.go":      true,
	"provider/route/intent.go": true,
}

var (
	getRe    = regexp.MustCompile(`\.Get\("([A-Za-z_][A-Za-z0-9_]*)"\)`)
	fieldRe  = regexp.MustCompile(`\w+Field\(\w+, "([A-Za-z_][A-Za-z0-9_]*)"`)
	objectRe = regexp.MustCompile(`\bobject\(\w+, \w+((?:, "[A-Za-z_][A-Za-z0-9_]*")+)\)`)
	strRe    = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_]*)"`)
	// `switch k.String() { case "enabled": ... }` over an object's keys
	keySwitchRe = regexp.MustCompile(`(?s)switch k\.String\(\) \{(.*?)\n\t\t\}`)
	caseRe      = regexp.MustCompile(`case ((?:"[A-Za-z_][A-Za-z0-9_]*",? ?)+):`)
)

// codeFields scans the Go sources of provider/, provider/route/ and plugins/ai-proxy/ for
// the configuration fields they read: gjson `v.Get("name")`, the `uintField(v, "name", ...)`
// helpers, route's `object(v, field, "a", "b")` key lists and key switches in ForEach.
// It returns each field with the file that reads it.
func codeFields(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range []string{"provider", "provider/route", "plugins/ai-proxy"} {
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		for _, f := range files {
			rel := dir + "/" + filepath.Base(f)
			if strings.HasSuffix(f, "_test.go") || bodyReaders[rel] {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			add := func(name string) {
				if _, ok := out[name]; !ok {
					out[name] = rel
				}
			}
			for _, m := range getRe.FindAllStringSubmatch(string(src), -1) {
				add(m[1])
			}
			for _, m := range fieldRe.FindAllStringSubmatch(string(src), -1) {
				add(m[1])
			}
			for _, m := range objectRe.FindAllStringSubmatch(string(src), -1) {
				for _, s := range strRe.FindAllStringSubmatch(m[1], -1) {
					add(s[1])
				}
			}
			for _, sw := range keySwitchRe.FindAllStringSubmatch(string(src), -1) {
				for _, c := range caseRe.FindAllStringSubmatch(sw[1], -1) {
					for _, s := range strRe.FindAllStringSubmatch(c[1], -1) {
						add(s[1])
					}
				}
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("source scan found only %d config fields: %v", len(out), out)
	}
	return out
}

func mustReadme(t *testing.T, heading string) []string {
	t.Helper()
	blocks, err := examples.ReadmeYAML(root, heading)
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// exampleType is the provider type of a configuration example (its first provider's).
func exampleType(cfg any) string {
	m, _ := cfg.(map[string]any)
	if p, ok := m["provider"].(map[string]any); ok {
		s, _ := p["type"].(string)
		return s
	}
	if ps, ok := m["providers"].([]any); ok && len(ps) > 0 {
		p, _ := ps[0].(map[string]any)
		s, _ := p["type"].(string)
		return s
	}
	return ""
}
