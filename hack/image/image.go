// Command image builds and pushes the plugin's OCI image with Go tooling only (no Docker
// engine, no oras): `make image` writes both variants as OCI layouts and tarballs under
// build/, `make push IMAGE=registry/name:tag` pushes one.
//
// Variants (what Istio's and Higress's fetcher accept, istio pkg/wasm/imagefetcher.go):
//
//   - compat (default): an OCI image whose last layer is a tar+gzip
//     (application/vnd.oci.image.layer.v1.tar+gzip) holding plugin.wasm, preceded by one
//     layer per metadata file as the Higress wasm image spec lays them out: spec.yaml
//     (application/vnd.module.wasm.spec.v1+yaml) and README.md
//     (application/vnd.module.wasm.doc.v1+markdown). Istio reads the last layer only; the
//     Higress console reads spec.yaml from its layer.
//   - oci: the solo.io "oci" artifact Istio also accepts: exactly two layers, the raw wasm
//     (application/vnd.module.wasm.content.layer.v1+wasm) and a config JSON
//     (application/vnd.module.wasm.config.v1+json, also the manifest's config media type).
//     No room for spec.yaml: Istio rejects any other layer count.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of the wasm image formats.
const (
	MediaTypeSpec       types.MediaType = "application/vnd.module.wasm.spec.v1+yaml"
	MediaTypeDoc        types.MediaType = "application/vnd.module.wasm.doc.v1+markdown"
	MediaTypeWasmLayer  types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	MediaTypeWasmConfig types.MediaType = "application/vnd.module.wasm.config.v1+json"
)

// Variants are the image formats Build makes; the first is the default.
var Variants = []string{"compat", "oci"}

// Contents is what goes into the image.
type Contents struct {
	Wasm    []byte // the compiled plugin
	Spec    []byte // build/spec.yaml (compat only)
	Readme  []byte // README.md (compat only)
	Version string // git describe
	Commit  string // git rev-parse HEAD
}

// Build returns the plugin image in the named variant. The image is reproducible: the
// same contents give the same digest (no timestamps).
func Build(variant string, c Contents) (v1.Image, error) {
	var img v1.Image
	switch variant {
	case "compat":
		layerTar, err := tarGz("plugin.wasm", c.Wasm)
		if err != nil {
			return nil, err
		}
		wasmLayer, err := tarball.LayerFromOpener(
			func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
			tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		var adds []mutate.Addendum
		if c.Spec != nil {
			adds = append(adds, mutate.Addendum{Layer: static.NewLayer(c.Spec, MediaTypeSpec)})
		}
		if c.Readme != nil {
			adds = append(adds, mutate.Addendum{Layer: static.NewLayer(c.Readme, MediaTypeDoc)})
		}
		adds = append(adds, mutate.Addendum{Layer: wasmLayer}) // Istio reads the last layer
		img = mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		if img, err = mutate.Append(img, adds...); err != nil {
			return nil, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "wasip1", "wasm"
		cfg.Config.Labels = labels(c)
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return nil, err
		}
	case "oci":
		// The solo.io wasm artifact. Istio reads neither the manifest's config nor the
		// config layer; they describe the module for other tools.
		conf, err := json.Marshal(map[string]any{"type": "envoy_proxy", "version": c.Version, "revision": c.Commit})
		if err != nil {
			return nil, err
		}
		return artifact(conf, labels(c),
			static.NewLayer(c.Wasm, MediaTypeWasmLayer), static.NewLayer(conf, MediaTypeWasmConfig))
	default:
		return nil, fmt.Errorf("unknown variant %q (one of %v)", variant, Variants)
	}
	return mutate.Annotations(img, labels(c)).(v1.Image), nil
}

func labels(c Contents) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "ai-proxy",
		"org.opencontainers.image.description": "AI gateway proxy-wasm plugin, a drop-in for Higress ai-proxy",
		"org.opencontainers.image.version":     c.Version,
		"org.opencontainers.image.revision":    c.Commit,
		"org.opencontainers.image.source":      "https://github.com/ai-proxy/ai-proxy",
	}
}

// tarGz returns a gzipped tar holding one file, with fixed metadata (reproducible).
func tarGz(name string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{
		Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0), Format: tar.FormatPAX,
	}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// artifact is an OCI manifest whose config blob is raw (not an image config), as OCI
// artifacts have: go-containerregistry's mutate only writes image configs.
func artifact(config []byte, annotations map[string]string, layers ...v1.Layer) (v1.Image, error) {
	a := &artifactCore{config: config, layers: map[v1.Hash]v1.Layer{}}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config: v1.Descriptor{
			MediaType: MediaTypeWasmConfig,
			Size:      int64(len(config)),
			Digest:    sha256Hash(config),
		},
		Annotations: annotations,
	}
	for _, l := range layers {
		d, err := partial.Descriptor(l)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, *d)
		a.layers[d.Digest] = l
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	a.manifest = raw
	return partial.CompressedToImage(a)
}

type artifactCore struct {
	config, manifest []byte
	layers           map[v1.Hash]v1.Layer
}

func (a *artifactCore) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a *artifactCore) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifactCore) RawManifest() ([]byte, error)        { return a.manifest, nil }
func (a *artifactCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == sha256Hash(a.config) {
		return static.NewLayer(a.config, MediaTypeWasmConfig), nil
	}
	if l, ok := a.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("blob %s not found", h)
}

func sha256Hash(b []byte) v1.Hash {
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	return h
}
