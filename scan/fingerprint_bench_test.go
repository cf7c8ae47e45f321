package scan

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"trustgate/internal/npmlibs"
)

// The libraries' benchmarks above vendor them, so the fingerprint leaves
// their code out. These take the same code as the apps' own, where the
// fingerprint parses all of it: the whole scan, and the fingerprint alone,
// over the libraries' source bytes.

func ownCodeApps(b *testing.B) (zips [][]byte, platforms []Platform, total int64) {
	b.Helper()
	for i, app := range npmApps(b) {
		files := map[string]string{}
		for name, body := range app.files {
			files[strings.Replace(name, npmlibs.Libraries[i].VendorAs+"/", "lib/", 1)] = body
		}
		zip, err := zipFilesErr(files)
		if err != nil {
			b.Fatal(err)
		}
		zips = append(zips, zip)
		platforms = append(platforms, app.platform)
		total += app.source
	}
	return zips, platforms, total
}

func BenchmarkScanLibrariesAsOwnCode(b *testing.B) {
	zips, platforms, total := ownCodeApps(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for i, zip := range zips {
			if _, err := Scan(context.Background(), bytes.NewReader(zip), int64(len(zip)), npmScanOptions(platforms[i])); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFingerprintLibrariesAsOwnCode(b *testing.B) {
	zips, platforms, total := ownCodeApps(b)
	var states []*state
	for i, zip := range zips {
		opts := npmScanOptions(platforms[i])
		arch, _, err := readPackage(context.Background(), bytes.NewReader(zip), int64(len(zip)), opts.Limits.withDefaults(opts.Platform))
		if err != nil {
			b.Fatal(err)
		}
		s := &state{opts: opts, arch: arch, platform: opts.Platform}
		s.locate()
		s.loadManifest()
		if fp := s.fingerprint(); fp.MinHash == nil {
			b.Fatalf("library %d as own code has no signature", i)
		}
		states = append(states, s)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range states {
			s.fingerprint()
		}
	}
}
