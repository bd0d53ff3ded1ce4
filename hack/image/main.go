package main

import (
	"archive/tar"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const usage = `usage:
  image build -wasm build/ai-proxy.wasm -spec build/spec.yaml -readme README.md -version V -commit C -out build
      writes build/image/<variant>/ (OCI layout) and build/ai-proxy-<variant>.oci.tar
      (the layout as a tar: an oci-archive) for every variant
  image push -from build/image/compat -image registry/name:tag
      pushes the image of an OCI layout; credentials from the docker config
      (authn.DefaultKeychain: ~/.docker/config.json, DOCKER_CONFIG, credential helpers)
`

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal(usage)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = buildCmd(os.Args[2:])
	case "push":
		err = pushCmd(os.Args[2:])
	default:
		log.Fatal(usage)
	}
	if err != nil {
		log.Fatal("image: ", err)
	}
}

func buildCmd(args []string) error {
	fl := flag.NewFlagSet("build", flag.ExitOnError)
	wasm := fl.String("wasm", "build/ai-proxy.wasm", "compiled plugin")
	spec := fl.String("spec", "build/spec.yaml", "console schema (Higress spec.yaml)")
	readme := fl.String("readme", "README.md", "README shipped for the console")
	version := fl.String("version", "dev", "version (image annotation)")
	commit := fl.String("commit", "dev", "commit (image annotation)")
	out := fl.String("out", "build", "output directory")
	fl.Parse(args)
	var c Contents
	var err error
	if c.Wasm, err = os.ReadFile(*wasm); err != nil {
		return err
	}
	if c.Spec, err = os.ReadFile(*spec); err != nil {
		return err
	}
	if c.Readme, err = os.ReadFile(*readme); err != nil {
		return err
	}
	c.Version, c.Commit = *version, *commit
	for _, variant := range Variants {
		img, err := Build(variant, c)
		if err != nil {
			return err
		}
		dir := filepath.Join(*out, "image", variant)
		if err := WriteLayout(dir, img, "ai-proxy:"+c.Version); err != nil {
			return err
		}
		archive := filepath.Join(*out, "ai-proxy-"+variant+".oci.tar")
		if err := tarDir(dir, archive); err != nil {
			return err
		}
		d, _ := img.Digest()
		fmt.Printf("%-6s %s  %s  %s\n", variant, d, dir, archive)
	}
	return nil
}

// WriteLayout writes img as the only image of a fresh OCI layout at dir, named ref
// (org.opencontainers.image.ref.name, as oras and skopeo name layout images).
func WriteLayout(dir string, img v1.Image, ref string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref,
	}))
}

// ReadLayout returns the only image of the OCI layout at dir.
func ReadLayout(dir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("%s: %d images, want 1", dir, len(m.Manifests))
	}
	return idx.Image(m.Manifests[0].Digest)
}

func pushCmd(args []string) error {
	fl := flag.NewFlagSet("push", flag.ExitOnError)
	from := fl.String("from", "build/image/compat", "OCI layout written by `image build`")
	image := fl.String("image", "", "registry/name:tag")
	fl.Parse(args)
	if *image == "" {
		return fmt.Errorf("push: -image registry/name:tag is required")
	}
	img, err := ReadLayout(*from)
	if err != nil {
		return err
	}
	ref, err := name.ParseReference(*image)
	if err != nil {
		return err
	}
	if err := Push(img, ref, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return err
	}
	d, _ := img.Digest()
	fmt.Printf("pushed %s@%s\n", ref.Context(), d)
	return nil
}

// Push writes img to the registry under ref.
func Push(img v1.Image, ref name.Reference, opts ...remote.Option) error {
	return remote.Write(ref, img, opts...)
}

// tarDir writes the files under dir into a tar at path, relative names, fixed metadata.
func tarDir(dir, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: rel + "/", Mode: 0o755, Typeflag: tar.TypeDir})
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: 0o644, Size: info.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		f.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
