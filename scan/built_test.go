package scan

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
	"trustgate/internal/wxbuild"
)

// builtApp is the tea-house fixture app, read from source and built as
// the developer tools build it.
func builtApp(t testing.TB) (src map[string][]byte, built wxbuild.Built) {
	t.Helper()
	src, err := wxbuild.ReadDir(filepath.Join("testdata", "wechat-built-src"))
	require.NoError(t, err)
	built, err = wxbuild.Build(src)
	require.NoError(t, err)
	return src, built
}

func zipBytes(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	b, err := pkgzip.Bytes(files)
	require.NoError(t, err)
	return b
}

// findingKeys names each finding by rule, file and line. Findings placed in
// the manifest are named by rule and the file they concern only: app.json
// and app-config.json are different files with different lines by nature.
func findingKeys(rep Report) []string {
	var keys []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Snippet, "\"") || f.File == "app.json" || f.File == builtManifest {
			keys = append(keys, fmt.Sprintf("%s %s (manifest)", f.RuleID, strings.TrimSuffix(strings.TrimSuffix(f.File, builtManifest), "app.json")))
			continue
		}
		keys = append(keys, fmt.Sprintf("%s %s:%d", f.RuleID, f.File, f.Line))
	}
	sort.Strings(keys)
	return keys
}

// The same app, uploaded as source or in any of its built forms, gives the
// same findings at the same module paths and lines.
func TestBuiltPackageMatchesSource(t *testing.T) {
	t.Parallel()
	src, built := builtApp(t)
	source := scanBytes(t, zipBytes(t, src), PlatformWeChat)
	want := findingKeys(source)
	require.Contains(t, want, "CODE-040 pages/account/index.js:13", "the fixture has findings deep in a module")
	require.Contains(t, want, "CODE-020 packageShop/pages/cart/index.js:8", "and in a sub-package")
	require.Contains(t, want, "SECRET-003 utils/config.js:8")

	forms := map[string][]byte{
		"main and sub-package .wxapkg in one zip": zipBytes(t, built.Packages()),
		"zip of the unpacked built package":       zipBytes(t, built.Unpacked()),
	}
	for name, pkg := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, PlatformWeChat, scanBytes(t, pkg, "").Platform, "a built package is laid out for WeChat")
			require.Equal(t, want, findingKeys(scanBytes(t, pkg, PlatformWeChat)))
		})
	}

	t.Run("the main .wxapkg alone", func(t *testing.T) {
		t.Parallel()
		rep := scanBytes(t, wxbuild.Pack(built.Main), PlatformWeChat)
		var mainWant []string
		for _, k := range want {
			if !strings.Contains(k, "packageShop/") {
				mainWant = append(mainWant, k)
			}
		}
		var got []string
		for _, k := range findingKeys(rep) {
			// chooseAddress is only called in the missing sub-package.
			if !strings.HasPrefix(k, "MAN-004 packageShop/") && k != "MAN-011  (manifest)" {
				got = append(got, k)
			}
		}
		require.Equal(t, mainWant, got)
		// Without its sub-package, its pages are missing, and nothing else.
		requireFinding(t, rep, "MAN-004", "packageShop/pages/cart/index.js")
		requireFinding(t, rep, "MAN-004", "packageShop/pages/detail/index.wxml")
	})
}

// A built package read through ReadFiles lists each module as the file it
// was, with the source's text from line 2 on and the same number of lines.
func TestReadFilesSplitsModules(t *testing.T) {
	t.Parallel()
	src, built := builtApp(t)
	pkg := zipBytes(t, built.Packages())
	files, err := ReadFilesBytes(t.Context(), pkg, Limits{})
	require.NoError(t, err)
	byName := map[string]File{}
	for _, f := range files {
		byName[f.Name] = f
	}
	for _, name := range []string{"pages/account/index.js", "utils/util.js", "app.js", "packageShop/pages/cart/index.js"} {
		f, ok := byName[name]
		require.True(t, ok, "module %s is listed, got %v", name, keys(byName))
		require.Equal(t, "app-service.js", filepath.Base(f.Bundle))
		want := strings.Split(string(src[name]), "\n")
		got := strings.Split(string(f.Data), "\n")
		require.Len(t, got, len(want)+1, "the body ends on the wrapper's own line")
		require.Equal(t, want[1:], got[1:len(want)], "lines 2 to the end are the source's")
		require.True(t, strings.HasSuffix(got[0], want[0]), "line 1 ends with the source's first line")
	}
	service := byName["app-service.js"]
	require.NotContains(t, string(service.Data), "legacy.teahouse", "module bodies are not scanned twice through their bundle")
	require.Contains(t, string(service.Data), `require("pages/account/index.js")`, "the glue outside modules stays")
	_, ok := byName["__APP__.wxapkg"]
	require.False(t, ok, "a built package inside the zip is opened, not listed")
}

func keys[V any](m map[string]V) []string {
	return sortedKeys(m)
}
