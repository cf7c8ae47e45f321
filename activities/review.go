package activities

import (
	"context"
	"encoding/json"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/policies"
)

// Task is a review task as the workflow holds it; SaveTask copies it to
// the read model that queues are listed from.
type Task struct {
	ID                string            `json:"id"`
	SubmissionID      string            `json:"submission_id"`
	WorkflowID        string            `json:"workflow_id"` // owns the task and takes its Updates
	Kind              string            `json:"kind"`        // review, appeal, qa
	Queue             string            `json:"queue"`       // standard, senior, qa
	State             string            `json:"state"`       // open, claimed, decided, expired, cancelled
	Assignee          string            `json:"assignee,omitempty"`
	Priority          string            `json:"priority"`
	DueAt             time.Time         `json:"due_at"`
	ClaimExpiresAt    *time.Time        `json:"claim_expires_at,omitempty"`
	Reasons           []policies.Reason `json:"reasons"`
	Approvals         []string          `json:"approvals"`
	ApprovalsRequired int               `json:"approvals_required"`
	Excluded          []string          `json:"excluded,omitempty"`
	DevOrg            string            `json:"dev_org"`
	Escalated         bool              `json:"escalated"`
	Outcome           string            `json:"outcome,omitempty"`
	DecidedBy         string            `json:"decided_by,omitempty"`
	DecidedRole       string            `json:"decided_role,omitempty"` // shown to developers instead of the name; not in the read model
	DecidedAt         *time.Time        `json:"decided_at,omitempty"`
	Comment           string            `json:"comment,omitempty"`
	ReasonCodes       []string          `json:"reason_codes,omitempty"`
	// Version grows with every change the workflow makes, so that a late
	// write of an older snapshot never wins.
	Version int64 `json:"version"`
}

// SaveTask writes a task snapshot to the read model.
func (a *Activities) SaveTask(ctx context.Context, t Task) error {
	reasons, err := marshalReasons(t.Reasons)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode task reasons", "BadTask", err)
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

// SuspendInput takes an app down after a QA rejection or a takedown.
type SuspendInput struct {
	SubmissionID string            `json:"submission_id"`
	Reasons      []policies.Reason `json:"reasons"`
	By           string            `json:"by"`
	// DedupeKey makes a retried suspension write one history entry.
	DedupeKey string `json:"dedupe_key"`
}

// SuspendApp suspends the app of a submission with the reasons the
// developer will see.
func (a *Activities) SuspendApp(ctx context.Context, in SuspendInput) error {
	sub, err := a.Store.GetSubmission(ctx, in.SubmissionID)
	if err != nil {
		return a.permanent(err)
	}
	reasons, err := marshalReasons(in.Reasons)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode reasons", "BadReasons", err)
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

// ReinstateInput makes a suspended app live again.
type ReinstateInput struct {
	AppID     string         `json:"app_id"`
	Detail    map[string]any `json:"detail"`
	DedupeKey string         `json:"dedupe_key"`
}

// ReinstateApp ends a suspension after an upheld appeal.
func (a *Activities) ReinstateApp(ctx context.Context, in ReinstateInput) error {
	return a.permanent(a.Store.ReinstateApp(ctx, in.AppID, in.Detail, in.DedupeKey))
}
