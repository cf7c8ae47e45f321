package policies

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A reference evaluator that rejects what the plan machine approves turns
// the sampled approval into a senior review.
func TestShadowDivergenceFailsClosedToSeniorReview(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	in := cleanInput()
	require.Equal(t, OutcomeApprove, engine.Decide(t.Context(), in).Outcome)
	shadow := NewShadow(ShadowConfig{Rate: 1, Reference: func(context.Context, *Engine, Input) (Decision, error) {
		return Decision{Outcome: OutcomeReject, Reasons: []Reason{{Code: "BANNED", Message: "banned"}}}, nil
	}})

	d, res := shadow.Decide(t.Context(), engine, in)
	assert.Equal(t, ShadowDiverged, res.Outcome)
	assert.Equal(t, inputHash(in), res.InputHash)
	assert.Len(t, res.InputHash, 64)
	var rules []string
	for _, dv := range res.Divergences {
		rules = append(rules, dv.Rule)
	}
	assert.Equal(t, []string{"outcome", "reason BANNED"}, rules)
	assert.Equal(t, OutcomeReview, d.Outcome)
	assert.Equal(t, QueueSenior, d.Queue)
	require.Len(t, d.Reasons, 1)
	assert.Equal(t, CodePolicyError, d.Reasons[0].Code)
	assert.Contains(t, d.Reasons[0].Evidence["error"], "outcome, reason BANNED")
	assert.Contains(t, d.Reasons[0].Evidence["error"], res.InputHash)
	assert.NotContains(t, d.Reasons[0].Evidence["error"], in.App.Name, "the reason names the input by its hash only")
}

func TestShadowSamples(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	in := cleanInput()
	want := engine.Decide(t.Context(), in)

	t.Run("OPA's evaluator agrees with the plan machine on the shipped bundle", func(t *testing.T) {
		t.Parallel()
		d, res := NewShadow(ShadowConfig{Rate: 1}).Decide(t.Context(), engine, in)
		assert.Equal(t, ShadowAgreed, res.Outcome)
		assert.Equal(t, want, d)
	})
	t.Run("a rate of 0 samples nothing", func(t *testing.T) {
		t.Parallel()
		called := false
		shadow := NewShadow(ShadowConfig{Rate: 0, Reference: func(context.Context, *Engine, Input) (Decision, error) {
			called = true
			return Decision{}, nil
		}})
		for range 100 {
			d, res := shadow.Decide(t.Context(), engine, in)
			require.Equal(t, ShadowSkipped, res.Outcome)
			require.Equal(t, want, d)
		}
		assert.False(t, called)
	})
	t.Run("a nil shadow only decides", func(t *testing.T) {
		t.Parallel()
		var shadow *Shadow
		d, res := shadow.Decide(t.Context(), engine, in)
		assert.Equal(t, ShadowSkipped, res.Outcome)
		assert.Equal(t, want, d)
	})
	t.Run("with every worker busy the sample is dropped and the decision does not wait", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		started := make(chan struct{})
		shadow := NewShadow(ShadowConfig{Rate: 1, Workers: 1, Reference: func(ctx context.Context, e *Engine, in Input) (Decision, error) {
			close(started)
			<-release
			return e.evaluateOPAAlone(ctx, in)
		}})
		held := make(chan ShadowResult)
		go func() {
			_, res := shadow.Decide(context.Background(), engine, in)
			held <- res
		}()
		<-started
		d, res := shadow.Decide(t.Context(), engine, in)
		assert.Equal(t, ShadowDropped, res.Outcome)
		assert.Equal(t, want, d)
		close(release)
		assert.Equal(t, ShadowAgreed, (<-held).Outcome)
	})
}
