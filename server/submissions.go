package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/workflows"
)

// submissionView is a submission as the API shows it: the row, the
// decision, the timeline and the findings, so a developer sees in one answer
// where the submission is and why.
type submissionView struct {
	ID            string           `json:"id"`
	AppID         string           `json:"app_id"`
	Version       string           `json:"version"`
	Notes         string           `json:"notes"`
	State         submission.State `json:"state"`
	PackageSHA256 string           `json:"package_sha256"`
	PackageBytes  int64            `json:"package_bytes"`
	Decision      *decisionView    `json:"decision"`
	PolicyVersion *string          `json:"policy_version"`
	PolicyHash    *string          `json:"policy_hash"`
	Failure       *string          `json:"failure,omitempty"`
	CreatedAt     string           `json:"created_at"`
	DecidedAt     *string          `json:"decided_at"`
	Timeline      []store.Event    `json:"timeline,omitempty"`
	Findings      []store.Finding  `json:"findings,omitempty"`
	WorkflowURL   string           `json:"workflow_url,omitempty"`
}

type decisionView struct {
	Outcome string          `json:"outcome"`
	Reasons json.RawMessage `json:"reasons"`
}

func (s *Server) view(sub store.Submission) submissionView {
	v := submissionView{
		ID: sub.ID, AppID: sub.AppID, Version: sub.Version, Notes: sub.Notes, State: sub.State,
		PackageSHA256: sub.PackageSHA256, PackageBytes: sub.PackageBytes,
		PolicyVersion: sub.PolicyVersion, PolicyHash: sub.PolicyHash, Failure: sub.Failure,
		CreatedAt: sub.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	}
	if sub.Outcome != nil {
		v.Decision = &decisionView{Outcome: *sub.Outcome, Reasons: sub.Reasons}
	}
	if sub.DecidedAt != nil {
		t := sub.DecidedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		v.DecidedAt = &t
	}
	return v
}

// loadVisible loads a submission the caller may see; another developer's
// submission is "not found", so its existence leaks nothing.
func (s *Server) loadVisible(c *gin.Context) (store.Submission, error) {
	sub, err := s.Store.GetSubmission(c.Request.Context(), c.Param("id"))
	if err != nil {
		return sub, err
	}
	if !canSee(caller(c), sub.DeveloperID) {
		return sub, fmt.Errorf("submission %s: %w", sub.ID, store.ErrNotFound)
	}
	return sub, nil
}

func (s *Server) getSubmission(c *gin.Context) {
	ctx := c.Request.Context()
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	v := s.view(sub)
	if v.Timeline, err = s.Store.Timeline(ctx, sub.ID); err != nil {
		fail(c, err)
		return
	}
	if v.Findings, err = s.Store.Findings(ctx, sub.ID); err != nil {
		fail(c, err)
		return
	}
	if s.TemporalUIURL != "" && caller(c).Role != RoleDeveloper {
		v.WorkflowURL = fmt.Sprintf("%s/namespaces/%s/workflows/%s", s.TemporalUIURL,
			url.PathEscape(s.Namespace), url.PathEscape(sub.ID))
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) listSubmissions(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := store.SubmissionFilter{AppID: c.Query("app_id"), State: submission.State(c.Query("state")), After: after, Limit: limit}
	if f.State != "" && !f.State.Valid() {
		fail(c, invalid("state", "unknown state"))
		return
	}
	if tok := caller(c); tok.Role == RoleDeveloper {
		f.DeveloperID = *tok.DeveloperID
	}
	subs, err := s.Store.ListSubmissions(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	views := make([]submissionView, len(subs))
	for i, sub := range subs {
		views[i] = s.view(sub)
	}
	c.JSON(http.StatusOK, listOf(views, limit, func(v submissionView) string { return v.ID }))
}

type decisionRequest struct {
	Outcome string   `json:"outcome"`
	Codes   []string `json:"codes"`
	Comment string   `json:"comment"`
}

// decide passes a reviewer's decision to the submission's workflow as an
// Update; the workflow's validator decides whether it counts.
func (s *Server) decide(c *gin.Context) {
	var req decisionRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if len(req.Comment) > 4000 || len(req.Codes) > 20 {
		fail(c, invalid("comment", "at most 4000 characters and 20 codes"))
		return
	}
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	if sub.State != submission.InReview {
		fail(c, problemErr("conflict", "the submission is "+string(sub.State)+", not in review"))
		return
	}
	tok := caller(c)
	handle, err := s.Temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID: sub.ID, UpdateName: workflows.UpdateDecide, UpdateID: c.GetHeader("Idempotency-Key"),
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.ReviewDecision{Reviewer: tok.Subject, Role: tok.Role, ConflictOrgs: tok.ConflictOrgs,
			Outcome: req.Outcome, Codes: req.Codes, Comment: req.Comment}},
	})
	var status workflows.ReviewStatus
	if err == nil {
		err = handle.Get(c.Request.Context(), &status)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = problemErr("conflict", "the submission is no longer in review")
		}
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, status)
}
