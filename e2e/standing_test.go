package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/workflows"
)

type appHistory struct {
	App   store.App
	Items []store.AppEvent
}

func TestCreditDropSuspendsTheLiveApp(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, identity := s.demo.Tokens["lin-verified"], s.demo.Tokens["identity"]
	app := s.appOf("lin-verified")
	_, created := s.upload(t, lin, app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, "approved", string(s.settle(t, lin, created["id"].(string)).State))

	var me meAnswer
	s.call(t, "GET", "/v1/me", lin, nil, nil, &me)
	patch := func(asOf time.Time, body string) (int, map[string]any) {
		payload := `{"as_of":"` + asOf.UTC().Format(time.RFC3339Nano) + `",` + body + `}`
		var out map[string]any
		resp := s.call(t, "PATCH", "/v1/developers/"+me.Developer.ID, identity, strings.NewReader(payload), jsonHeader, &out)
		return resp.StatusCode, out
	}

	asOf := time.Now()
	code, out := patch(asOf, `"credit_score": 520`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, true, out["applied"])
	reevaluation := out["reevaluation"].(string)

	var h appHistory
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
		return h.App.Status == "suspended"
	}, 30*time.Second, 100*time.Millisecond, "the live app is suspended after the credit drop")
	last := h.Items[len(h.Items)-1]
	require.Equal(t, "suspended", last.Kind)
	var detail struct {
		Reasons []struct{ Code string }
	}
	require.NoError(t, json.Unmarshal(last.Detail, &detail))
	require.Equal(t, "CREDIT_BELOW_THRESHOLD", detail.Reasons[0].Code, "the history says why")
	recordHistory(t, reevaluation, "reevaluate-one-app")
	recordHistory(t, workflows.RecheckWorkflowID(app, asOf), "recheck-suspend")

	// An update older than the applied one changes nothing.
	code, out = patch(time.Now().Add(-time.Hour), `"credit_score": 900`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, false, out["applied"])
	s.call(t, "GET", "/v1/me", lin, nil, nil, &me)
	require.Equal(t, 520, me.Developer.CreditScore)

	code, _ = patch(time.Now(), `"credit_score": 5000`)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	resp := s.call(t, "PATCH", "/v1/developers/"+me.Developer.ID, lin, strings.NewReader(`{"credit_score":900}`), jsonHeader, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a developer cannot raise their own credit")

	audit, err := s.store.AuditOf(t.Context(), me.Developer.ID)
	require.NoError(t, err)
	require.Len(t, audit, 1, "the applied change is audited; the ignored one is not")
	require.Equal(t, "demo-identity", audit[0].Actor)

	var found struct{ Items []store.AuditEntry }
	resp = s.call(t, "GET", "/v1/audit?action=developer.standing&object_id="+me.Developer.ID, s.demo.Tokens["compliance"], nil, nil, &found)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, found.Items, 1)
	require.Contains(t, string(found.Items[0].After), `"credit_score":520`, "the entry says what changed")
	resp = s.call(t, "GET", "/v1/audit?since=yesterday", s.demo.Tokens["compliance"], nil, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestTakedownAndItsAppeal(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, senior := s.demo.Tokens["lin-verified"], s.demo.Tokens["senior_reviewer"]
	app := s.appOf("lin-verified")
	_, created := s.upload(t, lin, app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, "approved", string(s.settle(t, lin, created["id"].(string)).State))

	code, out := s.act(t, s.demo.Tokens["reviewer"], "/v1/apps/"+app+"/suspend", `{"reason_codes":["CONTENT_MISLEADING"],"comment":"x"}`)
	require.Equal(t, http.StatusForbidden, code, "takedowns are for senior reviewers: %v", out)
	code, out = s.act(t, senior, "/v1/apps/"+app+"/suspend", `{"reason_codes":["CONTENT_MISLEADING"],"comment":"fake discounts on the home page"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	takedown := out["takedown"].(string)

	var h appHistory
	s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
	require.Equal(t, "suspended", h.App.Status)
	require.Contains(t, string(h.Items[len(h.Items)-1].Detail), "CONTENT_MISLEADING", "the developer sees why")

	code, out = s.act(t, lin, "/v1/apps/"+app+"/appeal", `{"text":"the discounts are real"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)

	var queue struct{ Items []store.Task }
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/review-tasks?queue=senior", senior, nil, nil, &queue)
		return len(queue.Items) == 1
	}, 10*time.Second, 50*time.Millisecond)
	task := queue.Items[0].ID
	code, _ = s.act(t, senior, "/v1/review-tasks/"+task+"/claim", "")
	require.Equal(t, http.StatusForbidden, code, "not the senior who took it down")
	other, err := s.store.CreateToken(t.Context(), store.Token{Role: "senior_reviewer", Subject: "second-senior"})
	require.NoError(t, err)
	code, _ = s.act(t, other, "/v1/review-tasks/"+task+"/claim", "")
	require.Equal(t, http.StatusOK, code)
	code, out = s.act(t, other, "/v1/review-tasks/"+task+"/decision", `{"outcome":"approve","comment":"price history checks out"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
	require.Equal(t, "live", h.App.Status, "an upheld appeal makes the app live again")
	require.Equal(t, "reinstated", h.Items[len(h.Items)-1].Kind)
	recordHistory(t, takedown, "takedown-appeal-reinstate")
}

// A risk flag sends the developer's live app to a re-check review; the
// reviewer's approval keeps it live, and its history says it passed.
func TestRiskFlagOpensARecheckReview(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, reviewer := s.demo.Tokens["lin-verified"], s.demo.Tokens["reviewer"]
	app := s.appOf("lin-verified")
	_, created := s.upload(t, lin, app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	live := created["id"].(string)
	require.Equal(t, "approved", string(s.settle(t, lin, live).State))

	var me meAnswer
	s.call(t, "GET", "/v1/me", lin, nil, nil, &me)
	asOf := time.Now()
	payload := `{"as_of":"` + asOf.UTC().Format(time.RFC3339Nano) + `","risk_flags":["chargebacks"]}`
	var out map[string]any
	resp := s.call(t, "PATCH", "/v1/developers/"+me.Developer.ID, s.demo.Tokens["identity"], strings.NewReader(payload), jsonHeader, &out)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", out)

	task := s.taskOf(t, reviewer, "standard", live)
	var h appHistory
	s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
	require.Equal(t, "live", h.App.Status, "the app stays live while it is re-checked")
	require.Equal(t, "recheck_opened", h.Items[len(h.Items)-1].Kind)
	require.Contains(t, string(h.Items[len(h.Items)-1].Detail), "RISK_FLAGGED", "the history says why")

	code, out := s.act(t, reviewer, "/v1/review-tasks/"+task+"/claim", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = s.act(t, reviewer, "/v1/review-tasks/"+task+"/decision", `{"outcome":"approve","comment":"the chargebacks were a payment provider's error"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
		return h.Items[len(h.Items)-1].Kind == "recheck_passed"
	}, 10*time.Second, 50*time.Millisecond, "the passed re-check is in the app's history")
	require.Equal(t, "live", h.App.Status)
	recordHistory(t, workflows.RecheckWorkflowID(app, asOf), "recheck-review-approve")
}

// A standing change with If-Match applies only to the developer as the
// caller last saw it; a stale tag is 412 and changes nothing.
func TestStandingChangeWithIfMatch(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	identity := s.demo.Tokens["identity"]
	var me meAnswer
	s.call(t, "GET", "/v1/me", s.demo.Tokens["zhao-unverified"], nil, nil, &me)
	asOf := time.Now().Add(-time.Hour)
	patch := func(ifMatch, body string) (*http.Response, map[string]any) {
		asOf = asOf.Add(time.Second)
		payload := `{"as_of":"` + asOf.UTC().Format(time.RFC3339Nano) + `",` + body + `}`
		h := http.Header{"Content-Type": {"application/json"}}
		if ifMatch != "" {
			h.Set("If-Match", ifMatch)
		}
		var out map[string]any
		resp := s.call(t, "PATCH", "/v1/developers/"+me.Developer.ID, identity, strings.NewReader(payload), h, &out)
		return resp, out
	}

	resp, out := patch("", `"credit_score": 600`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", out)
	first := resp.Header.Get("ETag")
	require.NotEmpty(t, first)

	resp, out = patch(first, `"credit_score": 610`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the current tag matches: %v", out)
	second := resp.Header.Get("ETag")
	require.NotEqual(t, first, second, "a changed developer has a new tag")

	resp, out = patch(first, `"credit_score": 300`)
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "%v", out)
	require.Equal(t, "/problems/precondition-failed", out["type"])
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))

	resp, out = patch(`"other", `+second, `"credit_score": 620`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "any listed tag may match: %v", out)
	require.EqualValues(t, 620, out["developer"].(map[string]any)["credit_score"])

	resp, out = patch("W/"+resp.Header.Get("ETag"), `"credit_score": 630`)
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "weak tags never match If-Match: %v", out)
	resp, _ = patch("*", `"credit_score": 640`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
