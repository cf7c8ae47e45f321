package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// TakedownInput is a senior reviewer's suspension of a live app.
type TakedownInput struct {
	AppID        string       `json:"app_id"`
	SubmissionID string       `json:"submission_id"` // the live version
	By           string       `json:"by"`
	ReasonCodes  []string     `json:"reason_codes"`
	Comment      string       `json:"comment"`
	Review       ReviewConfig `json:"review"`
}

// TakedownWorkflowID names the takedown of an app's live version: one at
// a time per version.
func TakedownWorkflowID(appID, liveSubmissionID string) string {
	return fmt.Sprintf("takedown_%s_%s", appID, liveSubmissionID)
}

// TakedownWorkflow suspends a live app with the reasons its developer will
// see, then keeps the appeal window open: an appeal goes to a senior task
// that the reviewer who took the app down may not take; upholding it makes
// the app live again.
func TakedownWorkflow(ctx workflow.Context, in TakedownInput) (string, error) {
	s := newProcess(SubmissionInput{SubmissionID: in.SubmissionID, Review: in.Review})
	s.taskPrefix = workflow.GetInfo(ctx).WorkflowExecution.ID
	s.state, s.takedown = submission.Approved, true
	s.deciders = []string{in.By}
	return runProcess(ctx, s, func(ctx workflow.Context) (string, error) { return s.takeDown(ctx, in) })
}

func (s *process) takeDown(ctx workflow.Context, in TakedownInput) (string, error) {
	var profile Profile
	if err := workflow.ExecuteActivity(ctx, ActivityLoadDeveloper, ProfileInput{SubmissionID: s.id}).Get(ctx, &profile); err != nil {
		return "", err
	}
	s.devOrg = profile.Developer.OrgID
	reasons := make([]policies.Reason, 0, len(in.ReasonCodes))
	for _, c := range in.ReasonCodes {
		reasons = append(reasons, policies.Reason{Code: c, Message: in.Comment, Evidence: map[string]any{
			submission.EvidenceBy: in.By, submission.EvidenceByRole: "senior_reviewer"}}) // the only role that takes an app down
	}
	sus := SuspendInput{SubmissionID: s.id, Reasons: reasons, By: in.By, DedupeKey: "takedown:" + s.workflowID}
	if err := workflow.ExecuteActivity(ctx, ActivitySuspendApp, sus).Get(ctx, nil); err != nil {
		return "", fmt.Errorf("suspend %s: %w", in.AppID, err)
	}
	// Takedowns recorded before linked apps were re-checked replay without it.
	if workflow.GetVersion(ctx, "recheck-linked-apps", workflow.DefaultVersion, 1) == 1 {
		if err := recheckLinked(ctx, in.AppID, in.Review); err != nil {
			return "", err
		}
	}
	s.rejectedAt = workflow.Now(ctx)
	appealed, err := workflow.AwaitWithTimeout(ctx, s.cfg.AppealWindow, func() bool { return s.appealText != "" })
	if err != nil || !appealed {
		return "suspended", err
	}
	event := func(kind string, detail map[string]any) error {
		ev := AppEventInput{AppID: in.AppID, SubmissionID: s.id, Kind: kind, Detail: detail, DedupeKey: kind + ":" + s.workflowID}
		return workflow.ExecuteActivity(ctx, ActivityAppEvent, ev).Get(ctx, nil)
	}
	t := s.newTask(ctx, "appeal", Verdict{Decision: policies.Decision{Reasons: reasons, Queue: "senior", ApprovalsRequired: 1, SLAHours: 48}})
	t.Excluded = append([]string(nil), s.deciders...)
	s.tasks[t.ID] = t
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := event("appealed", map[string]any{"text": s.appealText, "task_id": t.ID}); err != nil {
		return "", err
	}
	s.appealRecorded = true
	v, err := s.runReview(ctx, t)
	if err != nil {
		return "", err
	}
	outcome := "reinstated"
	if v.Outcome != policies.OutcomeApprove {
		outcome, err = "suspended", event("appeal_rejected", map[string]any{"task_id": t.ID, "reasons": v.Reasons})
	} else {
		re := ReinstateInput{AppID: in.AppID, Detail: map[string]any{"task_id": t.ID, "by": t.DecidedBy}, DedupeKey: "reinstated:" + s.workflowID}
		err = workflow.ExecuteActivity(ctx, ActivityReinstateApp, re).Get(ctx, nil)
	}
	s.finishes++ // the decision's answer waits for this
	return outcome, err
}
