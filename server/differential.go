package server

import (
	"context"
	"fmt"

	"trustgate/internal/store"
	"trustgate/policies"
)

// validationAnswer is a validation report with the comparison of the two
// evaluators on recorded decisions, which a bundle that compiles gets.
type validationAnswer struct {
	policies.ValidationReport
	Evaluators *policies.DifferentialReport `json:"evaluators,omitempty"`
}

// compareEvaluators runs a bundle through both the plan machine and OPA's
// evaluator on the newest recorded decision inputs. A nil report means
// there was nothing to compare: the bundle could not be planned, so OPA's
// evaluator decides it alone.
func (s *Server) compareEvaluators(ctx context.Context, id string, files map[string][]byte) (*policies.DifferentialReport, error) {
	engine, err := policies.NewNamed(id, files)
	if err != nil {
		return nil, fmt.Errorf("compile %s to compare its evaluators: %w", id, err)
	}
	evaluators := s.Evaluators
	if evaluators == nil {
		evaluators = (*policies.Engine).Evaluators
	}
	ev, ok := evaluators(engine)
	if !ok {
		return nil, nil
	}
	r, err := policies.CompareEvaluators(ctx, ev, func(yield func(policies.Recorded) error) error {
		return s.Store.EachDecision(ctx, store.SimulationParams{Last: policies.DifferentialInputs}, func(d store.RecordedDecision) error {
			return yield(policies.Recorded{DecisionID: d.ID, SubmissionID: d.SubmissionID, Input: d.Input, Output: d.Output})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("compare the evaluators of %s on recorded decisions: %w", id, err)
	}
	return &r, nil
}

// evaluatorsDiffer is the 422 answer of a bundle whose evaluators decide a
// recorded input differently, one field error per difference naming the
// decision, its submission and the part of the decision that differs.
func evaluatorsDiffer(r *policies.DifferentialReport) *apiError {
	ae := &apiError{status: kinds["evaluators-differ"].status, kind: "evaluators-differ",
		detail: fmt.Sprintf("the plan machine and OPA's evaluator decide %d of the last %d recorded inputs differently; "+
			"the bundle cannot decide until they agree (report it, or rewrite the rule)", r.Diverged, r.Compared)}
	for _, d := range r.Divergences {
		ae.fields = append(ae.fields, FieldError{
			Field:   fmt.Sprintf("decision %d (submission %s): %s", d.DecisionID, d.SubmissionID, d.Rule),
			Message: fmt.Sprintf("plan machine: %s; OPA: %s", d.Plan, d.OPA),
		})
	}
	return ae
}
