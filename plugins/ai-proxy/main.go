// Command ai-proxy is the proxy-wasm plugin: it registers the callbacks, parses the
// plugin configuration (global + Higress `_rules_`), and runs the per-request state
// machine. It is the only package that calls proxywasm; everything it decides comes
// from package provider.
//
// It is built on the bare proxy-wasm SDK rather than wasm-go's wrapper: the wrapper
// costs 120–400 µs per JSON exchange and 8–16 µs per streamed callback in wazero, where
// the bare SDK costs about 5 µs and 0.2 µs. wasm-go's matcher gives the exact Higress
// `_rules_` semantics without the wrapper.
package main

import (
	"runtime/debug"

	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/higress-group/wasm-go/pkg/matcher"
	"github.com/tidwall/gjson"

	"github.com/ai-proxy/ai-proxy/provider"
	"github.com/ai-proxy/ai-proxy/provider/telemetry"
)

func main() {}

func init() {
	// A VM per Envoy worker holds only a small live heap (config, compiled regexps);
	// the default GOGC=100 lets garbage reach a 4 MiB heap minimum before collecting,
	// which grows linear memory (that never shrinks) by a whole 4 MiB arena. At 25 the
	// plateau is ~2.5 MiB lower for a per-exchange cost within the benchmark's noise.
	debug.SetGCPercent(25)
	proxywasm.SetVMContext(&vmContext{})
}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(id uint32) types.PluginContext { return &pluginContext{id: id} }

type pluginContext struct {
	types.DefaultPluginContext
	id    uint32 // the root context's
	rules matcher.RuleMatcher[pluginConfig]
	// global serves every request when the config has no `_rules_`: then the matcher
	// (three host calls per request) is not asked.
	global *pluginConfig
	// monitoring: the VM's metric ids by name, and the writer of metric names
	metricIDs map[string]uint32
	metrics   telemetry.MetricWriter
	// monitoring buffers the VM reuses for every request's AI log and span property paths
	logBuf, propBuf, spanPath []byte
	// lastCheck is when each failover provider's tokens were last health-checked
	lastCheck map[*provider.Config]int64
}

// OnPluginStart parses and validates the configuration. An invalid configuration fails
// plugin start with a message naming the field; it never panics later.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	proxywasm.LogInfof("ai-proxy %s (commit %s) starting", version, commit)
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("ai-proxy: cannot read plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if len(data) == 0 {
		data = []byte("{}")
	}
	if !gjson.ValidBytes(data) {
		proxywasm.LogCritical("ai-proxy: invalid configuration: not valid JSON")
		return types.OnPluginStartStatusFailed
	}
	// The matcher ignores a broken global config when rules exist; validate it first
	// so every config error fails plugin start.
	root := gjson.ParseBytes(data)
	var global pluginConfig
	if hasGlobalConfig(root) {
		if err := parseGlobalConfig(root, &global); err != nil {
			proxywasm.LogCriticalf("ai-proxy: invalid configuration: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	var rules matcher.RuleMatcher[pluginConfig]
	ruleCount = 0
	failoverProviders = failoverProviders[:0]
	if err := rules.ParseRuleConfig(ruleContext{}, root, parseGlobalConfig, parseRuleConfig); err != nil {
		// Errors name fields and values the operator wrote; ParseConfig never puts a
		// token into an error.
		proxywasm.LogCriticalf("ai-proxy: invalid configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.rules = rules
	startHealthChecks()
	if !root.Get("_rules_").Exists() {
		p.global = &global
	}
	return types.OnPluginStartStatusOK
}

// hasGlobalConfig reports whether the config has keys besides `_rules_` (or none at
// all, which the matcher treats as an empty global config).
func hasGlobalConfig(root gjson.Result) bool {
	global := true
	root.ForEach(func(k, _ gjson.Result) bool {
		global = k.String() != "_rules_"
		return !global
	})
	return global
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{plugin: p, id: contextID}
}

// ruleContext is the little of wasm-go's plugin context the matcher asks for: rule-level
// isolation is off, so one bad rule fails plugin start like any other config error.
type ruleContext struct{}

func (ruleContext) SetContext(string, interface{})   {}
func (ruleContext) GetContext(string) interface{}    { return nil }
func (ruleContext) EnableRuleLevelConfigIsolation()  {}
func (ruleContext) IsRuleLevelConfigIsolation() bool { return false }
func (ruleContext) GetFingerPrint() string           { return "" }
func (ruleContext) DoLeaderElection()                {}
func (ruleContext) IsLeader() bool                   { return false }
