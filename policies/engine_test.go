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
			name: "a forbidden builtin cannot hide in a test file",
			files: func() map[string][]byte {
				f := bundleWith(`decision := {"outcome": "approve", "reasons": []}`)
				f["policy_test.rego"] = []byte("package trustgate.submission_test\n\ntest_x if opa.runtime()\n")
				return f
			}(),
			wantErr: []string{"policy_test.rego:3", "forbidden builtin opa.runtime"},
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

// Each builtin that could reach the network, read the process or make a
// decision depend on more than its input is refused with the file, line and
// builtin named; pure builtins of the same families stay available.
func TestForbiddenBuiltins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		call      string
		forbidden bool
	}{
		{"http.send reaches the network", `http.send({"method": "GET", "url": "https://example.com"})`, true},
		{"net.lookup_ip_addr reaches the network", `net.lookup_ip_addr("example.com")`, true},
		{"opa.runtime reads the process", `opa.runtime()`, true},
		{"time.now_ns reads the clock", `time.now_ns()`, true},
		{"time.sleep holds the worker", `time.sleep(1)`, true},
		{"rand.intn is random", `rand.intn("x", 10)`, true},
		{"uuid.rfc4122 is random", `uuid.rfc4122("x")`, true},
		{"numbers.range builds an unbounded array in one call", `numbers.range(1, 10000000000)`, true},
		{"numbers.range_step too", `numbers.range_step(1, 10000000000, 1)`, true},
		{"uuid.parse is refused with its family", `uuid.parse("00000000-0000-0000-0000-000000000000")`, true},
		{"net.cidr_contains only computes", `net.cidr_contains("10.0.0.0/8", "10.1.2.3")`, false},
		{"io.jwt.decode only computes", `io.jwt.decode("a.b.c")`, false},
		{"trace is allowed", `trace("x")`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := bundleWith(`decision := {"outcome": "approve", "reasons": []}

probe if {
	x := ` + tt.call + `
	x == x
}`)
			_, err := New(files)
			builtin := strings.SplitN(tt.call, "(", 2)[0]
			if !tt.forbidden {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "policy.rego:6:")
			assert.Contains(t, err.Error(), "forbidden builtin "+builtin)
			var ce *CompileError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Forbidden, 1)
			assert.Equal(t, ForbiddenUse{File: "policy.rego", Line: 6, Builtin: builtin}, ce.Forbidden[0])
			assert.Equal(t, "policy.rego:6:"+builtin, ce.Forbidden[0].String())
		})
	}
}

// A bundle that loops for longer than the engine's bound is stopped and the
// submission goes to senior review; the worker is not held.
func TestDecideTimesOut(t *testing.T) {
	t.Parallel()
	slow := bundleWith(`digits := split(sprintf("%03000d", [0]), "")

decision := {"outcome": "approve", "reasons": []} if {
	n := count([x | some i in digits; some j in digits; x := concat("", [i, j])])
	n > 0
}`)
	engine, err := New(slow)
	require.NoError(t, err)
	start := time.Now()
	got := engine.WithTimeout(20*time.Millisecond).Decide(context.Background(), cleanInput())
	assert.Less(t, time.Since(start), 5*time.Second, "the evaluation was not stopped")
	assert.Equal(t, OutcomeReview, got.Outcome)
	assert.Equal(t, QueueSenior, got.Queue)
	require.Equal(t, []string{CodePolicyError}, codes(got))
	assert.Contains(t, got.Reasons[0].Evidence["error"], "timed out after 20ms")
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

func TestQASampleRateComesFromData(t *testing.T) {
	t.Parallel()
	e, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	if got := e.QASampleRate(); got != 0.05 {
		t.Fatalf("default bundle samples %v of approvals, want 0.05 from data.json", got)
	}
}
