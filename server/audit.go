package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
)

// audit records a state-changing action after it succeeded. The action
// has happened, so a failure to audit is logged loudly rather than turned
// into an error the caller would retry.
func (s *Server) audit(c *gin.Context, action, objectID string, before, after any) {
	tok := caller(c)
	err := s.Store.Audit(c.Request.Context(), store.AuditEntry{Actor: tok.Subject, Role: tok.Role, Action: action,
		ObjectID: objectID, RequestID: c.GetString(requestIDKey)}, before, after)
	if err != nil {
		slog.ErrorContext(c.Request.Context(), "audit entry lost", "action", action, "object_id", objectID,
			"request_id", c.GetString(requestIDKey), "error", err)
	}
}

// searchAudit lists the audit log for compliance and admins: filters by
// actor, action, object and time range, newest first, paged.
func (s *Server) searchAudit(c *gin.Context) {
	f := store.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"), ObjectID: c.Query("object_id")}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fail(c, invalid(p.name, "an RFC 3339 time such as 2026-11-26T00:00:00Z"))
				return
			}
			*p.dst = &t
		}
	}
	var err error
	if f.Before, f.Limit, err = pageByNumber(c); err != nil {
		fail(c, err)
		return
	}
	entries, err := s.Store.SearchAudit(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listByNumber(answerAll(entries, answerAudit), f.Limit, func(e auditAnswer) int64 { return e.ID }))
}
