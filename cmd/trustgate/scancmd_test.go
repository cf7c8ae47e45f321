package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
	"trustgate/internal/wxbuild"
)

func TestScanCommandExitCodes(t *testing.T) {
	t.Parallel()
	rules := filepath.Join("..", "..", "scan", "testdata", "wechat-rules")
	valid := filepath.Join("..", "..", "scan", "testdata", "alipay-valid")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"clean package exits 0", []string{valid}, 0},
		{"high findings fail the default threshold", []string{rules}, scanExitFindings},
		{"a threshold above the worst finding passes", []string{"--fail-on", "critical", rules}, 0},
		{"flags after the path are read", []string{rules, "--fail-on", "none"}, 0},
		{"missing path cannot be scanned", []string{filepath.Join(t.TempDir(), "none.zip")}, scanExitError},
		{"unknown format cannot be scanned", []string{"--format", "xml", valid}, scanExitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := runScan(context.Background(), tc.args, &out)
			if tc.code == 0 {
				require.NoError(t, err)
				return
			}
			var ee *exitError
			require.True(t, errors.As(err, &ee), "want an exit code, got %v", err)
			require.Equal(t, tc.code, ee.code)
		})
	}
}

func TestScanCommandJSON(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, runScan(context.Background(), []string{"--format", "json", filepath.Join("..", "..", "scan", "testdata", "alipay-rules")}, &out))
	var rep map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Equal(t, "alipay", rep["platform"])
	require.Contains(t, rep, "files")
	require.Contains(t, rep, "bytes")
	require.NotEmpty(t, rep["findings"])
}

func TestScanRulesListsTheLexiconCategories(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, runScan(context.Background(), []string{"--rules"}, &out))
	require.Regexp(t, `CONTENT lexicon \S+\n`, out.String())
	require.Regexp(t, `CONTENT-002 +lending +10 +\d+ +\d+ +\d+\n`, out.String())

	out.Reset()
	require.NoError(t, runScan(context.Background(), []string{"--rules", "--format", "json"}, &out))
	var doc struct {
		Rules   []map[string]any `json:"rules"`
		Lexicon struct {
			Version    string `json:"version"`
			Categories []struct {
				Rule  string `json:"rule"`
				Terms int    `json:"terms"`
			} `json:"categories"`
		} `json:"lexicon"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	require.NotEmpty(t, doc.Rules)
	require.NotEmpty(t, doc.Lexicon.Version)
	require.Len(t, doc.Lexicon.Categories, 5)
	for _, c := range doc.Lexicon.Categories {
		require.Positive(t, c.Terms, c.Rule)
	}
}

// trustgate scan reads a .wxapkg and a zip of built packages, and names
// findings by module path and line.
func TestScanCommandReadsBuiltPackages(t *testing.T) {
	t.Parallel()
	src, err := wxbuild.ReadDir(filepath.Join("..", "..", "scan", "testdata", "wechat-built-src"))
	require.NoError(t, err)
	built, err := wxbuild.Build(src)
	require.NoError(t, err)
	dir := t.TempDir()
	// The names say nothing: the bytes decide.
	bare := filepath.Join(dir, "main.bin")
	require.NoError(t, os.WriteFile(bare, wxbuild.Pack(built.Main), 0o600))
	zipped, err := pkgzip.Bytes(built.Packages())
	require.NoError(t, err)
	both := filepath.Join(dir, "upload.wxapkg")
	require.NoError(t, os.WriteFile(both, zipped, 0o600))

	for _, path := range []string{bare, both} {
		var out bytes.Buffer
		require.NoError(t, runScan(context.Background(), []string{"--format", "json", "--fail-on", "none", path}, &out))
		var rep jsonReport
		require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
		require.Equal(t, "wechat", string(rep.Platform))
		var at []string
		for _, f := range rep.Findings {
			at = append(at, f.RuleID+" "+f.File)
			require.NotEqual(t, "MAN-001", f.RuleID, "the manifest of a built package is read")
			if f.RuleID == "CODE-040" {
				require.Equal(t, "pages/account/index.js", f.File)
				require.Equal(t, 13, f.Line)
			}
		}
		require.Contains(t, at, "CODE-040 pages/account/index.js", "%s", path)
	}
}
