// Package wasmhost is a proxy-wasm host on wazero: it loads a compiled proxy-wasm plugin
// (ABI 0.2.1 / proxy_abi_version_0_2_100 plus the Higress extensions its Go SDK imports)
// and runs HTTP streams through it with Envoy's semantics, so tests, the local gateway and
// the benchmark run the same .wasm a gateway would.
//
// A Host holds the compiled module and what Envoy shares between the VMs of one plugin
// (shared data, shared queues, metrics). A VM is one instance of the module (Envoy runs
// one per worker thread); a Stream is one HTTP request on one VM.
package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// LogLevel is a proxy-wasm log level.
type LogLevel uint32

// The proxy-wasm log levels.
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
)

func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	case LogCritical:
		return "critical"
	}
	return fmt.Sprintf("level(%d)", uint32(l))
}

// ParseLogLevel maps "trace", "debug", "info", "warn", "error", "critical" to a LogLevel.
func ParseLogLevel(s string) (LogLevel, error) {
	for l := LogTrace; l <= LogCritical; l++ {
		if strings.EqualFold(s, l.String()) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// HTTPCallHandler performs a plugin callout (proxy_http_call) and returns the response. It
// runs outside the VM lock, on the goroutine that drove the callback that made the call;
// an error is delivered to the plugin as Envoy delivers a failed call (no headers, no body).
type HTTPCallHandler func(ctx context.Context, call *HTTPCall) (*HTTPCallResponse, error)

// ForeignFunction implements one name of proxy_call_foreign_function.
type ForeignFunction func(params []byte) ([]byte, error)

// Options configure a Host. The zero value is usable.
type Options struct {
	// VMConfig is what proxy_on_vm_start sees as the VM configuration.
	VMConfig []byte
	// PluginName is the "plugin_name" property (and the root id). Default "ai-proxy".
	PluginName string
	// Properties are host-wide property values, overridden by per-stream ones. Keys are
	// property paths joined with "." (e.g. "route_name", "request.id").
	Properties map[string]string
	// LogWriter, if set, receives every plugin log line at or above LogLevel. Log lines are
	// captured per VM (see VM.Logs) whatever this is.
	LogWriter io.Writer
	LogLevel  LogLevel
	// MaxLogs bounds the log lines kept per VM (oldest dropped). Default 10000.
	MaxLogs int
	// Stdout and Stderr receive the guest's WASI output (Go runtime panics go to stderr).
	// The last few KiB of stderr are also kept and quoted in trap errors.
	Stdout, Stderr io.Writer
	// HTTPCall, if set, performs callouts automatically: after each callback that made
	// calls, the host runs them and delivers the responses before returning. If nil, calls
	// stay pending until DeliverHTTPCallResponse.
	HTTPCall HTTPCallHandler
	// ForeignFunctions answers proxy_call_foreign_function; other names get NotFound.
	ForeignFunctions map[string]ForeignFunction
	// CompilationCacheDir, if set, keeps wazero's compiled code on disk so a later Load of
	// the same bytes skips compilation.
	CompilationCacheDir string
	// Interpreter selects wazero's interpreter instead of the compiler (for platforms
	// without compiler support; much slower).
	Interpreter bool
}

// Host is a loaded plugin: one wazero runtime, one compiled module, and the state Envoy
// shares across the VMs of a plugin. It is safe for concurrent use.
type Host struct {
	opts     Options
	runtime  wazero.Runtime
	compiled wazero.CompiledModule

	mu       sync.Mutex
	shared   map[string]sharedValue
	queues   map[string]uint32
	queueBuf map[uint32]*queue
	metrics  map[string]*Metric
	vmSeq    int
}

type sharedValue struct {
	value []byte
	cas   uint32
}

type queue struct {
	name  string
	items [][]byte
	owner *VM
}

// Load compiles wasm and checks that every function it imports is provided by this host
// (with the same signature); a missing import is reported by name here, not as a crash
// later. The returned Host must be closed.
func Load(ctx context.Context, wasm []byte, opts Options) (*Host, error) {
	if opts.PluginName == "" {
		opts.PluginName = "ai-proxy"
	}
	if opts.MaxLogs <= 0 {
		opts.MaxLogs = 10000
	}
	var rc wazero.RuntimeConfig
	if opts.Interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	} else {
		rc = wazero.NewRuntimeConfigCompiler()
	}
	if opts.CompilationCacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(opts.CompilationCacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	h := &Host{
		opts:     opts,
		runtime:  r,
		shared:   map[string]sharedValue{},
		queues:   map[string]uint32{},
		queueBuf: map[uint32]*queue{},
		metrics:  map[string]*Metric{},
	}
	// WASI calls (the Go runtime's clock and random reads) are host calls too: a listener
	// on the WASI module's functions counts them with the proxy-wasm ones.
	wctx := experimental.WithFunctionListenerFactory(ctx, wasiCounter{})
	if _, err := wasi_snapshot_preview1.Instantiate(wctx, r); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmhost: wasi: %w", err)
	}
	env := r.NewHostModuleBuilder("env")
	for idx, f := range hostFunctions {
		f := f
		// The upper half of an i32 slot is undefined (the compiler leaves garbage there):
		// clear it once here so every function can use the values as they are.
		var i32Params []int
		for i, t := range f.params {
			if t == api.ValueTypeI32 {
				i32Params = append(i32Params, i)
			}
		}
		env.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				for _, i := range i32Params {
					stack[i] = uint64(uint32(stack[i]))
				}
				vm := ctx.Value(vmKey{}).(*VM)
				vm.hostCalls[idx]++
				f.fn(vm, stack)
			}), f.params, f.results).
			Export(f.name)
	}
	envMod, err := env.Instantiate(ctx)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmhost: host module: %w", err)
	}
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmhost: compile: %w", err)
	}
	provided := map[string]map[string]api.FunctionDefinition{
		"env":                    envMod.ExportedFunctionDefinitions(),
		"wasi_snapshot_preview1": r.Module("wasi_snapshot_preview1").ExportedFunctionDefinitions(),
	}
	if err := checkImports(compiled, provided); err != nil {
		r.Close(ctx)
		return nil, err
	}
	exports := compiled.ExportedFunctions()
	var missing []string
	for _, name := range []string{"_initialize", "proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure"} {
		if _, ok := exports[name]; !ok {
			missing = append(missing, name)
		}
	}
	if _, ok := exports["malloc"]; !ok {
		if _, ok := exports["proxy_on_memory_allocate"]; !ok {
			missing = append(missing, "malloc (or proxy_on_memory_allocate)")
		}
	}
	if _, ok := exports["proxy_abi_version_0_2_100"]; !ok {
		if _, ok := exports["proxy_abi_version_0_2_1"]; !ok {
			missing = append(missing, "proxy_abi_version_0_2_100 (or 0_2_1)")
		}
	}
	if len(missing) > 0 {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmhost: module does not export %s (not a proxy-wasm module built with -buildmode=c-shared?)", strings.Join(missing, ", "))
	}
	h.compiled = compiled
	return h, nil
}

func checkImports(compiled wazero.CompiledModule, provided map[string]map[string]api.FunctionDefinition) error {
	var problems []string
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		def, ok := provided[mod][name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s.%s (not provided)", mod, name))
		case !slices.Equal(def.ParamTypes(), imp.ParamTypes()) || !slices.Equal(def.ResultTypes(), imp.ResultTypes()):
			problems = append(problems, fmt.Sprintf("%s.%s (signature %s, host has %s)", mod, name, sig(imp), sig(def)))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("wasmhost: the module imports functions this host does not provide: %s", strings.Join(problems, ", "))
	}
	return nil
}

func sig(d api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ",")
	}
	return "(" + names(d.ParamTypes()) + ")->(" + names(d.ResultTypes()) + ")"
}

// Close releases the runtime and every VM instantiated from it.
func (h *Host) Close(ctx context.Context) error {
	return h.runtime.Close(ctx)
}

// MetricType is a proxy-wasm metric type.
type MetricType uint32

// The proxy-wasm metric types.
const (
	MetricCounter MetricType = iota
	MetricGauge
	MetricHistogram
)

func (t MetricType) String() string {
	switch t {
	case MetricCounter:
		return "counter"
	case MetricGauge:
		return "gauge"
	case MetricHistogram:
		return "histogram"
	}
	return "unknown"
}

// Metric is one plugin-defined metric. Like Envoy stats, a name is one metric across all
// VMs of a Host. For a histogram, Value is the number of recorded values and Sum their sum.
type Metric struct {
	Name  string
	Type  MetricType
	Value int64
	Sum   uint64
}

// Metrics returns a snapshot of every metric the plugin defined, sorted by name.
func (h *Host) Metrics() []Metric {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Metric, 0, len(h.metrics))
	for _, m := range h.metrics {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Metric returns the current value of the named metric (for a histogram: the count).
func (h *Host) Metric(name string) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.metrics[name]
	if !ok {
		return 0, false
	}
	return m.Value, true
}

// SharedData returns the value and CAS of a shared-data key.
func (h *Host) SharedData(key string) ([]byte, uint32, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.shared[key]
	return slices.Clone(v.value), v.cas, ok
}

// ErrVMFailed is wrapped by every error of a VM whose guest trapped or exited: the VM is
// unusable afterwards (Envoy fails the VM the same way).
var ErrVMFailed = errors.New("wasm VM failed")

// wasiCounter counts each VM's calls of WASI functions (see VM.HostCalls).
type wasiCounter struct{}

func (wasiCounter) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	return wasiListener{name: "wasi." + def.Name()}
}

type wasiListener struct{ name string }

func (l wasiListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if v, ok := ctx.Value(vmKey{}).(*VM); ok {
		v.wasiCalls[l.name]++
	}
}

func (wasiListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (wasiListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}
