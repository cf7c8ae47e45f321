package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// process is the workflow's own state: the submission, where it stands,
// its review tasks and what its developer has asked for. Update handlers
// and the main flow share it; Temporal runs them one at a time.
type process struct {
	ctx        workflow.Context // the main flow's, for work that outlives a handler
	workflowID string           // owns the tasks; Updates about them go here
	taskPrefix string           // makes task IDs unique across workflows
	id         string
	devOrg     string
	cfg        ReviewConfig
	state      submission.State
	seq        int // numbers timeline entries, so retried writes land once
	// localSteps runs the short steps (state writes, loading the developer,
	// the policy) as local activities: version 1 of "local-steps".
	localSteps bool

	decides  int
	finishes int // grows with every final decision; handlers await it

	tasks    map[string]*Task
	version  int64 // of task snapshots
	taskSeq  int
	claimGen map[string]int
	deciders []string // everybody who decided a task of this submission

	withdrawn, withdrawRecorded bool
	finalizing                  bool // a final decision is being recorded
	appealText                  string
	takedown                    bool // a takedown: the appeal is of the suspension
	appealRecorded              bool
	rejectedAt                  time.Time
}

func newProcess(in SubmissionInput) *process {
	cfg := in.Review
	if cfg.ClaimTimeout <= 0 {
		cfg.ClaimTimeout = DefaultReviewConfig.ClaimTimeout
	}
	if cfg.AppealWindow <= 0 {
		cfg.AppealWindow = DefaultReviewConfig.AppealWindow
	}
	if cfg.QADue <= 0 {
		cfg.QADue = DefaultReviewConfig.QADue
	}
	return &process{
		seq: in.Run * 1000, decides: in.Run * 1000, taskSeq: in.Run * 1000,
		id: in.SubmissionID, taskPrefix: strings.TrimPrefix(in.SubmissionID, "sub_"), cfg: cfg, state: submission.Received,
		tasks: map[string]*Task{}, claimGen: map[string]int{},
	}
}

// runProcess runs a workflow body on its process: it registers the Updates
// people act through, gives the body the step activity options, and lets a
// handler still writing (a decision's task snapshot) finish before the
// workflow does, or its write would be lost with it.
func runProcess[T any](ctx workflow.Context, s *process, body func(workflow.Context) (T, error)) (T, error) {
	s.workflowID = workflow.GetInfo(ctx).WorkflowExecution.ID
	if err := s.registerHandlers(ctx); err != nil {
		var zero T
		return zero, err
	}
	ctx = workflow.WithActivityOptions(ctx, s.cfg.stepOptions())
	s.ctx = ctx
	result, err := body(ctx)
	if werr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); werr != nil && err == nil {
		err = werr
	}
	return result, err
}

func (s *process) advance(ctx workflow.Context, to submission.State, detail map[string]any) error {
	s.seq++
	in := AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: to, Detail: detail}
	if err := s.step(ctx, ActivityAdvance, in).Get(ctx, nil); err != nil {
		return fmt.Errorf("move %s to %s: %w", s.id, to, err)
	}
	s.state = to
	return nil
}

// step runs a short step: a state write, loading the developer or the
// policy's decision. Since version 1 of "local-steps" it is a local
// activity, run by the worker that runs the workflow and recorded as a
// marker in the workflow task that asked for it: no activity task to
// schedule, dispatch and complete, and no extra workflow task to hear of it.
// The steps are idempotent (keyed by seq or attempt), which a local
// activity needs: a worker that dies before its workflow task completes
// runs it again.
func (s *process) step(ctx workflow.Context, activity, in any) workflow.Future {
	if s.localSteps {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, s.cfg.localStepOptions()), activity, in)
	}
	return workflow.ExecuteActivity(ctx, activity, in)
}

// note adds a timeline entry without a state change.
func (s *process) note(ctx workflow.Context, detail map[string]any) error {
	s.seq++
	in := NoteInput{SubmissionID: s.id, Seq: s.seq, Detail: detail}
	return workflow.ExecuteActivity(ctx, ActivityNote, in).Get(ctx, nil)
}

func (s *process) decide(ctx workflow.Context, profile Profile) (Verdict, error) {
	s.decides++
	in := DecideInput{SubmissionID: s.id, Attempt: s.decides, Profile: profile, Now: workflow.Now(ctx).UTC()}
	var v Verdict
	err := s.step(ctx, ActivityDecide, in).Get(ctx, &v)
	return v, err
}

// finish records the final decision with its reasons; an approval makes the
// version live in the same write.
func (s *process) finish(ctx workflow.Context, v Verdict) (SubmissionResult, error) {
	to := submission.Rejected
	if v.Outcome == policies.OutcomeApprove {
		to = submission.Approved
	}
	s.finalizing = true
	s.seq++
	in := AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: to, Verdict: &v,
		Detail: map[string]any{"outcome": v.Outcome, "policy_version": v.PolicyVersion}}
	if err := s.step(ctx, ActivityAdvance, in).Get(ctx, nil); err != nil {
		return s.fail(ctx, err)
	}
	s.state, s.finalizing = to, false
	s.finishes++
	return SubmissionResult{State: to, Outcome: v.Outcome, Reasons: v.Reasons}, nil
}

// recordWithdrawal cancels open tasks and records the withdrawal the
// developer asked for; the withdraw Update answers once this is done.
func (s *process) recordWithdrawal(ctx workflow.Context) (SubmissionResult, error) {
	var saves []workflow.Future
	for _, id := range s.taskIDs() {
		t := s.tasks[id]
		if t.State == taskOpen || t.State == taskClaimed {
			t.State, t.Assignee = taskCancelled, ""
			saves = append(saves, s.save(ctx, t))
		}
	}
	// A local step can end the workflow in the workflow task that cancelled
	// the tasks, before their snapshots are written, and those writes would
	// be lost with it. Before version 1 the withdrawal's own activity gave
	// them the time, and waiting here would not replay.
	if s.localSteps {
		for _, f := range saves {
			if err := f.Get(ctx, nil); err != nil {
				return s.fail(ctx, fmt.Errorf("cancel the tasks of %s: %w", s.id, err))
			}
		}
	}
	if err := s.advance(ctx, submission.Withdrawn, nil); err != nil {
		return s.fail(ctx, err)
	}
	s.withdrawRecorded = true
	s.finishes++
	return SubmissionResult{State: submission.Withdrawn}, nil
}

// fail records our own fault so an operator sees it; the workflow then ends
// with the error, so the Temporal UI shows it too.
func (s *process) fail(ctx workflow.Context, cause error) (SubmissionResult, error) {
	workflow.GetLogger(ctx).Error("submission failed", "submission_id", s.id, "error", cause)
	s.seq++
	in := AdvanceInput{SubmissionID: s.id, Seq: s.seq, To: submission.Failed, Failure: cause.Error()}
	if err := s.step(ctx, ActivityAdvance, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("could not record failure", "submission_id", s.id, "error", err)
	}
	s.state = submission.Failed
	s.finishes++
	return SubmissionResult{State: submission.Failed}, cause
}
