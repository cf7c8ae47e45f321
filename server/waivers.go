package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
)

// maxWaiver is the longest a waiver may run; a longer exemption is a
// policy change, and goes through the policy's own review.
const maxWaiver = 366 * 24 * time.Hour

type createWaiverRequest struct {
	AppID     string    `json:"app_id"`
	RuleID    string    `json:"rule_id"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createWaiver asks for a waiver; it applies once another compliance user
// approves it.
func (s *Server) createWaiver(c *gin.Context) {
	var req createWaiverRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	req.Reason = strings.TrimSpace(req.Reason)
	now := time.Now()
	switch {
	case req.AppID == "":
		fail(c, invalid("app_id", "the app the waiver is for"))
		return
	case !validRuleID(req.RuleID):
		fail(c, invalid("rule_id", "a scan rule ID such as CODE-012"))
		return
	case req.Reason == "" || len(req.Reason) > 2000:
		fail(c, invalid("reason", "why the app is exempt, 1 to 2000 characters"))
		return
	case !req.ExpiresAt.After(now) || req.ExpiresAt.After(now.Add(maxWaiver)):
		fail(c, invalid("expires_at", "a time in the future, at most a year away"))
		return
	}
	w, err := s.Store.CreateWaiver(c.Request.Context(), store.Waiver{AppID: req.AppID, RuleID: req.RuleID,
		Reason: req.Reason, ExpiresAt: req.ExpiresAt}, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/v1/waivers/"+w.ID)
	c.JSON(http.StatusCreated, answerWaiver(w))
}

func validRuleID(id string) bool {
	if id == "" || len(id) > 64 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// approveWaiver is the second compliance user's approval.
func (s *Server) approveWaiver(c *gin.Context) {
	w, err := s.Store.ApproveWaiver(c.Request.Context(), c.Param("id"), by(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, answerWaiver(w))
}

// listWaivers lists waivers newest first, of one app with ?app_id=.
func (s *Server) listWaivers(c *gin.Context) {
	before, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws, err := s.Store.ListWaivers(c.Request.Context(), c.Query("app_id"), before, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(answerAll(ws, answerWaiver), limit, func(w waiverAnswer) string { return w.ID }))
}
