package scan

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// weChatApp returns a valid WeChat package with app.json replaced, so each
// case shows only the manifest it is about.
func weChatApp(appJSON string, extra map[string]string) map[string]string {
	files := map[string]string{
		"app.json":               appJSON,
		"project.config.json":    `{"compileType":"miniprogram"}`,
		"pages/index/index.js":   "Page({})",
		"pages/index/index.wxml": "<view/>",
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func TestManifestFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		platform Platform
		rule     string
		file     string
		line     int
		column   int
	}{
		{
			name:     "missing app.json is critical",
			files:    map[string]string{"project.config.json": "{}", "pages/index/index.js": "", "pages/index/index.wxml": ""},
			platform: PlatformWeChat, rule: "MAN-001", file: "app.json",
		},
		{
			name:     "syntax error is reported where it is",
			files:    weChatApp("{\n  \"pages\": [\n    \"pages/index/index\",\n  ]\n}", nil),
			platform: PlatformWeChat, rule: "MAN-002", file: "app.json", line: 4, column: 3,
		},
		{
			name:     "pages of the wrong type are invalid",
			files:    weChatApp(`{"pages": "pages/index/index"}`, nil),
			platform: PlatformWeChat, rule: "MAN-002", file: "app.json", line: 1,
		},
		{
			name:     "empty app.json is invalid",
			files:    weChatApp("", nil),
			platform: PlatformWeChat, rule: "MAN-002", file: "app.json", line: 1, column: 1,
		},
		{
			name:     "manifest without pages is critical",
			files:    weChatApp(`{"window": {}}`, nil),
			platform: PlatformWeChat, rule: "MAN-007", file: "app.json",
		},
		{
			name:     "page without template names the template",
			files:    weChatApp(`{"pages":["pages/index/index","pages/about/about"]}`, map[string]string{"pages/about/about.js": ""}),
			platform: PlatformWeChat, rule: "MAN-003", file: "pages/about/about.wxml", line: 1, column: 31,
		},
		{
			name:     "typescript page script is accepted",
			files:    weChatApp(`{"pages":["pages/index/index","pages/ts/ts"]}`, map[string]string{"pages/ts/ts.ts": "", "pages/ts/ts.wxml": ""}),
			platform: PlatformWeChat,
		},
		{
			name:     "page in different case is missing on the device",
			files:    weChatApp(`{"pages":["pages/index/index","pages/About/about"]}`, map[string]string{"pages/about/about.js": "", "pages/about/about.wxml": ""}),
			platform: PlatformWeChat, rule: "MAN-003", file: "pages/About/about.js",
		},
		{
			name: "sub-package page is resolved under its root",
			files: weChatApp(`{"pages":["pages/index/index"],"subpackages":[{"root":"packageA","pages":["pages/cat/cat","pages/dog/dog"]}]}`,
				map[string]string{"packageA/pages/cat/cat.js": "", "packageA/pages/cat/cat.wxml": "", "packageA/pages/dog/dog.js": ""}),
			platform: PlatformWeChat, rule: "MAN-004", file: "packageA/pages/dog/dog.wxml", line: 1, column: 91,
		},
		{
			name: "camel-case subPackages are read too",
			files: weChatApp(`{"pages":["pages/index/index"],"subPackages":[{"root":"packageB/","pages":["pages/x/x"]}]}`,
				map[string]string{"packageB/pages/x/x.wxml": ""}),
			platform: PlatformWeChat, rule: "MAN-004", file: "packageB/pages/x/x.js",
		},
		{
			name:     "sub-package without root is critical",
			files:    weChatApp(`{"pages":["pages/index/index"],"subpackages":[{"pages":["pages/x/x"]}]}`, nil),
			platform: PlatformWeChat, rule: "MAN-004", file: "app.json",
		},
		{
			name: "missing WeChat tab icon is medium",
			files: weChatApp(`{"pages":["pages/index/index"],"tabBar":{"list":[{"pagePath":"pages/index/index","iconPath":"/images/home.png","selectedIconPath":"images/on.png"}]}}`,
				map[string]string{"images/on.png": "png"}),
			platform: PlatformWeChat, rule: "MAN-005", file: "images/home.png",
		},
		{
			name: "missing Alipay tab icon is medium",
			files: map[string]string{
				"app.json":               `{"pages":["pages/index/index"],"tabBar":{"items":[{"pagePath":"pages/index/index","icon":"images/home.png","activeIcon":"images/on.png"}]}}`,
				"mini.project.json":      "{}",
				"pages/index/index.js":   "",
				"pages/index/index.axml": "",
				"images/home.png":        "png",
			},
			platform: PlatformAlipay, rule: "MAN-005", file: "images/on.png",
		},
		{
			name:     "permission without description is medium",
			files:    weChatApp(`{"pages":["pages/index/index"],"permission":{"scope.userLocation":{"desc":" "}}}`, nil),
			platform: PlatformWeChat, rule: "MAN-006", file: "app.json", line: 1, column: 46,
		},
		{
			name:     "byte order mark is accepted",
			files:    weChatApp("\ufeff"+`{"pages":["pages/index/index"]}`, nil),
			platform: PlatformWeChat,
		},
		{
			name:     "plugin pages are not looked up in the package",
			files:    weChatApp(`{"pages":["pages/index/index","plugin://myPlugin/hello"]}`, nil),
			platform: PlatformWeChat,
		},
		{
			name:     "invalid project config is medium",
			files:    weChatApp(`{"pages":["pages/index/index"]}`, map[string]string{"project.config.json": `{"miniprogramRoot": }`}),
			platform: PlatformWeChat, rule: "MAN-008", file: "project.config.json", line: 1, column: 21,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, zipFiles(t, tc.files), tc.platform)
			if tc.rule == "" {
				require.Empty(t, rep.Findings)
				return
			}
			f := requireFinding(t, rep, tc.rule, tc.file)
			if tc.line != 0 {
				require.Equal(t, tc.line, f.Line, "line")
			}
			if tc.column != 0 {
				require.Equal(t, tc.column, f.Column, "column")
			}
		})
	}
}

func TestPermissionWithDescriptionIsAccepted(t *testing.T) {
	t.Parallel()
	files := weChatApp(`{"pages":["pages/index/index"],"permission":{"scope.userLocation":{"desc":"to find stores"}}}`, nil)
	rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
	require.Empty(t, rep.Findings)
}

func TestFindingsPerRuleAreCapped(t *testing.T) {
	t.Parallel()
	pages := make([]string, 20_000)
	for i := range pages {
		pages[i] = fmt.Sprintf("%q", fmt.Sprintf("pages/p%d/p%d", i, i))
	}
	app := `{"pages":["pages/index/index",` + strings.Join(pages, ",\n") + `]}`
	rep := scanBytes(t, zipFiles(t, weChatApp(app, nil)), PlatformWeChat)

	count := 0
	for _, f := range rep.Findings {
		require.Equal(t, "MAN-003", f.RuleID)
		count++
	}
	require.Equal(t, maxPerRule+1, count, "the cap plus one finding saying there are more")
	requireFinding(t, rep, "MAN-003", "")
}

func TestHugeManifestIsNotParsed(t *testing.T) {
	t.Parallel()
	// Random padding, so the ratio rule does not refuse the file first.
	padding := make([]byte, maxManifestBytes/2+1)
	_, _ = rand.NewChaCha8([32]byte{}).Read(padding)
	app := `{"pages":["pages/index/index"],"padding":"` + hex.EncodeToString(padding) + `"}`
	rep := scanBytes(t, zipFiles(t, weChatApp(app, nil)), PlatformWeChat)
	requireFinding(t, rep, "MAN-002", "app.json")
}
