package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/workflows"
)

// queuesOf lists the review queues a role works.
func queuesOf(role string) []string {
	switch role {
	case RoleSeniorReviewer:
		return []string{"standard", "senior", "qa"}
	case RoleReviewer:
		return []string{"standard", "qa"}
	}
	return nil
}

func (s *Server) listTasks(c *gin.Context) {
	tok := caller(c)
	f := store.TaskFilter{Queues: queuesOf(tok.Role), ExcludeOrgs: tok.ConflictOrgs, Limit: defaultLimit}
	if q := c.Query("queue"); q != "" {
		if !slices.Contains(f.Queues, q) {
			fail(c, invalid("queue", "not a queue you work: "+strings.Join(f.Queues, ", ")))
			return
		}
		f.Queues = []string{q}
	}
	if st := c.Query("state"); st != "" {
		for _, v := range strings.Split(st, ",") {
			if !slices.Contains([]string{"open", "claimed", "decided", "expired", "cancelled"}, v) {
				fail(c, invalid("state", "unknown task state "+v))
				return
			}
		}
		f.States = strings.Split(st, ",")
	}
	if c.Query("mine") == "true" {
		f.Assignee = tok.Subject
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fail(c, invalid("limit", "must be a number from 1 to 200"))
			return
		}
		f.Limit = n
	}
	// The queue's order (priority, due time) is not an ID order, so the
	// cursor is an opaque position in it.
	if v := c.Query("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, convErr := strconv.Atoi(string(b))
		if err != nil || convErr != nil || n < 0 {
			fail(c, invalid("cursor", "not a cursor this API gave out"))
			return
		}
		f.Offset = n
	}
	tasks, err := s.Store.ListTasks(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	l := List[taskAnswer]{Items: answerAll(tasks, answerTask)}
	if len(tasks) == f.Limit {
		l.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(f.Offset + f.Limit)))
	}
	c.JSON(http.StatusOK, l)
}

// actor is the caller as the workflow's validators see them.
func actor(c *gin.Context) workflows.Actor {
	tok := caller(c)
	return workflows.Actor{Name: tok.Subject, Role: tok.Role, ConflictOrgs: tok.ConflictOrgs}
}

func (s *Server) claimTask(c *gin.Context) {
	s.taskUpdate(c, workflows.UpdateClaim, func(t store.Task) any {
		return workflows.ClaimRequest{TaskID: t.ID, Actor: actor(c)}
	})
}

func (s *Server) releaseTask(c *gin.Context) {
	s.taskUpdate(c, workflows.UpdateRelease, func(t store.Task) any {
		return workflows.ReleaseRequest{TaskID: t.ID, Actor: actor(c)}
	})
}

// taskUpdate sends a claim or release to the workflow that owns the task
// and answers with the task as the workflow left it.
func (s *Server) taskUpdate(c *gin.Context, name string, req func(store.Task) any) {
	t, err := s.Store.GetTask(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.update(c, t.WorkflowID, name, req(t), nil); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "task."+name, t.ID, gin.H{"state": t.State, "assignee": t.Assignee}, nil)
	t, err = s.Store.GetTask(c.Request.Context(), t.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, answerTask(t))
}

type taskDecisionRequest struct {
	Outcome     string   `json:"outcome"`
	ReasonCodes []string `json:"reason_codes"`
	Comment     string   `json:"comment"`
}

func (s *Server) decideTask(c *gin.Context) {
	var req taskDecisionRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if len(req.Comment) > 4000 {
		fail(c, invalid("comment", "at most 4000 characters"))
		return
	}
	if err := checkReasonCodes(req.ReasonCodes); err != nil {
		fail(c, err)
		return
	}
	t, err := s.Store.GetTask(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	err = s.update(c, t.WorkflowID, workflows.UpdateDecide, workflows.DecisionRequest{
		TaskID: t.ID, Actor: actor(c), Outcome: req.Outcome, ReasonCodes: req.ReasonCodes, Comment: req.Comment,
	}, nil)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "task.decide", t.ID, nil, req)
	sub, err := s.Store.GetSubmission(c.Request.Context(), t.SubmissionID)
	if err != nil {
		fail(c, err)
		return
	}
	s.renderSubmission(c, sub)
}

func (s *Server) withdraw(c *gin.Context) {
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	if sub.State.Final() {
		fail(c, problemErr("conflict", "the submission is "+string(sub.State)+"; only a submission not yet decided can be withdrawn"))
		return
	}
	if err := s.update(c, sub.ID, workflows.UpdateWithdraw, nil, nil); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "submission.withdraw", sub.ID, gin.H{"state": sub.State}, nil)
	s.reload(c, sub.ID)
}

type appealRequest struct {
	Text string `json:"text"`
}

func (s *Server) appeal(c *gin.Context) {
	var req appealRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(req.Text) == "" || len(req.Text) > 4000 {
		fail(c, invalid("text", "say why, in 1 to 4000 characters"))
		return
	}
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	if sub.State != submission.Rejected {
		fail(c, problemErr("conflict", "only a rejected submission can be appealed (it is "+string(sub.State)+")"))
		return
	}
	if err := s.update(c, sub.ID, workflows.UpdateAppeal, workflows.AppealRequest{Text: req.Text}, nil); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "submission.appeal", sub.ID, gin.H{"state": sub.State}, req)
	s.reload(c, sub.ID)
}

func (s *Server) reload(c *gin.Context, id string) {
	sub, err := s.Store.GetSubmission(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.renderSubmission(c, sub)
}

// updateTimeout bounds how long a person waits for the workflow to take
// their action; a decision waits until the decision is recorded.
const updateTimeout = 30 * time.Second

// update sends an Update to a submission's workflow and waits for its
// result. An Idempotency-Key becomes the Update ID (scoped to the caller and
// the action), so a retried request is answered once.
func (s *Server) update(c *gin.Context, workflowID, name string, arg, out any) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), updateTimeout)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	if arg != nil {
		opts.Args = []any{arg}
	}
	if key := c.GetHeader("Idempotency-Key"); key != "" {
		if len(key) > 200 {
			return invalid("Idempotency-Key", "at most 200 characters")
		}
		opts.UpdateID = name + ":" + caller(c).Subject + ":" + key
	}
	handle, err := s.Temporal.UpdateWorkflow(ctx, opts)
	if err == nil {
		err = handle.Get(ctx, out)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && c.Request.Context().Err() == nil {
		return problemErr("unavailable", "the review process did not answer in time; retry with the same Idempotency-Key")
	}
	if refused, ok := refusalAnswer(err); ok {
		return refused
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return problemErr("conflict", "the submission's process has ended; it takes no more actions")
	}
	return err
}

// refusalAnswer is the API's answer to a workflow rule's refusal, if err is
// one: whether a validator refused an Update or the API checked the same
// rule itself (a takedown's conflict of interest).
func refusalAnswer(err error) (*apiError, bool) {
	kind, ok := workflows.IsRefusal(err)
	if !ok {
		return nil, false
	}
	msg := refusalMessage(err)
	switch kind {
	case workflows.RefusedNotAllowed:
		return problemErr("forbidden", msg), true
	case workflows.RefusedConflictOfInterest:
		return problemErr("conflict-of-interest", msg), true
	case workflows.RefusedConflict:
		return problemErr("conflict", msg), true
	case workflows.RefusedNotFound:
		return problemErr("not-found", msg), true
	default:
		return problemErr("validation", msg), true
	}
}

// refusalMessage is the validator's own sentence, without the SDK's wrapping.
func refusalMessage(err error) string {
	var appErr interface{ Message() string }
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}
