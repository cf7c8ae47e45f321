package activities

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/scan"
	"trustgate/workflows"
)

// ownPage is a page of an app's own code, told apart from another app's by
// word: its handlers, keys and storage names.
func ownPage(word string) string {
	var b strings.Builder
	b.WriteString("const util = require('../../utils/util.js')\nPage({\n  data: { " + word + "List: [] },\n")
	for i := range 12 {
		fmt.Fprintf(&b, `  on%[1]sTap%[2]d(event) {
    const item = event.currentTarget.dataset.%[1]s%[2]d
    this.setData({ %[1]sSelected%[2]d: item, %[1]sAt%[2]d: util.formatTime(new Date(), 'HH:mm') })
    wx.setStorageSync('%[1]s_%[2]d', item)
  },
`, word, i)
	}
	b.WriteString("})\n")
	return b.String()
}

// A library that apps copy into their own folders (no npm folder, no
// banner) becomes common once enough other developers ship it, and from
// then on a package's fingerprint leaves it out, as it leaves out vendored
// libraries: two apps that share only it are not linked.
func TestALibraryManyDevelopersShipLeavesTheFingerprint(t *testing.T) {
	ctx := t.Context()
	lib, err := os.ReadFile("testdata/copied-lib.js")
	require.NoError(t, err)
	app := func(word string, withLib bool) map[string]string {
		files := map[string]string{
			"app.json":               `{"pages":["pages/index/index"]}`,
			"app.js":                 "App({})",
			"project.config.json":    `{"compileType":"miniprogram"}`,
			"pages/index/index.js":   ownPage(word),
			"pages/index/index.wxml": `<view>{{` + word + `List}}</view>`,
		}
		if withLib {
			files["utils/util.js"] = string(lib)
		}
		return files
	}
	f := newScanFixture(t, "sub_orchard", app("orchard", true), nil, "")
	f.a.CommonModuleDevelopers = 2
	f.add(t, "sub_harbour", app("harbour", true), nil, "")
	f.add(t, "sub_meadow", app("meadow", true), nil, "")
	scanned := func(id string) store.Fingerprint {
		t.Helper()
		_, err := f.env.ExecuteActivity(f.a.ScanPackage, workflows.ScanInput{SubmissionID: id})
		require.NoError(t, err)
		fp, ok, err := f.db.Store.Fingerprint(ctx, id)
		require.NoError(t, err)
		require.True(t, ok, "%s has a fingerprint", id)
		return fp
	}
	libFile := func(fp store.Fingerprint) store.FileSignature {
		t.Helper()
		for _, file := range fp.Files {
			if file.File == "utils/util.js" {
				return file
			}
		}
		t.Fatalf("no signature of utils/util.js in %+v", fp.Files)
		return store.FileSignature{}
	}
	codeLinks := func(id string) (to []string) {
		t.Helper()
		links, err := f.db.Store.Related(ctx, id, store.RelatedOptions{MinSimilarity: RelatedMinSimilarity})
		require.NoError(t, err)
		for _, l := range links {
			if l.Similarity > 0 {
				to = append(to, l.SubmissionID)
			}
		}
		return to
	}

	// No other developer ships it yet, then one: it is part of the code,
	// and the two apps look alike through it.
	orchard, harbour := scanned("sub_orchard"), scanned("sub_harbour")
	require.False(t, libFile(orchard).Common)
	require.False(t, libFile(harbour).Common)
	require.Equal(t, []string{"sub_orchard"}, codeLinks("sub_harbour"), "the library is most of both apps' code")

	// Two other developers ship it: the third app's fingerprint is its own
	// code alone, the same as if it had no library, and links to nothing.
	meadow := scanned("sub_meadow")
	require.True(t, libFile(meadow).Common)
	pkg, err := pkgzip.Files(app("meadow", false))
	require.NoError(t, err)
	alone, err := scan.Scan(ctx, bytes.NewReader(pkg), int64(len(pkg)), scan.Options{Platform: scan.PlatformWeChat})
	require.NoError(t, err)
	require.Equal(t, alone.Fingerprint.MinHash, meadow.MinHash)
	require.Empty(t, codeLinks("sub_meadow"))

	// A scan again brings an earlier package up to date: the first app is
	// now its own code too, and the second no longer looks like it.
	orchard = scanned("sub_orchard")
	require.True(t, libFile(orchard).Common)
	require.Empty(t, codeLinks("sub_harbour"), "harbour's stored signature still holds the library, orchard's no longer")

	// Each developer counts once, however often a package is scanned.
	var developers int
	require.NoError(t, f.conn.QueryRow(ctx, `SELECT developers FROM link_module_counts WHERE module_hash = $1`,
		store.ModuleHash(libFile(orchard).MinHash)).Scan(&developers))
	require.Equal(t, 3, developers)
}
