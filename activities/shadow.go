package activities

import (
	"context"
	"log/slog"

	"trustgate/internal/metrics"
	"trustgate/policies"
)

// shadowedDecide decides with the engine and, for the share of decisions
// the shadow samples, with OPA's evaluator beside it. A sampled decision on
// which the two differ comes back as a senior review (POLICY_ERROR): the
// plan machine is a second implementation of Rego in a gate that fails
// closed, so a decision it cannot show to be OPA's is not acted on. The
// log names the input by its hash and the parts that differ, never the
// input itself; the decision log keeps the input for a replay.
func (a *Activities) shadowedDecide(ctx context.Context, engine *policies.Engine, submissionID string, in policies.Input) policies.Decision {
	d, res := a.Shadow.Decide(ctx, engine, in)
	if res.Outcome == policies.ShadowSkipped {
		return d
	}
	metrics.PolicyShadow.WithLabelValues(res.Outcome).Inc()
	if res.Outcome == policies.ShadowDiverged {
		rules := make([]string, len(res.Divergences))
		for i, dv := range res.Divergences {
			rules[i] = dv.Rule
		}
		slog.ErrorContext(ctx, "the plan machine and OPA's evaluator decided differently; sent to senior review",
			"submission_id", submissionID, "policy_version", engine.Version(), "input_sha256", res.InputHash, "differ_in", rules)
	}
	return d
}
