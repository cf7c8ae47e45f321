package workflows

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// Task states.
const (
	taskOpen      = "open"
	taskClaimed   = "claimed"
	taskDecided   = "decided"
	taskExpired   = "expired"
	taskCancelled = "cancelled"
)

// newTask opens a task for the policy's review request.
func (s *process) newTask(ctx workflow.Context, kind string, v Verdict) *Task {
	s.taskSeq++
	queue := v.Queue
	if queue != "senior" {
		queue = "standard"
	}
	sla := time.Duration(max(v.SLAHours, 1)) * time.Hour
	priority := v.Priority
	if priority != "high" && priority != "low" {
		priority = "normal"
	}
	return &Task{
		ID: fmt.Sprintf("task_%s_%d", s.taskPrefix, s.taskSeq), SubmissionID: s.id,
		WorkflowID: s.workflowID, Kind: kind,
		Queue: queue, State: taskOpen, Priority: priority, DueAt: workflow.Now(ctx).Add(sla).UTC(),
		Reasons: v.Reasons, Approvals: []string{}, ApprovalsRequired: max(v.ApprovalsRequired, 1), DevOrg: s.devOrg,
	}
}

// save writes a task snapshot to the read model. Its version comes from a
// counter that only grows, so the newest snapshot wins whatever order the
// activities run in.
func (s *process) save(ctx workflow.Context, t *Task) workflow.Future {
	s.version++
	t.Version = s.version
	return workflow.ExecuteActivity(ctx, ActivitySaveTask, *t)
}

func (s *process) taskIDs() []string {
	ids := make([]string, 0, len(s.tasks))
	for id := range s.tasks {
		ids = append(ids, id)
	}
	sort.Strings(ids) // map order is random; workflow code must not be
	return ids
}

// runReview puts a task in its queue and waits until reviewers have decided
// it (enough distinct approvals, or one rejection) or the developer has
// withdrawn. A task not decided by its deadline goes to the senior queue.
func (s *process) runReview(ctx workflow.Context, t *Task) (Verdict, error) {
	s.tasks[t.ID] = t
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		return Verdict{}, fmt.Errorf("open task %s: %w", t.ID, err)
	}
	if t.Kind == "review" {
		detail := map[string]any{"task_id": t.ID, "queue": t.Queue, "approvals_required": t.ApprovalsRequired, "due_at": t.DueAt}
		if err := s.advance(ctx, submission.InReview, detail); err != nil {
			return Verdict{}, err
		}
	}
	workflow.Go(ctx, func(ctx workflow.Context) { s.watchDeadline(ctx, t) })
	if err := workflow.Await(ctx, func() bool { return t.State == taskDecided || t.State == taskExpired || s.withdrawn }); err != nil {
		return Verdict{}, fmt.Errorf("await review of %s: %w", t.ID, err)
	}
	if t.State == taskExpired {
		return Verdict{}, s.save(ctx, t).Get(ctx, nil)
	}
	v := Verdict{Decision: policies.Decision{Outcome: t.Outcome, Reasons: []policies.Reason{}}}
	if t.Outcome == policies.OutcomeReject {
		for _, c := range t.ReasonCodes {
			v.Reasons = append(v.Reasons, policies.Reason{Code: c, Message: t.Comment,
				Evidence: map[string]any{"task_id": t.ID, submission.EvidenceReviewer: t.DecidedBy, submission.EvidenceReviewerRole: t.DecidedRole}})
		}
	}
	return v, nil
}

// watchDeadline escalates a task that is still undecided at its deadline to
// the senior queue, once, with a timeline entry and a metric.
func (s *process) watchDeadline(ctx workflow.Context, t *Task) {
	if err := workflow.Sleep(ctx, t.DueAt.Sub(workflow.Now(ctx))); err != nil {
		return
	}
	if t.State != taskOpen && t.State != taskClaimed || t.Escalated {
		return
	}
	if t.Kind == "qa" {
		// A QA look is a sample, not a gate: one nobody took in time lapses
		// (the main flow, waking on it, records it).
		t.State, t.Assignee, t.ClaimExpiresAt = taskExpired, "", nil
		s.claimGen[t.ID]++
		return
	}
	t.Escalated, t.Queue = true, "senior"
	t.DueAt = workflow.Now(ctx).Add(24 * time.Hour).UTC()
	if t.State == taskClaimed {
		// The holder may not be a senior reviewer; the senior queue starts afresh.
		t.State, t.Assignee, t.ClaimExpiresAt = taskOpen, "", nil
		s.claimGen[t.ID]++
	}
	workflow.GetMetricsHandler(ctx).Counter("trustgate_review_sla_escalations").Inc(1)
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		// The workflow holds the task; the read model catches up with the
		// next snapshot, whose version is higher.
		workflow.GetLogger(ctx).Error("escalated task not saved", "submission_id", s.id, "task_id", t.ID, "error", err)
	}
	if err := s.note(ctx, map[string]any{"event": "escalated", "task_id": t.ID, "queue": "senior"}); err != nil {
		workflow.GetLogger(ctx).Warn("escalation note not recorded", "task_id", t.ID, "error", err)
	}
}

// watchClaim returns a claimed task to its queue when the claim times out
// without a decision; a newer claim (generation) supersedes this watch.
func (s *process) watchClaim(ctx workflow.Context, t *Task, gen int) {
	if err := workflow.Sleep(ctx, s.cfg.ClaimTimeout); err != nil {
		return
	}
	if s.claimGen[t.ID] != gen || t.State != taskClaimed {
		return
	}
	holder := t.Assignee
	t.State, t.Assignee, t.ClaimExpiresAt = taskOpen, "", nil
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("task back in its queue not saved", "submission_id", s.id, "task_id", t.ID, "error", err)
	}
	if err := s.note(ctx, map[string]any{"event": "claim_expired", "task_id": t.ID, "reviewer": holder}); err != nil {
		workflow.GetLogger(ctx).Warn("claim expiry note not recorded", "submission_id", s.id, "task_id", t.ID, "error", err)
	}
}

// claim gives the task to a reviewer. The state changes before the first
// blocking call, so concurrent claims validate against it: one wins.
func (s *process) claim(ctx workflow.Context, r ClaimRequest) (Task, error) {
	ctx = workflow.WithActivityOptions(ctx, s.cfg.stepOptions())
	t := s.tasks[r.TaskID]
	if t.State == taskClaimed && t.Assignee == r.Name {
		return *t, nil // the holder claiming again
	}
	s.claimGen[t.ID]++
	gen := s.claimGen[t.ID]
	expires := workflow.Now(ctx).Add(s.cfg.ClaimTimeout).UTC()
	t.State, t.Assignee, t.ClaimExpiresAt = taskClaimed, r.Name, &expires
	// The watch outlives this Update, so it runs on the workflow's own
	// context, not the handler's.
	workflow.Go(s.ctx, func(ctx workflow.Context) { s.watchClaim(ctx, t, gen) })
	err := s.save(ctx, t).Get(ctx, nil)
	return *t, err
}

func (s *process) release(ctx workflow.Context, r ReleaseRequest) (Task, error) {
	ctx = workflow.WithActivityOptions(ctx, s.cfg.stepOptions())
	t := s.tasks[r.TaskID]
	s.claimGen[t.ID]++
	t.State, t.Assignee, t.ClaimExpiresAt = taskOpen, "", nil
	err := s.save(ctx, t).Get(ctx, nil)
	return *t, err
}

// decideTask applies a reviewer's decision. An approval short of the
// required number puts the task back in the queue for a second reviewer.
// The answer waits until the submission's state shows the decision.
func (s *process) decideTask(ctx workflow.Context, r DecisionRequest) (DecisionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, s.cfg.stepOptions())
	t := s.tasks[r.TaskID]
	s.claimGen[t.ID]++
	if !slices.Contains(s.deciders, r.Name) {
		s.deciders = append(s.deciders, r.Name)
	}
	now := workflow.Now(ctx).UTC()
	if r.Outcome == policies.OutcomeApprove {
		t.Approvals = append(t.Approvals, r.Name)
	}
	finishes := s.finishes
	if r.Outcome == policies.OutcomeReject || len(t.Approvals) >= t.ApprovalsRequired {
		t.State, t.Outcome, t.DecidedBy, t.DecidedRole, t.DecidedAt = taskDecided, r.Outcome, r.Name, r.Role, &now
		t.Comment, t.ReasonCodes = r.Comment, r.ReasonCodes
	} else {
		t.State, t.Assignee, t.ClaimExpiresAt = taskOpen, "", nil
	}
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		return DecisionResult{}, err
	}
	if t.State == taskDecided && (t.Kind == "review" || t.Kind == "appeal") {
		// The answer shows the decision recorded: the submission's state, or
		// for a takedown's appeal, the app's.
		if err := workflow.Await(ctx, func() bool { return s.finishes > finishes }); err != nil {
			return DecisionResult{}, err
		}
	}
	return DecisionResult{Task: *t, State: s.state}, nil
}
