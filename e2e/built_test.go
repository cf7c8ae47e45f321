package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/wxbuild"
)

// builtExample builds an example project as the WeChat developer tools
// upload it: the main package's .wxapkg.
func builtExample(t testing.TB, dir string) []byte {
	t.Helper()
	src, err := wxbuild.ReadDir(dir)
	require.NoError(t, err)
	built, err := wxbuild.Build(src)
	require.NoError(t, err)
	require.Empty(t, built.Subs, "the examples have no sub-packages")
	return wxbuild.Pack(built.Main)
}

// A built package goes through the same review as its source: the valid
// app is approved and goes live, the one with a page missing is rejected
// with the manifest reason naming the missing module.
func TestBuiltPackageEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]

	t.Run("a built package of a valid app is approved and goes live", func(t *testing.T) {
		t.Parallel()
		var app store.App
		resp := s.call(t, "POST", "/v1/apps", lin, strings.NewReader(
			`{"name":"Lin Weather Built","category":"tools","platform":"wechat","domains":["api.lin-weather.example"]}`),
			http.Header{"Content-Type": {"application/json"}}, &app)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		resp, created := s.upload(t, lin, app.ID, "1.0.0", builtExample(t, filepath.Join("..", "examples", "hello-wechat")), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "answer: %v", created)
		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "approved", string(sub.State), "reasons: %v, findings: %+v", codes(sub), sub.Findings)
	})

	t.Run("a built package with a page missing is rejected naming the module", func(t *testing.T) {
		t.Parallel()
		pkg := builtExample(t, filepath.Join("..", "examples", "missing-page"))
		resp, created := s.upload(t, lin, s.appOf("lin-verified"), "3.0.0", pkg, "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		sub := s.settle(t, lin, created["id"].(string))
		require.Equal(t, "rejected", string(sub.State))
		var files []string
		for _, f := range sub.Findings {
			files = append(files, f.File)
		}
		require.Contains(t, files, "pages/missing/missing.js", "findings: %+v", sub.Findings)
		require.NotContains(t, files, "app.json", "a built package's manifest is app-config.json")
	})
}
