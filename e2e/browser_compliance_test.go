package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// waitFor waits until a script on the page (which may be reloading
// itself) returns true.
func (b *browser) waitFor(what, script string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](script))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			page, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			b.t.Fatalf("waited %s for %s; the page shows:\n%s", within, what, page)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// editFile opens a draft's file in the editor and replaces old with new in
// its text, as someone typing would, without saving yet.
func (b *browser) editFile(policyID, file, old, new string) string {
	b.t.Helper()
	b.open("/policies/" + policyID + "?file=" + file)
	text := get(b, chromedp.Evaluate[string](`document.querySelector("#content").value`))
	edited := strings.ReplaceAll(text, old, new)
	require.NotEqual(b.t, text, edited, "%s holds %q", file, old)
	b.do(chromedp.SetValue(chromedp.CSS("#content"), edited))
	return edited
}

// TestConsoleCompliance: a compliance user raises the individual credit
// threshold in a draft, validates, tests and simulates it in the console
// and sees the submission it would turn; her own approval is refused; a
// second compliance user approves and activates it. Then a stale edit, and
// a waiver granted and approved.
func TestConsoleCompliance(t *testing.T) {
	s := startStack(t, 8<<20)
	b := newBrowser(t, s.url)
	drafter, approver := s.demo.Tokens["compliance"], s.demo.Tokens["compliance-2"]

	// A decision to simulate on: a verified individual with a credit of 705,
	// approved under today's threshold of 700.
	devToken, devApp := s.demoDeveloper(t, "ind-705-tools", "individual", 705, "tools")
	recorded := s.submitAndSettle(t, devToken, devApp, "compliance-console")
	require.Equal(t, "approved", string(recorded.State))

	b.signIn(drafter)
	b.open("/policies")
	require.Contains(t, b.text("h1"), "Policies")
	activeRow := get(b, chromedp.Evaluate[string](`document.querySelector("#policies tbody tr").textContent`))
	require.Contains(t, activeRow, "active")
	b.shot("01-policies")

	// A draft from the active version, opened in the editor on data.json.
	b.follow(chromedp.Click(chromedp.CSS("#create-draft")))
	loc := get(b, chromedp.Location())
	require.Contains(t, loc, "/policies/")
	draft := strings.TrimPrefix(loc, s.url+"/policies/")
	require.Equal(t, "draft", b.text("#policy-state"))
	require.Contains(t, b.text("#editor"), "data.json")

	// The threshold, and the tests that pin it, raised to 710.
	b.editFile(draft, "data.json", `"individual": 700,`, `"individual": 710,`)
	b.follow(chromedp.Click(chromedp.CSS("#save")))
	require.Contains(t, b.text("#saved"), "Saved")
	require.Contains(t, get(b, chromedp.Evaluate[string](`document.querySelector("#content").value`)), `"individual": 710,`)
	b.editFile(draft, "submission_test.rego", "700", "710")
	b.shot("02-editor")
	b.follow(chromedp.Click(chromedp.CSS("#save")))
	require.Contains(t, b.text("#saved"), "Saved")

	b.follow(chromedp.Click(chromedp.CSS("#validate")))
	require.Contains(t, b.text("#validation-result"), "compiles")
	b.follow(chromedp.Click(chromedp.CSS("#run-tests")))
	require.Contains(t, b.text("#tests-result"), "passed")
	require.NotContains(t, b.text("#tests-result"), "made on an earlier content")
	require.Contains(t, b.text("#test-results"), "submission_test.rego:")
	require.Regexp(t, `^\d+\.\d%$`, b.text("#coverage"))
	b.shot("03-validated-and-tested")

	// The simulation: the page reloads itself until the job is done.
	b.do(chromedp.SetValue(chromedp.CSS("#last"), "100"))
	b.follow(chromedp.Click(chromedp.CSS("#simulate")))
	b.waitFor("the impact table", `document.querySelector("#impact-summary") !== null`, 90*time.Second)
	changes := b.text("#changes")
	require.Contains(t, changes, recorded.ID, "the 705 individual would now be rejected")
	row := b.text("#change-" + recorded.ID)
	require.Contains(t, row, "approve")
	require.Contains(t, row, "reject")
	require.Contains(t, row, "CREDIT_BELOW_THRESHOLD")
	require.Contains(t, b.text("#impact-kind"), "individual")
	require.Contains(t, b.text("#impact-category"), "tools")
	b.shot("04-impact")

	// The author may not approve her own draft; the page says why.
	b.follow(chromedp.Click(chromedp.CSS("#approve")))
	require.Contains(t, b.text("#problem"), "another compliance user must approve it")
	require.Equal(t, "draft", b.text("#policy-state"))
	b.shot("05-self-approval-refused")

	// A second compliance user approves and activates it.
	b.signIn(approver)
	b.open("/policies/" + draft)
	b.follow(chromedp.Click(chromedp.CSS("#approve")))
	require.Equal(t, "approved", b.text("#policy-state"))
	require.Contains(t, b.text("#approvals"), "demo-compliance-2")
	b.open("/policies")
	b.follow(chromedp.Click(chromedp.CSS("#policy-" + draft + " button.activate")))
	require.Contains(t, b.text("#policy-"+draft), "active")
	require.Contains(t, b.text("#policies"), "Roll back to this version", "the earlier version can be rolled back to")
	b.shot("06-activated")

	var active policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/policies/active", approver, nil, nil, &active).StatusCode)
	require.Equal(t, draft, active.ID)

	// Two sessions (two browsers) load the same file; the first saves, the
	// second's save is refused with 412 and keeps what was typed.
	var second policyAnswerT
	require.Equal(t, http.StatusCreated, s.call(t, "POST", "/v1/policies", drafter, strings.NewReader(`{"from":"active"}`), jsonHeader, &second).StatusCode)
	b.signIn(drafter)
	other := newBrowser(t, s.url)
	other.signIn(approver)
	b.editFile(second.ID, "data.json", `"enterprise": 600`, `"enterprise": 610`)
	mine := other.editFile(second.ID, "data.json", `"enterprise": 600`, `"enterprise": 620`)
	b.follow(chromedp.Click(chromedp.CSS("#save")))
	require.Contains(t, b.text("#saved"), "Saved")
	other.follow(chromedp.Click(chromedp.CSS("#save")))
	require.Contains(t, other.text("#stale"), "Someone else changed this draft")
	require.Equal(t, mine, get(other, chromedp.Evaluate[string](`document.querySelector("#content").value`)), "the typed text is kept")
	require.Contains(t, other.text("#their-version"), `"enterprise": 610`)
	other.shot("07-stale-edit")

	// A waiver: asked for by one compliance user, approved by the other.
	b.open("/waivers")
	app := s.appOf("lin-verified")
	expires := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
	b.do(chromedp.SendKeys(chromedp.CSS("#w-app"), app),
		chromedp.SendKeys(chromedp.CSS("#w-rule"), "CODE-012"),
		chromedp.SendKeys(chromedp.CSS("#w-reason"), "the payment SDK is reviewed separately"),
		chromedp.SetValue(chromedp.CSS("#w-expires"), expires))
	b.follow(chromedp.Click(chromedp.CSS("#grant-submit")))
	require.Contains(t, b.text("#waivers"), "awaiting approval")
	require.Contains(t, b.text("#waivers"), app)
	b.follow(chromedp.Click(chromedp.CSS("#waivers button.approve-waiver")))
	require.Contains(t, b.text("#problem"), "another compliance user must approve it")
	b.shot("08-waiver-pending")
	b.signIn(approver)
	b.open("/waivers")
	b.follow(chromedp.Click(chromedp.CSS("#waivers button.approve-waiver")))
	require.Contains(t, b.text("#waivers"), "active")
	require.Contains(t, b.text("#waivers"), "approved by demo-compliance-2")
	b.shot("09-waiver-active")

	// The pages in Simplified Chinese.
	b.open("/policies/" + draft)
	b.follow(chromedp.Click(chromedp.CSS(`a[hreflang="zh-Hans"]`)))
	b.waitText("#policy-state", "生效中")
	require.Contains(t, b.text("#simulation-h"), "模拟")
	b.shot("10-policy-zh")
	b.noScriptErrors()
}
