package npmlibs

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeTarball writes a gzipped tar of files, laid out as npm pack lays out
// a package: every name under package/.
func writeTarball(t *testing.T, files map[string]string) string {
	t.Helper()
	tgz := filepath.Join(t.TempDir(), "lib.tgz")
	f, err := os.Create(tgz)
	require.NoError(t, err)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	require.NoError(t, f.Close())
	return tgz
}

func TestApp(t *testing.T) {
	t.Parallel()
	tgz := writeTarball(t, map[string]string{
		"dist/button/index.js":   "Component({})",
		"dist/button/index.json": `{"component":true}`,
		"src/button/index.ts":    "Component({} as any)",
		"package.json":           `{"name":"lib"}`,
	})
	for _, tc := range []struct {
		name, platform, project, view string
	}{
		{"an alipay library gets a mini.project.json and an axml page", "alipay", "mini.project.json", "pages/index/index.axml"},
		{"a wechat library gets a project.config.json and a wxml page", "wechat", "project.config.json", "pages/index/index.wxml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lib := Library{Spec: "lib@1.0.0", Dist: "dist", VendorAs: "miniprogram_npm/lib", Platform: tc.platform, Component: "lib/button/index"}
			files, source, err := lib.App(tgz)
			require.NoError(t, err)
			require.Equal(t, "Component({})", files["miniprogram_npm/lib/button/index.js"])
			require.Equal(t, `{"component":true}`, files["miniprogram_npm/lib/button/index.json"])
			require.Equal(t, int64(len("Component({})")+len(`{"component":true}`)), source, "only the published folder counts as source")
			require.Contains(t, files["pages/index/index.json"], `"lib/button/index"`)
			require.Contains(t, files, tc.project)
			require.Contains(t, files, tc.view)
			require.Len(t, files, 2+6, "the published folder and the app around it, nothing else")
		})
	}
}

func TestAppRefusesATarballWithoutTheFolder(t *testing.T) {
	t.Parallel()
	tgz := writeTarball(t, map[string]string{"lib/index.js": "module.exports = {}"})
	_, _, err := Library{Spec: "lib@1.0.0", Dist: "miniprogram_dist", VendorAs: "miniprogram_npm/lib", Platform: "wechat"}.App(tgz)
	require.ErrorContains(t, err, "no files under package/miniprogram_dist/")
}
