package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// pluginWasm returns the compiled plugin: WASM_FILE_PATH, else built here with go build.
func pluginWasm(t *testing.T) []byte {
	t.Helper()
	path := os.Getenv("WASM_FILE_PATH")
	if path == "" {
		if testing.Short() {
			t.Skip("WASM_FILE_PATH not set and -short: not building the plugin")
		}
		path = filepath.Join(t.TempDir(), "ai-proxy.wasm")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-buildmode=c-shared", "-trimpath",
			"-ldflags=-s -w", "-o", path, "./plugins/ai-proxy")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build the plugin (set WASM_FILE_PATH): %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPushPull pushes both variants to an in-process registry, writes and reads them as
// OCI layouts, pulls them back and checks what Istio's fetcher checks
// (pkg/wasm/imagefetcher.go): the compat image's last layer is an OCI tar+gzip holding
// plugin.wasm; the oci artifact has exactly two layers, one of them the raw wasm.
func TestPushPull(t *testing.T) {
	wasm := pluginWasm(t)
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		t.Fatal("plugin is not a wasm module")
	}
	spec, err := os.ReadFile(filepath.Join(root, "build/spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	c := Contents{Wasm: wasm, Spec: spec, Readme: readme, Version: "v1.2.3-test", Commit: "abc"}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	for _, variant := range Variants {
		t.Run(variant, func(t *testing.T) {
			img, err := Build(variant, c)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Build(variant, c)
			d1, _ := img.Digest()
			d2, _ := again.Digest()
			if d1 != d2 {
				t.Errorf("not reproducible: %s then %s", d1, d2)
			}
			dir := filepath.Join(t.TempDir(), variant)
			if err := WriteLayout(dir, img, "ai-proxy:"+c.Version); err != nil {
				t.Fatal(err)
			}
			fromLayout, err := ReadLayout(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := fromLayout.Digest(); d != d1 {
				t.Fatalf("layout image digest %s, built %s", d, d1)
			}
			ref, err := name.ParseReference(u.Host + "/plugins/ai-proxy:" + c.Version)
			if err != nil {
				t.Fatal(err)
			}
			if err := Push(fromLayout, ref); err != nil {
				t.Fatal(err)
			}
			pulled, err := remote.Image(ref)
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := pulled.Digest(); d != d1 {
				t.Fatalf("pulled digest %s, pushed %s", d, d1)
			}
			// a pin by digest resolves to the same image
			byDigest, err := remote.Image(ref.Context().Digest(d1.String()))
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := byDigest.Digest(); d != d1 {
				t.Fatalf("by digest %s, want %s", d, d1)
			}
			m, err := pulled.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %q", m.MediaType)
			}
			if got := m.Annotations["org.opencontainers.image.version"]; got != c.Version {
				t.Errorf("version annotation %q", got)
			}
			layers, err := pulled.Layers()
			if err != nil {
				t.Fatal(err)
			}
			switch variant {
			case "compat":
				want := []types.MediaType{MediaTypeSpec, MediaTypeDoc, types.OCILayer}
				checkMediaTypes(t, m, want)
				if m.Config.MediaType != types.OCIConfigJSON {
					t.Errorf("config media type %q", m.Config.MediaType)
				}
				if got := blob(t, layers[0]); !bytes.Equal(got, spec) {
					t.Error("spec layer is not build/spec.yaml")
				}
				if got := blob(t, layers[1]); !bytes.Equal(got, readme) {
					t.Error("doc layer is not README.md")
				}
				// Istio: the last layer, compressed bytes, a tar.gz with plugin.wasm
				files := untarGz(t, blob(t, layers[len(layers)-1]))
				if len(files) != 1 || !bytes.Equal(files["plugin.wasm"], wasm) {
					t.Errorf("last layer holds %d files; plugin.wasm equal: %v", len(files), bytes.Equal(files["plugin.wasm"], wasm))
				}
				cfg, err := pulled.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if len(cfg.RootFS.DiffIDs) != 3 || cfg.OS != "wasip1" {
					t.Errorf("config: %d diff ids, os %q", len(cfg.RootFS.DiffIDs), cfg.OS)
				}
			case "oci":
				checkMediaTypes(t, m, []types.MediaType{MediaTypeWasmLayer, MediaTypeWasmConfig})
				if m.Config.MediaType != MediaTypeWasmConfig {
					t.Errorf("config media type %q", m.Config.MediaType)
				}
				if got := blob(t, layers[0]); !bytes.Equal(got, wasm) {
					t.Error("wasm layer is not the plugin")
				}
				h, _, _ := v1.SHA256(bytes.NewReader(wasm))
				if m.Layers[0].Digest != h {
					t.Errorf("wasm layer digest %s, plugin sha256 %s", m.Layers[0].Digest, h)
				}
			}
		})
	}
}

func checkMediaTypes(t *testing.T, m *v1.Manifest, want []types.MediaType) {
	t.Helper()
	if len(m.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(m.Layers), len(want))
	}
	for i, l := range m.Layers {
		if l.MediaType != want[i] {
			t.Errorf("layer %d media type %q, want %q", i, l.MediaType, want[i])
		}
	}
}

// blob returns a layer's bytes as stored (Istio reads Compressed() for both variants).
func blob(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	r, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func untarGz(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("last layer is not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
}
