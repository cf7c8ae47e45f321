package server

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"trustgate/internal/submission"
	"trustgate/workflows"
)

// retrySubmission starts a new run of a submission that failed through our
// own fault (never a rejected one): the operator's button after the cause
// is fixed. The new run continues the same timeline.
func (s *Server) retrySubmission(c *gin.Context) {
	ctx := c.Request.Context()
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	if sub.State != submission.Failed {
		fail(c, problemErr("conflict", "only a failed submission can be retried (it is "+string(sub.State)+")"))
		return
	}
	events, err := s.Store.Timeline(ctx, sub.ID)
	if err != nil {
		fail(c, err)
		return
	}
	run := events[len(events)-1].Seq/1000 + 1
	// The failed run records "failed" just before it ends; wait for its end
	// so the retry is a new run, not the closing one.
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = s.Temporal.GetWorkflow(wait, sub.ID, "").Get(wait, nil)
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: sub.ID, TaskQueue: s.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	}, workflows.SubmissionWorkflow, workflows.SubmissionInput{SubmissionID: sub.ID, Review: s.Review, Run: run})
	if err != nil && !isAlreadyStarted(err) {
		fail(c, problemErr("unavailable", "the retry could not start; try again"))
		return
	}
	s.audit(c, "submission.retry", sub.ID, map[string]any{"state": sub.State, "failure": sub.Failure}, map[string]any{"run": run})
	s.reload(c, sub.ID)
}
