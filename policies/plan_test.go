package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/stretchr/testify/require"
)

// evaluateWithOPA decides with OPA's own evaluator instead of the plan: any
// evaluation option sends evaluate there, and early exit is its default.
func (e *Engine) evaluateWithOPA(ctx context.Context, in Input) (Decision, error) {
	return e.evaluate(ctx, in, rego.EvalEarlyExit(true))
}

// evaluatePlanOnly decides with the plan machine alone, without the
// fallback to OPA's evaluator that Decide and Evaluate have.
func (e *Engine) evaluatePlanOnly(ctx context.Context, in Input) (Decision, error) {
	if e.program == nil {
		return Decision{}, fmt.Errorf("not planned: %v", e.planErr)
	}
	return e.evaluate(ctx, in)
}

// TestPlanDecidesAsOPADoes compares the plan's decisions with OPA's on
// generated inputs, including findings shaped as no scan writes them
// (severity in another case, unknown or missing, no line, no file), so that
// the fail-closed paths of the bundle are compared too.
func TestPlanDecidesAsOPADoes(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	require.Equal(t, "plan", engine.Evaluator())
	r := rand.New(rand.NewPCG(5, 8))
	ctx := context.Background()
	for i := range 3000 {
		in := randomInput(r)
		for range r.IntN(6) {
			f := randomFinding(r)
			f.Severity = pick(r, f.Severity, "High", "CRITICAL", "urgent", "", "Info")
			if r.IntN(4) == 0 {
				f.Line = 0
			}
			if r.IntN(6) == 0 {
				f.File = ""
			}
			if r.IntN(3) == 0 {
				f.Remediation = "Use the platform's API."
			}
			in.Findings = append(in.Findings, f)
		}
		want, wantErr := engine.evaluateWithOPA(ctx, in)
		got, gotErr := engine.Evaluate(ctx, in)
		require.Equal(t, wantErr == nil, gotErr == nil, "input %d: OPA error %v, plan error %v", i, wantErr, gotErr)
		if wantErr == nil {
			require.Equal(t, want, got, "input %d: %s", i, fmt.Sprint(in))
		}
	}
}

// A bundle the planner refuses is still decided, by OPA's evaluator, and
// Evaluator says why.
func TestABundleThatCannotBePlannedStillDecides(t *testing.T) {
	t.Parallel()
	engine, err := New(bundleWith(`decision := {"outcome": "approve", "reasons": []}`))
	require.NoError(t, err)
	require.Equal(t, "plan", engine.Evaluator())
	engine.program, engine.planErr = nil, fmt.Errorf("pretend the planner refused")
	require.Equal(t, OutcomeApprove, engine.Decide(context.Background(), cleanInput()).Outcome)
	require.Equal(t, EvaluatorOPA, engine.Evaluator())
	require.Contains(t, engine.EvaluatorNote(), "pretend the planner refused")
}

// Decisions run concurrently on one engine and agree with one made alone.
func TestConcurrentDecisionsShareTheEngine(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	in := benchInput(40)
	in.App.Category = "finance"
	want := engine.Decide(context.Background(), in)
	done := make(chan Decision, 4)
	for range 4 {
		go func() {
			var d Decision
			for range 50 {
				d = engine.Decide(context.Background(), in)
			}
			done <- d
		}()
	}
	for range 4 {
		require.Equal(t, want, <-done)
	}
}

// Decide converts each input into storage the next decision reuses
// (planScratch). A decision handed out must not change when the next ones
// are made, of more findings or fewer, and each must be the one a fresh
// conversion gives.
func TestDecisionsOutliveTheInputStorage(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	// Besides the default bundle, one whose reasons hold the input's own
	// finding objects as their evidence.
	own, err := New(bundleWith(`decision := {"outcome": "review", "queue": "standard", "priority": "normal",
	"approvals_required": 1, "sla_hours": 48, "reasons": reasons} if { count(reasons) > 0 } else := {"outcome": "approve", "reasons": []}

reasons contains {"code": "FINDING_NEEDS_REVIEW", "message": f.message, "evidence": f, "remediation": ""} if {
	some f in input.findings
	f.severity == "high"
}`))
	require.NoError(t, err)
	require.Equal(t, "plan", own.Evaluator())
	for _, engine := range []*Engine{engine, own} {
		decisionsOutliveTheInputStorage(t, engine)
	}
}

func decisionsOutliveTheInputStorage(t *testing.T, engine *Engine) {
	ctx := context.Background()
	var inputs []Input
	var held []Decision
	for _, n := range []int{100, 3, 40, 0, 100} {
		in := benchInput(n)
		in.Waivers = []WaiverInput{{RuleID: "CODE-104", AppID: in.App.ID, ExpiresAt: testNow.AddDate(0, 1, 0)}}
		inputs = append(inputs, in)
		d := engine.Decide(ctx, in)
		require.NotEqual(t, CodePolicyError, firstCode(d), "%+v", d)
		held = append(held, d)
	}
	for i, in := range inputs {
		want, err := engine.evaluateWithOPA(ctx, in)
		require.NoError(t, err)
		require.Equal(t, want, held[i], "decision %d changed after later decisions", i)
	}
}
