package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hasIndicator(rep Report, kind, value string) bool {
	for _, in := range rep.Indicators {
		if in.Kind == kind && in.Value == value {
			return true
		}
	}
	return false
}

func TestIndicatorsOfAPackage(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123456789abcdef"
	template := `<view class="shop">` + strings.Repeat(`<text>{{item.name}}</text>`, 5) + `<web-view src="https://h5.shop-example.cn/pay"></web-view></view>`
	files := map[string]string{
		"project.config.json": `{"compileType":"miniprogram","appid":"wx1a2b3c4d5e6f7a8b"}`,
		"app.json":            `{"pages":["pages/index/index"]}`,
		"app.js":              "App({})",
		"pages/index/index.js": `const config = { appSecret: "` + secret + `", mch_id: "1601234567", partner: "2088123456789012" };
Page({ onLoad() { wx.request({ url: "https://api.shop-example.cn/v1/orders" }); wx.request({ url: "https://api.shop-example.cn/v1/user" }) } })`,
		"pages/index/index.wxml": template,
		// A library's own endpoint and app ID say nothing about who runs the app.
		"miniprogram_npm/some-lib/index.js": `wx.request({ url: "https://telemetry.lib-example.com/x" }); var id = "wx9999999999999999";`,
	}
	rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
	requireFinding(t, rep, "SECRET-003", "pages/index/index.js")

	require.True(t, hasIndicator(rep, IndicatorHost, "api.shop-example.cn"), "%+v", rep.Indicators)
	require.True(t, hasIndicator(rep, IndicatorWebView, "h5.shop-example.cn"))
	require.True(t, hasIndicator(rep, IndicatorSecretHash, sha(secret)))
	require.True(t, hasIndicator(rep, IndicatorAppID, "wx1a2b3c4d5e6f7a8b"))
	require.True(t, hasIndicator(rep, IndicatorMerchantID, "1601234567"))
	require.True(t, hasIndicator(rep, IndicatorMerchantID, "2088123456789012"))
	require.True(t, hasIndicator(rep, IndicatorAssetHash, sha(template)))
	require.False(t, hasIndicator(rep, IndicatorHost, "telemetry.lib-example.com"), "vendored code is left out")
	require.False(t, hasIndicator(rep, IndicatorAppID, "wx9999999999999999"))

	raw, err := json.Marshal(rep)
	require.NoError(t, err)
	require.NotContains(t, string(raw), secret, "the report never carries a secret")
	require.NotContains(t, string(raw), secret[:16])

	seen := map[string]bool{}
	for i, in := range rep.Indicators {
		key := in.Kind + " " + in.Value
		require.False(t, seen[key], "indicators are deduplicated: %s", key)
		seen[key] = true
		if i > 0 {
			prev := rep.Indicators[i-1]
			require.True(t, prev.Kind < in.Kind || prev.Kind == in.Kind && prev.Value < in.Value, "sorted")
		}
	}
}

func TestIndicatorsAreNeverNil(t *testing.T) {
	t.Parallel()
	rep := scanBytes(t, zipFiles(t, map[string]string{"readme.txt": "nothing"}), PlatformWeChat)
	require.NotNil(t, rep.Indicators)
	raw, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"indicators":[]`)
	require.Nil(t, rep.Fingerprint.MinHash, "no own code, no signature")
}

// Numbers that only look like IDs are not taken for them.
func TestIDsNeedTheirKey(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"app.json": `{"pages":["pages/index/index"]}`,
		"app.js":   "App({})",
		"pages/index/index.js": `const order = "2023010112345678", ts = 1601234567, hash = "aawx1a2b3c4d5e6f7a8b";
Page({ data: { orderId: "2088123456789012", id: 2021001122334455 } })`,
	}
	rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
	for _, in := range rep.Indicators {
		require.NotContains(t, []string{IndicatorAppID, IndicatorMerchantID}, in.Kind, "%+v", in)
	}
}

// The same app gives the same fingerprint as source and in every built
// form: the build splits into the same modules.
func TestBuiltPackageHasTheSourceFingerprint(t *testing.T) {
	t.Parallel()
	src, built := builtApp(t)
	source := scanBytes(t, zipBytes(t, src), PlatformWeChat).Fingerprint
	require.NotNil(t, source.MinHash, "the fixture has enough own code: %d shingles", source.Shingles)
	for name, pkg := range map[string][]byte{
		"main and sub-package .wxapkg in one zip": zipBytes(t, built.Packages()),
		"zip of the unpacked built package":       zipBytes(t, built.Unpacked()),
	} {
		got := scanBytes(t, pkg, PlatformWeChat).Fingerprint
		require.Equal(t, source.MinHash, got.MinHash, name)
		require.Equal(t, source.Shingles, got.Shingles, name)
	}
}

// What minifiers rewrite gives the same shingles.
func TestTokenStreamNormalisation(t *testing.T) {
	t.Parallel()
	stream := func(src string) []uint64 {
		prog, err := parseJS([]byte(src))
		require.NoError(t, err)
		var em tokenEmitter
		em.emit(prog)
		return shingles(em.toks, em.bounds, nil)
	}
	for _, c := range [][2]string{
		{`var total = a.b.c;`, `let t=a["b"]["c"]`},
		{`x = true; y = false; z = undefined;`, `x=!0,y=!1,z=void 0`},
		{`if (ready) { start(); }`, `ready&&start()`},
		{`if (!ready) start();`, `ready||start()`},
		{`var f = function (x) { return x * 2; };`, `const g = y => y * 2`},
		{`var a = 1; var b = 2;`, `var a=1,b=2`},
		{`o = { run: function () { go(); } }`, `o={run(){go()}}`},
		{`n = 1000`, `n = 1e3`},
		{`r = c ? 1 : 2`, `if (c) r = 1; else r = 2`},
	} {
		if c[0] == `r = c ? 1 : 2` {
			// Different statements, listed to show the limit: an
			// assignment of a conditional is not an if of assignments.
			require.NotEqual(t, stream(c[0]), stream(c[1]))
			continue
		}
		require.Equal(t, stream(c[0]), stream(c[1]), "%s | %s", c[0], c[1])
	}
	require.NotEqual(t, stream(`wx.request({url: u})`), stream(`wx.navigateTo({url: u})`), "property names count")
}

func TestSimilarityAndFilePairs(t *testing.T) {
	t.Parallel()
	a := minhash([]uint64{1, 2, 3, 4, 5, 6, 7, 8})
	require.Equal(t, 1.0, Similarity(a, a))
	require.Zero(t, Similarity(a, nil))
	require.Zero(t, Similarity(a, a[:10]))
	b := minhash([]uint64{1, 2, 3, 4, 50, 60, 70, 80})
	// 4 shared of 12 in all: Jaccard 1/3, Dice 2·4/(8+8) = 1/2.
	require.InDelta(t, 0.5, Similarity(a, b), 0.15)

	x := CodeFingerprint{Files: []FileFingerprint{{File: "a.js", MinHash: a}, {File: "b.js", MinHash: b}}}
	y := CodeFingerprint{Files: []FileFingerprint{{File: "moved/b.js", MinHash: b}, {File: "moved/a.js", MinHash: a}}}
	pairs := MostSimilarFiles(x, y, 5)
	require.Len(t, pairs, 2)
	require.Equal(t, FilePair{A: "a.js", B: "moved/a.js", Similarity: 1}, pairs[0])
	require.Equal(t, FilePair{A: "b.js", B: "moved/b.js", Similarity: 1}, pairs[1])
	require.Len(t, MostSimilarFiles(x, y, 1), 1)
	require.Empty(t, MostSimilarFiles(x, CodeFingerprint{}, 3))
}

// A module that Options.CommonModules calls common (many developers ship
// it) leaves the package's fingerprint as a vendored library does, is
// marked common in its files and is never paired for a reviewer; a failing
// answer fails the scan.
func TestCommonModulesAreLeftOut(t *testing.T) {
	t.Parallel()
	handlers := func(word string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "function %[1]s%[2]d(e) { this.setData({ %[1]sKey%[2]d: e.detail.%[1]sValue%[2]d }); wx.setStorageSync('%[1]s%[2]d', e) }\n", word, i)
		}
		return b.String()
	}
	files := map[string]string{
		"app.json":               `{"pages":["pages/index/index"]}`,
		"app.js":                 "App({})",
		"project.config.json":    `{"compileType":"miniprogram"}`,
		"pages/index/index.wxml": "<view>hi</view>",
		"pages/index/index.js":   handlers("page", 20) + "Page({})",
	}
	scanWith := func(files map[string]string, common func([][]uint32) ([]bool, error)) (Report, error) {
		zip, err := zipFilesErr(files)
		require.NoError(t, err)
		return Scan(t.Context(), bytesReader(zip), int64(len(zip)), Options{Platform: PlatformWeChat, CommonModules: common})
	}
	alone, err := scanWith(files, nil)
	require.NoError(t, err)
	require.NotNil(t, alone.Fingerprint.MinHash)

	files["utils/lib.js"] = handlers("lib", 10) + "module.exports = {}"
	plain, err := scanWith(files, nil)
	require.NoError(t, err)
	require.NotEqual(t, alone.Fingerprint.MinHash, plain.Fingerprint.MinHash, "the module is own code until called common")
	var libSig []uint32
	for _, f := range plain.Fingerprint.Files {
		if f.File == "utils/lib.js" {
			libSig = f.MinHash
		}
	}
	require.NotNil(t, libSig)

	var asked int
	rep, err := scanWith(files, func(sigs [][]uint32) ([]bool, error) {
		asked = len(sigs)
		out := make([]bool, len(sigs))
		for i, s := range sigs {
			out[i] = slices.Equal(s, libSig)
		}
		return out, nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, asked, "one signature per script of 30 shingles or more")
	require.Equal(t, alone.Fingerprint.MinHash, rep.Fingerprint.MinHash)
	require.Equal(t, alone.Fingerprint.Shingles, rep.Fingerprint.Shingles)
	require.Equal(t, []FileFingerprint{
		{File: "pages/index/index.js", MinHash: alone.Fingerprint.Files[0].MinHash},
		{File: "utils/lib.js", MinHash: libSig, Common: true},
	}, rep.Fingerprint.Files)
	require.Equal(t, []FilePair{{A: "pages/index/index.js", B: "pages/index/index.js", Similarity: 1}},
		MostSimilarFiles(rep.Fingerprint, rep.Fingerprint, 5), "a common module is no evidence of a copy")

	_, err = scanWith(files, func([][]uint32) ([]bool, error) { return nil, errors.New("store down") })
	require.ErrorContains(t, err, "store down")
	_, err = scanWith(files, func([][]uint32) ([]bool, error) { return []bool{true}, nil })
	require.ErrorContains(t, err, "1 answers for 2 modules")
}
