package policies

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fallbacks collects the fallbacks each engine reports, by its version, for
// tests that run in parallel under the one hook a process has.
var fallbacks sync.Map // version → *[]Fallback, under fallbacksMu

var fallbacksMu sync.Mutex

func TestMain(m *testing.M) {
	if err := Configure(Settings{OnFallback: func(f Fallback) {
		fallbacksMu.Lock()
		defer fallbacksMu.Unlock()
		got, _ := fallbacks.LoadOrStore(f.Version, &[]Fallback{})
		*got.(*[]Fallback) = append(*got.(*[]Fallback), f)
	}}); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func reported(version string) []Fallback {
	fallbacksMu.Lock()
	defer fallbacksMu.Unlock()
	got, ok := fallbacks.Load(version)
	if !ok {
		return nil
	}
	return append([]Fallback(nil), *got.(*[]Fallback)...)
}

const approveUnlessRejected = `decision := {"outcome": "reject", "reasons": [r | some r in reject_reasons]} if count(reject_reasons) > 0
else := {"outcome": "approve", "reasons": []}
`

// The cases of issue 15 where the plan machine decided otherwise than OPA:
// through the engine, each decision must be OPA's.
func TestDecisionsAreOPAsWhereThePlanMachineDiffered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rego string
		change     func(*Input)
		want       string
	}{
		{
			name: "walk reaches every value",
			rego: approveUnlessRejected + `
reject_reasons contains {"code": "BANNED", "message": "banned word"} if {
	walk(input, [_, v])
	v == "banned"
}`,
			change: func(in *Input) { in.App.Name = "banned" },
			want:   OutcomeReject,
		},
		{
			name: "a body OPA never evaluates does not fail the decision",
			rego: `decision := {"outcome": "approve", "reasons": []} if p
else := {"outcome": "reject", "reasons": [{"code": "NO_P", "message": "p is undefined"}]}

p if input.developer.credit_score != null
p if 1 / input.history.live_apps > 0`,
			change: func(in *Input) { in.History.LiveApps = 0 },
			want:   OutcomeApprove,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			engine, err := NewNamed("differs-"+tt.name, bundleWith(tt.rego))
			require.NoError(t, err)
			require.Equal(t, EvaluatorPlan, engine.Evaluator())
			in := cleanInput()
			if tt.change != nil {
				tt.change(&in)
			}
			want, err := engine.evaluateWithOPA(context.Background(), in)
			require.NoError(t, err)
			require.Equal(t, tt.want, want.Outcome)
			got, err := engine.Evaluate(context.Background(), in)
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.Equal(t, want, engine.Decide(context.Background(), in))
		})
	}
}

// When the plan machine fails on an input, OPA's evaluator decides, and the
// fallback is reported with the input's hash.
func TestAPlanErrorFallsBackToOPA(t *testing.T) {
	t.Parallel()
	// The plan machine evaluates every body of p; OPA stops at the first
	// that holds, so only the plan divides by zero.
	engine, err := NewNamed("falls-back", bundleWith(`decision := {"outcome": "approve", "reasons": []} if p

p if input.developer.credit_score != null
p if 1 / input.history.live_apps > 0`))
	require.NoError(t, err)
	in := cleanInput()
	in.History.LiveApps = 0
	_, planErr := engine.evaluatePlanOnly(context.Background(), in)
	require.ErrorContains(t, planErr, "divide by zero")

	d := engine.Decide(context.Background(), in)
	require.Equal(t, OutcomeApprove, d.Outcome)
	got := reported("falls-back")
	require.Len(t, got, 1)
	require.Equal(t, FallbackPlanError, got[0].Reason)
	require.Equal(t, InputHash(in), got[0].InputHash)
	require.ErrorContains(t, got[0].Err, "divide by zero")
	require.NoError(t, got[0].OPAErr)

	// A timeout is not asked again: OPA's evaluator would only time out
	// later.
	slow, err := NewNamed("slow", bundleWith(`decision := {"outcome": "approve", "reasons": []} if count([x | some x in numbers_seen]) > 0
numbers_seen contains [a, b, c] if { some a in input.findings; some b in input.findings; some c in input.findings }`))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = slow.Evaluate(ctx, in)
	require.Error(t, err)
	require.Empty(t, reported("slow"))
}

// A bundle calling a builtin the plan machine is not proven on is refused
// by Validate, which names the builtin and where it is called; OPA's
// evaluator decides it if it is loaded all the same, and that is reported.
func TestValidateRefusesBuiltinsThePlanMachineIsNotProvenOn(t *testing.T) {
	t.Parallel()
	files := bundleWith(`decision := {"outcome": "approve", "reasons": []} if regex.match("^.", input.app.name)`)
	r := Validate(files)
	require.False(t, r.OK)
	require.Len(t, r.Errors, 1)
	require.Contains(t, r.Errors[0].Message, "builtin regex.match is not supported")
	require.Equal(t, "policy.rego", r.Errors[0].File)
	require.Equal(t, 3, r.Errors[0].Line)

	engine, err := NewNamed("unproven", files)
	require.NoError(t, err)
	require.Equal(t, EvaluatorOPA, engine.Evaluator())
	require.Contains(t, engine.EvaluatorNote(), "regex.match")
	got := reported("unproven")
	require.Len(t, got, 1)
	require.Equal(t, FallbackNotPlanned, got[0].Reason)

	// Under OPA's evaluator the same bundle is accepted.
	opa, err := newEngine("opa", files, EvaluatorOPA)
	require.NoError(t, err)
	require.Equal(t, EvaluatorOPA, opa.Evaluator())
	require.Contains(t, opa.EvaluatorNote(), "configured")
	require.Equal(t, OutcomeApprove, opa.Decide(context.Background(), cleanInput()).Outcome)
}

func TestValidateSaysWhichEvaluatorRunsTheBundle(t *testing.T) {
	t.Parallel()
	r := Validate(DefaultFiles())
	require.True(t, r.OK, "%+v", r.Errors)
	require.Equal(t, EvaluatorPlan, r.Evaluator)
	require.Empty(t, r.EvaluatorNote)
}

func TestConfigureRefusesAnUnknownEvaluator(t *testing.T) {
	t.Parallel()
	before := currentSettings()
	err := Configure(Settings{Evaluator: "wasm"})
	require.ErrorContains(t, err, `"wasm"`)
	require.Equal(t, before.Evaluator, currentSettings().Evaluator)
}
