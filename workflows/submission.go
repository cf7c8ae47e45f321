// Package workflows holds the durable business processes of trustgate as
// Temporal workflows. Deterministic code only: every side effect is an
// activity, every clock is workflow.Now.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"trustgate/activities"
	"trustgate/internal/submission"
	"trustgate/policies"
)

// TaskQueue is where submission workflows and their activities run.
const TaskQueue = "trustgate-submissions"

// a is only used for its method values: the workflow names activities by
// their Go functions, and the worker registers the real struct.
var a *activities.Activities

// SubmissionInput starts the workflow; the workflow ID is the submission ID.
type SubmissionInput struct {
	SubmissionID string `json:"submission_id"`
}

// SubmissionResult is how a submission ended.
type SubmissionResult struct {
	State   submission.State  `json:"state"`
	Outcome string            `json:"outcome,omitempty"`
	Reasons []policies.Reason `json:"reasons,omitempty"`
}

// SubmissionWorkflow takes one uploaded version from intake to a final
// decision: scan, load the developer, let the policy decide, and ask people
// when the policy says so.
func SubmissionWorkflow(ctx workflow.Context, in SubmissionInput) (SubmissionResult, error) {
	s := &process{id: in.SubmissionID}
	ctx = workflow.WithActivityOptions(ctx, stepOptions)

	if err := s.advance(ctx, submission.Scanning, nil); err != nil {
		return s.fail(ctx, err)
	}
	var scanned activities.ScanSummary
	scanCtx := workflow.WithActivityOptions(ctx, scanOptions)
	if err := workflow.ExecuteActivity(scanCtx, a.ScanPackage, activities.ScanInput{SubmissionID: s.id}).Get(ctx, &scanned); err != nil {
		return s.fail(ctx, err)
	}

	if err := s.advance(ctx, submission.Evaluating, map[string]any{"findings": scanned.BySeverity}); err != nil {
		return s.fail(ctx, err)
	}
	var profile activities.Profile
	if err := workflow.ExecuteActivity(ctx, a.LoadDeveloper, activities.ProfileInput{SubmissionID: s.id}).Get(ctx, &profile); err != nil {
		return s.fail(ctx, err)
	}
	s.devOrg = profile.Developer.OrgID
	verdict, err := s.decide(ctx, profile)
	if err != nil {
		return s.fail(ctx, err)
	}

	if verdict.Outcome == policies.OutcomeReview {
		if verdict, err = s.runReview(ctx, verdict); err != nil {
			return s.fail(ctx, err)
		}
	}
	return s.finish(ctx, verdict)
}

var stepOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Second,
		// About five minutes of retries: long enough to ride out a database
		// restart, short enough that an operator hears of a real fault.
		MaximumAttempts: 14,
	},
}

var scanOptions = func() workflow.ActivityOptions {
	o := stepOptions
	o.StartToCloseTimeout = 2 * time.Minute
	return o
}()

// process is the workflow's own bookkeeping: the submission and how many
// steps it has taken, which numbers the timeline entries.
type process struct {
	id      string
	devOrg  string
	seq     int
	decides int
}

func (s *process) advance(ctx workflow.Context, to submission.State, detail map[string]any) error {
	s.seq++
	in := activities.AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: to, Detail: detail}
	if err := workflow.ExecuteActivity(ctx, a.Advance, in).Get(ctx, nil); err != nil {
		return fmt.Errorf("move %s to %s: %w", s.id, to, err)
	}
	return nil
}

func (s *process) decide(ctx workflow.Context, profile activities.Profile) (activities.Verdict, error) {
	s.decides++
	in := activities.DecideInput{SubmissionID: s.id, Attempt: s.decides, Profile: profile, Now: workflow.Now(ctx).UTC()}
	var v activities.Verdict
	err := workflow.ExecuteActivity(ctx, a.Decide, in).Get(ctx, &v)
	return v, err
}

// finish records the final decision with its reasons; an approval makes the
// version live in the same write.
func (s *process) finish(ctx workflow.Context, v activities.Verdict) (SubmissionResult, error) {
	to := submission.Rejected
	if v.Outcome == policies.OutcomeApprove {
		to = submission.Approved
	}
	s.seq++
	in := activities.AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: to, Verdict: &v,
		Detail: map[string]any{"outcome": v.Outcome, "policy_version": v.PolicyVersion}}
	if err := workflow.ExecuteActivity(ctx, a.Advance, in).Get(ctx, nil); err != nil {
		return s.fail(ctx, err)
	}
	return SubmissionResult{State: to, Outcome: v.Outcome, Reasons: v.Reasons}, nil
}

// fail records our own fault so an operator sees it; the workflow then ends
// with the error, so the Temporal UI shows it too.
func (s *process) fail(ctx workflow.Context, cause error) (SubmissionResult, error) {
	workflow.GetLogger(ctx).Error("submission failed", "submission_id", s.id, "error", cause)
	s.seq++
	in := activities.AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: submission.Failed, Failure: cause.Error()}
	if err := workflow.ExecuteActivity(ctx, a.Advance, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("could not record failure", "submission_id", s.id, "error", err)
	}
	return SubmissionResult{State: submission.Failed}, cause
}
