package main

import (
	"fmt"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/ai-proxy/ai-proxy/provider/route"
	"github.com/tidwall/gjson"
)

// pluginConfig is the configuration for one route (the global config or one `_rules_`
// entry): the providers it knows and the one that serves its requests — the active
// provider, or the one its routing section chooses per request.
type pluginConfig struct {
	providers []*provider.Config
	active    *provider.Config
	routing   *route.Service
	// retries: a provider of the route retries failed requests (retryOnFailure)
	retries bool
	// monitoring is nil when the route leaves nothing behind (the default)
	monitoring *monitoring
	// contexts caches each provider's `context` file (or Moonshot file) once fetched:
	// configuration data shared by every request on the route, not per-request state.
	contexts map[*provider.Config]*contextCache
}

// provider returns the provider with the given id.
func (c *pluginConfig) provider(id string) *provider.Config {
	for _, p := range c.providers {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// context returns the context cache of provider p, or nil when it has no context file.
func (c *pluginConfig) context(p *provider.Config) *contextCache { return c.contexts[p] }

type contextCache struct {
	text    string
	fetched bool
}

// parseGlobalConfig reads the plugin's top-level configuration: the legacy single
// `provider` object, or `providers` + `activeProviderId`. With `providers` and no
// `activeProviderId`, routes are expected to pick theirs in `_rules_`.
func parseGlobalConfig(v gjson.Result, cfg *pluginConfig) error {
	return parseInto(v, cfg, true)
}

// parseRuleConfig reads one `_rules_` entry on top of the global configuration: it
// inherits the global providers and may add its own `provider`, `providers` or pick
// another `activeProviderId`.
func parseRuleConfig(v gjson.Result, global pluginConfig, cfg *pluginConfig) error {
	*cfg = pluginConfig{providers: global.providers, active: global.active, routing: global.routing, contexts: global.contexts,
		monitoring: global.monitoring}
	ruleCount++
	if err := parseInto(v, cfg, false); err != nil {
		return fmt.Errorf("_rules_: %w", err)
	}
	if cfg.active == nil && cfg.routing == nil {
		return fmt.Errorf("_rules_: rule has no active provider: set provider, activeProviderId naming one of providers, or routing")
	}
	return nil
}

// failoverProviders are the providers with token failover, of every route: the plugin's
// health checks look after their tokens. Filled while the configuration is parsed.
var failoverProviders []*provider.Config

func containsConfig(cs []*provider.Config, c *provider.Config) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// ruleCount numbers the `_rules_` entries as they are parsed (in order, once per plugin
// start), so that each rule's routing section keeps its own metrics in shared data.
var ruleCount int

func parseInto(v gjson.Result, cfg *pluginConfig, global bool) error {
	p, ps := v.Get("provider"), v.Get("providers")
	if global && !p.Exists() && !ps.Exists() {
		return fmt.Errorf("provider: required (or providers with activeProviderId or routing)")
	}
	if ps.Exists() {
		if !ps.IsArray() {
			return fmt.Errorf("providers: must be a list of provider objects")
		}
		cfg.providers = nil
		cfg.active = nil
		seen := map[string]bool{}
		for i, pv := range ps.Array() {
			field := fmt.Sprintf("providers[%d]", i)
			c, err := provider.ParseConfig(pv, field)
			if err != nil {
				return err
			}
			if c.ID == "" {
				return fmt.Errorf("%s.id: required in providers", field)
			}
			if seen[c.ID] {
				return fmt.Errorf("%s.id: duplicate id %q", field, c.ID)
			}
			seen[c.ID] = true
			cfg.providers = append(cfg.providers, c)
		}
	}
	if p.Exists() {
		c, err := provider.ParseConfig(p, "provider")
		if err != nil {
			return err
		}
		cfg.active = c
	}
	if id := v.Get("activeProviderId"); id.Exists() {
		cfg.active = nil
		for _, c := range cfg.providers {
			if c.ID == id.String() {
				cfg.active = c
			}
		}
		if cfg.active == nil {
			return fmt.Errorf("activeProviderId: no provider with id %q in providers", id.String())
		}
	}
	if rv := v.Get("routing"); rv.Exists() {
		field := "routing"
		if !global {
			field = fmt.Sprintf("_rules_[%d].routing", ruleCount-1)
		}
		ids := make([]string, len(cfg.providers))
		for i, c := range cfg.providers {
			ids[i] = c.ID
		}
		svc, err := route.Parse(rv, field, ids)
		if err != nil {
			return err
		}
		cfg.routing = svc
	} else if p.Exists() || v.Get("activeProviderId").Exists() || ps.Exists() {
		cfg.routing = nil // a rule naming its provider does not inherit the global routing
	}
	if mv := v.Get("monitoring"); mv.Exists() {
		m, err := parseMonitoring(mv)
		if err != nil {
			return err
		}
		cfg.monitoring = m
	}
	cfg.retries = false
	for _, c := range append([]*provider.Config{cfg.active}, cfg.providers...) {
		if c != nil && c.Retry != nil {
			cfg.retries = true
		}
		if c != nil && c.Failover != nil && !containsConfig(failoverProviders, c) {
			failoverProviders = append(failoverProviders, c)
		}
	}
	cfg.contexts = nil
	for _, c := range append([]*provider.Config{cfg.active}, cfg.providers...) {
		if c != nil && (c.Context != nil || c.MoonshotFileID != "") && cfg.contexts[c] == nil {
			if cfg.contexts == nil {
				cfg.contexts = map[*provider.Config]*contextCache{}
			}
			cfg.contexts[c] = &contextCache{}
		}
	}
	return nil
}
