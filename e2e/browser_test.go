package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"trustgate/internal/blobstore"
	"trustgate/internal/pkgzip"
)

// browser is a headless Chromium driving the console of one stack, with
// the console messages and exceptions its pages produced.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots

	mu   sync.Mutex
	logs []string
}

// The browser tests do not run in parallel: Go runs them one by one before
// it releases the parallel tests of the package, so Chromium (heavy on two
// cores) is not competing with the timing-sensitive claim race.

// newBrowser starts Debian's Chromium. Without it the test is skipped,
// except in CI, where a missing browser is a failure.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (make test installs it: apt-get install chromium)")
		}
		t.Skip("chromium is not on PATH; `make test` installs it (apt-get install chromium)")
	}
	dir := os.Getenv("TRUSTGATE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", ".artifacts", "console")
	}
	dir = filepath.Join(dir, t.Name())
	require.NoError(t, os.MkdirAll(dir, 0o755))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base, dir: dir}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "start chromium")
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.logs = append(b.logs, string(m.Type)+": "+m.Text)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions, each page given a minute at most.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err)
	return v
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

func (b *browser) visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// signIn clears the cookie jar and signs in with a token through the form.
func (b *browser) signIn(token string) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{})
	require.NoError(b.t, err)
	b.open("/")
	b.do(b.visible("#token"), chromedp.SendKeys(chromedp.CSS("#token"), token))
	b.follow(chromedp.Submit(chromedp.CSS("#token")))
	b.do(b.visible("#who"))
}

// waitState reloads a submission page until its state badge reads want.
func (b *browser) waitState(path, want string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b.open(path)
		got := b.text("#state")
		if got == want {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "%s still shows %q, want %q", path, got, want)
		time.Sleep(200 * time.Millisecond)
	}
}

// follow runs actions that make the page navigate (a form submitted, a
// link clicked) and waits until the next page has loaded.
func (b *browser) follow(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	get(b, chromedp.Evaluate[bool](`window.__before = true`))
	b.do(actions...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof window.__before === "undefined" && document.readyState === "complete"`))
		if err == nil && done {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "the page did not change")
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits until an element (of the page a click leads to) reads want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`(function(){ var e = document.querySelector(`+strconv.Quote(sel)+`); return e ? e.textContent.trim() : "" })()`))
		if err == nil && got == want {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "%s reads %q, want %q", sel, got, want)
		time.Sleep(100 * time.Millisecond)
	}
}

// shot saves the page at desktop width and at 375 px, and checks that at
// 375 px nothing makes the page itself scroll sideways.
func (b *browser) shot(name string) {
	b.t.Helper()
	desktop := get(b, chromedp.FullScreenshot(100))
	b.do(chromedp.EmulateViewport(375, 812))
	width := get(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	phone := get(b, chromedp.FullScreenshot(100))
	b.do(chromedp.EmulateViewport(1280, 900))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.dir, name+"-desktop.png"), desktop, 0o644))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.dir, name+"-375.png"), phone, 0o644))
	require.LessOrEqual(b.t, width, 375, "%s is wider than a 375 px screen", name)
}

// taskOf finds a submission's task in a queue through the API, to know
// which row of the queue to act on.
func (s *stack) taskOf(t *testing.T, token, queue, submissionID string) string {
	t.Helper()
	var id string
	require.Eventually(t, func() bool {
		var tasks struct {
			Items []struct {
				ID           string `json:"id"`
				SubmissionID string `json:"submission_id"`
			}
		}
		s.call(t, "GET", "/v1/review-tasks?state=open&queue="+url.QueryEscape(queue), token, nil, nil, &tasks)
		for _, tk := range tasks.Items {
			if tk.SubmissionID == submissionID {
				id = tk.ID
				return true
			}
		}
		return false
	}, 60*time.Second, 100*time.Millisecond)
	return id
}

func TestConsoleReviewRejectAppealApprove(t *testing.T) {
	s := startStack(t, 8<<20)
	b := newBrowser(t, s.url)
	dev := s.demo.Tokens["wang-flagged"]

	// The developer signs in, sees their app, and uploads a version.
	b.signIn(dev)
	require.Contains(t, b.text("h1"), "My apps")
	require.Contains(t, b.text("#apps"), "Wang")
	b.shot("01-developer-home")
	b.do(chromedp.SendKeys(chromedp.CSS("#app-name"), "Wang Coupons"),
		chromedp.SendKeys(chromedp.CSS("#app-category"), "tools"),
		chromedp.SendKeys(chromedp.CSS("#app-domains"), "api.wang.example"))
	b.follow(chromedp.Submit(chromedp.CSS("#app-name")))
	require.Contains(t, b.text("#apps"), "Wang Coupons")
	pkg := filepath.Join(t.TempDir(), "app.zip")
	require.NoError(t, os.WriteFile(pkg, variant(t, "hello-wechat", "console-1"), 0o644))
	b.do(chromedp.SetValue(chromedp.CSS("#up-app"), s.appOf("wang-flagged")),
		chromedp.SetValue(chromedp.CSS("#up-version"), "2.0.0"),
		chromedp.SetUploadFiles(chromedp.CSS("#up-package"), []string{pkg}))
	b.follow(chromedp.Submit(chromedp.CSS("#up-version")))
	loc := get(b, chromedp.Location())
	require.Contains(t, loc, "/submissions/sub_")
	subPath := strings.TrimPrefix(loc, s.url)
	subID := strings.TrimPrefix(subPath, "/submissions/")
	b.waitState(subPath, "in review")
	require.Contains(t, b.text("#queue-position"), "tasks ahead")
	require.Contains(t, b.text("#timeline"), "scanning")
	b.shot("02-developer-in-review")

	// The developer's page in Simplified Chinese, by the switch.
	b.follow(chromedp.Click(chromedp.CSS(`a[hreflang="zh-Hans"]`)))
	b.waitText("#state", "审核中")
	require.Contains(t, b.text("#timeline-h"), "时间线")
	b.shot("03-developer-in-review-zh")
	b.follow(chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)))
	b.waitText("#state", "in review")

	// A reviewer claims it from the queue and rejects it with a code.
	task := s.taskOf(t, s.demo.Tokens["reviewer"], "", subID)
	b.follow(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	b.do(b.visible("#token"))
	b.signIn(s.demo.Tokens["reviewer"])
	require.Contains(t, b.text("h1"), "Review queue")
	require.Contains(t, b.text("#row-"+task), subID)
	require.Regexp(t, `due in \d`, b.text("#row-"+task+" .sla"))
	b.shot("04-reviewer-queue")
	b.follow(chromedp.Click(chromedp.CSS("#row-" + task + " button.claim")))
	b.do(b.visible("#decision-form"))
	require.Contains(t, b.text("#standing"), "Credit score")
	require.Contains(t, b.text("#tasks"), "0 / 1")
	b.shot("05-reviewer-task")
	b.do(chromedp.Click(chromedp.CSS("#code-CONTENT_MISLEADING")),
		chromedp.SendKeys(chromedp.CSS("#comment"), "the discounts shown are not real"))
	b.follow(chromedp.Click(chromedp.CSS("#reject")))
	b.waitState(subPath, "rejected")

	// The developer sees the code and how to fix it, and appeals.
	b.signIn(dev)
	b.open(subPath)
	decision := b.text("#decision")
	require.Contains(t, decision, "CONTENT_MISLEADING")
	require.Contains(t, decision, "the discounts shown are not real")
	require.Contains(t, decision, "How to fix")
	b.shot("06-developer-rejected")
	b.do(chromedp.SendKeys(chromedp.CSS("#appeal-text"), "the discounts are real, see the price history"))
	b.follow(chromedp.Submit(chromedp.CSS("#appeal-text")))
	b.waitState(subPath, "appealed")

	// A senior reviewer takes the appeal and approves it by keyboard alone:
	// Tab to the comment, type it, Tab to Approve, Enter.
	senior := s.demo.Tokens["senior_reviewer"]
	appealTask := s.taskOf(t, senior, "senior", subID)
	b.signIn(senior)
	b.open("/review?queue=senior")
	b.follow(chromedp.Click(chromedp.CSS("#row-" + appealTask + " button.claim")))
	b.do(b.visible("#decision-form"))
	b.tabTo("comment")
	b.do(chromedp.KeyEvent("price history checks out"))
	b.tabTo("approve")
	b.shot("07-senior-keyboard-decision")
	b.follow(chromedp.KeyEvent("\r"))
	b.waitState(subPath, "approved")
	require.Contains(t, b.text("#tasks"), "approve")
	b.shot("08-senior-approved")

	b.signIn(dev)
	b.open("/")
	require.Contains(t, b.text("#apps"), "2.0.0", "the approved version is live")
	b.shot("09-developer-live")
	b.noScriptErrors()
}

// tabTo presses Tab until the element with this ID has the focus.
func (b *browser) tabTo(id string) {
	b.t.Helper()
	for range 300 {
		focused := get(b, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
		if focused == id {
			return
		}
		b.do(chromedp.KeyEvent("\t"))
	}
	b.t.Fatalf("#%s is not reachable with Tab", id)
}

// noScriptErrors checks the pages threw nothing and broke no CSP rule.
func (b *browser) noScriptErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	// A payload that reached the markup would at least show as a refusal
	// of the Content-Security-Policy, even where it could not run.
	for _, l := range b.logs {
		require.NotContains(b.t, l, "exception", "the pages threw: %v", b.logs)
		require.NotContains(b.t, l, "Content Security Policy", "something tried to run: %v", b.logs)
	}
}

func (b *browser) pwned() bool {
	b.t.Helper()
	return !get(b, chromedp.Evaluate[bool](`typeof window.pwned === "undefined"`))
}

// hostileFiles are a package's names and contents that would run script
// if a page put them into HTML unescaped.
var hostileFiles = map[string]string{
	`pages/<img src=x onerror=window.pwned=1>.js`: "Page({})\n",
	"pages/index/notes.txt":                       "line one\n<script>window.pwned=2</script>\n\"><svg onload=\"window.pwned=3\">\n",
	"utils/run.js":                                "var s = \"<img src=x onerror=window.pwned=4>\";\neval(s + '<script>window.pwned=5</script>');\n",
}

func TestConsoleShowsAHostilePackageAsText(t *testing.T) {
	s := startStack(t, 8<<20)
	b := newBrowser(t, s.url)
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "examples", "hello-wechat"))))
	for name, body := range hostileFiles {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	pkg, err := pkgzip.Dir(dir)
	require.NoError(t, err)
	resp, created := s.upload(t, s.demo.Tokens["wang-flagged"], s.appOf("wang-flagged"), "6.6.6", pkg, "")
	require.Equal(t, 202, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	s.settleOrReview(t, id)

	reviewer := s.demo.Tokens["reviewer"]
	b.signIn(reviewer)
	b.open("/submissions/" + id)
	require.False(t, b.pwned())
	require.Contains(t, b.text("#findings"), "utils/run.js")
	b.shot("01-hostile-submission")

	b.open("/submissions/" + id + "/files")
	require.Contains(t, b.text(".filelist"), `pages/<img src=x onerror=window.pwned=1>.js`, "the name is shown as text")
	require.False(t, b.pwned())
	b.shot("02-hostile-file-list")

	// A finding's link opens the file at its line.
	b.open("/submissions/" + id)
	href := get(b, chromedp.Evaluate[string](`(function(){
		var a = Array.from(document.querySelectorAll("#findings a.where")).find(function(a){ return a.textContent.indexOf("utils/run.js:") === 0 });
		return a ? a.getAttribute("href") : "" })()`))
	require.Contains(t, href, "line=2#L2")
	b.open(href)
	require.Contains(t, b.text("#source li.hit"), "eval(")
	require.False(t, b.pwned())
	b.open("/submissions/" + id + "/files?path=" + "pages/index/notes.txt")
	require.Contains(t, b.text("#source"), "<script>window.pwned=2</script>")
	require.False(t, b.pwned())
	b.shot("03-hostile-file")
	b.open("/submissions/" + id + "/files?path=" + url.QueryEscape(`pages/<img src=x onerror=window.pwned=1>.js`))
	require.Equal(t, `pages/<img src=x onerror=window.pwned=1>.js`, b.text("#file-name"))
	require.False(t, b.pwned())
	b.noScriptErrors()

	// Revoking the token ends the session on the next page.
	require.NoError(t, s.store.RevokeToken(context.Background(), reviewer))
	b.open("/review")
	b.do(b.visible("#token"))
	b.shot("04-revoked-token-signs-out")

	// The developer withdraws it while it waits for review.
	b.signIn(s.demo.Tokens["wang-flagged"])
	b.open("/submissions/" + id)
	b.follow(chromedp.Click(chromedp.CSS("#withdraw button")))
	b.waitState("/submissions/"+id, "withdrawn")
	require.Zero(t, get(b, chromedp.Evaluate[int](`document.querySelectorAll("#withdraw, #appeal").length`)))

	// Another developer finds neither the submission nor its files.
	b.signIn(s.demo.Tokens["lin-verified"])
	for _, p := range []string{"/submissions/" + id, "/submissions/" + id + "/files?path=utils%2Frun.js"} {
		b.open(p)
		require.Contains(t, b.text("h1"), "(404)", p)
		require.NotContains(t, b.text("main"), "eval(", p)
	}
}

// settleOrReview waits until the submission is decided or in review.
func (s *stack) settleOrReview(t *testing.T, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var sub submissionAnswer
		s.call(t, "GET", "/v1/submissions/"+id, s.demo.Tokens["senior_reviewer"], nil, nil, &sub)
		return sub.State.Final() || sub.State == "in_review"
	}, 60*time.Second, 100*time.Millisecond, fmt.Sprintf("submission %s never settled", id))
}

func TestConsoleOperatorRetriesAFailedSubmission(t *testing.T) {
	s := startStack(t, 8<<20)
	b := newBrowser(t, s.url)
	lin := s.demo.Tokens["lin-verified"]
	pkg := examplePackage(t, "hello-wechat")

	// Our own fault: the stored package vanishes before the scan.
	s.worker.Stop()
	resp, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", pkg, "")
	require.Equal(t, 202, resp.StatusCode)
	id := created["id"].(string)
	sum := sha256.Sum256(pkg)
	sha := hex.EncodeToString(sum[:])
	require.NoError(t, s.svc.Blobs.Delete(t.Context(), blobstore.PackageKey(sha)))
	w := s.svc.NewWorker()
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	require.Equal(t, "failed", string(s.settle(t, lin, id).State))

	// The developer sees it failed, and no retry button.
	b.signIn(lin)
	b.open("/submissions/" + id)
	require.Equal(t, "failed", b.text("#state"))
	require.Zero(t, get(b, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/retry"]').length`)))

	// The operator's start page lists it with its workflow and a retry.
	b.signIn(s.demo.Tokens["admin"])
	require.Contains(t, b.text("h1"), "Failed submissions")
	require.Contains(t, b.text("#failed"), id)
	link := get(b, chromedp.Evaluate[string](`document.querySelector('#failed a[rel="noopener"]').getAttribute("href")`))
	require.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows/"+id, link)
	b.shot("01-operator-failed")

	// The cause fixed, the operator retries and the run goes on to approval.
	require.NoError(t, blobstore.PutPackage(t.Context(), s.svc.Blobs, sha, bytes.NewReader(pkg)))
	b.follow(chromedp.Click(chromedp.CSS(`#failed form[action="/submissions/` + id + `/retry"] button`)))
	b.waitState("/submissions/"+id, "approved")
	require.Contains(t, b.text("#timeline"), "failed")
	b.shot("02-operator-retried")
	b.open("/")
	require.Contains(t, b.text("main"), "No failed submissions")

	// Compliance finds the retry in the audit log and the decision in the
	// decision log.
	b.signIn(s.demo.Tokens["compliance"])
	b.open("/audit?action=submission.retry")
	require.Contains(t, b.text("#audit"), id)
	b.open("/audit?submission=" + id)
	require.Contains(t, b.text("main"), "Attempt")
	b.shot("03-compliance-audit")
	b.open("/policies")
	require.Contains(t, b.text("#policies"), "active")
}
