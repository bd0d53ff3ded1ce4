package main

import (
	"fmt"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/tidwall/gjson"
)

// pluginConfig is the configuration for one route (the global config or one `_rules_`
// entry): the providers it knows and the one that serves its requests.
type pluginConfig struct {
	providers []*provider.Config
	active    *provider.Config
	// context caches the active provider's `context` file (or Moonshot file) once
	// fetched: configuration data shared by every request on the route, not
	// per-request state.
	context *contextCache
}

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
	*cfg = pluginConfig{providers: global.providers, active: global.active, context: global.context}
	if err := parseInto(v, cfg, false); err != nil {
		return fmt.Errorf("_rules_: %w", err)
	}
	if cfg.active == nil {
		return fmt.Errorf("_rules_: rule has no active provider: set provider, or activeProviderId naming one of providers")
	}
	return nil
}

func parseInto(v gjson.Result, cfg *pluginConfig, global bool) error {
	p, ps := v.Get("provider"), v.Get("providers")
	if global && !p.Exists() && !ps.Exists() {
		return fmt.Errorf("provider: required (or providers with activeProviderId)")
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
	if cfg.active != nil && (cfg.active.Context != nil || cfg.active.MoonshotFileID != "") {
		cfg.context = &contextCache{}
	}
	return nil
}
