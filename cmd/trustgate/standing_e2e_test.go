package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

type appHistory struct {
	App   store.App
	Items []store.AppEvent
}

func TestCreditDropSuspendsTheLiveApp(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, identity := s.demo.tokens["lin-verified"], s.demo.tokens["identity"]
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

	code, out := patch(time.Now(), `"credit_score": 520`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, true, out["applied"])

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
}
