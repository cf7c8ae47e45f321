package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
	"trustgate/policies"
)

// evaluations shows staff every policy evaluation of a submission: full
// input, output, policy version and bundle hash. Developers never see the
// raw input (credit score, risk flags) or thresholds; their view is the
// decision's reasons.
func (s *Server) evaluations(c *gin.Context) {
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	after, limit, err := pageByNumber(c)
	if err != nil {
		fail(c, err)
		return
	}
	recs, err := s.Store.DecisionsPage(c.Request.Context(), sub.ID, after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, evaluationsAnswer{SubmissionID: sub.ID,
		List: listByNumber(recs, limit, func(r store.DecisionRecord) int64 { return r.ID })})
}

// evaluationsAnswer is a page of a submission's policy evaluations.
type evaluationsAnswer struct {
	SubmissionID string `json:"submission_id"`
	List[store.DecisionRecord]
}

type replayAnswer struct {
	SubmissionID  string            `json:"submission_id"`
	Attempt       int               `json:"attempt"`
	PolicyVersion string            `json:"policy_version"`
	PolicyHash    string            `json:"policy_hash"`
	Recorded      policies.Decision `json:"recorded"`
	Replayed      policies.Decision `json:"replayed"`
	Same          bool              `json:"same"`
	// RulesFired are the rules that succeeded in the replay, from OPA's
	// explanation of that evaluation.
	RulesFired []string `json:"rules_fired"`
}

// replayEvaluation re-evaluates the latest recorded input of a submission
// under the bundle that decided it and says whether the outcome is the same
// and which rules fired.
func (s *Server) replayEvaluation(c *gin.Context) {
	ctx := c.Request.Context()
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	recs, err := s.Store.Decisions(ctx, sub.ID)
	if err != nil {
		fail(c, err)
		return
	}
	if len(recs) == 0 {
		fail(c, problemErr("conflict", "the submission has not been evaluated yet"))
		return
	}
	rec := recs[len(recs)-1]
	engine := s.Engines.Lookup(rec.PolicyHash)
	if engine == nil {
		fail(c, problemErr("conflict", "the bundle "+rec.PolicyVersion+" that decided this submission is not loaded here"))
		return
	}
	var in policies.Input
	if err := json.Unmarshal(rec.Input, &in); err != nil {
		fail(c, err)
		return
	}
	ans := replayAnswer{SubmissionID: sub.ID, Attempt: rec.Attempt, PolicyVersion: rec.PolicyVersion, PolicyHash: rec.PolicyHash}
	if err := json.Unmarshal(rec.Output, &ans.Recorded); err != nil {
		fail(c, err)
		return
	}
	ans.Replayed, ans.RulesFired, err = engine.Explain(ctx, in)
	if err != nil {
		fail(c, err)
		return
	}
	a, _ := json.Marshal(ans.Recorded)
	b, _ := json.Marshal(ans.Replayed)
	ans.Same = string(a) == string(b)
	c.JSON(http.StatusOK, ans)
}
