package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"trustgate/internal/store"
	"trustgate/workflows"
)

type takedownRequest struct {
	ReasonCodes []string `json:"reason_codes"`
	Comment     string   `json:"comment"`
}

// suspendApp is a takedown: a senior reviewer suspends a live app with
// reason codes; the developer sees why and may appeal.
func (s *Server) suspendApp(c *gin.Context) {
	var req takedownRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if len(req.ReasonCodes) == 0 {
		fail(c, invalid("reason_codes", "at least one code from GET /v1/reason-codes"))
		return
	}
	if err := checkReasonCodes(req.ReasonCodes); err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(req.Comment) == "" || len(req.Comment) > 4000 {
		fail(c, invalid("comment", "say why, in 1 to 4000 characters"))
		return
	}
	ctx := c.Request.Context()
	app, err := s.Store.GetApp(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	// The rule review tasks follow: nobody acts on an app of an
	// organisation they have a conflict of interest with.
	dev, err := s.Store.GetDeveloper(ctx, app.DeveloperID)
	if err != nil {
		fail(c, fmt.Errorf("developer of app %s: %w", app.ID, err))
		return
	}
	if err := actor(c).MayActOn(dev.OrgID); err != nil {
		refused, _ := refusalAnswer(err)
		fail(c, refused)
		return
	}
	if app.Status != "live" || app.LiveSubmissionID == nil {
		fail(c, problemErr("conflict", "only a live app can be taken down (it is "+app.Status+")"))
		return
	}
	tok := caller(c)
	// One takedown per live version: concurrent or retried requests find
	// the running one instead of starting a second.
	id := workflows.TakedownWorkflowID(app.ID, *app.LiveSubmissionID)
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
		workflows.TakedownWorkflow, workflows.TakedownInput{AppID: app.ID, SubmissionID: *app.LiveSubmissionID,
			By: tok.Subject, ReasonCodes: req.ReasonCodes, Comment: req.Comment, Review: s.Review})
	if err != nil {
		fail(c, problemErr("unavailable", "the takedown could not start; retry"))
		return
	}
	// The suspension is the workflow's first step; answer once it shows.
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for app.Status != "suspended" {
		select {
		case <-wait.Done():
			fail(c, problemErr("unavailable", "the takedown started but the suspension is not recorded yet; GET the app's events to follow it"))
			return
		case <-time.After(50 * time.Millisecond):
		}
		if app, err = s.Store.GetApp(ctx, app.ID); err != nil {
			fail(c, err)
			return
		}
	}
	s.audit(c, "app.takedown", app.ID, nil, req)
	c.JSON(http.StatusOK, gin.H{"app": answerApp(app), "takedown": id})
}

// appealSuspension is a developer's appeal of a takedown.
func (s *Server) appealSuspension(c *gin.Context) {
	var req appealRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(req.Text) == "" || len(req.Text) > 4000 {
		fail(c, invalid("text", "say why, in 1 to 4000 characters"))
		return
	}
	ctx := c.Request.Context()
	app, err := s.loadVisibleApp(c)
	if err != nil {
		fail(c, err)
		return
	}
	sus, err := s.Store.SuspensionOf(ctx, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, problemErr("conflict", "the app is not suspended"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if !strings.HasPrefix(sus.WorkflowID, "takedown_") {
		fail(c, problemErr("conflict", "this suspension follows a policy or QA decision; upload a fixed version instead"))
		return
	}
	if err := s.update(c, sus.WorkflowID, workflows.UpdateAppeal, workflows.AppealRequest{Text: req.Text}, nil); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "app.appeal", app.ID, nil, req)
	s.appEvents(c)
}
