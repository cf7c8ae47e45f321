package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestConsoleLanguageSwitchStaysOnItsSite follows the language switch in a
// real browser with back values that a browser's URL parser turns into
// another site's address, and checks that the browser stays on the console.
// The other site is a live server, so a redirect that escapes shows up as
// a request there and as its origin in the address bar.
func TestConsoleLanguageSwitchStaysOnItsSite(t *testing.T) {
	s := startStack(t, 8<<20)
	var escaped atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		escaped.Add(1)
		_, _ = w.Write([]byte("<!doctype html><title>elsewhere</title>"))
	}))
	t.Cleanup(evil.Close)
	host := strings.TrimPrefix(evil.URL, "http://")
	console, err := url.Parse(s.url)
	require.NoError(t, err)
	origin := console.Scheme + "://" + console.Host

	b := newBrowser(t, s.url)
	// Each back is written as it goes into the query string.
	for _, back := range []string{
		"/%09/" + host + "/x",          // a tab the browser drops: //host/x
		"/%09%09/" + host + "/x",       // two of them
		"/%0A/" + host + "/x",          // a newline
		"/%0D/" + host + "/x",          // a carriage return
		"/%09%5C" + host + "/x",        // a tab and a backslash: /\host/x
		"/%5C" + host + "/x",           // a backslash read as a slash
		"/%5C%5C" + host + "/x",        // two
		"%09//" + host + "/x",          // a leading tab the browser strips
		"%20//" + host + "/x",          // a leading space
		"%00//" + host + "/x",          // a leading NUL
		"//" + host + "/x",             // scheme-relative
		"http://" + host + "/x",        // absolute
		"/%E3%80%80/" + host + "/x",    // an ideographic space
		"/%C2%A0/" + host + "/x",       // a no-break space
		"/review%0A%0D//" + host + "/", // newlines later in the path
	} {
		b.open("/lang/en?back=" + back)
		got := get(b, chromedp.Evaluate[string](`location.origin`))
		require.Equal(t, origin, got, "back=%s left the console (now at %s)", back, get(b, chromedp.Evaluate[string](`location.href`)))
		require.Zero(t, escaped.Load(), "back=%s reached the other site", back)
	}

	// A path on the console is where the switch goes back to.
	b.open("/lang/zh?back=/review%3Fstate%3Dopen")
	require.Equal(t, origin+"/review?state=open", get(b, chromedp.Evaluate[string](`location.href`)))
	require.Equal(t, "zh-Hans", get(b, chromedp.Evaluate[string](`document.documentElement.lang`)))
}
