package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"trustgate/activities"
	"trustgate/internal/submission"
	"trustgate/policies"
)

// UpdateDecide is the Update through which a reviewer decides a submission
// in review. Its validator sees only workflow state, so a refused decision
// changes nothing and never reaches the history.
const UpdateDecide = "decide"

// ReviewDecision is one reviewer's decision, as the API passes it on.
type ReviewDecision struct {
	Reviewer     string   `json:"reviewer"`
	Role         string   `json:"role"`
	ConflictOrgs []string `json:"conflict_orgs,omitempty"`
	Outcome      string   `json:"outcome"`
	Codes        []string `json:"codes,omitempty"`
	Comment      string   `json:"comment"`
}

// ReviewStatus answers a decision: where the review stands after it.
type ReviewStatus struct {
	Approvals         []string `json:"approvals"`
	ApprovalsRequired int      `json:"approvals_required"`
	Done              bool     `json:"done"`
}

// Errors a validator refuses with; the API maps them to answers.
var (
	ErrNotAllowed  = errors.New("not allowed to decide this submission")
	ErrBadDecision = errors.New("invalid decision")
	ErrDecided     = errors.New("already decided")
)

// refusal gives a validator's error a stable type that survives the trip
// through Temporal, so the API can answer 403, 409 or 422.
func refusal(err error) error {
	for _, k := range []struct {
		err  error
		kind string
	}{{ErrNotAllowed, "NotAllowed"}, {ErrBadDecision, "BadDecision"}, {ErrDecided, "Decided"}} {
		if errors.Is(err, k.err) {
			return temporal.NewApplicationError(err.Error(), k.kind)
		}
	}
	return err
}

// review is the state of the human review the workflow owns.
type review struct {
	queue     string
	required  int
	devOrg    string
	approvals []string
	rejection *ReviewDecision
}

func (r *review) done() bool { return r.rejection != nil || len(r.approvals) >= r.required }

func (r *review) validate(d ReviewDecision) error {
	switch {
	case r.done():
		return ErrDecided
	case d.Reviewer == "":
		return fmt.Errorf("%w: reviewer missing", ErrBadDecision)
	case d.Role != "reviewer" && d.Role != "senior_reviewer":
		return fmt.Errorf("%w: role %s does not review", ErrNotAllowed, d.Role)
	case r.queue == "senior" && d.Role != "senior_reviewer":
		return fmt.Errorf("%w: the senior queue needs a senior reviewer", ErrNotAllowed)
	case slices.Contains(d.ConflictOrgs, r.devOrg):
		return fmt.Errorf("%w: conflict of interest with organisation %s", ErrNotAllowed, r.devOrg)
	case slices.Contains(r.approvals, d.Reviewer):
		return fmt.Errorf("%w: four eyes: a second approval must come from another reviewer", ErrNotAllowed)
	case d.Outcome == policies.OutcomeReject && len(d.Codes) == 0:
		return fmt.Errorf("%w: a rejection needs at least one reason code", ErrBadDecision)
	case d.Outcome != policies.OutcomeApprove && d.Outcome != policies.OutcomeReject:
		return fmt.Errorf("%w: outcome must be approve or reject", ErrBadDecision)
	}
	return nil
}

// runReview puts the submission in review and waits until reviewers have
// decided it: enough distinct approvals, or one rejection.
func (s *process) runReview(ctx workflow.Context, v activities.Verdict) (activities.Verdict, error) {
	required := max(v.ApprovalsRequired, 1)
	r := &review{queue: v.Queue, required: required, devOrg: s.devOrg}
	// The handler is registered before the state is published, so a reviewer
	// who sees "in_review" can always decide.
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, d ReviewDecision) (ReviewStatus, error) {
			// State changes before any blocking call: concurrent Updates
			// validate against what earlier ones have set.
			if d.Outcome == policies.OutcomeReject {
				r.rejection = &d
			} else {
				r.approvals = append(r.approvals, d.Reviewer)
			}
			return ReviewStatus{Approvals: slices.Clone(r.approvals), ApprovalsRequired: r.required, Done: r.done()}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d ReviewDecision) error {
			return refusal(r.validate(d))
		}},
	)
	if err != nil {
		return v, fmt.Errorf("register review handler: %w", err)
	}
	detail := map[string]any{"queue": v.Queue, "approvals_required": required, "sla_hours": v.SLAHours}
	if err := s.advance(ctx, submission.InReview, detail); err != nil {
		return v, err
	}
	if err := workflow.Await(ctx, r.done); err != nil {
		return v, fmt.Errorf("await review: %w", err)
	}
	if r.rejection != nil {
		v.Outcome = policies.OutcomeReject
		v.Reasons = make([]policies.Reason, 0, len(r.rejection.Codes))
		for _, c := range r.rejection.Codes {
			v.Reasons = append(v.Reasons, policies.Reason{Code: c, Message: r.rejection.Comment,
				Evidence: map[string]any{"reviewer": r.rejection.Reviewer}})
		}
		return v, nil
	}
	v.Outcome, v.Reasons = policies.OutcomeApprove, []policies.Reason{}
	return v, nil
}
