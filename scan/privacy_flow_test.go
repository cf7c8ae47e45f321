package scan

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/wxbuild"
)

// flowKeys names each flow by its source (api, kind, file:line) and its
// sink (api, file:line, endpoint and scheme when known).
func flowKeys(rep Report) []string {
	keys := make([]string, 0, len(rep.Flows))
	for _, f := range rep.Flows {
		k := fmt.Sprintf("%s %s %s:%d -> %s %s:%d", f.Source.API, f.Source.Kind, f.Source.File, f.Source.Line, f.Sink.API, f.Sink.File, f.Sink.Line)
		if f.Sink.Endpoint != "" || f.Sink.Scheme != "" {
			k += fmt.Sprintf(" %s://%s", f.Sink.Scheme, f.Sink.Endpoint)
		}
		keys = append(keys, k)
	}
	return keys
}

func readFixture(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	src, err := wxbuild.ReadDir(filepath.Join("testdata", dir))
	require.NoError(t, err)
	return src
}

func scanWith(t testing.TB, files map[string][]byte, opts Options) Report {
	t.Helper()
	return scanWithBytes(t, zipBytes(t, files), opts)
}

func scanWithBytes(t testing.TB, b []byte, opts Options) Report {
	t.Helper()
	rep, err := Scan(context.Background(), bytes.NewReader(b), int64(len(b)), opts)
	require.NoError(t, err)
	return rep
}

// Every propagation form of the fixture app gives exactly its flows, and
// the values that are not personal data any more (a yes/no, a count), the
// data that never leaves (page data shown, a source never sent) and the
// requests with constant bodies give none.
func TestFlowsFollowEveryPropagationForm(t *testing.T) {
	t.Parallel()
	rep := scanWith(t, readFixture(t, "wechat-flows"), Options{Platform: PlatformWeChat})
	require.Equal(t, []string{
		// success callback to a request built in place, over http
		"wx.login login_code app.js:4 -> wx.request app.js:6 https://api.shop.example.com",
		"wx.getLocation location pages/callback/index.js:3 -> wx.request pages/callback/index.js:6 http://tracker.example.net",
		// closure: a reporter made with its endpoint, called from a timer
		"wx.getClipboardData clipboard pages/closure/index.js:11 -> wx.request pages/closure/index.js:3 https://log.example.org",
		// setData then this.data in another handler, through the wrapper
		"wx.chooseContact contacts pages/data/index.js:7 -> wx.request utils/http.js:5 https://api.shop.example.com",
		// .then into getApp().globalData, read on another page
		"wx.getUserProfile user_info pages/data/index.js:17 -> wx.navigateToMiniProgram pages/profile/index.js:6",
		// import and export: a named export of an ES module, the default of a CommonJS one
		"wx.chooseInvoiceTitle invoice pages/esm/index.js:6 -> wx.request utils/esm.js:4 https://api.shop.example.com",
		"wx.getBluetoothDevices bluetooth pages/esm/index.js:9 -> wx.request utils/http.js:5 https://api.shop.example.com",
		// template-bound handlers: a form, the phone button, the avatar
		"formSubmit input pages/form/index.js:6 -> wx.request utils/http.js:5 https://api.shop.example.com",
		"onGetPhone phone pages/form/index.js:10 -> wx.request utils/http.js:5 https://api.shop.example.com",
		"onAvatar photo pages/form/index.js:13 -> wx.uploadFile pages/form/index.js:14 https://cdn.example-upload.com",
		// await and .then into the app's request wrapper, base URL from config.js
		"wx.getFuzzyLocation location pages/promise/index.js:5 -> wx.request utils/http.js:5 https://api.shop.example.com",
		"wx.chooseAddress address pages/promise/index.js:9 -> wx.request utils/http.js:5 https://api.shop.example.com",
		// the SocketTask kept on the page, sent a JSON string of the data
		"wx.getWeRunData run_data pages/socket/index.js:6 -> SocketTask.send pages/socket/index.js:8 https://chat.example.com",
		// storage written, then read and sent
		"wx.getSystemInfo device pages/storage/index.js:3 -> wx.setStorageSync pages/storage/index.js:3",
		"wx.getSystemInfo device pages/storage/index.js:3 -> wx.request pages/storage/index.js:9 https://stats.example-analytics.com",
		// setData of a URL built from a constant, bound to the web-view's src
		"wx.getLocation location pages/webview/index.js:5 -> web-view pages/webview/index.wxml:2 https://h5.example.com",
	}, flowKeys(rep))

	byKey := map[string]Flow{}
	for i, k := range flowKeys(rep) {
		byKey[k] = rep.Flows[i]
	}
	wrapped := byKey["formSubmit input pages/form/index.js:6 -> wx.request utils/http.js:5 https://api.shop.example.com"]
	require.Equal(t, []FlowStep{{File: "pages/form/index.js", Line: 7}}, wrapped.Steps, "the call of the wrapper is the step between")
	stored := byKey["wx.getSystemInfo device pages/storage/index.js:3 -> wx.request pages/storage/index.js:9 https://stats.example-analytics.com"]
	require.Equal(t, []FlowStep{{File: "pages/storage/index.js", Line: 7}}, stored.Steps, "the storage read is the step between")
	require.False(t, byKey["wx.getSystemInfo device pages/storage/index.js:3 -> wx.setStorageSync pages/storage/index.js:3"].Sink.OffDevice())
	require.True(t, wrapped.Sink.OffDevice())
	web := byKey["wx.getLocation location pages/webview/index.js:5 -> web-view pages/webview/index.wxml:2 https://h5.example.com"]
	require.Equal(t, []FlowStep{{File: "pages/webview/index.js", Line: 7}}, web.Steps, "the setData is the step between")
	require.True(t, web.LeavesDevice())
	require.Equal(t, "formSubmit pages/form/index.js:6 → pages/form/index.js:7 → utils/http.js:5 → wx.request api.shop.example.com", FlowPath(wrapped))

	for _, f := range rep.Flows {
		require.NotEqual(t, "pages/clean/index.js", f.Source.File, "a yes/no, a count or a constant is not personal data")
		require.NotEqual(t, "onSearch", f.Source.API, "what is typed and only shown never leaves")
		require.NotEqual(t, "onTap", f.Source.API, "a tapped item's id is not input")
		require.NotEqual(t, "pages/clean/index.wxml", f.Sink.File, "a web-view with a constant src or bound to data that is not personal sends none")
	}

	require.Equal(t, []string{"PRIV-002 pages/callback/index.js:6", "PRIV-003 pages/profile/index.js:6"}, privKeys(rep))
}

func privKeys(rep Report) []string {
	var keys []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.RuleID, "PRIV-") {
			keys = append(keys, fmt.Sprintf("%s %s:%d", f.RuleID, f.File, f.Line))
			if f.Flow == nil {
				keys = append(keys, "no flow on "+f.RuleID)
			}
		}
	}
	return keys
}

// With the registered domains known, personal data sent anywhere else is
// PRIV-001, once per flow, with the same fingerprint on every scan.
func TestFlowsToUnregisteredHosts(t *testing.T) {
	t.Parallel()
	opts := Options{Platform: PlatformWeChat, Domains: []string{"https://api.shop.example.com", "*.example.org"}}
	rep := scanWith(t, readFixture(t, "wechat-flows"), opts)
	var got []string
	for _, f := range rep.Findings {
		if f.RuleID == "PRIV-001" {
			got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Flow.Sink.Endpoint))
		}
	}
	require.Equal(t, []string{
		"pages/callback/index.js:6 tracker.example.net",
		"pages/form/index.js:14 cdn.example-upload.com",
		"pages/socket/index.js:8 chat.example.com",
		"pages/storage/index.js:9 stats.example-analytics.com",
		"pages/webview/index.wxml:2 h5.example.com",
	}, got)
	again := scanWith(t, readFixture(t, "wechat-flows"), opts)
	require.Equal(t, rep.Findings, again.Findings)
	require.Equal(t, rep.Flows, again.Flows)
}

func TestFlowsAlipay(t *testing.T) {
	t.Parallel()
	rep := scanWith(t, readFixture(t, "alipay-flows"), Options{Platform: PlatformAlipay})
	require.Equal(t, []string{
		"my.getLocation location pages/index/index.js:3 -> my.request pages/index/index.js:5 https://api.nearby.example.com",
		"my.getAuthCode login_code pages/index/index.js:8 -> my.httpRequest pages/index/index.js:11 http://legacy.nearby.example.com",
		"onSubmit input pages/index/index.js:16 -> my.setClipboard pages/index/index.js:16",
	}, flowKeys(rep))
	require.Equal(t, []string{"PRIV-002 pages/index/index.js:11"}, privKeys(rep))
}

// An Alipay page's web-view whose src starts with a constant URL is a sink
// to that URL's host, fed by the page data key its binding names.
func TestFlowsAlipayWebView(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"app.json":              []byte(`{"pages": ["pages/card/index"]}`),
		"mini.project.json":     []byte(`{}`),
		"app.js":                []byte("App({})\n"),
		"pages/card/index.json": []byte(`{}`),
		"pages/card/index.js": []byte(`Page({
  data: { phone: '', theme: 'light' },
  onLoad() {
    my.getPhoneNumber({
      success: (res) => {
        this.setData({ phone: res.response, theme: 'dark' })
      }
    })
  }
})
`),
		"pages/card/index.axml": []byte(`<web-view src="https://h5.nearby.example.com/card?p={{phone}}&v={{'2'}}"></web-view>
<web-view a:if="{{theme}}" src="https://h5.nearby.example.com/theme?t={{theme}}"></web-view>
`),
	}
	rep := scanWith(t, files, Options{Platform: PlatformAlipay})
	require.Equal(t, []string{
		"my.getPhoneNumber phone pages/card/index.js:4 -> web-view pages/card/index.axml:1 https://h5.nearby.example.com",
	}, flowKeys(rep))
	require.Equal(t, []FlowStep{{File: "pages/card/index.js", Line: 6}}, rep.Flows[0].Steps)
}

// A package without scripts still reports its flows as an empty list.
func TestFlowsNeverNil(t *testing.T) {
	t.Parallel()
	rep := scanWith(t, map[string][]byte{"app.json": []byte(`{"pages":[]}`), "project.config.json": []byte(`{}`)}, Options{Platform: PlatformWeChat})
	require.NotNil(t, rep.Flows)
	require.Empty(t, rep.Flows)
}

// A web-view's src names the page data keys its bindings read, and its
// host when the constant start of the src has one; in compiled template
// code the markup is an escaped string and lines count its "\n" escapes.
func TestTemplateWebViews(t *testing.T) {
	t.Parallel()
	src := []byte("<view/>\n<web-view src=\"{{base + '?p=' + phone}}\"></web-view>\n" +
		"<web-view src='https://h5.example.com/p?u={{user.id}}&t={{2}}'/>\n" +
		"<web-view src=\"https://h5.example.com/help\"></web-view>\n" +
		"<web-view bindmessage=\"onMessage\"></web-view><image src=\"{{avatar}}\"/>\n")
	require.Equal(t, []webView{
		{line: 2, keys: []string{"base", "phone"}},
		{line: 3, keys: []string{"user"}, prefix: "https://h5.example.com/p?u="},
	}, templateWebViews(src, false))

	frame := []byte(`var __wxTemplates__ = {};` + "\n" +
		`__wxTemplates__['./pages/a/index.wxml'] = "\u003cview/\u003e\n\u003cweb-view src=\"{{url}}\"\u003e\u003c/web-view\u003e";` + "\n" +
		`__wxTemplates__['./pages/b/index.wxml'] = "\u003cweb-view\u003e\u003c/web-view\u003e\u003cimage src=\"{{x}}\"/\u003e";` + "\n")
	got := map[string]*pageTemplate{}
	frameWebViews(frame, ".", got)
	require.Equal(t, map[string]*pageTemplate{
		"pages/a/index.wxml": {name: "pages/a/index.wxml", views: []webView{{line: 2, keys: []string{"url"}}}},
	}, got)
}
