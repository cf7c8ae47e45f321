package policies

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bundleWith is a one-module bundle in the decision package.
func bundleWith(rego string) map[string][]byte {
	return map[string][]byte{"policy.rego": []byte("package trustgate.submission\n\n" + rego)}
}

func TestDecideFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rego      string
		change    func(*Input)
		wantError string
	}{
		{
			name: "conflicting values at eval",
			rego: `decision := {"outcome": "approve", "reasons": []} if input.app.id != ""
decision := {"outcome": "reject", "reasons": [{"code": "X", "message": "x"}]} if input.app.id != ""`,
			wantError: "conflicting",
		},
		{
			name:      "undefined decision",
			rego:      `decision := {"outcome": "approve", "reasons": []} if input.app.id == "no such app"`,
			wantError: "undefined",
		},
		{
			name:      "unknown outcome",
			rego:      `decision := {"outcome": "approved", "reasons": []}`,
			wantError: `outcome "approved"`,
		},
		{
			name:      "decision that is not an object",
			rego:      `decision := "approve"`,
			wantError: "malformed decision",
		},
		{
			name:      "reject without reasons",
			rego:      `decision := {"outcome": "reject", "reasons": []}`,
			wantError: "without reasons",
		},
		{
			name:      "review without a queue",
			rego:      `decision := {"outcome": "review", "reasons": [{"code": "X", "message": "x"}], "approvals_required": 1, "sla_hours": 4}`,
			wantError: "queue",
		},
		{
			name:      "builtin error is not swallowed",
			rego:      `decision := {"outcome": "approve", "reasons": []} if time.parse_rfc3339_ns(input.app.name) > 0`,
			wantError: "time.parse_rfc3339_ns",
		},
		{
			name:      "missing clock",
			rego:      `decision := {"outcome": "approve", "reasons": []}`,
			change:    func(in *Input) { in.Now = time.Time{} },
			wantError: "input.now",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			engine, err := New(bundleWith(tt.rego))
			require.NoError(t, err)
			in := cleanInput()
			if tt.change != nil {
				tt.change(&in)
			}
			got := engine.Decide(context.Background(), in)
			assert.Equal(t, OutcomeReview, got.Outcome)
			assert.Equal(t, QueueSenior, got.Queue)
			assert.Equal(t, 1, got.ApprovalsRequired)
			require.Len(t, got.Reasons, 1)
			assert.Equal(t, CodePolicyError, got.Reasons[0].Code)
			assert.Contains(t, got.Reasons[0].Evidence["error"], tt.wantError)
			assert.Equal(t, engine.Version(), got.Reasons[0].Evidence["policy_version"])
		})
	}
}

func TestDecideFailsClosedOnCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := mustDefault(t).Decide(ctx, cleanInput())
	assert.Equal(t, OutcomeReview, got.Outcome)
	assert.Equal(t, []string{CodePolicyError}, codes(got))
}

func TestNewRejectsBadBundles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string][]byte
		wantErr []string
	}{
		{
			name:    "http.send is not available",
			files:   bundleWith(`decision := http.send({"method": "GET", "url": "https://example.com"}).body`),
			wantErr: []string{"policy.rego:3:13", "undefined function http.send"},
		},
		{
			name:    "network lookups are not available",
			files:   bundleWith(`decision := net.lookup_ip_addr("example.com")`),
			wantErr: []string{"policy.rego:3", "undefined function net.lookup_ip_addr"},
		},
		{
			name:    "the wall clock is not available",
			files:   bundleWith(`decision := {"outcome": "approve", "reasons": [], "t": time.now_ns()}`),
			wantErr: []string{"undefined function time.now_ns"},
		},
		{
			name: "a forbidden builtin cannot hide in a test file",
			files: func() map[string][]byte {
				f := bundleWith(`decision := {"outcome": "approve", "reasons": []}`)
				f["policy_test.rego"] = []byte("package trustgate.submission_test\n\ntest_x if opa.runtime()\n")
				return f
			}(),
			wantErr: []string{"policy_test.rego:3", "opa.runtime"},
		},
		{
			name:    "syntax error names file, line and column",
			files:   bundleWith("decision := {\n"),
			wantErr: []string{"policy.rego:"},
		},
		{
			name:    "no decision rule",
			files:   bundleWith(`verdict := "approve"`),
			wantErr: []string{"no rule defines data.trustgate.submission.decision"},
		},
		{
			name:    "unknown file kind",
			files:   map[string][]byte{"policy.yaml": []byte("x: 1")},
			wantErr: []string{"policy.yaml"},
		},
		{
			name: "data.json that is not an object",
			files: func() map[string][]byte {
				f := bundleWith(`decision := {"outcome": "approve", "reasons": []}`)
				f["data.json"] = []byte("[1]")
				return f
			}(),
			wantErr: []string{"data.json"},
		},
		{
			name:    "empty bundle",
			files:   map[string][]byte{},
			wantErr: []string{"no files"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.files)
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestHashAndVersion(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	assert.Len(t, engine.Hash(), 64)
	assert.Equal(t, "default-"+engine.Hash()[:12], engine.Version())

	// Same content, same hash; any change to a path or content, a new one.
	again, err := New(DefaultFiles())
	require.NoError(t, err)
	assert.Equal(t, engine.Hash(), again.Hash())
	assert.Equal(t, engine.Hash()[:12], again.Version())

	edited := maps.Clone(DefaultFiles())
	edited["data.json"] = []byte(strings.Replace(string(edited["data.json"]), "700", "710", 1))
	changed, err := New(edited)
	require.NoError(t, err)
	assert.NotEqual(t, engine.Hash(), changed.Hash())

	named, err := NewNamed("v42", DefaultFiles())
	require.NoError(t, err)
	assert.Equal(t, "v42", named.Version())
	assert.Equal(t, engine.Hash(), named.Hash())
}

func TestRunTestsReportsFailures(t *testing.T) {
	t.Parallel()
	files := bundleWith(`decision := {"outcome": "approve", "reasons": []}

unused_branch if input.never`)
	files["policy_test.rego"] = []byte(`package trustgate.submission_test

import data.trustgate.submission

test_approves if submission.decision.outcome == "approve"

test_rejects if submission.decision.outcome == "reject"
`)
	report, err := RunTests(context.Background(), files)
	require.NoError(t, err)
	assert.False(t, report.OK())
	assert.Equal(t, 1, report.Passed)
	assert.Equal(t, 1, report.Failed)
	require.Len(t, report.Tests, 2)
	assert.Equal(t, "data.trustgate.submission_test.test_approves", report.Tests[0].Package+"."+report.Tests[0].Name)
	assert.True(t, report.Tests[0].Pass)
	assert.False(t, report.Tests[1].Pass)
	assert.Equal(t, "policy_test.rego", report.Tests[1].File)
	assert.Equal(t, 7, report.Tests[1].Line)
	assert.Less(t, report.Coverage, 100.0)
	assert.Contains(t, report.Files, "policy.rego")
}

func TestRunTestsRefusesForbiddenBuiltins(t *testing.T) {
	t.Parallel()
	files := bundleWith(`decision := {"outcome": "approve", "reasons": []}`)
	files["policy_test.rego"] = []byte("package trustgate.submission_test\n\ntest_x if http.send({})\n")
	_, err := RunTests(context.Background(), files)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policy_test.rego:3")
}
