package scan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPackageRootIsFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		missing string // the file reported missing shows where the root was found
	}{
		{
			name: "project inside one top-level folder",
			files: map[string]string{
				"demo/app.json": `{"pages":["pages/index/index","pages/gone/gone"]}`, "demo/project.config.json": "{}",
				"demo/pages/index/index.js": "", "demo/pages/index/index.wxml": "",
			},
			missing: "demo/pages/gone/gone.js",
		},
		{
			name: "macOS junk does not hide the top-level folder",
			files: map[string]string{
				"demo/app.json": `{"pages":["pages/index/index","pages/gone/gone"]}`, "demo/project.config.json": "{}",
				"demo/pages/index/index.js": "", "demo/pages/index/index.wxml": "",
				"__MACOSX/demo/._app.json": "", "demo/.DS_Store": "",
			},
			missing: "demo/pages/gone/gone.js",
		},
		{
			name: "miniprogramRoot moves the code root",
			files: map[string]string{
				"project.config.json": `{"miniprogramRoot": "./miniprogram/"}`, "README.md": "",
				"miniprogram/app.json":             `{"pages":["pages/index/index","pages/gone/gone"]}`,
				"miniprogram/pages/index/index.js": "", "miniprogram/pages/index/index.wxml": "",
			},
			missing: "miniprogram/pages/gone/gone.js",
		},
		{
			name: "miniprogramRoot inside a top-level folder",
			files: map[string]string{
				"demo/project.config.json":      `{"miniprogramRoot": "src"}`,
				"demo/src/app.json":             `{"pages":["pages/index/index","pages/gone/gone"]}`,
				"demo/src/pages/index/index.js": "", "demo/src/pages/index/index.wxml": "",
			},
			missing: "demo/src/pages/gone/gone.js",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, zipFiles(t, tc.files), PlatformWeChat)
			requireFinding(t, rep, "MAN-003", tc.missing)
			require.Len(t, rep.Findings, 2, "only the missing page's script and template: %+v", rep.Findings)
		})
	}
}

func TestMiniprogramRootOutsideTheProjectIsReported(t *testing.T) {
	t.Parallel()
	files := weChatApp(`{"pages":["pages/index/index"]}`, map[string]string{"project.config.json": `{"miniprogramRoot": "../elsewhere"}`})
	rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
	requireFinding(t, rep, "MAN-008", "project.config.json")
	requireNoFinding(t, rep, "MAN-001")
}

func TestPlatformMustMatchTheLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fixture  string
		platform Platform
		file     string
		want     Platform
	}{
		{"Alipay package submitted as WeChat is refused", "alipay-valid", PlatformWeChat, "mini.project.json", PlatformWeChat},
		{"WeChat package submitted as Alipay is refused", "wechat-valid", PlatformAlipay, "project.config.json", PlatformAlipay},
		{"unknown platform is refused and the layout is used", "wechat-valid", "douyin", "", PlatformWeChat},
		{"missing platform is refused and the layout is used", "alipay-valid", "", "", PlatformAlipay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, fixture(t, tc.fixture), tc.platform)
			requireFinding(t, rep, "PKG-015", tc.file)
			require.Equal(t, tc.want, rep.Platform)
		})
	}
}

func TestPackageSizeLimits(t *testing.T) {
	t.Parallel()
	files := weChatApp(`{"pages":["pages/index/index"],"subpackages":[{"root":"packageA","pages":["pages/a/a"]},{"root":"packageB","pages":["pages/b/b"]}]}`,
		map[string]string{
			"packageA/pages/a/a.js": strings.Repeat("a", 3000), "packageA/pages/a/a.wxml": "",
			"packageB/pages/b/b.js": strings.Repeat("b", 500), "packageB/pages/b/b.wxml": "",
			"images/banner.png": strings.Repeat("p", 1500),
		})
	b := zipFiles(t, files)

	tests := []struct {
		name   string
		limits Limits
		rule   string
		file   string
	}{
		{"main package over its limit is refused", Limits{MainPackageBytes: 1000}, "PKG-012", ""},
		{"sub-package over its limit is refused", Limits{SubPackageBytes: 1000}, "PKG-013", "packageA/"},
		{"package over the total limit is refused", Limits{TotalBytes: 4000}, "PKG-014", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Scan(t.Context(), bytes.NewReader(b), int64(len(b)), Options{Platform: PlatformWeChat, Limits: tc.limits})
			require.NoError(t, err)
			requireFinding(t, rep, tc.rule, tc.file)
			require.Len(t, rep.Findings, 1, "%+v", rep.Findings)
		})
	}
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{PlatformWeChat, PlatformAlipay, "unknown"} {
		l := DefaultLimits(p)
		require.Equal(t, int64(2<<20), l.MainPackageBytes, p)
		require.Equal(t, int64(2<<20), l.SubPackageBytes, p)
		require.Equal(t, int64(20<<20), l.TotalBytes, p)
		require.Equal(t, 5000, l.MaxEntries, p)
		require.Equal(t, int64(64<<20), l.MaxUnpackedBytes, p)
		require.Equal(t, int64(16<<20), l.MaxFileBytes, p)
		require.InDelta(t, 100.0, l.MaxCompressionRatio, 0)
		require.Equal(t, l, Limits{}.withDefaults(p), "zero limits take the defaults")
	}
}
