package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"trustgate/activities"
	"trustgate/internal/submission"
	"trustgate/policies"
)

// steps records the states the workflow moved the submission through.
type steps struct {
	states []submission.State
	seqs   []int
}

func newEnv(t *testing.T, verdict activities.Verdict) (*testsuite.TestWorkflowEnvironment, *steps) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	rec := &steps{}
	env.OnActivity(a.Advance, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AdvanceInput) error {
		rec.states = append(rec.states, in.To)
		rec.seqs = append(rec.seqs, in.Seq)
		return nil
	})
	env.OnActivity(a.ScanPackage, mock.Anything, mock.Anything).Return(activities.ScanSummary{Files: 3}, nil)
	env.OnActivity(a.LoadDeveloper, mock.Anything, mock.Anything).Return(activities.Profile{
		Developer: policies.DeveloperInput{ID: "dev_1", OrgID: "org_dev"},
	}, nil)
	env.OnActivity(a.Decide, mock.Anything, mock.Anything).Return(verdict, nil)
	return env, rec
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) SubmissionResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var r SubmissionResult
	require.NoError(t, env.GetWorkflowResult(&r))
	return r
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
			env, rec := newEnv(t, activities.Verdict{Decision: policies.Decision{Outcome: c.outcome}, PolicyVersion: "v1"})
			env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_1"})
			r := result(t, env)
			require.Equal(t, c.want, r.State)
			require.Equal(t, []submission.State{submission.Scanning, submission.Evaluating, c.want}, rec.states)
			require.Equal(t, []int{1, 2, 3}, rec.seqs, "timeline steps are numbered so retries write them once")
		})
	}
}

func TestReviewNeedsTwoDifferentReviewers(t *testing.T) {
	t.Parallel()
	env, rec := newEnv(t, activities.Verdict{Decision: policies.Decision{
		Outcome: policies.OutcomeReview, Queue: "standard", ApprovalsRequired: 2, SLAHours: 48,
	}})
	var refusals []error
	decide := func(d ReviewDecision) {
		env.UpdateWorkflow(UpdateDecide, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { refusals = append(refusals, err) },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, d)
	}
	env.RegisterDelayedCallback(func() {
		decide(ReviewDecision{Reviewer: "r1", Role: "reviewer", Outcome: "approve"})
		decide(ReviewDecision{Reviewer: "r1", Role: "reviewer", Outcome: "approve"})                                    // four eyes
		decide(ReviewDecision{Reviewer: "r3", Role: "developer", Outcome: "approve"})                                   // not a reviewer
		decide(ReviewDecision{Reviewer: "r4", Role: "reviewer", Outcome: "reject"})                                     // no reason code
		decide(ReviewDecision{Reviewer: "r5", Role: "reviewer", Outcome: "approve", ConflictOrgs: []string{"org_dev"}}) // conflict
		decide(ReviewDecision{Reviewer: "r2", Role: "reviewer", Outcome: "approve"})
	}, time.Minute)
	env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_2"})
	r := result(t, env)
	require.Equal(t, submission.Approved, r.State)
	require.Equal(t, []submission.State{submission.Scanning, submission.Evaluating, submission.InReview, submission.Approved}, rec.states)
	require.Len(t, refusals, 4)
	kinds := []string{"NotAllowed", "NotAllowed", "BadDecision", "NotAllowed"}
	for i, err := range refusals {
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		require.Equal(t, kinds[i], appErr.Type(), "refusal %d: %v", i, err)
	}
}

func TestReviewerRejectionCarriesCodesAndComment(t *testing.T) {
	t.Parallel()
	env, _ := newEnv(t, activities.Verdict{Decision: policies.Decision{Outcome: policies.OutcomeReview, Queue: "senior", ApprovalsRequired: 1}})
	var refused error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateDecide, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { refused = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ReviewDecision{Reviewer: "r1", Role: "reviewer", Outcome: "reject", Codes: []string{"CONTENT_MISLEADING"}})
		env.UpdateWorkflow(UpdateDecide, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("senior decision refused: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ReviewDecision{Reviewer: "s1", Role: "senior_reviewer", Outcome: "reject", Codes: []string{"CONTENT_MISLEADING"}, Comment: "claims a medical cure"})
	}, time.Minute)
	env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_3"})
	r := result(t, env)
	require.Error(t, refused, "the senior queue refuses a plain reviewer")
	require.Equal(t, submission.Rejected, r.State)
	require.Len(t, r.Reasons, 1)
	require.Equal(t, "CONTENT_MISLEADING", r.Reasons[0].Code)
	require.Equal(t, "claims a medical cure", r.Reasons[0].Message)
}

func TestOwnFaultEndsInFailedNotRejected(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	var last submission.State
	env.OnActivity(a.Advance, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AdvanceInput) error {
		last = in.To
		return nil
	})
	env.OnActivity(a.ScanPackage, mock.Anything, mock.Anything).Return(activities.ScanSummary{},
		temporal.NewNonRetryableApplicationError("package gone", activities.ErrTypeMissingPackage, errors.New("no such key")))
	env.ExecuteWorkflow(SubmissionWorkflow, SubmissionInput{SubmissionID: "sub_4"})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	require.Equal(t, submission.Failed, last)
}
