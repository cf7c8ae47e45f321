package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
)

// walk follows a list's cursors with the given page size and returns every
// item's raw JSON, in order.
func (s *stack) walk(t *testing.T, path, token string, limit int) []string {
	t.Helper()
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "the cursors of %s never end", path)
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		resp := s.call(t, "GET", fmt.Sprintf("%s%slimit=%d&cursor=%s", path, sep, limit, url.QueryEscape(cursor)), token, nil, nil, &page)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.LessOrEqual(t, len(page.Items), limit)
		for _, it := range page.Items {
			all = append(all, string(it))
		}
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

func TestListsArePagedWithOpaqueCursors(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin, reviewer := s.demo.Tokens["lin-verified"], s.demo.Tokens["reviewer"]
	app := s.appOf("lin-verified")
	// Five plain-http endpoints on five lines: five findings at least.
	var js strings.Builder
	for i := range 5 {
		fmt.Fprintf(&js, "wx.request({ url: 'http://api%d.example.com/feed' });\n", i)
	}
	pkg, err := pkgzip.Files(map[string]string{
		"app.json":               `{"pages":["pages/index/index"]}`,
		"project.config.json":    `{"appid":"wx0000000000000000","compileType":"miniprogram"}`,
		"app.js":                 "App({});",
		"pages/index/index.js":   "Page({ onLoad() {\n" + js.String() + "} });",
		"pages/index/index.wxml": "<view>hello</view>",
	})
	require.NoError(t, err)
	_, created := s.upload(t, lin, app, "1.0.0", pkg, "")
	id := created["id"].(string)
	s.settle(t, lin, id)

	for _, path := range []string{
		"/v1/submissions/" + id + "/findings",
		"/v1/submissions/" + id + "/evaluation",
		"/v1/apps/" + app + "/events",
	} {
		t.Run(path, func(t *testing.T) {
			token := lin
			if strings.HasSuffix(path, "/evaluation") {
				token = reviewer
			}
			whole := s.walk(t, path, token, 200)
			require.NotEmpty(t, whole)
			require.Equal(t, whole, s.walk(t, path, token, 1), "pages of one item each add up to the whole list")
			resp := s.call(t, "GET", path+"?cursor=not-a-cursor!", token, nil, nil, nil)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		})
	}
	t.Run("policy versions and waivers", func(t *testing.T) {
		compliance := s.demo.Tokens["compliance"]
		for i := range 3 {
			resp := s.call(t, "POST", "/v1/policies", compliance, strings.NewReader(`{"from": "active"}`), jsonHeader, nil)
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			body := fmt.Sprintf(`{"app_id": %q, "rule_id": "CODE-%03d", "reason": "paging", "expires_at": %q}`,
				app, 100+i, time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))
			resp = s.call(t, "POST", "/v1/waivers", compliance, strings.NewReader(body), jsonHeader, nil)
			require.Equal(t, http.StatusCreated, resp.StatusCode)
		}
		for _, path := range []string{"/v1/policies", "/v1/waivers", "/v1/waivers?app_id=" + app} {
			whole := s.walk(t, path, compliance, 200)
			require.GreaterOrEqual(t, len(whole), 3, path)
			require.Equal(t, whole, s.walk(t, path, compliance, 1), "pages of one item each add up to %s", path)
		}
	})
	t.Run("findings filtered by severity page too", func(t *testing.T) {
		path := "/v1/submissions/" + id + "/findings?severity=info,low,medium,high,critical"
		require.Greater(t, len(s.walk(t, path, lin, 200)), 2)
		require.Equal(t, s.walk(t, path, lin, 200), s.walk(t, path, lin, 2))
	})
}
