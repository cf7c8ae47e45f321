package scan

import (
	"archive/zip"
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
)

// fixture zips a folder of testdata, the way a developer would upload it.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := pkgzip.Dir(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func zipFiles(t testing.TB, files map[string]string) []byte {
	t.Helper()
	b, err := pkgzip.Files(files)
	require.NoError(t, err)
	return b
}

func scanBytes(t testing.TB, b []byte, p Platform) Report {
	t.Helper()
	rep, err := Scan(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Platform: p})
	require.NoError(t, err, "hostile or broken input must be findings, not errors")
	return rep
}

// requireFinding returns the finding of rule on file, failing with the whole
// report when there is none, so a failure shows what was found instead.
func requireFinding(t testing.TB, rep Report, rule, file string) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.RuleID == rule && f.File == file {
			want, ok := registry[rule]
			require.True(t, ok, "rule %s is registered", rule)
			require.Equal(t, want.Severity, f.Severity)
			require.NotEmpty(t, f.Fingerprint)
			return f
		}
	}
	require.Failf(t, "finding not reported", "want %s on %q, got %+v", rule, file, rep.Findings)
	return Finding{}
}

func requireNoFinding(t testing.TB, rep Report, rule string) {
	t.Helper()
	for _, f := range rep.Findings {
		require.NotEqual(t, rule, f.RuleID, "unexpected finding %+v", f)
	}
}

// requireAcceptable fails on any high or critical finding.
func requireAcceptable(t testing.TB, rep Report) {
	t.Helper()
	for _, f := range rep.Findings {
		require.Less(t, severityRank[f.Severity], severityRank[SeverityHigh], "unexpected finding %+v", f)
	}
}

// craftedEntry is one entry of a hand-made zip: hdr is written as given, so
// tests can set what well-behaved tools never would.
type craftedEntry struct {
	hdr  zip.FileHeader
	body []byte
}

func file(name, body string) craftedEntry {
	return craftedEntry{hdr: zip.FileHeader{Name: name, Method: zip.Deflate}, body: []byte(body)}
}

// validWeChat is a minimal valid WeChat package, to which hostile entries
// are added so that each test sees only the finding it is about.
func validWeChat() []craftedEntry {
	return []craftedEntry{
		file("app.json", `{"pages":["pages/index/index"]}`),
		file("project.config.json", `{"compileType":"miniprogram"}`),
		file("pages/index/index.js", "Page({})"),
		file("pages/index/index.wxml", "<view/>"),
	}
}

func craft(t testing.TB, entries ...craftedEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		w, err := zw.CreateHeader(&hdr)
		require.NoError(t, err)
		_, err = w.Write(e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func zipFilesErr(files map[string]string) ([]byte, error) { return pkgzip.Files(files) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
