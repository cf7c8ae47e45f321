package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidFixturesHaveNoBlockingFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fixture  string
		platform Platform
		files    int
	}{
		{"valid WeChat app is acceptable", "wechat-valid", PlatformWeChat, 18},
		{"valid Alipay app is acceptable", "alipay-valid", PlatformAlipay, 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, fixture(t, tc.fixture), tc.platform)
			requireAcceptable(t, rep)
			require.Equal(t, tc.platform, rep.Platform)
			require.Equal(t, tc.files, rep.Files)
			require.Positive(t, rep.UnpackedBytes)
		})
	}
}

func TestMissingPageNamesTheMissingFiles(t *testing.T) {
	t.Parallel()
	rep := scanBytes(t, fixture(t, "wechat-missing-page"), PlatformWeChat)

	for _, file := range []string{"pages/missing/missing.wxml", "pages/missing/missing.js"} {
		f := requireFinding(t, rep, "MAN-003", file)
		require.Equal(t, 4, f.Line, "points at the declaration in app.json")
		require.Equal(t, 5, f.Column)
		require.Contains(t, f.Snippet, `"pages/missing/missing"`)
	}
	require.Len(t, rep.Findings, 2)
	require.Equal(t, SeverityCritical, rep.Worst())
}

func TestSameBytesGiveSameReport(t *testing.T) {
	t.Parallel()
	b := fixture(t, "wechat-missing-page")
	first := scanBytes(t, b, PlatformWeChat)
	second := scanBytes(t, b, PlatformWeChat)
	require.Equal(t, first, second)

	fps := map[string]bool{}
	for _, f := range first.Findings {
		require.False(t, fps[f.Fingerprint], "fingerprints are unique within a report")
		fps[f.Fingerprint] = true
	}
}

func TestFindingsAreSorted(t *testing.T) {
	t.Parallel()
	b := craft(t, append(validWeChat(),
		file("z/../../b", "x"), file("/a", "x"), file("lib/x.so", "x"), file("lib/x.so", "y"))...)
	rep := scanBytes(t, b, PlatformWeChat)
	require.True(t, sort.SliceIsSorted(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.RuleID < b.RuleID
	}))
}

func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	rep := scanBytes(t, fixture(t, "wechat-valid"), PlatformWeChat)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(b), `"findings":[]`, "no findings is an empty list, not null")
}

func TestWorst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		findings []Finding
		want     Severity
	}{
		{"no findings has no severity", nil, ""},
		{"single low finding is low", []Finding{{Severity: SeverityLow}}, SeverityLow},
		{"critical beats everything", []Finding{{Severity: SeverityMedium}, {Severity: SeverityCritical}, {Severity: SeverityHigh}}, SeverityCritical},
		{"info is the least", []Finding{{Severity: SeverityInfo}, {Severity: SeverityMedium}}, SeverityMedium},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Report{Findings: tc.findings}.Worst())
		})
	}
}

func TestRulesAreSortedAndDocumented(t *testing.T) {
	t.Parallel()
	rules := Rules()
	require.NotEmpty(t, rules)
	require.True(t, sort.SliceIsSorted(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID }))
	for _, r := range rules {
		require.Regexp(t, `^[A-Z]+-\d{3}$`, r.ID)
		require.Contains(t, severityRank, r.Severity, r.ID)
		require.NotEmpty(t, r.Message, r.ID)
		require.NotEmpty(t, r.Remediation, r.ID)
	}
}

func TestScanFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.zip")
	require.NoError(t, os.WriteFile(path, fixture(t, "alipay-valid"), 0o600))

	rep, err := ScanFile(context.Background(), path, Options{Platform: PlatformAlipay})
	require.NoError(t, err)
	requireAcceptable(t, rep)

	_, err = ScanFile(context.Background(), filepath.Join(t.TempDir(), "missing.zip"), Options{Platform: PlatformAlipay})
	require.Error(t, err, "a file we cannot open is our fault, not the developer's")
}

func TestOwnFaultsAreErrors(t *testing.T) {
	t.Parallel()
	b := fixture(t, "wechat-valid")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	errRead := errors.New("disk on fire")

	tests := []struct {
		name string
		ctx  context.Context
		r    readerAtFunc
		size int64
		want error
	}{
		{"cancelled context is an error", cancelled, bytes.NewReader(b).ReadAt, int64(len(b)), context.Canceled},
		{"failing reader is an error", context.Background(), func([]byte, int64) (int, error) { return 0, errRead }, int64(len(b)), errRead},
		{"reader shorter than its size is an error", context.Background(), bytes.NewReader(b[:len(b)/2]).ReadAt, int64(len(b)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Scan(tc.ctx, tc.r, tc.size, Options{Platform: PlatformWeChat})
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

type readerAtFunc func([]byte, int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }
