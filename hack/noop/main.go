// Command noop is the benchmark's floor: a proxy-wasm plugin on the bare Go SDK whose HTTP
// context only continues. Whatever a real plugin costs above it is the plugin's own work.
package main

import (
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm"
	"github.com/higress-group/proxy-wasm-go-sdk/proxywasm/types"
)

// With -buildmode=c-shared, _initialize runs package init functions but not main, so the
// VM context is registered here.
func init() {
	proxywasm.SetVMContext(&vmContext{})
}

func main() {}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct{ types.DefaultPluginContext }

func (*pluginContext) NewHttpContext(uint32) types.HttpContext { return &httpContext{} }

// httpContext continues every phase (the embedded defaults return Continue).
type httpContext struct{ types.DefaultHttpContext }
