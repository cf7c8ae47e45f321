package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordsOf yields inputs as a decision log would, decision IDs from 1.
func recordsOf(t *testing.T, ins ...Input) func(yield func(Recorded) error) error {
	t.Helper()
	recs := make([]Recorded, len(ins))
	for i, in := range ins {
		b, err := json.Marshal(in)
		require.NoError(t, err)
		recs[i] = Recorded{DecisionID: int64(i + 1), SubmissionID: in.Submission.ID, Input: b, Output: []byte(`{}`)}
	}
	return func(yield func(Recorded) error) error {
		for _, r := range recs {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestCompareDecisions(t *testing.T) {
	t.Parallel()
	approve := Decision{Outcome: OutcomeApprove, Reasons: []Reason{}}
	reject := Decision{Outcome: OutcomeReject, Reasons: []Reason{{Code: "BANNED", Message: "banned"}}}
	review := Decision{Outcome: OutcomeReview, Queue: QueueStandard, Priority: "normal", ApprovalsRequired: 1, SLAHours: 48,
		Reasons: []Reason{{Code: "HIGH", Message: "m", Evidence: map[string]any{"line": json.Number("3")}}}}
	boom := errors.New("divide by zero")
	tests := []struct {
		name      string
		plan, opa Decision
		planErr   error
		opaErr    error
		want      []string // rules that differ
	}{
		{name: "the same decision agrees", plan: reject, opa: reject},
		{name: "both failing agrees: the decision fails closed either way", planErr: boom, opaErr: errors.New("other words")},
		{name: "only the plan machine failing differs", planErr: boom, opa: approve, want: []string{"error"}},
		{name: "only OPA failing differs", plan: approve, opaErr: boom, want: []string{"error"}},
		{name: "approve against reject names the outcome and the reason", plan: approve, opa: reject,
			want: []string{"outcome", "reason BANNED"}},
		{name: "another queue", plan: review, opa: func() Decision { d := review; d.Queue = QueueSenior; return d }(), want: []string{"queue"}},
		{name: "other evidence of one reason", plan: review, opa: func() Decision {
			d := review
			d.Reasons = []Reason{{Code: "HIGH", Message: "m", Evidence: map[string]any{"line": 4}}}
			return d
		}(), want: []string{"reason HIGH"}},
		{name: "the same number held as another type agrees", plan: review, opa: func() Decision {
			d := review
			d.Reasons = []Reason{{Code: "HIGH", Message: "m", Evidence: map[string]any{"line": 3.0}}}
			return d
		}()},
		{name: "reasons in another order agree",
			plan: Decision{Outcome: OutcomeReject, Reasons: []Reason{{Code: "A", Message: "a"}, {Code: "B", Message: "b"}}},
			opa:  Decision{Outcome: OutcomeReject, Reasons: []Reason{{Code: "B", Message: "b"}, {Code: "A", Message: "a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, d := range CompareDecisions(tt.plan, tt.planErr)(tt.opa, tt.opaErr) {
				got = append(got, d.Rule)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// A plan machine that loses one reason on one input is caught on that
// input, named by its decision and submission and by the reason.
func TestCompareEvaluatorsNamesTheInputAndTheRule(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	ev, ok := engine.Evaluators()
	require.True(t, ok)
	realPlan := ev.Plan
	ev.Plan = func(ctx context.Context, in Input) (Decision, error) {
		d, err := realPlan(ctx, in)
		if in.Submission.ID == "sub-lost" {
			d.Outcome, d.Reasons = OutcomeApprove, []Reason{}
		}
		return d, err
	}
	var ins []Input
	for i := range 20 {
		in := cleanInput()
		in.Submission.ID = fmt.Sprint("sub-", i)
		ins = append(ins, in)
	}
	lost := cleanInput()
	lost.Submission.ID = "sub-lost"
	lost.Developer.Blacklisted = true
	ins = append(ins, lost)

	r, err := CompareEvaluators(t.Context(), ev, recordsOf(t, ins...))
	require.NoError(t, err)
	assert.Equal(t, 21, r.Compared)
	assert.Equal(t, 1, r.Diverged)
	assert.False(t, r.OK())
	require.NotEmpty(t, r.Divergences)
	for _, d := range r.Divergences {
		assert.Equal(t, int64(21), d.DecisionID)
		assert.Equal(t, "sub-lost", d.SubmissionID)
	}
	assert.Equal(t, "outcome", r.Divergences[0].Rule)
	assert.Equal(t, "approve", r.Divergences[0].Plan)
	assert.Equal(t, "reject", r.Divergences[0].OPA)
	assert.Equal(t, "reason DEVELOPER_BLACKLISTED", r.Divergences[1].Rule)
}

// The engine's own evaluators agree on the shipped bundle; a record that
// does not decode stops the comparison rather than passing it.
func TestCompareEvaluatorsOfTheShippedBundle(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	ev, ok := engine.Evaluators()
	require.True(t, ok)
	in := cleanInput()
	in.Findings = []FindingInput{finding("high", "CODE-104", "pages/a.js", 3), finding("critical", "SECRET-001", "app.js", 9)}
	r, err := CompareEvaluators(t.Context(), ev, recordsOf(t, cleanInput(), in))
	require.NoError(t, err)
	assert.True(t, r.OK(), "%+v", r.Divergences)
	assert.Equal(t, 2, r.Compared)

	_, err = CompareEvaluators(t.Context(), ev, func(yield func(Recorded) error) error {
		return yield(Recorded{DecisionID: 7, SubmissionID: "sub-7", Input: []byte(`{"now": 3}`)})
	})
	require.ErrorIs(t, err, ErrBadRecord)
}

// An engine whose bundle could not be planned has one evaluator: nothing
// to compare.
func TestAnUnplannedBundleHasNoSecondEvaluator(t *testing.T) {
	t.Parallel()
	engine, err := New(bundleWith(`decision := {"outcome": "approve", "reasons": []}`))
	require.NoError(t, err)
	_, ok := engine.Evaluators()
	require.True(t, ok)
	engine.program = nil
	_, ok = engine.Evaluators()
	require.False(t, ok)
}
