package e2e

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/activities"
	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/policies"
)

// policyAnswerT is what the tests read of a policy version answer.
type policyAnswerT struct {
	ID        string            `json:"id"`
	State     string            `json:"state"`
	Hash      string            `json:"hash"`
	Author    string            `json:"author"`
	Editors   []string          `json:"editors"`
	Files     map[string]string `json:"files"`
	Previous  string            `json:"previous"`
	Approvals []struct{ By, Hash string }
}

type problemT struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct{ Field, Message string }
}

// demoDeveloper makes a verified developer with an app of a category and a
// token, for decisions that differ only by kind, credit and category.
func (s *stack) demoDeveloper(t *testing.T, name, kind string, credit int, category string) (token, appID string) {
	t.Helper()
	ctx := t.Context()
	verified, expires := time.Now().AddDate(0, -1, 0), time.Now().AddDate(1, 0, 0)
	dev, err := s.store.UpsertDeveloper(ctx, store.Developer{Name: name, Kind: kind, RealNameStatus: "verified",
		RealNameVerifiedAt: &verified, RealNameExpiresAt: &expires, CreditScore: credit})
	require.NoError(t, err)
	app, err := s.store.EnsureApp(ctx, store.App{DeveloperID: dev.ID, Name: name + " app", Category: category, Platform: "wechat"})
	require.NoError(t, err)
	token, err = s.store.CreateToken(ctx, store.Token{Role: "developer", Subject: name, DeveloperID: &dev.ID})
	require.NoError(t, err)
	return token, app.ID
}

// submitAndSettle uploads a variant of hello-wechat and waits for its decision.
func (s *stack) submitAndSettle(t *testing.T, token, appID, salt string) submissionAnswer {
	t.Helper()
	resp, created := s.upload(t, token, appID, "1.0."+fmt.Sprint(time.Now().UnixNano()%1000), variant(t, "hello-wechat", salt), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	return s.settle(t, token, created["id"].(string))
}

// putFile replaces one file of a draft with If-Match.
func (s *stack) putFile(t *testing.T, token, id, path, ifMatch, content string) (*http.Response, map[string]any) {
	t.Helper()
	var out map[string]any
	resp := s.call(t, "PUT", "/v1/policies/"+id+"/files/"+path, token, strings.NewReader(content),
		http.Header{"If-Match": {`"` + ifMatch + `"`}, "Content-Type": {"text/plain"}}, &out)
	return resp, out
}

// simulationJob is what GET /v1/policies/{id}/simulations/{sim} answers.
type simulationJob struct {
	ID       string           `json:"id"`
	PolicyID string           `json:"policy_id"`
	State    string           `json:"state"`
	Total    int              `json:"total"`
	Done     int              `json:"done"`
	Error    string           `json:"error,omitempty"`
	Report   *policies.Impact `json:"report,omitempty"`
}

// awaitSimulation polls a simulation job until it ends.
func (s *stack) awaitSimulation(t *testing.T, token, location string) simulationJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var job simulationJob
		resp := s.call(t, "GET", location, token, nil, nil, &job)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		if job.State != "running" {
			return job
		}
		require.True(t, time.Now().Before(deadline), "simulation still running after 60s")
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPolicyLifecycleEndToEnd follows a threshold change from draft to
// activation and back, on real PostgreSQL and Temporal with two workers.
func TestPolicyLifecycleEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	ctx := t.Context()
	drafter, approver := s.demo.Tokens["compliance"], s.demo.Tokens["compliance-2"]

	// A second worker on the same task queue, with its own policy cache.
	second, err := activities.NewStoredPolicies(ctx, s.store)
	require.NoError(t, err)
	svc2 := *s.svc
	svc2.Policies = second
	w2 := svc2.NewWorker()
	require.NoError(t, w2.Start())
	t.Cleanup(w2.Stop)

	// Decisions to simulate on: two individuals just above today's
	// threshold of 700, one well above it, and an enterprise.
	type dev struct {
		name, kind, category string
		credit               int
	}
	devs := []dev{
		{"ind-705-tools", "individual", "tools", 705},
		{"ind-708-lifestyle", "individual", "lifestyle", 708},
		{"ind-780-tools", "individual", "tools", 780},
		{"ent-650-tools", "enterprise", "tools", 650},
	}
	tokens, apps, recorded := map[string]string{}, map[string]string{}, map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, d := range devs {
		tokens[d.name], apps[d.name] = s.demoDeveloper(t, d.name, d.kind, d.credit, d.category)
	}
	for _, d := range devs {
		wg.Go(func() {
			sub := s.submitAndSettle(t, tokens[d.name], apps[d.name], "recorded")
			assert.Equal(t, "approved", string(sub.State), "%s under the shipped policy", d.name)
			mu.Lock()
			recorded[d.name] = sub.ID
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Len(t, recorded, len(devs))

	var active policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/policies/active", drafter, nil, nil, &active).StatusCode)
	require.True(t, strings.HasPrefix(active.ID, "default-"), "the shipped bundle is the first active version")

	// The drafter writes the change: the individual threshold and its tests.
	var draft policyAnswerT
	resp := s.call(t, "POST", "/v1/policies", drafter, strings.NewReader(`{"from":"active"}`), jsonHeader, &draft)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, `"`+active.Hash+`"`, resp.Header.Get("ETag"))
	assert.Equal(t, "draft", draft.State)
	assert.Equal(t, "demo-compliance", draft.Author)
	data := strings.Replace(draft.Files["data.json"], `"individual": 700,`, `"individual": 710,`, 1)
	require.NotEqual(t, draft.Files["data.json"], data)
	resp, edited := s.putFile(t, drafter, draft.ID, "data.json", draft.Hash, data)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", edited)
	afterData := edited["hash"].(string)

	t.Run("an edit against a stale hash is refused with 412", func(t *testing.T) {
		var p problemT
		resp := s.call(t, "PUT", "/v1/policies/"+draft.ID+"/files/data.json", drafter, strings.NewReader(data),
			http.Header{"If-Match": {draft.Hash}}, &p)
		require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)
		assert.Equal(t, "/problems/stale-draft", p.Type)
	})
	t.Run("an edit without If-Match is refused with 428", func(t *testing.T) {
		var p problemT
		resp := s.call(t, "PUT", "/v1/policies/"+draft.ID+"/files/data.json", drafter, strings.NewReader(data), nil, &p)
		require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode)
		assert.Equal(t, "/problems/if-match-required", p.Type)
	})

	tests := strings.ReplaceAll(draft.Files["submission_test.rego"], "700", "710")
	resp, edited = s.putFile(t, drafter, draft.ID, "submission_test.rego", afterData, tests)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", edited)
	draftHash := edited["hash"].(string)

	approve := func(token string) (*http.Response, problemT) {
		var p problemT
		return s.call(t, "POST", "/v1/policies/"+draft.ID+"/approve", token, nil, nil, &p), p
	}
	resp, p := approve(approver)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, "/problems/not-tested", p.Type, "an untested draft is not approved")

	var report struct {
		Hash     string  `json:"hash"`
		OK       bool    `json:"ok"`
		Failed   int     `json:"failed"`
		Coverage float64 `json:"coverage"`
	}
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/test", drafter, nil, nil, &report).StatusCode)
	require.True(t, report.OK, "the draft's tests pass: %+v", report)
	assert.Equal(t, draftHash, report.Hash)
	assert.GreaterOrEqual(t, report.Coverage, policies.MinCoverage)

	resp, p = approve(approver)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, "/problems/not-simulated", p.Type, "an unsimulated draft is not approved")

	var job simulationJob
	resp = s.call(t, "POST", "/v1/policies/"+draft.ID+"/simulate", drafter, strings.NewReader(`{"last": 100}`), jsonHeader, &job)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	job = s.awaitSimulation(t, drafter, resp.Header.Get("Location"))
	require.Equal(t, "succeeded", job.State, job.Error)
	recordHistory(t, job.ID, "policy-simulation")
	im := job.Report
	require.NotNil(t, im)
	assert.Equal(t, len(devs), im.Evaluated)
	assert.Equal(t, 2, im.Changed)
	assert.Equal(t, policies.OutcomeMatrix{"approve": {"approve": 2, "reject": 2}}, im.Matrix)
	assert.Equal(t, map[string]policies.OutcomeMatrix{
		"individual": {"approve": {"approve": 1, "reject": 2}},
		"enterprise": {"approve": {"approve": 1}},
	}, im.ByKind)
	assert.Equal(t, map[string]policies.OutcomeMatrix{
		"tools":     {"approve": {"approve": 2, "reject": 1}},
		"lifestyle": {"approve": {"reject": 1}},
	}, im.ByCategory)
	var changed []string
	for _, ch := range im.Changes {
		changed = append(changed, ch.SubmissionID)
		assert.Empty(t, ch.OldReasons)
		require.Len(t, ch.NewReasons, 1)
		assert.Equal(t, "CREDIT_BELOW_THRESHOLD", ch.NewReasons[0].Code)
	}
	assert.ElementsMatch(t, []string{recorded["ind-705-tools"], recorded["ind-708-lifestyle"]}, changed)

	resp, p = approve(drafter)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "/problems/four-eyes", p.Type, "the author may not approve her own draft")

	var approved policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/approve", approver, nil, nil, &approved).StatusCode)
	assert.Equal(t, "approved", approved.State)
	require.Len(t, approved.Approvals, 1)
	assert.Equal(t, "demo-compliance-2", approved.Approvals[0].By)

	resp, edited = s.putFile(t, drafter, draft.ID, "data.json", draftHash, data)
	require.Equal(t, http.StatusConflict, resp.StatusCode, "an approved version is not edited")
	assert.Equal(t, "/problems/not-a-draft", edited["type"])

	// Both workers have the shipped bundle compiled; activation must
	// reach them without a restart.
	first, err := s.svc.Policies.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, active.ID, first.Version())
	before, err := second.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, active.ID, before.Version())

	var activated policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/activate", drafter, nil, nil, &activated).StatusCode)
	assert.Equal(t, "active", activated.State)
	assert.Equal(t, active.ID, activated.Previous)
	for _, p := range []*activities.StoredPolicies{s.svc.Policies, second} {
		e, err := p.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, draft.ID, e.Version(), "every worker decides with the new version at once")
		assert.Equal(t, draftHash, e.Hash())
	}

	// Only the second worker runs from here: its cache held the old version.
	s.worker.Stop()
	sub := s.submitAndSettle(t, tokens["ind-705-tools"], apps["ind-705-tools"], "after activation")
	assert.Equal(t, "rejected", string(sub.State))
	assert.Equal(t, []string{"CREDIT_BELOW_THRESHOLD"}, codes(sub))
	require.NotNil(t, sub.PolicyVersion)
	assert.Equal(t, draft.ID, *sub.PolicyVersion, "the first submission after activation names the new version")
	var evals struct {
		Items []store.DecisionRecord `json:"items"`
	}
	s.call(t, "GET", "/v1/submissions/"+sub.ID+"/evaluation", drafter, nil, nil, &evals)
	require.NotEmpty(t, evals.Items)
	assert.Equal(t, draftHash, evals.Items[len(evals.Items)-1].PolicyHash)

	// Rollback: the shipped version again, in one step.
	var rolled policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+active.ID+"/activate", approver, nil, nil, &rolled).StatusCode)
	assert.Equal(t, draft.ID, rolled.Previous)
	sub = s.submitAndSettle(t, tokens["ind-705-tools"], apps["ind-705-tools"], "after rollback")
	assert.Equal(t, "approved", string(sub.State), "rollback restores the old outcome")
	assert.Equal(t, active.ID, *sub.PolicyVersion)

	var versions struct{ Items []policyAnswerT }
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/policies", drafter, nil, nil, &versions).StatusCode)
	require.Len(t, versions.Items, 2)
	assert.Equal(t, draft.ID, versions.Items[0].ID, "newest first")
	assert.Equal(t, "retired", versions.Items[0].State)
	assert.Equal(t, "active", versions.Items[1].State)

	var audit struct{ Items []store.AuditEntry }
	s.call(t, "GET", "/v1/audit?object_id="+draft.ID, drafter, nil, nil, &audit)
	var actions []string
	for _, e := range audit.Items {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	for _, want := range []string{"demo-compliance policy.draft", "demo-compliance policy.edit", "demo-compliance policy.test",
		"demo-compliance policy.simulate", "demo-compliance-2 policy.approve", "demo-compliance policy.activate"} {
		assert.Contains(t, actions, want)
	}
	s.call(t, "GET", "/v1/audit?object_id="+active.ID, drafter, nil, nil, &audit)
	assert.True(t, slices.ContainsFunc(audit.Items, func(e store.AuditEntry) bool {
		return e.Action == "policy.rollback" && e.Actor == "demo-compliance-2"
	}), "the rollback is audited")
}

// TestPolicyDraftRefusals covers what a draft may not contain or do.
func TestPolicyDraftRefusals(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	drafter := s.demo.Tokens["compliance"]

	upload := func(t *testing.T, files map[string]string) (*http.Response, policyAnswerT) {
		raw := map[string][]byte{}
		for p, content := range files {
			raw[p] = []byte(content)
		}
		var body bytes.Buffer
		ct, err := writeBundleForm(&body, raw)
		require.NoError(t, err)
		var v policyAnswerT
		return s.call(t, "POST", "/v1/policies", drafter, &body, http.Header{"Content-Type": {ct}}, &v), v
	}

	t.Run("a draft calling http.send is refused with file and line", func(t *testing.T) {
		files := map[string]string{}
		for p, c := range policies.DefaultFiles() {
			files[p] = string(c)
		}
		files["exfiltrate.rego"] = "package trustgate.submission\n\nleak := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n"
		resp, v := upload(t, files)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var p problemT
		resp = s.call(t, "POST", "/v1/policies/"+v.ID+"/validate", drafter, nil, nil, &p)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, "/problems/invalid-policy", p.Type)
		require.NotEmpty(t, p.Errors)
		assert.Equal(t, "exfiltrate.rego:3:9", p.Errors[0].Field)
		assert.Contains(t, p.Errors[0].Message, "forbidden builtin http.send")
	})

	t.Run("a draft calling a builtin the plan machine is not proven on is refused, naming it", func(t *testing.T) {
		resp, v := upload(t, map[string]string{"policy.rego": `package trustgate.submission

decision := {"outcome": "approve", "reasons": []} if regex.match("^.", input.app.name)
`})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var p problemT
		resp = s.call(t, "POST", "/v1/policies/"+v.ID+"/validate", drafter, nil, nil, &p)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, "/problems/invalid-policy", p.Type)
		require.NotEmpty(t, p.Errors)
		assert.Equal(t, "policy.rego:3:54", p.Errors[0].Field)
		assert.Contains(t, p.Errors[0].Message, "builtin regex.match is not supported")
	})

	t.Run("the validation report names the evaluator", func(t *testing.T) {
		files := map[string]string{}
		for p, c := range policies.DefaultFiles() {
			files[p] = string(c)
		}
		resp, v := upload(t, files)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var r policies.ValidationReport
		require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+v.ID+"/validate", drafter, nil, nil, &r).StatusCode)
		assert.True(t, r.OK)
		assert.Equal(t, policies.EvaluatorPlan, r.Evaluator)
	})

	t.Run("a draft that loops ends its simulation with a clear error", func(t *testing.T) {
		// A few decisions to simulate on.
		lin := s.demo.Tokens["lin-verified"]
		s.submitAndSettle(t, lin, s.appOf("lin-verified"), "loop")
		// Ten billion steps over two arrays of 100,000 one-character
		// strings (a few megabytes): as good as a loop.
		files := map[string]string{"spin.rego": `package trustgate.submission

digits := split(sprintf("%0100000d", [0]), "")

spin if {
	some x in digits
	some y in digits
	x != y
}

decision := {"outcome": "approve", "reasons": []} if not spin
`}
		resp, v := upload(t, files)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+v.ID+"/validate", drafter, nil, nil, nil).StatusCode)
		var job simulationJob
		resp = s.call(t, "POST", "/v1/policies/"+v.ID+"/simulate", drafter, strings.NewReader(`{"last": 10}`), jsonHeader, &job)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		job = s.awaitSimulation(t, drafter, resp.Header.Get("Location"))
		assert.Equal(t, "failed", job.State)
		assert.Contains(t, job.Error, "timed out")
	})

	t.Run("a file outside the bundle's shape is refused", func(t *testing.T) {
		resp, _ := upload(t, map[string]string{"notes.txt": "hello"})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	})

	t.Run("a file over the size limit is refused", func(t *testing.T) {
		resp, _ := upload(t, map[string]string{"big.rego": strings.Repeat("#", policies.MaxFileBytes+1)})
		require.Contains(t, []int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, resp.StatusCode)
	})

	t.Run("an editor may not approve what they edited", func(t *testing.T) {
		approver := s.demo.Tokens["compliance-2"]
		var v policyAnswerT
		require.Equal(t, http.StatusCreated, s.call(t, "POST", "/v1/policies", drafter, strings.NewReader(`{"from":"active"}`), jsonHeader, &v).StatusCode)
		resp, edited := s.putFile(t, approver, v.ID, "data.json", v.Hash, v.Files["data.json"]+"\n")
		require.Equal(t, http.StatusOK, resp.StatusCode, "%v", edited)
		assert.Equal(t, []any{"demo-compliance-2"}, edited["editors"])
		var p problemT
		resp = s.call(t, "POST", "/v1/policies/"+v.ID+"/approve", approver, nil, nil, &p)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, "/problems/four-eyes", p.Type)
	})

	t.Run("a draft is not activated", func(t *testing.T) {
		var v policyAnswerT
		require.Equal(t, http.StatusCreated, s.call(t, "POST", "/v1/policies", drafter, strings.NewReader(`{"from":"active"}`), jsonHeader, &v).StatusCode)
		var p problemT
		resp := s.call(t, "POST", "/v1/policies/"+v.ID+"/activate", drafter, nil, nil, &p)
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		assert.Equal(t, "/problems/not-approved", p.Type)
	})
}

// TestWaiverEndToEnd: a waiver turns a review into an approval until it
// expires, and no longer after.
func TestWaiverEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	drafter, approver := s.demo.Tokens["compliance"], s.demo.Tokens["compliance-2"]
	lin, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")

	// eval in the app's code: CODE-001, a high finding that goes to review.
	evalPackage := func(salt string) []byte {
		dir := t.TempDir()
		require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "examples", "hello-wechat"))))
		appJS, err := os.ReadFile(filepath.Join(dir, "app.js"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "app.js"),
			append(appJS, []byte("\nfunction run(code) { return eval(code) }\nmodule.exports = { run }\n")...), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "version.txt"), []byte(salt), 0o644))
		b, err := pkgzip.Dir(dir)
		require.NoError(t, err)
		return b
	}
	submit := func(salt string) submissionAnswer {
		resp, created := s.upload(t, lin, app, "2.0."+salt, evalPackage(salt), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
		id := created["id"].(string)
		deadline := time.Now().Add(60 * time.Second)
		for {
			var sub submissionAnswer
			s.call(t, "GET", "/v1/submissions/"+id, lin, nil, nil, &sub)
			if sub.State.Final() || sub.State == "in_review" {
				return sub
			}
			require.True(t, time.Now().Before(deadline), "submission %s still %s", id, sub.State)
			time.Sleep(100 * time.Millisecond)
		}
	}

	before := submit("1")
	require.Equal(t, "in_review", string(before.State), "without a waiver, eval goes to review")
	var evals struct {
		Items []store.DecisionRecord `json:"items"`
	}
	s.call(t, "GET", "/v1/submissions/"+before.ID+"/evaluation", drafter, nil, nil, &evals)
	require.NotEmpty(t, evals.Items)
	require.Contains(t, string(evals.Items[0].Output), "FINDING_NEEDS_REVIEW")
	assert.Empty(t, evals.Items[0].WaivedBy)

	expires := time.Now().Add(12 * time.Second).UTC()
	var w struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	resp := s.call(t, "POST", "/v1/waivers", drafter, strings.NewReader(fmt.Sprintf(
		`{"app_id": %q, "rule_id": "CODE-001", "reason": "sandboxed calculator, reviewed by hand", "expires_at": %q}`,
		app, expires.Format(time.RFC3339Nano))), jsonHeader, &w)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "pending", w.State)

	pending := submit("2")
	assert.Equal(t, "in_review", string(pending.State), "a waiver applies only once approved")

	var p problemT
	resp = s.call(t, "POST", "/v1/waivers/"+w.ID+"/approve", drafter, nil, nil, &p)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "/problems/four-eyes", p.Type)
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/waivers/"+w.ID+"/approve", approver, nil, nil, &w).StatusCode)
	assert.Equal(t, "active", w.State)

	waived := submit("3")
	assert.Equal(t, "approved", string(waived.State), "the waiver turns the review into an approval")
	s.call(t, "GET", "/v1/submissions/"+waived.ID+"/evaluation", drafter, nil, nil, &evals)
	require.NotEmpty(t, evals.Items)
	assert.Equal(t, []string{w.ID}, evals.Items[len(evals.Items)-1].WaivedBy, "the decision says the waiver changed it")

	var list struct{ Items []struct{ ID, State string } }
	s.call(t, "GET", "/v1/waivers?app_id="+app, approver, nil, nil, &list)
	require.Len(t, list.Items, 1)

	time.Sleep(time.Until(expires) + 200*time.Millisecond)
	after := submit("4")
	assert.Equal(t, "in_review", string(after.State), "an expired waiver stops applying by itself")
	s.call(t, "GET", "/v1/waivers?app_id="+app, approver, nil, nil, &list)
	assert.Equal(t, "expired", list.Items[0].State)
}

// TestPolicySimulateCommand runs `trustgate policy simulate DIR` against
// the API, as someone who keeps the policy in git would.
func TestPolicySimulateCommand(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"] // credit 780, individual
	s.submitAndSettle(t, lin, s.appOf("lin-verified"), "cli")

	dir := t.TempDir()
	for p, content := range policies.DefaultFiles() {
		if p == "data.json" {
			content = bytes.Replace(content, []byte(`"individual": 700,`), []byte(`"individual": 800,`), 1)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), content, 0o644))
	}
	text, stderr, code := runCLI(t, "policy", "simulate", dir, "--server", s.url, "--token", s.demo.Tokens["compliance"], "--last", "10")
	require.Equal(t, 0, code, "%s%s", text, stderr)
	assert.Contains(t, text, "draft pol_")
	assert.Contains(t, text, "evaluated 1 recorded decisions")
	assert.Contains(t, text, "1 would change")
	assert.Contains(t, text, "developer kind individual")
	assert.Contains(t, text, "approve → reject  [] → [CREDIT_BELOW_THRESHOLD]")

	_, stderr, code = runCLI(t, "policy", "simulate", dir, "--server", s.url, "--token", lin, "--last", "10")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "HTTP 403", "a developer may not upload a draft")
}

// writeBundleForm writes a bundle's files as the multipart form
// POST /v1/policies takes, one part per file named by its path.
func writeBundleForm(w io.Writer, files map[string][]byte) (contentType string, err error) {
	mw := multipart.NewWriter(w)
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		part, err := mw.CreateFormFile(p, p)
		if err != nil {
			return "", err
		}
		if _, err := part.Write(files[p]); err != nil {
			return "", err
		}
	}
	return mw.FormDataContentType(), mw.Close()
}
