package main

// version and commit identify the build; the Makefile sets them with
// `-ldflags -X main.version=... -X main.commit=...` (git describe / rev-parse).
var version, commit = "dev", "dev"
