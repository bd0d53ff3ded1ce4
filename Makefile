# ai-proxy — see README.md. Every target works on a fresh clone with Go installed.
GO        ?= go
WASM      := build/ai-proxy.wasm
NOOP_WASM := build/noop.wasm
WASM_ENV  := GOOS=wasip1 GOARCH=wasm
export GONOSUMDB := github.com/higress-group
export GOFLAGS   := -mod=mod

.PHONY: build build-noop test test-short run bench fuzz lint clean

build: $(WASM)

$(WASM): $(shell find plugins provider -name '*.go' -not -name '*_test.go') go.mod go.sum
	@mkdir -p build
	$(WASM_ENV) $(GO) build -buildmode=c-shared -trimpath -ldflags="-s -w" -o $@ ./plugins/ai-proxy

build-noop: $(NOOP_WASM)

$(NOOP_WASM): $(shell find hack/noop -name '*.go' 2>/dev/null) go.mod
	@mkdir -p build
	$(WASM_ENV) $(GO) build -buildmode=c-shared -trimpath -o $@ ./hack/noop

# Every test: native provider tests, plugin tests (Go mode and wasm mode against the
# compiled plugin), the local gateway's SDK end-to-end tests, short fuzz runs.
test: build build-noop
	WASM_FILE_PATH=$(CURDIR)/$(WASM) NOOP_WASM_FILE_PATH=$(CURDIR)/$(NOOP_WASM) $(GO) test -count=1 ./...
	$(MAKE) fuzz FUZZTIME=5s

# Run the plugin locally behind the local gateway, against the embedded mock provider.
run: build
	$(GO) run ./hack/gateway -config hack/gateway/config.yaml -wasm $(WASM)

# The benchmark (see BENCHMARKS.md): full exchanges through the compiled plugin in the
# wazero host, side by side with the no-op floor plugin, plus native Go benchmarks.
bench: build build-noop
	$(GO) run ./hack/bench -plugin ai-proxy=$(WASM) -floor $(NOOP_WASM)
	$(GO) test -run '^$$' -bench . -benchmem ./provider/...

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./provider/...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$t ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

clean:
	rm -rf build/*.wasm
