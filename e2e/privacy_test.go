package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/wxbuild"
)

// nearbyShop is a small app whose page asks for the user's location and
// sends it, through the app's own request wrapper, to the app's server.
var nearbyShop = map[string][]byte{
	"app.json": []byte(`{
  "pages": ["pages/shop/index"],
  "requiredPrivateInfos": ["getLocation"],
  "permission": {"scope.userLocation": {"desc": "to show the shops near you"}}
}`),
	"project.config.json": []byte(`{"appid": "wx0123456789abcdef", "projectname": "nearby-shop"}`),
	"app.js":              []byte("App({})\n"),
	"utils/api.js": []byte(`const baseUrl = 'https://api.nearby-shop.example'

function post(path, data) {
  wx.request({ url: baseUrl + path, method: 'POST', data: data })
}

module.exports = { post: post }
`),
	"pages/shop/index.js": []byte(`const api = require('../../utils/api.js')

Page({
  data: { shops: [] },
  onLoad() {
    wx.getLocation({
      type: 'gcj02',
      success(res) {
        api.post('/shops/nearby', { lat: res.latitude, lng: res.longitude })
      }
    })
  }
})
`),
	"pages/shop/index.wxml": []byte(`<view wx:for="{{shops}}">{{item.name}}</view>` + "\n"),
}

// builtNearbyShop is the app as the developer tools upload it: one .wxapkg.
func builtNearbyShop(t testing.TB) []byte {
	t.Helper()
	built, err := wxbuild.Build(nearbyShop)
	require.NoError(t, err)
	require.Empty(t, built.Subs)
	return wxbuild.Pack(built.Main)
}

// uploadWithPrivacy posts a package with a privacy declaration and policy
// text, as `trustgate submit --privacy --privacy-policy` does.
func (s *stack) uploadWithPrivacy(t testing.TB, token, appID, version string, pkg []byte, declaration, policy string) (*http.Response, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("app_id", appID))
	require.NoError(t, mw.WriteField("version", version))
	if declaration != "" {
		require.NoError(t, mw.WriteField("privacy", declaration))
	}
	if policy != "" {
		require.NoError(t, mw.WriteField("privacy_policy", policy))
	}
	part, err := mw.CreateFormFile("package", "app.wxapkg")
	require.NoError(t, err)
	_, err = part.Write(pkg)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	var out map[string]any
	resp := s.call(t, "POST", "/v1/submissions", token, &body, http.Header{"Content-Type": {mw.FormDataContentType()}}, &out)
	return resp, out
}

// A built package that sends the user's location to its own server is
// rejected when its privacy declaration leaves location out, with the
// reason naming the kind and the module and line that collect it, and is
// approved once the declaration lists it. A declaration that is not valid
// is refused at intake and leaves no submission.
func TestPrivacyDeclarationEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	var app store.App
	resp := s.call(t, "POST", "/v1/apps", lin, strings.NewReader(
		`{"name":"Nearby Shop","category":"tools","platform":"wechat","domains":["api.nearby-shop.example"]}`),
		http.Header{"Content-Type": {"application/json"}}, &app)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	pkg := builtNearbyShop(t)

	t.Run("a bad declaration is refused and nothing is stored", func(t *testing.T) {
		resp, problem := s.uploadWithPrivacy(t, lin, app.ID, "0.9.0", pkg,
			`{"items":[{"kind":"location","purpose":"nearby shops"},{"kind":"whereabouts","purpose":"x"}]}`, "")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "answer: %v", problem)
		require.Equal(t, "application/problem+json", strings.Split(resp.Header.Get("Content-Type"), ";")[0])
		require.Equal(t, "/problems/invalid-privacy-declaration", problem["type"])
		fields := problem["errors"].([]any)
		require.Equal(t, "privacy/items/1/kind", fields[0].(map[string]any)["field"], "answer: %v", problem)

		var list struct {
			Items []map[string]any `json:"items"`
		}
		resp = s.call(t, "GET", "/v1/submissions?app_id="+app.ID, lin, nil, nil, &list)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Empty(t, list.Items, "a refused upload creates no submission")
	})

	t.Run("location sent but not declared is rejected naming the file", func(t *testing.T) {
		resp, created := s.uploadWithPrivacy(t, lin, app.ID, "1.0.0", pkg,
			`{"items":[{"kind":"phone","purpose":"log in","third_party":false}]}`, "We collect your phone number to log you in.")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "answer: %v", created)
		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "rejected", string(sub.State), "reasons: %v", codes(sub))
		require.Equal(t, []string{"PRIVACY_UNDECLARED"}, codes(sub))
		r := sub.Decision.Reasons[0]
		require.Equal(t, "location", r.Evidence["data_kind"])
		require.Equal(t, "pages/shop/index.js", r.Evidence["file"], "the module's own path, not app-service.js")
		require.Contains(t, r.Remediation, `"location"`)
		require.Contains(t, r.Remediation, "pages/shop/index.js:6")
	})

	t.Run("the same package with location declared is approved", func(t *testing.T) {
		resp, created := s.uploadWithPrivacy(t, lin, app.ID, "1.0.1", pkg,
			`{"items":[{"kind":"location","purpose":"show the shops near the user","third_party":false}]}`, "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "answer: %v", created)
		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "approved", string(sub.State), "reasons: %v", codes(sub))
	})

	t.Run("trustgate submit sends the declaration and the policy text", func(t *testing.T) {
		dir := t.TempDir()
		pkgPath, declPath, policyPath := filepath.Join(dir, "app.wxapkg"), filepath.Join(dir, "privacy.json"), filepath.Join(dir, "policy.txt")
		require.NoError(t, writeFile(pkgPath, pkg))
		require.NoError(t, writeFile(declPath, []byte(`{"items":[{"kind":"phone","purpose":"log in"}]}`)))
		require.NoError(t, writeFile(policyPath, []byte("我们会收集您的手机号用于登录。")))
		out, stderr, code := runCLI(t, "submit", "--server", s.url, "--token", lin, "--app", app.ID, "--version", "1.0.2",
			"--privacy", declPath, "--privacy-policy", policyPath, "--wait", pkgPath)
		require.Equal(t, 3, code, "%s%s", out, stderr)
		require.Contains(t, out, "PRIVACY_UNDECLARED")

		require.NoError(t, writeFile(declPath, []byte(`{"items":[{"kind":"where","purpose":"x"}]}`)))
		out, stderr, code = runCLI(t, "submit", "--server", s.url, "--token", lin, "--app", app.ID, "--version", "1.0.3",
			"--privacy", declPath, pkgPath)
		require.NotEqual(t, 0, code, "%s%s", out, stderr)
		require.Contains(t, stderr, "/items/0/kind")
	})
}
