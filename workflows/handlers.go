package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// The Updates through which people act on a submission. Validators see
// only workflow state; a refused Update changes nothing and never reaches
// the history.
const (
	UpdateClaim    = "claim"
	UpdateRelease  = "release"
	UpdateDecide   = "decide"
	UpdateWithdraw = "withdraw"
	UpdateAppeal   = "appeal"
)

// Actor is who acts on a task, as the API's token says.
type Actor struct {
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	ConflictOrgs []string `json:"conflict_orgs,omitempty"`
}

// ClaimRequest takes a task.
type ClaimRequest struct {
	TaskID string `json:"task_id"`
	Actor
}

// ReleaseRequest gives a claimed task back to the queue.
type ReleaseRequest struct {
	TaskID string `json:"task_id"`
	Actor
}

// DecisionRequest decides a claimed task.
type DecisionRequest struct {
	TaskID string `json:"task_id"`
	Actor
	Outcome     string   `json:"outcome"`
	ReasonCodes []string `json:"reason_codes,omitempty"`
	Comment     string   `json:"comment"`
}

// DecisionResult is the task after the decision and the submission's state.
type DecisionResult struct {
	Task  Task             `json:"task"`
	State submission.State `json:"state"`
}

// AppealRequest is a developer's appeal of a rejection.
type AppealRequest struct {
	Text string `json:"text"`
}

// The kinds of refusal; they travel as application error types so the API
// can answer 403, 404, 409 or 422.
const (
	RefusedNotAllowed = "NotAllowed"
	RefusedConflict   = "Conflict"
	RefusedInvalid    = "Invalid"
	RefusedNotFound   = "NotFound"
	// RefusedConflictOfInterest is a reviewer acting on an app or a
	// submission of an organisation they declared a conflict with.
	RefusedConflictOfInterest = "ConflictOfInterest"
)

func refuse(kind, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), kind)
}

// IsRefusal reports the kind of a validator's refusal, if err is one.
func IsRefusal(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case RefusedNotAllowed, RefusedConflict, RefusedInvalid, RefusedNotFound, RefusedConflictOfInterest:
			return appErr.Type(), true
		}
	}
	return "", false
}

func (s *process) registerHandlers(ctx workflow.Context) error {
	for _, h := range []struct {
		name     string
		handler  any
		validate any
	}{
		{UpdateClaim, s.claim, s.validateClaim},
		{UpdateRelease, s.release, s.validateRelease},
		{UpdateDecide, s.decideTask, s.validateDecision},
		{UpdateWithdraw, s.withdraw, s.validateWithdraw},
		{UpdateAppeal, s.appeal, s.validateAppeal},
	} {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validate}); err != nil {
			return fmt.Errorf("register %s handler: %w", h.name, err)
		}
	}
	return nil
}

// MayActOn refuses a reviewer with a conflict of interest with the
// developer's organisation. It is the one rule for everything a reviewer
// does to an app or a submission: claims and decisions of review, QA,
// re-check and appeal tasks (through mayTake) and takedowns (checked by the
// API before the takedown starts).
func (r Actor) MayActOn(devOrg string) error {
	if slices.Contains(r.ConflictOrgs, devOrg) {
		return refuse(RefusedConflictOfInterest, "conflict of interest with organisation %s", devOrg)
	}
	return nil
}

// mayTake checks that a reviewer may work a task at all: the right role for
// its queue, no conflict of interest, not excluded (an appeal), and not the
// first approver of a four-eyes task.
func (s *process) mayTake(t *Task, r Actor) error {
	switch {
	case r.Name == "":
		return refuse(RefusedInvalid, "reviewer missing")
	case r.Role != "reviewer" && r.Role != "senior_reviewer":
		return refuse(RefusedNotAllowed, "the %s role does not review", r.Role)
	case t.Queue == "senior" && r.Role != "senior_reviewer":
		return refuse(RefusedNotAllowed, "the senior queue needs a senior reviewer")
	}
	if err := r.MayActOn(t.DevOrg); err != nil {
		return err
	}
	switch {
	case slices.Contains(t.Excluded, r.Name):
		return refuse(RefusedNotAllowed, "an appeal goes to someone who did not decide the submission before")
	case slices.Contains(t.Approvals, r.Name):
		return refuse(RefusedNotAllowed, "four eyes: the second approval must come from another reviewer")
	}
	return nil
}

func (s *process) task(id string) (*Task, error) {
	t, ok := s.tasks[id]
	if !ok {
		return nil, refuse(RefusedNotFound, "no task %s on this submission", id)
	}
	return t, nil
}

func (s *process) validateClaim(ctx workflow.Context, r ClaimRequest) error {
	t, err := s.task(r.TaskID)
	if err != nil {
		return err
	}
	if err := s.mayTake(t, r.Actor); err != nil {
		return err
	}
	switch {
	case t.State == taskClaimed && t.Assignee == r.Name:
		return nil
	case t.State == taskClaimed:
		return refuse(RefusedConflict, "task %s is claimed by someone else", t.ID)
	case t.State != taskOpen:
		return refuse(RefusedConflict, "task %s is %s", t.ID, t.State)
	}
	return nil
}

func (s *process) validateRelease(ctx workflow.Context, r ReleaseRequest) error {
	t, err := s.task(r.TaskID)
	if err != nil {
		return err
	}
	if t.State != taskClaimed || t.Assignee != r.Name {
		return refuse(RefusedConflict, "task %s is not claimed by you", t.ID)
	}
	return nil
}

func (s *process) validateDecision(ctx workflow.Context, r DecisionRequest) error {
	t, err := s.task(r.TaskID)
	if err != nil {
		return err
	}
	if err := s.mayTake(t, r.Actor); err != nil {
		return err
	}
	switch {
	case t.State == taskDecided:
		return refuse(RefusedConflict, "task %s is already decided", t.ID)
	case t.State != taskClaimed || t.Assignee != r.Name:
		return refuse(RefusedConflict, "claim task %s before deciding it", t.ID)
	case r.Outcome != policies.OutcomeApprove && r.Outcome != policies.OutcomeReject:
		return refuse(RefusedInvalid, "outcome must be approve or reject")
	case r.Outcome == policies.OutcomeReject && len(r.ReasonCodes) == 0:
		return refuse(RefusedInvalid, "a rejection needs at least one reason code")
	case strings.TrimSpace(r.Comment) == "":
		return refuse(RefusedInvalid, "a decision needs a comment the developer can read")
	}
	return nil
}

func (s *process) validateWithdraw(ctx workflow.Context) error {
	if s.state.Final() || s.finalizing || s.withdrawn {
		return refuse(RefusedConflict, "the submission is %s; only a submission not yet decided can be withdrawn", s.state)
	}
	return nil
}

// withdraw marks the submission withdrawn; the main flow records it at its
// next step and the answer waits for that.
func (s *process) withdraw(ctx workflow.Context) (submission.State, error) {
	s.withdrawn = true
	err := workflow.Await(ctx, func() bool { return s.withdrawRecorded || s.state == submission.Failed })
	return s.state, err
}

func (s *process) validateAppeal(ctx workflow.Context, r AppealRequest) error {
	// A takedown's appeal may arrive as soon as the developer sees the
	// suspension, which can be a moment before this workflow hears that its
	// suspending activity finished; the main flow takes it up from there.
	switch {
	case !s.takedown && s.state != submission.Rejected:
		return refuse(RefusedConflict, "only a rejected submission can be appealed (it is %s)", s.state)
	case s.appealText != "":
		return refuse(RefusedConflict, "the submission was appealed already")
	case !s.rejectedAt.IsZero() && workflow.Now(ctx).After(s.rejectedAt.Add(s.cfg.AppealWindow)):
		return refuse(RefusedConflict, "the appeal window closed")
	case strings.TrimSpace(r.Text) == "" || len(r.Text) > 4000:
		return refuse(RefusedInvalid, "an appeal needs a text of 1 to 4000 characters")
	}
	return nil
}

func (s *process) appeal(ctx workflow.Context, r AppealRequest) (submission.State, error) {
	s.appealText = strings.TrimSpace(r.Text)
	err := workflow.Await(ctx, func() bool { return s.appealRecorded || s.state == submission.Failed })
	return s.state, err
}
