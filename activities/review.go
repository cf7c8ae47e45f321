package activities

import (
	"context"
	"encoding/json"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/policies"

	"trustgate/workflows"
)

// SaveTask writes a task snapshot to the read model.
func (a *Activities) SaveTask(ctx context.Context, t workflows.Task) error {
	reasons, err := marshalReasons(t.Reasons)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode task reasons", workflows.ErrTypeBadTask, err)
	}
	written, err := a.Store.SaveTask(ctx, store.Task{
		ID: t.ID, SubmissionID: t.SubmissionID, WorkflowID: t.WorkflowID, Kind: t.Kind, Queue: t.Queue, State: t.State,
		Assignee: optional(t.Assignee), Priority: t.Priority, DueAt: t.DueAt, ClaimExpiresAt: t.ClaimExpiresAt,
		Reasons: reasons, Approvals: t.Approvals, ApprovalsRequired: t.ApprovalsRequired, Excluded: t.Excluded,
		DevOrg: t.DevOrg, Escalated: t.Escalated, Outcome: optional(t.Outcome), DecidedBy: optional(t.DecidedBy),
		DecidedAt: t.DecidedAt, Comment: t.Comment, ReasonCodes: t.ReasonCodes, Version: t.Version,
	})
	if written && t.Kind == "qa" && t.State == "decided" {
		metrics.QADecisions.WithLabelValues(t.Outcome).Inc()
	}
	return err
}

// SuspendApp suspends the app of a submission with the reasons the
// developer will see.
func (a *Activities) SuspendApp(ctx context.Context, in workflows.SuspendInput) error {
	sub, err := a.Store.GetSubmission(ctx, in.SubmissionID)
	if err != nil {
		return a.permanent(err)
	}
	reasons, err := marshalReasons(in.Reasons)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode reasons", workflows.ErrTypeBadReasons, err)
	}
	return a.permanent(a.Store.SuspendApp(ctx, sub.AppID, &sub.ID, reasons, in.By, activity.GetInfo(ctx).WorkflowExecution.ID, in.DedupeKey))
}

func marshalReasons(r []policies.Reason) (json.RawMessage, error) {
	if r == nil {
		r = []policies.Reason{}
	}
	return json.Marshal(r)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ReinstateApp ends a suspension after an upheld appeal.
func (a *Activities) ReinstateApp(ctx context.Context, in workflows.ReinstateInput) error {
	return a.permanent(a.Store.ReinstateApp(ctx, in.AppID, in.Detail, in.DedupeKey))
}
