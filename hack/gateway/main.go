// Command gateway runs the ai-proxy plugin locally behind a small Envoy-like gateway:
//
//	go run ./hack/gateway -config hack/gateway/config.yaml -wasm build/ai-proxy.wasm
//
// (`make run`). The config file is described by gw.Config; ${NAME} in it is read from the
// environment (see dashscope.yaml).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ai-proxy/ai-proxy/hack/gateway/gw"
)

func main() {
	config := flag.String("config", "hack/gateway/config.yaml", "gateway config file (YAML)")
	wasmPath := flag.String("wasm", "build/ai-proxy.wasm", "compiled plugin")
	listen := flag.String("listen", "", "override the config's listen address")
	vms := flag.Int("vms", 0, "override the number of VMs (default: config, else one per CPU)")
	accessLog := flag.Bool("access-log", true, "print one line per request")
	flag.Parse()
	if err := run(*config, *wasmPath, *listen, *vms, *accessLog); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(configPath, wasmPath, listen string, vms int, accessLog bool) error {
	cfg, err := gw.LoadConfig(configPath)
	if err != nil {
		return err
	}
	if listen != "" {
		cfg.Listen = listen
	}
	if vms > 0 {
		cfg.VMs = vms
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return fmt.Errorf("%w (build it with `make build`)", err)
	}
	opts := gw.Options{}
	if accessLog {
		opts.AccessLog = os.Stderr
	}
	g, err := gw.New(context.Background(), cfg, wasm, opts)
	if err != nil {
		return err
	}
	defer g.Close()
	if err := g.Start(); err != nil {
		return err
	}
	g.PrintUsage(os.Stdout)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
