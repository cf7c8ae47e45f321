package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// ReevaluateInput names a developer whose standing changed.
type ReevaluateInput struct {
	DeveloperID string       `json:"developer_id"`
	AsOf        time.Time    `json:"as_of"`
	Review      ReviewConfig `json:"review"`
	// Blacklisted says the change blacklisted the developer: the live apps
	// of other developers linked to them are re-checked too.
	Blacklisted bool `json:"blacklisted,omitempty"`
}

// ReevaluateDeveloperWorkflow re-checks every live app of a developer whose
// standing changed under the active policy, one child workflow per app;
// after a blacklisting, the live apps linked to the developer as well.
func ReevaluateDeveloperWorkflow(ctx workflow.Context, in ReevaluateInput) error {
	ctx = workflow.WithActivityOptions(ctx, in.Review.stepOptions())
	var apps []LiveApp
	if err := workflow.ExecuteActivity(ctx, ActivityLiveApps, in.DeveloperID).Get(ctx, &apps); err != nil {
		return fmt.Errorf("live apps of %s: %w", in.DeveloperID, err)
	}
	if in.Blacklisted {
		var linked []LiveApp
		if err := workflow.ExecuteActivity(ctx, ActivityLinkedLiveApps, LinkedAppsInput{DeveloperID: in.DeveloperID}).Get(ctx, &linked); err != nil {
			return fmt.Errorf("apps linked to %s: %w", in.DeveloperID, err)
		}
		apps = append(apps, linked...)
	}
	futures := make([]workflow.ChildWorkflowFuture, 0, len(apps))
	for _, app := range apps {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: RecheckWorkflowID(app.AppID, in.AsOf),
		})
		futures = append(futures, workflow.ExecuteChildWorkflow(cctx, RecheckWorkflow,
			RecheckInput{AppID: app.AppID, SubmissionID: app.SubmissionID, AsOf: in.AsOf, Review: in.Review}))
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// recheckLinked starts the re-check of the live apps linked to an app that
// was just taken down, each a workflow of its own that outlives the
// takedown (which waits out its appeal window meanwhile); every outcome is
// an entry of the linked app's history.
func recheckLinked(ctx workflow.Context, appID string, review ReviewConfig) error {
	var linked []LiveApp
	if err := workflow.ExecuteActivity(ctx, ActivityLinkedLiveApps, LinkedAppsInput{AppID: appID}).Get(ctx, &linked); err != nil {
		return fmt.Errorf("apps linked to %s: %w", appID, err)
	}
	asOf := workflow.Now(ctx)
	for _, app := range linked {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        RecheckWorkflowID(app.AppID, asOf),
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		f := workflow.ExecuteChildWorkflow(cctx, RecheckWorkflow,
			RecheckInput{AppID: app.AppID, SubmissionID: app.SubmissionID, AsOf: asOf, Review: review})
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return fmt.Errorf("start re-check of %s: %w", app.AppID, err)
		}
	}
	return nil
}

// RecheckWorkflowID names the re-check of one app for one standing change,
// so a repeated change never starts a second one.
func RecheckWorkflowID(appID string, asOf time.Time) string {
	return fmt.Sprintf("recheck_%s_%d", appID, asOf.UnixNano())
}

// RecheckInput names a live app and the submission that made it live.
type RecheckInput struct {
	AppID        string       `json:"app_id"`
	SubmissionID string       `json:"submission_id"`
	AsOf         time.Time    `json:"as_of"`
	Review       ReviewConfig `json:"review"`
}

// RecheckWorkflow re-evaluates a live app with its developer's new standing:
// reject suspends the app with the policy's reasons, review opens a re-check
// task whose rejection suspends it, approve leaves it live. Every outcome is
// an entry of the app's history.
func RecheckWorkflow(ctx workflow.Context, in RecheckInput) (string, error) {
	s := newProcess(SubmissionInput{SubmissionID: in.SubmissionID, Review: in.Review})
	s.taskPrefix = fmt.Sprintf("%s_%d", in.AppID, in.AsOf.UnixNano())
	s.state = submission.Approved // the live version; nothing here may withdraw or appeal it
	return runProcess(ctx, s, func(ctx workflow.Context) (string, error) { return s.recheck(ctx, in) })
}

func (s *process) recheck(ctx workflow.Context, in RecheckInput) (string, error) {
	var profile Profile
	if err := workflow.ExecuteActivity(ctx, ActivityLoadDeveloper, ProfileInput{SubmissionID: s.id}).Get(ctx, &profile); err != nil {
		return "", err
	}
	s.devOrg = profile.Developer.OrgID
	// The decision log is keyed by attempt; a re-check's attempt is its
	// standing change's time, unique per submission and stable on retry.
	s.decides = int(in.AsOf.Unix()%1_000_000_000) + 1_000_000_000 - 1
	verdict, err := s.decide(ctx, profile)
	if err != nil {
		return "", err
	}
	event := func(kind string, detail map[string]any) error {
		ev := AppEventInput{AppID: in.AppID, SubmissionID: s.id, Kind: kind, Detail: detail,
			DedupeKey: kind + ":" + s.workflowID}
		return workflow.ExecuteActivity(ctx, ActivityAppEvent, ev).Get(ctx, nil)
	}
	suspend := func(reasons []policies.Reason, by string) error {
		in := SuspendInput{SubmissionID: s.id, Reasons: reasons, By: by, DedupeKey: "suspended:" + s.workflowID}
		return workflow.ExecuteActivity(ctx, ActivitySuspendApp, in).Get(ctx, nil)
	}
	switch verdict.Outcome {
	case policies.OutcomeReject:
		return verdict.Outcome, suspend(verdict.Reasons, "re-evaluation")
	case policies.OutcomeReview:
		t := s.newTask(ctx, "recheck", verdict)
		if err := event("recheck_opened", map[string]any{"task_id": t.ID, "reasons": verdict.Reasons}); err != nil {
			return "", err
		}
		human, err := s.runReview(ctx, t)
		if err != nil {
			return "", err
		}
		if human.Outcome == policies.OutcomeReject {
			return human.Outcome, suspend(human.Reasons, t.DecidedBy)
		}
	}
	return policies.OutcomeApprove, event("recheck_passed", map[string]any{"policy_version": verdict.PolicyVersion})
}
