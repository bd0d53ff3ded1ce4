# ai-proxy — see README.md. Every target works on a fresh clone with Go installed.
GO        ?= go
WASM       := build/ai-proxy.wasm
NOOP_WASM  := build/noop.wasm
COPY_WASM  := build/copy-floor.wasm
SMALL_WASM := build/ai-proxy-noregexp.wasm
WASM_ENV  := GOOS=wasip1 GOARCH=wasm
export GONOSUMDB := github.com/higress-group
export GOFLAGS   := -mod=mod
# The version the plugin logs at start and the image is tagged with.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# `make push IMAGE=registry/name:tag [VARIANT=compat|oci]`
VARIANT   ?= compat
IMAGE     ?=

.PHONY: build build-noop build-copy-floor build-noregexp test test-short run bench fuzz lint image push clean

build: $(WASM)

$(WASM): $(shell find plugins provider -name '*.go' -not -name '*_test.go') go.mod go.sum
	@mkdir -p build
	$(WASM_ENV) $(GO) build -buildmode=c-shared -trimpath -ldflags="$(LDFLAGS)" -o $@ ./plugins/ai-proxy

# The plugin without Go's regexp (0.5 MB smaller, ~0.7 MiB less memory): `~regex`
# modelMapping keys then fail plugin start; everything else is the same.
build-noregexp: $(SMALL_WASM)

$(SMALL_WASM): $(shell find plugins provider -name '*.go' -not -name '*_test.go') go.mod go.sum
	@mkdir -p build
	$(WASM_ENV) $(GO) build -tags noregexp -buildmode=c-shared -trimpath -ldflags="$(LDFLAGS)" -o $@ ./plugins/ai-proxy

build-noop: $(NOOP_WASM)

$(NOOP_WASM): $(shell find hack/noop -name '*.go' 2>/dev/null) go.mod
	@mkdir -p build
	$(WASM_ENV) $(GO) build -buildmode=c-shared -trimpath -o $@ ./hack/noop

# The copy floor (hack/noop built with -tags copy): reads and writes back every body and
# body piece through the SDK. `go run ./hack/bench -floor $(COPY_WASM)` (BENCHMARKS.md).
build-copy-floor: $(COPY_WASM)

$(COPY_WASM): $(shell find hack/noop -name '*.go') go.mod go.sum
	@mkdir -p build
	$(WASM_ENV) $(GO) build -tags copy -buildmode=c-shared -trimpath -o $@ ./hack/noop

# Every test: native provider tests, plugin tests (Go mode and wasm mode against the
# compiled plugin), the local gateway's SDK end-to-end tests, the debug console in headless
# Chromium (required here: CONSOLE_BROWSER_TEST=require; plain `go test` skips it without
# Chromium), short fuzz runs (20,000 inputs per target: a count, not a duration, since
# time-bounded fuzzing can fail with "context deadline exceeded" on a loaded machine).
test: build build-noop build-noregexp
	CONSOLE_BROWSER_TEST=require WASM_FILE_PATH=$(CURDIR)/$(WASM) NOOP_WASM_FILE_PATH=$(CURDIR)/$(NOOP_WASM) SMALL_WASM_FILE_PATH=$(CURDIR)/$(SMALL_WASM) $(GO) test -count=1 ./...
	$(GO) test -count=1 -tags noregexp -run 'TestNoRegexp' ./provider/
	$(MAKE) fuzz FUZZTIME=20000x

# Run the plugin locally behind the local gateway, against the embedded mock provider.
run: build
	$(GO) run ./hack/gateway -config hack/gateway/config.yaml -wasm $(WASM)

# The benchmark (see BENCHMARKS.md): full exchanges through the compiled plugin in the
# wazero host, side by side with the no-op floor plugin, plus native Go benchmarks.
bench: build build-noop build-noregexp
	$(GO) run ./hack/bench -plugin ai-proxy=$(WASM) -plugin ai-proxy-noregexp=$(SMALL_WASM) -floor $(NOOP_WASM)
	$(GO) test -run '^$$' -bench . -benchmem ./provider/...

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./provider/...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$t ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The plugin image in both variants (see README "Use it in Higress / MSE / Envoy"), with Go
# tooling only: build/image/<variant>/ (OCI layout) and build/ai-proxy-<variant>.oci.tar.
# The wasm is rebuilt so that it carries this version.
image:
	@mkdir -p build
	$(WASM_ENV) $(GO) build -buildmode=c-shared -trimpath -ldflags="$(LDFLAGS)" -o $(WASM) ./plugins/ai-proxy
	$(GO) run ./hack/image build -wasm $(WASM) -spec build/spec.yaml -readme README.md -version $(VERSION) -commit $(COMMIT) -out build

# Push the image; IMAGE without a tag gets the version as tag.
push: image
	@test -n "$(IMAGE)" || (echo "usage: make push IMAGE=registry/name:tag [VARIANT=compat|oci]"; exit 1)
	$(GO) run ./hack/image push -from build/image/$(VARIANT) -image $(if $(findstring :,$(notdir $(IMAGE))),$(IMAGE),$(IMAGE):$(VERSION))

# gofmt, vet, and every shipped / documented configuration example against the console
# schema build/spec.yaml (and the schema against the fields the code reads).
lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...
	$(GO) test -count=1 -run 'TestSchema' ./hack/image

clean:
	rm -rf build/*.wasm build/image build/*.oci.tar
