package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"trustgate/internal/webhooks"
)

// EventTypes lists what a webhook can subscribe to ("*" is all of them).
var EventTypes = []string{
	"submission.received", "submission.scanning", "submission.evaluating", "submission.in_review",
	"submission.approved", "submission.rejected", "submission.withdrawn", "submission.appealed", "submission.failed",
	"app.live", "app.suspended", "app.reinstated", "app.recheck_opened", "app.recheck_passed", "app.appealed", "app.appeal_rejected",
}

type webhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

func (s *Server) createWebhook(c *gin.Context) {
	var req webhookRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := webhooks.CheckURL(req.URL, s.WebhookAllowLoopback); err != nil || len(req.URL) > 2000 {
		msg := "at most 2000 characters"
		if err != nil {
			msg = err.Error()
		}
		fail(c, invalid("url", msg))
		return
	}
	if len(req.Events) == 0 || len(req.Events) > len(EventTypes) {
		fail(c, invalid("events", `name the event types to receive, or "*" for all`))
		return
	}
	for _, e := range req.Events {
		if e != "*" && !slices.Contains(EventTypes, e) {
			fail(c, invalid("events", "unknown event type "+e+"; known: "+strings.Join(EventTypes, ", ")))
			return
		}
	}
	most := s.WebhookMaxEndpoints
	if most <= 0 {
		most = webhooks.DefaultMaxEndpoints
	}
	hook, err := s.Store.CreateWebhook(c.Request.Context(), *caller(c).DeveloperID, req.URL, req.Events, most)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "webhook.create", hook.ID, nil, gin.H{"url": hook.URL, "events": hook.EventTypes})
	c.Header("Location", "/v1/webhooks/"+hook.ID)
	c.JSON(http.StatusCreated, answerWebhook(hook)) // the only answer that carries the secret
}

func (s *Server) listWebhooks(c *gin.Context) {
	hooks, err := s.Store.ListWebhooks(c.Request.Context(), *caller(c).DeveloperID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, List[webhookAnswer]{Items: answerAll(hooks, answerWebhook)})
}

func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.Store.DeleteWebhook(c.Request.Context(), *caller(c).DeveloperID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "webhook.delete", c.Param("id"), nil, nil)
	c.Status(http.StatusNoContent)
}

func (s *Server) webhookDeliveries(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ds, err := s.Store.Deliveries(c.Request.Context(), *caller(c).DeveloperID, c.Param("id"), after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(answerAll(ds, answerDelivery), limit, func(d deliveryAnswer) string { return d.ID }))
}

func (s *Server) redeliver(c *gin.Context) {
	if err := s.Store.Redeliver(c.Request.Context(), *caller(c).DeveloperID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "webhook.redeliver", c.Param("id"), nil, nil)
	c.JSON(http.StatusAccepted, gin.H{"id": c.Param("id"), "state": "pending"})
}
