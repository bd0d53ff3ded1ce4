package gw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the local gateway's YAML file.
type Config struct {
	// Listen is the address to serve on; default 127.0.0.1:8080 (port 0 picks one).
	Listen string `yaml:"listen"`
	// Plugin is the plugin configuration exactly as on a Higress route; the plugin
	// receives it as JSON.
	Plugin any `yaml:"plugin"`
	// Upstreams maps an upstream authority (as the plugin rewrote :authority, with or
	// without port) to the base URL requests to it go to. Without an entry a request
	// goes to https://authority, or to the mock when Mock is on.
	Upstreams map[string]string `yaml:"upstreams"`
	// Routes are matched in order against the request headers as the plugin left them,
	// as Envoy re-matches its route table after a filter changes request headers: the
	// first route whose header has the value sends the request to its upstream. Without
	// a match the request goes by Upstreams (or to the mock).
	Routes []Route `yaml:"routes"`
	// Clusters maps a callout cluster name (proxy_http_call) to a base URL.
	Clusters map[string]string `yaml:"clusters"`
	// RouteName is the route_name property; ClusterName the cluster_name property (the
	// route's own cluster: callouts to it go where the request would go). Defaults
	// "ai-route" and "outbound|443||llm.upstream".
	RouteName   string `yaml:"routeName"`
	ClusterName string `yaml:"clusterName"`
	// Mock starts the embedded mock provider and sends every upstream authority without
	// an Upstreams entry to it.
	Mock bool `yaml:"mock"`
	// VMs is the number of plugin VMs (Envoy: worker threads); default one per CPU.
	VMs int `yaml:"vms"`
	// LogLevel is the lowest plugin log level printed; default "info".
	LogLevel string `yaml:"logLevel"`
	// ExampleModel is the model name used in the start-up hints; default "gpt-4o-mini".
	ExampleModel string `yaml:"exampleModel"`
}

// Route is one header-matched route of the local gateway: Envoy's
// `match: {headers: [{name: Header, string_match: {exact: Value}}]}` with the route's
// cluster reached at Upstream (a base URL).
type Route struct {
	Header   string `yaml:"header"`
	Value    string `yaml:"value"`
	Upstream string `yaml:"upstream"`
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadConfig reads a config file, expanding ${NAME} from the environment (an unset
// variable is an error naming it).
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(raw)
}

// ParseConfig is LoadConfig on bytes.
func ParseConfig(raw []byte) (*Config, error) {
	var missing []string
	raw = envRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(envRef.FindSubmatch(m)[1])
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("config: environment variable(s) not set: %s", strings.Join(missing, ", "))
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &c, nil
}

// PluginJSON is the plugin configuration as the plugin receives it.
func (c *Config) PluginJSON() ([]byte, error) {
	if c.Plugin == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(jsonable(c.Plugin))
	if err != nil {
		return nil, fmt.Errorf("config: plugin: %w", err)
	}
	return b, nil
}

// jsonable turns YAML maps with non-string keys into JSON-encodable ones.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}

func (c *Config) withDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.RouteName == "" {
		c.RouteName = "ai-route"
	}
	if c.ClusterName == "" {
		c.ClusterName = "outbound|443||llm.upstream"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.ExampleModel == "" {
		c.ExampleModel = "gpt-4o-mini"
	}
}
