package e2e

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/server"
)

// who may call what, written here independently of the router's table: a
// route added to the router but not here fails the test, and so does a
// route whose roles drift from what this table says.
var allowed = map[string][]string{
	"GET /healthz":                               {"*"},
	"GET /readyz":                                {"*"},
	"GET /openapi.yaml":                          {"*"},
	"GET /metrics":                               {"admin"},
	"GET /v1/me":                                 {"developer", "reviewer", "senior_reviewer", "compliance", "identity", "admin"},
	"POST /v1/apps":                              {"developer"},
	"GET /v1/apps":                               {"developer"},
	"POST /v1/submissions":                       {"developer"},
	"GET /v1/submissions":                        {"developer", "reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/submissions/:id":                    {"developer", "reviewer", "senior_reviewer", "compliance", "admin"},
	"POST /v1/submissions/:id/withdraw":          {"developer"},
	"POST /v1/submissions/:id/appeal":            {"developer"},
	"GET /v1/submissions/:id/findings":           {"developer", "reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/submissions/:id/privacy":            {"developer", "reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/submissions/:id/evaluation":         {"reviewer", "senior_reviewer", "compliance", "admin"},
	"POST /v1/submissions/:id/evaluation/replay": {"reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/submissions/:id/related":            {"reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/developers/:id/related":             {"reviewer", "senior_reviewer", "compliance", "admin"},
	"GET /v1/review-tasks":                       {"reviewer", "senior_reviewer"},
	"POST /v1/review-tasks/:id/claim":            {"reviewer", "senior_reviewer"},
	"POST /v1/review-tasks/:id/release":          {"reviewer", "senior_reviewer"},
	"POST /v1/review-tasks/:id/decision":         {"reviewer", "senior_reviewer"},
	"GET /v1/reason-codes":                       {"developer", "reviewer", "senior_reviewer", "compliance", "identity", "admin"},
	"PATCH /v1/developers/:id":                   {"identity", "admin"},
	"GET /v1/apps/:id/events":                    {"developer", "reviewer", "senior_reviewer", "compliance", "admin"},
	"POST /v1/apps/:id/suspend":                  {"senior_reviewer"},
	"POST /v1/apps/:id/appeal":                   {"developer"},
	"POST /v1/submissions/:id/retry":             {"admin"},
	"GET /v1/audit":                              {"compliance", "admin"},
	"POST /v1/webhooks":                          {"developer"},
	"GET /v1/webhooks":                           {"developer"},
	"DELETE /v1/webhooks/:id":                    {"developer"},
	"GET /v1/webhooks/:id/deliveries":            {"developer"},
	"POST /v1/webhook-deliveries/:id/redeliver":  {"developer"},
	"GET /v1/policies":                           {"compliance", "admin"},
	"GET /v1/policies/active":                    {"compliance", "admin"},
	"POST /v1/policies":                          {"compliance"},
	"GET /v1/policies/:id":                       {"compliance", "admin"},
	"PUT /v1/policies/:id/files/*path":           {"compliance"},
	"POST /v1/policies/:id/validate":             {"compliance"},
	"POST /v1/policies/:id/test":                 {"compliance"},
	"POST /v1/policies/:id/simulate":             {"compliance"},
	"GET /v1/policies/:id/simulations/:sim":      {"compliance", "admin"},
	"POST /v1/policies/:id/approve":              {"compliance"},
	"POST /v1/policies/:id/activate":             {"compliance"},
	"POST /v1/waivers":                           {"compliance"},
	"GET /v1/waivers":                            {"compliance", "admin"},
	"POST /v1/waivers/:id/approve":               {"compliance"},
}

func TestEveryRouteChecksEveryRole(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	ctx := t.Context()
	tokens := map[string]string{}
	for _, role := range server.Roles {
		tokens[role] = s.demo.Tokens[role]
	}
	tokens["developer"] = s.demo.Tokens["zhao-unverified"]
	revoked, err := s.store.CreateToken(ctx, store.Token{Role: "admin", Subject: "revoked"})
	require.NoError(t, err)
	require.NoError(t, s.store.RevokeToken(ctx, revoked))
	past := time.Now().Add(-time.Hour)
	expired, err := s.store.CreateToken(ctx, store.Token{Role: "admin", Subject: "expired", ExpiresAt: &past})
	require.NoError(t, err)

	var routed []string
	for _, r := range server.Routes() {
		key := r.Method + " " + r.Path
		routed = append(routed, key)
		want, ok := allowed[key]
		require.True(t, ok, "route %s is not in this test's table: say who may call it", key)
		if want[0] == "*" {
			require.Nil(t, r.Roles, "%s is public in this table", key)
		} else {
			got := slices.Clone(r.Roles)
			sort.Strings(got)
			w := slices.Clone(want)
			sort.Strings(w)
			require.Equal(t, w, got, "roles of %s", key)
		}
		// Another developer's objects: IDs that do not exist, so even an
		// allowed call can only answer "not found" or "invalid".
		path := strings.NewReplacer(":id", "x_missing", ":sim", "x_missing", "*path", "x.rego").Replace(r.Path)
		body := func() *strings.Reader { return strings.NewReader("{}") }
		for _, role := range server.Roles {
			t.Run(key+" as "+role, func(t *testing.T) {
				resp := s.call(t, r.Method, path, tokens[role], body(), jsonHeader, nil)
				switch {
				case want[0] == "*":
					require.NotEqual(t, http.StatusUnauthorized, resp.StatusCode)
					require.NotEqual(t, http.StatusForbidden, resp.StatusCode)
				case slices.Contains(want, role):
					require.NotContains(t, []int{401, 403, 500}, resp.StatusCode, "an allowed role is let through to the object check")
				default:
					require.Equal(t, http.StatusForbidden, resp.StatusCode)
				}
			})
		}
		if want[0] != "*" {
			for name, tok := range map[string]string{"no token": "", "a revoked token": revoked, "an expired token": expired, "a made-up token": "tg_00"} {
				t.Run(key+" with "+name, func(t *testing.T) {
					resp := s.call(t, r.Method, path, tok, body(), jsonHeader, nil)
					require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				})
			}
		}
	}
	for key := range allowed {
		require.Contains(t, routed, key, "this test names a route the router does not serve")
	}
}

// Token lookups are cached for at most two seconds: a revoked token answers
// 401 within that, give or take the time a request takes.
func TestRevokedTokenStopsWorkingWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	ctx := t.Context()
	secret, err := s.store.CreateToken(ctx, store.Token{Role: "reviewer", Subject: "soon-revoked"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/me", secret, nil, nil, nil).StatusCode)
	require.NoError(t, s.store.RevokeToken(ctx, secret))
	revoked := time.Now()
	for {
		status := s.call(t, "GET", "/v1/me", secret, nil, nil, nil).StatusCode
		if status == http.StatusUnauthorized {
			break
		}
		require.Equal(t, http.StatusOK, status)
		require.Less(t, time.Since(revoked), 2500*time.Millisecond, "the revoked token still works")
		time.Sleep(20 * time.Millisecond)
	}
}

// A senior reviewer who declared a conflict with the developer's
// organisation acts on none of its apps: not the takedown, not the
// appeal of it, not a re-check. Each refusal is the same 403 with its own
// problem type, and a senior without the conflict does each act.
func TestConflictOfInterestHoldsForEveryActOnAnApp(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	ctx := t.Context()
	lin := s.demo.Tokens["lin-verified"]
	app := s.appOf("lin-verified")
	_, created := s.upload(t, lin, app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	live := created["id"].(string)
	require.Equal(t, "approved", string(s.settle(t, lin, live).State))
	var me meAnswer
	s.call(t, "GET", "/v1/me", lin, nil, nil, &me)
	dev, err := s.store.GetDeveloper(ctx, me.Developer.ID)
	require.NoError(t, err)
	conflicted, err := s.store.CreateToken(ctx, store.Token{Role: "senior_reviewer", Subject: "conflicted-senior", ConflictOrgs: []string{dev.OrgID}})
	require.NoError(t, err)
	clean, err := s.store.CreateToken(ctx, store.Token{Role: "senior_reviewer", Subject: "clean-senior"})
	require.NoError(t, err)
	takenDownBy := s.demo.Tokens["senior_reviewer"]

	refused := func(t *testing.T, what, path, body string) {
		t.Helper()
		var out map[string]any
		resp := s.call(t, "POST", path, conflicted, strings.NewReader(body), jsonHeader, &out)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s by a conflicted senior: %v", what, out)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), what)
		require.Equal(t, "/problems/conflict-of-interest", out["type"], "%s: %v", what, out)
	}
	done := func(t *testing.T, what, token, path, body string) {
		t.Helper()
		code, out := s.act(t, token, path, body)
		require.Equal(t, http.StatusOK, code, "%s: %v", what, out)
	}

	// A re-check: a risk flag opens a task on the live app.
	asOf := time.Now()
	payload := `{"as_of":"` + asOf.UTC().Format(time.RFC3339Nano) + `","risk_flags":["chargebacks"]}`
	resp := s.call(t, "PATCH", "/v1/developers/"+dev.ID, s.demo.Tokens["identity"], strings.NewReader(payload), jsonHeader, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	recheck := s.taskOf(t, clean, "standard", live)
	refused(t, "claiming the re-check", "/v1/review-tasks/"+recheck+"/claim", "{}")
	refused(t, "deciding the re-check", "/v1/review-tasks/"+recheck+"/decision", `{"outcome":"reject","reason_codes":["POLICY_VIOLATION"],"comment":"x"}`)
	done(t, "claiming the re-check", clean, "/v1/review-tasks/"+recheck+"/claim", "{}")
	done(t, "deciding the re-check", clean, "/v1/review-tasks/"+recheck+"/decision", `{"outcome":"approve","comment":"the chargebacks were the provider's error"}`)
	var h appHistory
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
		return h.Items[len(h.Items)-1].Kind == "recheck_passed"
	}, 10*time.Second, 50*time.Millisecond)

	// The takedown.
	takedown := `{"reason_codes":["CONTENT_MISLEADING"],"comment":"fake discounts on the home page"}`
	refused(t, "the takedown", "/v1/apps/"+app+"/suspend", takedown)
	s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
	require.Equal(t, "live", h.App.Status, "a refused takedown leaves the app live")
	done(t, "the takedown", takenDownBy, "/v1/apps/"+app+"/suspend", takedown)

	// The developer's appeal of it goes to a senior task.
	done(t, "the appeal", lin, "/v1/apps/"+app+"/appeal", `{"text":"the discounts are real"}`)
	var queue struct{ Items []store.Task }
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/review-tasks?queue=senior", clean, nil, nil, &queue)
		return len(queue.Items) == 1
	}, 10*time.Second, 50*time.Millisecond)
	appeal := queue.Items[0].ID
	s.call(t, "GET", "/v1/review-tasks?queue=senior", conflicted, nil, nil, &queue)
	require.Empty(t, queue.Items, "the conflicted senior's queue leaves the appeal out")
	refused(t, "claiming the appeal", "/v1/review-tasks/"+appeal+"/claim", "{}")
	refused(t, "deciding the appeal", "/v1/review-tasks/"+appeal+"/decision", `{"outcome":"approve","comment":"x"}`)
	done(t, "claiming the appeal", clean, "/v1/review-tasks/"+appeal+"/claim", "{}")
	done(t, "deciding the appeal", clean, "/v1/review-tasks/"+appeal+"/decision", `{"outcome":"approve","comment":"price history checks out"}`)
	s.call(t, "GET", "/v1/apps/"+app+"/events", lin, nil, nil, &h)
	require.Equal(t, "live", h.App.Status, "the upheld appeal makes the app live again")
}
