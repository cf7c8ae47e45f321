package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// A developer uploads a built package with a privacy declaration through
// the console and sees the personal-data flow that got it rejected as a
// path whose steps open the file browser at their line; a reviewer sees
// the flow of a submission sent to review for an unregistered recipient,
// marked as such.
func TestConsoleShowsPersonalDataFlows(t *testing.T) {
	s := startStack(t, 8<<20)
	b := newBrowser(t, s.url)
	lin := s.demo.Tokens["lin-verified"]
	newApp := func(body string) string {
		var app store.App
		resp := s.call(t, "POST", "/v1/apps", lin, strings.NewReader(body), http.Header{"Content-Type": {"application/json"}}, &app)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		return app.ID
	}
	registered := newApp(`{"name":"Nearby Shop Console","category":"tools","platform":"wechat","domains":["api.nearby-shop.example"]}`)
	unregistered := newApp(`{"name":"Nearby Shop Unregistered","category":"tools","platform":"wechat","domains":[]}`)
	dir := t.TempDir()
	pkg, decl := filepath.Join(dir, "app.wxapkg"), filepath.Join(dir, "privacy.json")
	require.NoError(t, os.WriteFile(pkg, builtNearbyShop(t), 0o644))
	require.NoError(t, os.WriteFile(decl, []byte(`{"items":[{"kind":"phone","purpose":"log in"}]}`), 0o644))

	b.signIn(lin)
	b.do(chromedp.SetValue(chromedp.CSS("#up-app"), registered),
		chromedp.SetValue(chromedp.CSS("#up-version"), "1.0.0"),
		chromedp.SetUploadFiles(chromedp.CSS("#up-package"), []string{pkg}),
		chromedp.SetUploadFiles(chromedp.CSS("#up-privacy"), []string{decl}))
	b.follow(chromedp.Submit(chromedp.CSS("#up-version")))
	subPath := strings.TrimPrefix(get(b, chromedp.Location()), s.url)
	require.Contains(t, subPath, "/submissions/sub_")
	b.waitState(subPath, "rejected")
	require.Contains(t, innerText(b, "#decision"), "PRIVACY_UNDECLARED")

	flows := innerText(b, "#flows")
	for _, want := range []string{"location", "wx.getLocation", "pages/shop/index.js:6", "utils/api.js:4", "wx.request", "api.nearby-shop.example"} {
		require.Contains(t, flows, want)
	}
	b.shot("01-developer-flow")
	href := get(b, chromedp.Evaluate[string](`(function(){
		var a = Array.from(document.querySelectorAll("#flows li.flow-step a.where")).find(function(a){ return a.textContent === "pages/shop/index.js:9" });
		return a ? a.getAttribute("href") : "" })()`))
	require.Contains(t, href, "path=pages%2fshop%2findex.js&line=9#L9", "a step links to the file browser at its line")
	b.open(href)
	require.Contains(t, b.text("#source li.hit"), "api.post(")

	// Sent where the app registered no domain, with location declared, it
	// waits for a reviewer, who sees the flow and its unregistered host.
	resp, created := s.uploadWithPrivacy(t, lin, unregistered, "1.0.0", builtNearbyShop(t),
		`{"items":[{"kind":"location","purpose":"show the shops near the user"}]}`, "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	s.settleOrReview(t, id)
	var sub submissionAnswer
	s.call(t, "GET", "/v1/submissions/"+id, lin, nil, nil, &sub)
	require.Equal(t, "in_review", string(sub.State))
	b.signIn(s.demo.Tokens["reviewer"])
	b.open("/submissions/" + id)
	flows = innerText(b, "#flows")
	require.Contains(t, flows, "api.nearby-shop.example")
	require.Contains(t, flows, "not a registered domain")
	require.NotZero(t, get(b, chromedp.Evaluate[int](`document.querySelectorAll("#flows a.where[href*='line=']").length`)))
	b.shot("02-reviewer-flow")
	b.noScriptErrors()
}

// innerText is what an element of the current page reads, "" when the page
// has none.
func innerText(b *browser, sel string) string {
	b.t.Helper()
	return get(b, chromedp.Evaluate[string](`(function(){ var e = document.querySelector(`+strconv.Quote(sel)+`); return e ? e.innerText : "" })()`))
}
