package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
)

// findingView is a finding, marked against the app's live version when the
// caller asks to compare.
type findingView struct {
	findingAnswer
	Status string `json:"status,omitempty"` // new or known
}

type findingsAnswer struct {
	Items []findingView `json:"items"`
	// Fixed lists the live version's findings this submission no longer has.
	Fixed      []findingAnswer `json:"fixed,omitempty"`
	ComparedTo *string         `json:"compared_to,omitempty"`
	NextCursor string          `json:"next_cursor"`
}

var severities = []string{"info", "low", "medium", "high", "critical"}

// listFindings lists a submission's findings, filterable by severity and
// rule; with compare=live each is new or known against the app's live
// version (by fingerprint), and the fixed ones are listed on the first page.
// Pages follow the findings' order (most severe first); the cursor names
// the last finding of a page by its fingerprint, unique in a submission.
func (s *Server) listFindings(c *gin.Context) {
	ctx := c.Request.Context()
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	after, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	var sevs []string
	if v := c.Query("severity"); v != "" {
		for _, sv := range strings.Split(v, ",") {
			if !slices.Contains(severities, sv) {
				fail(c, invalid("severity", "one or more of "+strings.Join(severities, ", ")))
				return
			}
			sevs = append(sevs, sv)
		}
	}
	rule := c.Query("rule")
	compare := c.Query("compare")
	if compare != "" && compare != "live" {
		fail(c, invalid("compare", "the only comparison is live"))
		return
	}
	all, err := s.Store.Findings(ctx, sub.ID)
	if err != nil {
		fail(c, err)
		return
	}
	keep := func(f store.Finding) bool {
		return (len(sevs) == 0 || slices.Contains(sevs, f.Severity)) && (rule == "" || f.RuleID == rule)
	}
	ans := findingsAnswer{Items: []findingView{}}
	var live map[string]bool
	if compare == "live" {
		app, err := s.Store.GetApp(ctx, sub.AppID)
		if err != nil {
			fail(c, err)
			return
		}
		if app.LiveSubmissionID != nil && *app.LiveSubmissionID != sub.ID {
			ans.ComparedTo = app.LiveSubmissionID
			prev, err := s.Store.Findings(ctx, *app.LiveSubmissionID)
			if err != nil {
				fail(c, err)
				return
			}
			live = map[string]bool{}
			current := map[string]bool{}
			for _, f := range all {
				current[f.Fingerprint] = true
			}
			for _, f := range prev {
				live[f.Fingerprint] = true
				if !current[f.Fingerprint] && keep(f) && after == "" {
					ans.Fixed = append(ans.Fixed, answerFinding(f))
				}
			}
		}
	}
	if after != "" {
		i := slices.IndexFunc(all, func(f store.Finding) bool { return f.Fingerprint == after })
		if i < 0 {
			fail(c, invalid("cursor", "not a cursor this API gave out"))
			return
		}
		all = all[i+1:]
	}
	for _, f := range all {
		if !keep(f) {
			continue
		}
		if len(ans.Items) == limit {
			ans.NextCursor = listOf(ans.Items, limit, func(v findingView) string { return v.Fingerprint }).NextCursor
			break
		}
		v := findingView{findingAnswer: answerFinding(f)}
		if compare == "live" {
			v.Status = "new"
			if live[f.Fingerprint] {
				v.Status = "known"
			}
		}
		ans.Items = append(ans.Items, v)
	}
	c.JSON(http.StatusOK, ans)
}
