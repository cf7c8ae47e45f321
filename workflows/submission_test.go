package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// recorder keeps what the mocked activities were asked to write.
type recorder struct {
	mu        sync.Mutex
	states    []submission.State
	seqs      []int
	notes     []string
	tasks     map[string]Task
	suspended []SuspendInput
}

func (r *recorder) task(id string) Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tasks[id]
}

type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	rec *recorder
}

// scanStep says how the mocked scan behaves; the zero value succeeds at once.
type scanStep struct {
	delay time.Duration
	err   error
}

func newHarness(t *testing.T, verdict Verdict, scan ...scanStep) *harness {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(&unmocked{})
	rec := &recorder{tasks: map[string]Task{}}
	env.OnActivity(ActivityAdvance, mock.Anything, mock.Anything).Return(func(_ context.Context, in AdvanceInput) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.states = append(rec.states, in.To)
		rec.seqs = append(rec.seqs, in.Seq)
		return nil
	}).Maybe()
	env.OnActivity(ActivityNote, mock.Anything, mock.Anything).Return(func(_ context.Context, in NoteInput) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.notes = append(rec.notes, in.Detail["event"].(string))
		return nil
	}).Maybe()
	env.OnActivity(ActivitySaveTask, mock.Anything, mock.Anything).Return(func(_ context.Context, t Task) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if old, ok := rec.tasks[t.ID]; !ok || old.Version < t.Version {
			rec.tasks[t.ID] = t
		}
		return nil
	}).Maybe()
	env.OnActivity(ActivitySuspendApp, mock.Anything, mock.Anything).Return(func(_ context.Context, in SuspendInput) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.suspended = append(rec.suspended, in)
		return nil
	}).Maybe()
	var step scanStep
	if len(scan) > 0 {
		step = scan[0]
	}
	env.OnActivity(ActivityScanPackage, mock.Anything, mock.Anything).After(step.delay).Return(
		func(_ context.Context, in ScanInput) (ScanSummary, error) {
			if in.ScanningSeq > 0 { // the scan records "scanning" itself
				rec.mu.Lock()
				rec.states = append(rec.states, submission.Scanning)
				rec.seqs = append(rec.seqs, in.ScanningSeq)
				rec.mu.Unlock()
			}
			return ScanSummary{Files: 3}, step.err
		}).Maybe()
	env.OnActivity(ActivityLoadDeveloper, mock.Anything, mock.Anything).Return(Profile{
		Developer: policies.DeveloperInput{ID: "dev_1", OrgID: "org_dev"},
	}, nil).Maybe()
	env.OnActivity(ActivityDecide, mock.Anything, mock.Anything).Return(verdict, nil).Maybe()
	return &harness{t: t, env: env, rec: rec}
}

func (h *harness) run(cfg ReviewConfig) SubmissionResult {
	h.t.Helper()
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "sub_1"})
	h.env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_1", Review: cfg})
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var r SubmissionResult
	require.NoError(h.t, h.env.GetWorkflowResult(&r))
	return r
}

// at schedules an Update at a point of workflow time and records whether the
// validator took it.
func (h *harness) at(d time.Duration, name string, arg any, outcome *error) {
	h.env.RegisterDelayedCallback(func() {
		cb := &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *outcome = err },
			OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				if err != nil {
					*outcome = err
				}
			},
		}
		if arg == nil {
			h.env.UpdateWorkflow(name, "", cb)
			return
		}
		h.env.UpdateWorkflow(name, "", cb, arg)
	}, d)
}

const task1 = "task_1_1"

func reviewer(name string) Actor { return Actor{Name: name, Role: "reviewer"} }
func senior(name string) Actor   { return Actor{Name: name, Role: "senior_reviewer"} }
func reviewVerdict(n int) Verdict {
	return Verdict{Decision: policies.Decision{Outcome: policies.OutcomeReview, Queue: "standard",
		ApprovalsRequired: n, SLAHours: 48, Reasons: []policies.Reason{{Code: "RISK_FLAGGED"}}}}
}

func refusalKind(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	kind, ok := IsRefusal(err)
	require.True(t, ok, "not a refusal: %v", err)
	return kind
}

func TestPolicyDecidesWithoutPeople(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		outcome string
		want    submission.State
	}{
		{"an approval makes the submission approved", policies.OutcomeApprove, submission.Approved},
		{"a rejection makes the submission rejected", policies.OutcomeReject, submission.Rejected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: c.outcome}, PolicyVersion: "v1"})
			r := h.run(ReviewConfig{})
			require.Equal(t, c.want, r.State)
			require.Equal(t, []submission.State{submission.Scanning, submission.Evaluating, c.want}, h.rec.states)
			require.Equal(t, []int{1, 2, 3}, h.rec.seqs, "timeline steps are numbered so retries write them once")
		})
	}
}

func TestFourEyesNeedsTwoDifferentReviewers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(2))
	var claimBySecond, decideUnclaimed, secondApprovalBySame, conflicted, developer, ok1, ok2, ok3, ok4 error
	h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &ok1)
	h.at(2*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r2")}, &claimBySecond)
	h.at(2*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r2"), Outcome: "approve", Comment: "ok"}, &decideUnclaimed)
	h.at(2*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: Actor{Name: "r5", Role: "reviewer", ConflictOrgs: []string{"org_dev"}}}, &conflicted)
	h.at(2*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: Actor{Name: "d", Role: "developer"}}, &developer)
	h.at(3*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r1"), Outcome: "approve", Comment: "fine"}, &ok2)
	h.at(4*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &secondApprovalBySame)
	h.at(5*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r2")}, &ok3)
	h.at(6*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r2"), Outcome: "approve", Comment: "fine too"}, &ok4)
	r := h.run(ReviewConfig{AppealWindow: time.Hour})

	for _, err := range []error{ok1, ok2, ok3, ok4} {
		require.NoError(t, err)
	}
	require.Equal(t, RefusedConflict, refusalKind(t, claimBySecond), "a task held by someone else")
	require.Equal(t, RefusedConflict, refusalKind(t, decideUnclaimed), "a decision without the claim")
	require.Equal(t, RefusedConflictOfInterest, refusalKind(t, conflicted), "a reviewer in conflict")
	require.Equal(t, RefusedNotAllowed, refusalKind(t, developer), "a developer cannot review")
	require.Equal(t, RefusedNotAllowed, refusalKind(t, secondApprovalBySame), "four eyes")
	require.Equal(t, submission.Approved, r.State)
	require.Equal(t, []string{"r1", "r2"}, h.rec.task(task1).Approvals)
	require.Equal(t, []submission.State{submission.Scanning, submission.Evaluating, submission.InReview, submission.Approved}, h.rec.states)
}

func TestRejectionByAReviewerCarriesCodesAndComment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(2))
	var ok1, ok2 error
	h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &ok1)
	h.at(2*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r1"), Outcome: "reject",
		ReasonCodes: []string{"CONTENT_MISLEADING"}, Comment: "claims a medical cure"}, &ok2)
	r := h.run(ReviewConfig{AppealWindow: time.Hour})
	require.NoError(t, ok1)
	require.NoError(t, ok2)
	require.Equal(t, submission.Rejected, r.State, "one rejection ends a four-eyes review")
	require.Len(t, r.Reasons, 1)
	require.Equal(t, "CONTENT_MISLEADING", r.Reasons[0].Code)
	require.Equal(t, "claims a medical cure", r.Reasons[0].Message)
}

func TestUndecidedTaskIsEscalatedAtItsDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(1))
	var claim, plainAfter, seniorClaim, decide error
	h.at(time.Hour, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &claim)
	h.at(49*time.Hour, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r2")}, &plainAfter)
	h.at(50*time.Hour, UpdateClaim, ClaimRequest{TaskID: task1, Actor: senior("s1")}, &seniorClaim)
	h.at(51*time.Hour, UpdateDecide, DecisionRequest{TaskID: task1, Actor: senior("s1"), Outcome: "approve", Comment: "ok"}, &decide)
	r := h.run(ReviewConfig{ClaimTimeout: 100 * time.Hour})
	require.NoError(t, claim)
	require.Equal(t, RefusedNotAllowed, refusalKind(t, plainAfter), "after escalation the task is in the senior queue")
	require.NoError(t, seniorClaim)
	require.NoError(t, decide)
	require.Equal(t, submission.Approved, r.State)
	require.Contains(t, h.rec.notes, "escalated")
	require.True(t, h.rec.task(task1).Escalated)
	require.Equal(t, "senior", h.rec.task(task1).Queue)
}

func TestClaimTimesOutBackToTheQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(1))
	var first, lateDecision, second, decide error
	h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &first)
	h.at(45*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r1"), Outcome: "approve", Comment: "late"}, &lateDecision)
	h.at(46*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r2")}, &second)
	h.at(47*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r2"), Outcome: "approve", Comment: "ok"}, &decide)
	r := h.run(ReviewConfig{ClaimTimeout: 30 * time.Minute})
	require.NoError(t, first)
	require.Equal(t, RefusedConflict, refusalKind(t, lateDecision), "a lapsed claim no longer decides")
	require.NoError(t, second)
	require.NoError(t, decide)
	require.Equal(t, submission.Approved, r.State)
	require.Contains(t, h.rec.notes, "claim_expired")
}

func TestReleaseReturnsTheTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(1))
	var claim, releaseByOther, release, claim2, decide error
	h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &claim)
	h.at(2*time.Minute, UpdateRelease, ReleaseRequest{TaskID: task1, Actor: reviewer("r2")}, &releaseByOther)
	h.at(3*time.Minute, UpdateRelease, ReleaseRequest{TaskID: task1, Actor: reviewer("r1")}, &release)
	h.at(4*time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r2")}, &claim2)
	h.at(5*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r2"), Outcome: "reject", ReasonCodes: []string{"POLICY_VIOLATION"}, Comment: "no"}, &decide)
	r := h.run(ReviewConfig{AppealWindow: time.Hour})
	require.NoError(t, claim)
	require.Equal(t, RefusedConflict, refusalKind(t, releaseByOther))
	require.NoError(t, release)
	require.NoError(t, claim2)
	require.NoError(t, decide)
	require.Equal(t, submission.Rejected, r.State)
}

func TestWithdrawBeforeTheDecision(t *testing.T) {
	t.Parallel()
	t.Run("while in review, open tasks are cancelled", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, reviewVerdict(1))
		var claim, withdraw, decideAfter error
		h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("r1")}, &claim)
		h.at(2*time.Minute, UpdateWithdraw, nil, &withdraw)
		h.at(3*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("r1"), Outcome: "approve", Comment: "x"}, &decideAfter)
		r := h.run(ReviewConfig{})
		require.NoError(t, withdraw)
		require.Equal(t, submission.Withdrawn, r.State)
		require.Equal(t, "cancelled", h.rec.task(task1).State)
		require.Equal(t, submission.Withdrawn, h.rec.states[len(h.rec.states)-1])
	})
	t.Run("while scanning, the decision never runs", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeApprove}}, scanStep{delay: time.Minute})
		var withdraw error
		h.at(10*time.Second, UpdateWithdraw, nil, &withdraw)
		r := h.run(ReviewConfig{})
		require.NoError(t, withdraw)
		require.Equal(t, submission.Withdrawn, r.State)
		require.Equal(t, []submission.State{submission.Scanning, submission.Withdrawn}, h.rec.states)
	})
	t.Run("after a rejection it is refused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeReject}})
		var withdraw error
		h.at(time.Hour, UpdateWithdraw, nil, &withdraw)
		r := h.run(ReviewConfig{AppealWindow: 2 * time.Hour})
		require.Equal(t, RefusedConflict, refusalKind(t, withdraw))
		require.Equal(t, submission.Rejected, r.State)
	})
}

func TestAppealGoesToSomeoneElseAndReplacesTheDecision(t *testing.T) {
	t.Parallel()
	h := newHarness(t, reviewVerdict(1))
	var claim, reject, emptyAppeal, appeal, secondAppeal, sameSenior, otherSenior, decide error
	h.at(time.Minute, UpdateClaim, ClaimRequest{TaskID: task1, Actor: senior("s1")}, &claim)
	h.at(2*time.Minute, UpdateDecide, DecisionRequest{TaskID: task1, Actor: senior("s1"), Outcome: "reject", ReasonCodes: []string{"POLICY_VIOLATION"}, Comment: "no"}, &reject)
	h.at(time.Hour, UpdateAppeal, AppealRequest{Text: " "}, &emptyAppeal)
	h.at(2*time.Hour, UpdateAppeal, AppealRequest{Text: "the feature is finished now"}, &appeal)
	h.at(3*time.Hour, UpdateAppeal, AppealRequest{Text: "again"}, &secondAppeal)
	h.at(4*time.Hour, UpdateClaim, ClaimRequest{TaskID: "task_1_2", Actor: senior("s1")}, &sameSenior)
	h.at(5*time.Hour, UpdateClaim, ClaimRequest{TaskID: "task_1_2", Actor: senior("s2")}, &otherSenior)
	h.at(6*time.Hour, UpdateDecide, DecisionRequest{TaskID: "task_1_2", Actor: senior("s2"), Outcome: "approve", Comment: "fixed"}, &decide)
	r := h.run(ReviewConfig{AppealWindow: 24 * time.Hour, ClaimTimeout: 2 * time.Hour})
	require.NoError(t, claim)
	require.NoError(t, reject)
	require.Equal(t, RefusedInvalid, refusalKind(t, emptyAppeal))
	require.NoError(t, appeal)
	require.Equal(t, RefusedConflict, refusalKind(t, secondAppeal), "one appeal only")
	require.Equal(t, RefusedNotAllowed, refusalKind(t, sameSenior), "not the first decider")
	require.NoError(t, otherSenior)
	require.NoError(t, decide)
	require.Equal(t, submission.Approved, r.State)
	require.Equal(t, []submission.State{submission.Scanning, submission.Evaluating, submission.InReview,
		submission.Rejected, submission.Appealed, submission.Approved}, h.rec.states)
	require.Equal(t, "senior", h.rec.task("task_1_2").Queue)
}

func TestAppealWindowClosesTheProcess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeReject}})
	start := h.env.Now()
	r := h.run(ReviewConfig{AppealWindow: 24 * time.Hour})
	require.Equal(t, submission.Rejected, r.State)
	// The workflow ends when the window closes; an appeal after that finds
	// no process to take it (the API answers 409).
	require.GreaterOrEqual(t, h.env.Now().Sub(start), 24*time.Hour)
	require.NotContains(t, h.rec.states, submission.Appealed)
}

func TestQASampleRejectionSuspendsTheApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeApprove}, QASampleRate: 1})
	var claim, decide error
	h.at(time.Hour, UpdateClaim, ClaimRequest{TaskID: task1, Actor: reviewer("q1")}, &claim)
	h.at(2*time.Hour, UpdateDecide, DecisionRequest{TaskID: task1, Actor: reviewer("q1"), Outcome: "reject",
		ReasonCodes: []string{"CONTENT_MISLEADING"}, Comment: "fake discounts"}, &decide)
	r := h.run(ReviewConfig{ClaimTimeout: 2 * time.Hour})
	require.NoError(t, claim)
	require.NoError(t, decide)
	require.Equal(t, submission.Approved, r.State, "the submission stays approved; its app is suspended")
	require.Len(t, h.rec.suspended, 1)
	require.Equal(t, "CONTENT_MISLEADING", h.rec.suspended[0].Reasons[0].Code)
	require.Equal(t, "qa", h.rec.task(task1).Queue)
	require.Contains(t, h.rec.notes, "qa_rejected")
}

func TestUntakenQATaskLapses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeApprove}, QASampleRate: 1})
	r := h.run(ReviewConfig{QADue: 72 * time.Hour})
	require.Equal(t, submission.Approved, r.State)
	require.Equal(t, "expired", h.rec.task(task1).State)
	require.Empty(t, h.rec.suspended)
}

func TestQASamplingPicksTheConfiguredShare(t *testing.T) {
	t.Parallel()
	picked := 0
	for range 10000 {
		if sampled(drawQA(), 0.05) {
			picked++
		}
	}
	require.InDelta(t, 500, picked, 120, "about 5%% of approvals are sampled")
	require.False(t, sampled(0, 0), "a zero rate samples nothing")
	require.True(t, sampled(qaDrawRange-1, 1), "a rate of 1 samples every approval")
}

// A developer knows the submission ID before the decision and could
// withdraw whenever it would be sampled. The same submission, approved
// again and again, must be sampled sometimes and not other times: the
// choice rests on a draw the developer cannot see, not on the ID.
func TestQASampleIsNotPredictableFromTheSubmissionID(t *testing.T) {
	t.Parallel()
	const runs = 40 // both outcomes at a rate of one half: all but 2 in 10^12
	var sampledRuns, unsampledRuns int
	for range runs {
		h := newHarness(t, Verdict{Decision: policies.Decision{Outcome: policies.OutcomeApprove}, QASampleRate: 0.5})
		r := h.run(ReviewConfig{QADue: time.Hour})
		require.Equal(t, submission.Approved, r.State)
		if _, ok := h.rec.tasks[task1]; ok {
			require.Equal(t, "qa", h.rec.task(task1).Queue)
			sampledRuns++
		} else {
			unsampledRuns++
		}
	}
	require.NotZero(t, sampledRuns, "submission sub_1 was never sampled in %d approvals", runs)
	require.NotZero(t, unsampledRuns, "submission sub_1 was sampled in all %d approvals", runs)
}

func TestOwnFaultEndsInFailedNotRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Verdict{}, scanStep{err: temporal.NewNonRetryableApplicationError(
		"package gone", ErrTypeMissingPackage, errors.New("no such key"))})
	h.env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_1"})
	require.True(t, h.env.IsWorkflowCompleted())
	require.Error(t, h.env.GetWorkflowError())
	require.Equal(t, submission.Failed, h.rec.states[len(h.rec.states)-1])
}

func TestTakedownAppealByAnotherSeniorReinstatesTheApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Verdict{})
	var reinstated []ReinstateInput
	var events []AppEventInput
	h.env.OnActivity(ActivityAppEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, in AppEventInput) error {
		events = append(events, in)
		return nil
	})
	h.env.RegisterWorkflow(RecheckWorkflow)
	h.env.OnActivity(ActivityLinkedLiveApps, mock.Anything, LinkedAppsInput{AppID: "app_1"}).
		Return([]LiveApp{{AppID: "app_copy", SubmissionID: "sub_copy"}}, nil)
	h.env.OnActivity(ActivityReinstateApp, mock.Anything, mock.Anything).Return(func(_ context.Context, in ReinstateInput) error {
		reinstated = append(reinstated, in)
		return nil
	})
	const appealTask = "task_takedown_1_1"
	var appeal, sameSenior, otherSenior, decide error
	h.at(time.Hour, UpdateAppeal, AppealRequest{Text: "the discounts are real"}, &appeal)
	h.at(2*time.Hour, UpdateClaim, ClaimRequest{TaskID: appealTask, Actor: senior("s1")}, &sameSenior)
	h.at(3*time.Hour, UpdateClaim, ClaimRequest{TaskID: appealTask, Actor: senior("s2")}, &otherSenior)
	h.at(3*time.Hour+time.Minute, UpdateDecide, DecisionRequest{TaskID: appealTask, Actor: senior("s2"), Outcome: "approve", Comment: "upheld"}, &decide)
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "takedown_1"})
	h.env.ExecuteWorkflow(TakedownWorkflow, TakedownInput{AppID: "app_1", SubmissionID: "sub_1", By: "s1",
		ReasonCodes: []string{"CONTENT_MISLEADING"}, Comment: "fake discounts"})
	require.NoError(t, h.env.GetWorkflowError())
	var outcome string
	require.NoError(t, h.env.GetWorkflowResult(&outcome))
	require.NoError(t, appeal)
	require.Equal(t, RefusedNotAllowed, refusalKind(t, sameSenior), "the reviewer who took the app down does not hear the appeal")
	require.NoError(t, otherSenior)
	require.NoError(t, decide)
	require.Equal(t, "reinstated", outcome)
	require.Len(t, h.rec.suspended, 1)
	require.Equal(t, "CONTENT_MISLEADING", h.rec.suspended[0].Reasons[0].Code)
	require.Len(t, reinstated, 1)
	// The live app linked to the one taken down was re-checked (the policy
	// approved it here), and its history says so.
	require.True(t, slices.ContainsFunc(events, func(e AppEventInput) bool {
		return e.AppID == "app_copy" && e.SubmissionID == "sub_copy" && e.Kind == "recheck_passed"
	}), "events: %+v", events)
}
