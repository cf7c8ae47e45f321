package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/policies"
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
	Timeline      []eventAnswer    `json:"timeline,omitempty"`
	Findings      []findingAnswer  `json:"findings,omitempty"`
	// While in review: open tasks ahead in its queue, and when a decision
	// can be expected at that queue's pace.
	QueuePosition       *int         `json:"queue_position,omitempty"`
	EstimatedDecisionAt *time.Time   `json:"estimated_decision_at,omitempty"`
	Tasks               []taskAnswer `json:"tasks,omitempty"`
	WorkflowURL         string       `json:"workflow_url,omitempty"`
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
	var (
		d          store.SubmissionDetail
		generation uint64
		err        error
	)
	if s.Details != nil {
		d, generation, err = s.Details.GetWithGeneration(c.Request.Context(), c.Param("id"))
	} else {
		d, err = s.Store.GetSubmissionDetail(c.Request.Context(), c.Param("id"))
	}
	if err != nil {
		fail(c, err)
		return
	}
	if !canSee(caller(c), d.DeveloperID) {
		fail(c, fmt.Errorf("submission %s: %w", d.ID, store.ErrNotFound))
		return
	}
	// What a developer sees of a submission that is not queued for review
	// is the same until it changes, in each language: it is rendered once
	// per change (per generation of the kept detail). Staff see tasks, and
	// a queued submission its moving place in the queue, so those are
	// rendered every time.
	var lang string
	if caller(c).Role == RoleDeveloper && !inQueue(d.State) {
		lang = policies.PreferredLanguage(c.GetHeader("Accept-Language"))
		if body, ok := s.Rendered.load(d.ID, generation, lang); ok {
			c.Data(http.StatusOK, "application/json; charset=utf-8", body)
			return
		}
	} else {
		generation = 0
	}
	v, err := s.detailView(c, d)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		fail(c, fmt.Errorf("render submission %s: %w", d.ID, err))
		return
	}
	s.Rendered.store(d.ID, generation, lang, body)
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

func inQueue(st submission.State) bool {
	return st == submission.InReview || st == submission.Appealed
}

// renderSubmission answers with a submission in full, reading its timeline
// and findings.
func (s *Server) renderSubmission(c *gin.Context, sub store.Submission) {
	ctx := c.Request.Context()
	d := store.SubmissionDetail{Submission: sub}
	var err error
	if d.Timeline, err = s.Store.Timeline(ctx, sub.ID); err != nil {
		fail(c, err)
		return
	}
	if d.Findings, err = s.Store.Findings(ctx, sub.ID); err != nil {
		fail(c, err)
		return
	}
	s.renderDetail(c, d)
}

// renderDetail answers with a submission in full: timeline, findings,
// where it stands in its review queue, and for staff its review tasks and
// a link to its workflow.
func (s *Server) renderDetail(c *gin.Context, d store.SubmissionDetail) {
	v, err := s.detailView(c, d)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) detailView(c *gin.Context, d store.SubmissionDetail) (submissionView, error) {
	ctx := c.Request.Context()
	sub := d.Submission
	v := s.view(sub)
	if v.Decision != nil {
		v.Decision.Reasons = shownReasons(c, v.Decision.Reasons)
	}
	v.Timeline, v.Findings = answerAll(d.Timeline, answerEvent), answerAll(d.Findings, answerFinding)
	if inQueue(sub.State) {
		q, ok, err := s.Store.EstimateQueue(ctx, sub.ID)
		if err != nil {
			return v, err
		}
		if ok {
			pos := q.Position
			at := time.Now().Add(time.Duration(float64(pos+1) / q.DecisionsPerHr * float64(time.Hour))).UTC()
			v.QueuePosition, v.EstimatedDecisionAt = &pos, &at
		}
	}
	if caller(c).Role != RoleDeveloper {
		tasks, err := s.Store.TasksOf(ctx, sub.ID)
		if err != nil {
			return v, err
		}
		v.Tasks = answerAll(tasks, answerTask)
		if s.TemporalUIURL != "" {
			v.WorkflowURL = fmt.Sprintf("%s/namespaces/%s/workflows/%s", s.TemporalUIURL,
				url.PathEscape(s.Namespace), url.PathEscape(sub.ID))
		}
	}
	return v, nil
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
		if views[i].Decision != nil {
			views[i].Decision.Reasons = shownReasons(c, views[i].Decision.Reasons)
		}
	}
	c.JSON(http.StatusOK, listOf(views, limit, func(v submissionView) string { return v.ID }))
}
