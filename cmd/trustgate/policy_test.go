package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/policies"
)

// These tests need no database: they run the policy commands on files.

const policyInput = `{
  "submission": {"id": "sub-1", "app_id": "app-1", "version": "1.0.0", "platform": "wechat", "package_sha256": "00", "package_bytes": 1},
  "app": {"id": "app-1", "name": "Shop", "category": "retail", "platform": "wechat", "status": "live", "live_version": ""},
  "developer": {"id": "dev-1", "org_id": "org-1", "kind": "individual",
    "real_name": {"status": "verified", "verified_at": null, "expires_at": null},
    "credit_score": %d, "qualifications": [], "risk_flags": [], "blacklisted": false},
  "findings": [], "history": {"rejections_90d": 0, "approvals_365d": 0, "live_apps": 0}, "waivers": [],
  "now": "2026-06-01T12:00:00Z"
}`

func writePolicyFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func inputWithCredit(t *testing.T, score int) string {
	t.Helper()
	return writePolicyFile(t, t.TempDir(), "input.json", fmt.Sprintf(policyInput, score))
}

// shippedBundleDir writes the shipped bundle to a folder, as compliance
// would check it out.
func shippedBundleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range policies.DefaultFiles() {
		writePolicyFile(t, dir, name, string(content))
	}
	return dir
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exitError
	require.ErrorAs(t, err, &ee, "want an exitError, got %v", err)
	return ee.code
}

func TestPolicyEval(t *testing.T) {
	t.Parallel()
	approveDir := t.TempDir()
	writePolicyFile(t, approveDir, "policy.rego", "package trustgate.submission\n\ndecision := {\"outcome\": \"approve\", \"reasons\": []}\n")
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		code     int
		outcome  string
		firedAny bool
		stderr   string
	}{
		{
			name:    "shipped bundle approves a clean input",
			args:    func(t *testing.T) []string { return []string{"eval", "--input", inputWithCredit(t, 720)} },
			outcome: policies.OutcomeApprove,
		},
		{
			name:     "explain lists the rules behind a rejection",
			args:     func(t *testing.T) []string { return []string{"eval", "--input", inputWithCredit(t, 100), "--explain"} },
			outcome:  policies.OutcomeReject,
			firedAny: true,
		},
		{
			name:    "a bundle folder given before the flags",
			args:    func(t *testing.T) []string { return []string{"eval", approveDir, "--input", inputWithCredit(t, 1)} },
			outcome: policies.OutcomeApprove,
		},
		{
			name:    "a bundle folder given after the flags",
			args:    func(t *testing.T) []string { return []string{"eval", "--input", inputWithCredit(t, 1), approveDir} },
			outcome: policies.OutcomeApprove,
		},
		{
			name:   "no input is a usage error",
			args:   func(*testing.T) []string { return []string{"eval"} },
			code:   policyExitUsage,
			stderr: "--input",
		},
		{
			name: "an input with a misspelt field is refused",
			args: func(t *testing.T) []string {
				return []string{"eval", "--input", writePolicyFile(t, t.TempDir(), "in.json", `{"developr": {}}`)}
			},
			code:   policyExitUsage,
			stderr: "developr",
		},
		{
			name:   "a missing bundle folder is a usage error",
			args:   func(t *testing.T) []string { return []string{"eval", "no-such-dir", "--input", inputWithCredit(t, 1)} },
			code:   policyExitUsage,
			stderr: "no-such-dir",
		},
		{
			name: "a policy that cannot decide prints the fail-closed decision and exits 1",
			args: func(t *testing.T) []string {
				dir := t.TempDir()
				writePolicyFile(t, dir, "policy.rego", "package trustgate.submission\n\ndecision := \"approve\"\n")
				return []string{"eval", dir, "--input", inputWithCredit(t, 1)}
			},
			code:    policyExitBroken,
			outcome: policies.OutcomeReview,
			stderr:  "could not decide",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := runPolicy(context.Background(), tt.args(t), &out)
			require.Equal(t, tt.code, exitCode(t, err), "error: %v\noutput: %s", err, out.String())
			if tt.stderr != "" {
				assert.Contains(t, err.Error(), tt.stderr)
			}
			if tt.outcome == "" {
				return
			}
			var got evalOutput
			require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
			assert.Equal(t, tt.outcome, got.Outcome)
			assert.NotEmpty(t, got.PolicyVersion)
			assert.Equal(t, tt.firedAny, len(got.FiredRules) > 0, "fired rules: %v", got.FiredRules)
			if tt.firedAny {
				assert.Contains(t, out.String(), "reject_reasons")
			}
		})
	}
}

func TestPolicyTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		shipped bool
		code    int
		stderr  []string
	}{
		{name: "the shipped bundle passes", shipped: true},
		{
			name: "a failing Rego test exits 3 and names it",
			files: map[string]string{
				"policy.rego":      "package trustgate.submission\n\ndecision := {\"outcome\": \"approve\", \"reasons\": []}\n",
				"policy_test.rego": "package trustgate.submission_test\n\nimport data.trustgate.submission\n\ntest_rejects if submission.decision.outcome == \"reject\"\n",
			},
			code:   policyExitTests,
			stderr: []string{"1 of 1 tests failed", "policy_test.rego:5 test_rejects"},
		},
		{
			name: "coverage under the floor exits 3",
			files: map[string]string{
				"policy.rego":      "package trustgate.submission\n\ndecision := {\"outcome\": \"approve\", \"reasons\": []}\n\nunused if {\n\tinput.x == 1\n\tinput.y == 2\n\tinput.z == 3\n}\n",
				"policy_test.rego": "package trustgate.submission_test\n\nimport data.trustgate.submission\n\ntest_approves if submission.decision.outcome == \"approve\"\n",
			},
			code:   policyExitTests,
			stderr: []string{"under the floor"},
		},
		{
			name: "a forbidden builtin names file, line and builtin",
			files: map[string]string{
				"policy.rego": "package trustgate.submission\n\ndecision := http.send({\"method\": \"GET\", \"url\": \"https://example.com\"}).body\n",
			},
			code:   policyExitBroken,
			stderr: []string{"policy.rego:3:", "forbidden builtin http.send"},
		},
		{
			name: "a bundle without tests fails",
			files: map[string]string{
				"policy.rego": "package trustgate.submission\n\ndecision := {\"outcome\": \"approve\", \"reasons\": []}\n",
			},
			code:   policyExitTests,
			stderr: []string{"no Rego tests"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.shipped {
				dir = shippedBundleDir(t)
			}
			for name, content := range tt.files {
				writePolicyFile(t, dir, name, content)
			}
			var out bytes.Buffer
			err := runPolicy(context.Background(), []string{"test", dir}, &out)
			require.Equal(t, tt.code, exitCode(t, err), "error: %v\noutput: %s", err, out.String())
			for _, want := range tt.stderr {
				assert.Contains(t, err.Error(), want)
			}
			if tt.code == 0 {
				var report policies.TestReport
				require.NoError(t, json.Unmarshal(out.Bytes(), &report))
				assert.GreaterOrEqual(t, report.Coverage, policies.MinCoverage)
			}
		})
	}
}

func TestPolicyUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"simulate"}, {"eval", "a", "b", "--input", "x.json"}} {
		err := runPolicy(context.Background(), args, &bytes.Buffer{})
		assert.Equal(t, policyExitUsage, exitCode(t, err), "args %v", args)
	}
	err := runPolicy(context.Background(), []string{"eval", "-h"}, &bytes.Buffer{})
	assert.True(t, errors.Is(err, flag.ErrHelp), "-h should return flag.ErrHelp, got %v", err)
}
