package server

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/workflows"
)

// standingRequest is what the identity and credit provider says about a
// developer. as_of orders updates: an older one than the last applied is
// ignored, so out-of-order deliveries cannot roll standing back.
type standingRequest struct {
	AsOf     *time.Time `json:"as_of"`
	Kind     *string    `json:"kind"`
	RealName *struct {
		Status     *string    `json:"status"`
		VerifiedAt *time.Time `json:"verified_at"`
		ExpiresAt  *time.Time `json:"expires_at"`
	} `json:"real_name"`
	CreditScore    *int     `json:"credit_score"`
	Qualifications []string `json:"qualifications"`
	RiskFlags      []string `json:"risk_flags"`
	Blacklisted    *bool    `json:"blacklisted"`
	// Identity is hashed on arrival (related.go) and never kept as sent.
	Identity *identityRequest `json:"identity"`
}

var realNameStates = []string{"verified", "pending", "none", "rejected", "expired"}

func (r standingRequest) standing() (store.Standing, error) {
	st := store.Standing{Kind: r.Kind, CreditScore: r.CreditScore, Qualifications: r.Qualifications,
		RiskFlags: r.RiskFlags, Blacklisted: r.Blacklisted}
	switch {
	case r.AsOf == nil:
		return st, invalid("as_of", "required: when the provider established this standing (RFC 3339)")
	case r.AsOf.After(time.Now().Add(5 * time.Minute)):
		return st, invalid("as_of", "in the future")
	case r.Kind != nil && *r.Kind != "individual" && *r.Kind != "enterprise":
		return st, invalid("kind", "individual or enterprise")
	case r.CreditScore != nil && (*r.CreditScore < 0 || *r.CreditScore > 1000):
		return st, invalid("credit_score", "from 0 to 1000")
	case len(r.Qualifications) > 50:
		return st, invalid("qualifications", "at most 50")
	case len(r.RiskFlags) > 50:
		return st, invalid("risk_flags", "at most 50")
	}
	st.AsOf = r.AsOf.UTC()
	if rn := r.RealName; rn != nil {
		if rn.Status != nil && !slices.Contains(realNameStates, *rn.Status) {
			return st, invalid("real_name.status", "one of verified, pending, none, rejected, expired")
		}
		st.RealNameStatus, st.RealNameVerifiedAt, st.RealNameExpiresAt = rn.Status, rn.VerifiedAt, rn.ExpiresAt
	}
	return st, nil
}

type standingAnswer struct {
	Developer developerAnswer `json:"developer"`
	Applied   bool            `json:"applied"`
	// Reevaluation is the workflow that re-checks the developer's live apps.
	Reevaluation string `json:"reevaluation,omitempty"`
}

// updateStanding applies a standing change, audits it, and starts the
// re-check of the developer's live apps under the active policy.
func (s *Server) updateStanding(c *gin.Context) {
	var req standingRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	st, err := req.standing()
	if err != nil {
		fail(c, err)
		return
	}
	identity, err := req.Identity.hashes(s.LinkKey)
	if err != nil {
		fail(c, err)
		return
	}
	// With If-Match the change applies only to the developer as the caller
	// last saw it (the ETag of an earlier answer); otherwise 412.
	if h := c.GetHeader("If-Match"); h != "" {
		st.IfMatch = func(current store.Developer) bool { return ifMatch(h, etagOf(current)) }
	}
	ctx := c.Request.Context()
	tok := caller(c)
	after, applied, current, err := s.Store.ApplyStanding(ctx, c.Param("id"), st, store.AuditEntry{
		Actor: tok.Subject, Role: tok.Role, Action: "developer.standing", RequestID: c.GetString(requestIDKey)})
	if err != nil {
		fail(c, err)
		return
	}
	if current && len(identity) > 0 {
		if err := s.Store.SetDeveloperIdentity(ctx, after.ID, identity); err != nil {
			fail(c, err)
			return
		}
	}
	ans := standingAnswer{Developer: answerDeveloper(after), Applied: applied}
	c.Header("ETag", etagOf(after))
	if !current {
		c.JSON(http.StatusOK, ans) // older than what was applied: nothing to re-check
		return
	}
	// Started for a repeated delivery too: if the first could not reach
	// Temporal, the retry starts the re-check; if it did, this finds it.
	ans.Reevaluation = "reevaluate_" + after.ID + "_" + st.AsOf.Format("20060102T150405.000000000Z")
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: ans.Reevaluation, TaskQueue: s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ReevaluateDeveloperWorkflow, workflows.ReevaluateInput{DeveloperID: after.ID, AsOf: st.AsOf, Review: s.Review,
		Blacklisted: req.Blacklisted != nil && *req.Blacklisted})
	if err != nil && !isAlreadyStarted(err) {
		fail(c, problemErr("unavailable", "the standing is stored but the re-check of live apps could not start; send the same update again"))
		return
	}
	c.JSON(http.StatusOK, ans)
}

// appEvents is an app's history: live versions, suspensions with their
// reasons, re-checks.
func (s *Server) appEvents(c *gin.Context) {
	app, err := s.loadVisibleApp(c)
	if err != nil {
		fail(c, err)
		return
	}
	after, limit, err := pageByNumber(c)
	if err != nil {
		fail(c, err)
		return
	}
	events, err := s.Store.AppEvents(c.Request.Context(), app.ID, after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	if caller(c).Role == RoleDeveloper { // who took the app down or reinstated it: by role
		for i := range events {
			events[i].Detail = submission.ForDeveloper(events[i].Detail)
		}
	}
	c.JSON(http.StatusOK, appEventsAnswer{App: answerApp(app),
		List: listByNumber(answerAll(events, answerAppEvent), limit, func(e appEventAnswer) int64 { return e.ID })})
}

// appEventsAnswer is a page of an app's history, with the app as it is now.
type appEventsAnswer struct {
	App appAnswer `json:"app"`
	List[appEventAnswer]
}

// loadVisibleApp loads the app of the route's :id if the caller may see it;
// another developer's app is "not found", so its existence leaks nothing.
func (s *Server) loadVisibleApp(c *gin.Context) (store.App, error) {
	app, err := s.Store.GetApp(c.Request.Context(), c.Param("id"))
	if err != nil {
		return app, err
	}
	if !canSee(caller(c), app.DeveloperID) {
		return app, problemErr("not-found", "no such app, or not yours")
	}
	return app, nil
}
