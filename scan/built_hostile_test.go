package scan

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/wxbuild"
)

// wxRecord is one index record of a hand-made built package.
type wxRecord struct {
	name      string
	off, size uint32
}

// rawWxapkg writes a built package's header, a count, the records and
// body as given, with nothing checked or fixed up: the hostile cases lie.
func rawWxapkg(count uint32, records []wxRecord, body []byte, indexLen int) []byte {
	be := binary.BigEndian
	var index []byte
	index = be.AppendUint32(index, count)
	for _, r := range records {
		index = be.AppendUint32(index, uint32(len(r.name)))
		index = append(index, r.name...)
		index = be.AppendUint32(index, r.off)
		index = be.AppendUint32(index, r.size)
	}
	if indexLen < 0 {
		indexLen = len(index)
	}
	out := []byte{0xBE, 0, 0, 0, 0}
	out = be.AppendUint32(out, uint32(indexLen))
	out = be.AppendUint32(out, uint32(len(body)))
	out = append(out, 0xED)
	out = append(out, index...)
	return append(out, body...)
}

// bodyAt is where the body starts for records of these names.
func bodyAt(names ...string) uint32 {
	n := 14 + 4
	for _, name := range names {
		n += 12 + len(name)
	}
	return uint32(n)
}

func TestHostileBuiltPackages(t *testing.T) {
	t.Parallel()
	manifest := `{"pages":["pages/a"]}`
	okNames := []string{"/app-config.json", "/app-service.js"}
	service := `define("pages/a.js", function(require, module, exports){var a = 1;});`
	body := manifest + service
	start := bodyAt(okNames...)
	valid := func(extra ...wxRecord) []byte {
		recs := []wxRecord{{okNames[0], start, uint32(len(manifest))}, {okNames[1], start + uint32(len(manifest)), uint32(len(service))}}
		recs = append(recs, extra...)
		names := []string{}
		for _, r := range recs {
			names = append(names, r.name)
		}
		shift := bodyAt(names...) - start
		for i := range recs[:2] {
			recs[i].off += shift
		}
		return rawWxapkg(uint32(len(recs)), recs, []byte(body), -1)
	}
	// Overlap needs offsets that agree with the real body: two files over
	// the manifest's bytes.
	overlap := func() []byte {
		names := append(append([]string{}, okNames...), "/b.js")
		s := bodyAt(names...)
		return rawWxapkg(3, []wxRecord{
			{okNames[0], s, uint32(len(manifest))}, {okNames[1], s + uint32(len(manifest)), uint32(len(service))},
			{"/b.js", s + 4, 8},
		}, []byte(body), -1)
	}()

	cases := []struct {
		name string
		pkg  []byte
		rule string
	}{
		{"header cut short", []byte{0xBE, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0xED}, "PKG-001"},
		{"index longer than the package", rawWxapkg(1, nil, nil, 1<<20), "PKG-001"},
		{"index ends inside a record", rawWxapkg(2, []wxRecord{{"/a.js", 0, 0}}, nil, -1), "PKG-001"},
		{"a file count in the millions", rawWxapkg(5_000_000, nil, nil, -1), "PKG-006"},
		{"a count the index cannot hold", rawWxapkg(300, []wxRecord{{"/a.js", 0, 0}}, nil, -1), "PKG-001"},
		{"a body past the end", valid(wxRecord{"/b.js", start, 1 << 20}), "PKG-001"},
		{"a declared size of 4 GB", valid(wxRecord{"/b.js", start, 0xFFFFFFFF}), "PKG-001"},
		{"a body inside the index", valid(wxRecord{"/b.js", 3, 4}), "PKG-001"},
		{"overlapping bodies", overlap, "PKG-001"},
		{"a name climbing out with ..", valid(wxRecord{"/../../etc/cron.d/x", 0, 0}), "PKG-002"},
		{"an absolute name", valid(wxRecord{"//etc/passwd", 0, 0}), "PKG-003"},
		{"a drive letter", valid(wxRecord{"/C:/boot.ini", 0, 0}), "PKG-003"},
		{"control characters in a name", valid(wxRecord{"/a.js\x00.png", 0, 0}), "PKG-001"},
		{"a name longer than any path", valid(wxRecord{"/" + strings.Repeat("a", 2000), 0, 0}), "PKG-001"},
		{"the same name twice", valid(wxRecord{"/APP-SERVICE.JS", 0, 0}), "PKG-005"},
		{"a module climbing out with ..", wxbuild.Pack(map[string][]byte{
			"app-config.json": []byte(manifest),
			"app-service.js":  []byte(`define("../../x.js", function(require, module, exports){wx.request({url: 'https://a.example.com'})});`),
		}), "PKG-002"},
		{"a module defined twice", wxbuild.Pack(map[string][]byte{
			"app-config.json": []byte(manifest),
			"app-service.js":  []byte(`define("pages/a.js", function(){var a = 1;}); define("pages/a.js", function(){eval(x)});`),
		}), "PKG-005"},
		{"a built package inside a built package", wxbuild.Pack(map[string][]byte{
			"app-config.json": []byte(manifest), "app-service.js": []byte(service),
			"inner.bin": wxbuild.Pack(map[string][]byte{"a.js": []byte("x")}),
		}), "PKG-010"},
		{"a page whose module is missing", wxbuild.Pack(map[string][]byte{
			"app-config.json": []byte(`{"pages":["pages/a","pages/gone"]}`), "app-service.js": []byte(service), "pages/a.html": nil, "pages/gone.html": nil,
		}), "MAN-003"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, tc.pkg, PlatformWeChat)
			found := false
			for _, f := range rep.Findings {
				if f.RuleID == tc.rule {
					found = true
					require.Equal(t, registry[tc.rule].Severity, f.Severity)
				}
			}
			require.True(t, found, "want %s, got %+v", tc.rule, rep.Findings)
			if strings.HasPrefix(tc.rule, "PKG") {
				require.Equal(t, SeverityCritical, rep.Worst())
			}
		})
	}
}

// A valid built package of a page with its module and template is clean:
// the hostile cases fail for their defect, not for being built.
func TestSmallBuiltPackageIsClean(t *testing.T) {
	t.Parallel()
	rep := scanBytes(t, wxbuild.Pack(map[string][]byte{
		"app-config.json": []byte(`{"pages":["pages/a"]}`),
		"app-service.js":  []byte(`define("pages/a.js", function(require, module, exports){Page({})});`),
		"page-frame.html": []byte(`<script>var x=['./pages/a.wxml'];</script>`),
	}), PlatformWeChat)
	require.Empty(t, rep.Findings)
	require.Equal(t, 4, rep.Files, "the manifest, the bundle, its module and the frame")
}

// Claims in the index cost nothing: a package declaring five million files
// or 4 GB bodies is refused without allocating for the claim.
func TestHostileBuiltPackageMemory(t *testing.T) {
	// The first scan loads the secret rules once for the process.
	scanBytes(t, rawWxapkg(0, nil, nil, -1), PlatformWeChat)
	for _, pkg := range [][]byte{
		rawWxapkg(5_000_000, nil, make([]byte, 64), -1),
		rawWxapkg(1, []wxRecord{{"/a.js", 30, 0xFFFFFFFF}}, make([]byte, 64), -1),
		rawWxapkg(0xFFFFFFFF, nil, nil, 0xFFFFFFF0),
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rep := scanBytes(t, pkg, PlatformWeChat)
		runtime.ReadMemStats(&after)
		require.Equal(t, SeverityCritical, rep.Worst())
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "allocated for a claim, not for the bytes")
	}
}
