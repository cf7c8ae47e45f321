package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"trustgate/internal/wxbuild"
)

// flowBenchPackage builds a WeChat package of about 2 MB in about 150
// modules from the realistic flow apps: each copy of their pages under a
// folder of its own, each page grown with helpers that request, format
// and filter as list pages do, so that the analysis has real work in
// every module. It returns the .wxapkg the developer tools would upload.
func flowBenchPackage(tb testing.TB) ([]byte, int) {
	tb.Helper()
	src := map[string][]byte{
		"project.config.json": []byte(`{"compileType":"miniprogram"}`),
		"app.js":              []byte("App({ globalData: {} })"),
	}
	var pages []string
	modules := 0
	for _, app := range []string{"shop", "map", "forms"} {
		files := readFixture(tb, "flow-apps/"+app)
		for name, body := range files {
			if strings.HasPrefix(name, "utils/") {
				src[name] = body
				modules++
			}
		}
	}
	const copies = 21
	for c := range copies {
		for _, app := range []string{"shop", "map", "forms"} {
			files := readFixture(tb, "flow-apps/"+app)
			for name, body := range files {
				top, rest, ok := strings.Cut(name, "/")
				if !ok || (top != "pages" && top != "packageB") {
					continue
				}
				// Same depth, so the pages' relative requires still reach utils/.
				if top == "packageB" {
					rest = strings.TrimPrefix(rest, "pages/")
				}
				moved := fmt.Sprintf("p%s%d/%s", app, c, rest)
				if strings.HasSuffix(name, ".js") {
					body = append(bytes.Clone(body), benchHelpers(c, 26)...)
					pages = append(pages, strings.TrimSuffix(moved, ".js"))
					modules++
				}
				src[moved] = body
			}
		}
	}
	appJSON, err := json.Marshal(map[string]any{"pages": pages})
	if err != nil {
		tb.Fatal(err)
	}
	src["app.json"] = appJSON
	built, err := wxbuild.Build(src)
	if err != nil {
		tb.Fatal(err)
	}
	return wxbuild.Pack(built.Main), modules
}

func benchHelpers(seed, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		k := seed*1000 + i
		fmt.Fprintf(&b, `
function formatList%[1]d(list, rate) {
  const out = []
  for (let i = 0; i < list.length; i++) {
    const item = list[i]
    out.push({ id: item.id, price: (item.price * rate).toFixed(2), label: `+"`${item.name} #%[1]d`"+` })
  }
  return out.filter((x) => x.price > %[2]d)
}
function loadMore%[1]d(page, done) {
  wx.request({
    url: 'https://api.teashop.example.com/v2/list?page=' + page + '&k=%[1]d',
    success: (r) => done(formatList%[1]d(r.data.items || [], 1.%[2]d))
  })
}
`, k, i%97)
	}
	return b.Bytes()
}

// BenchmarkScanBuiltFlows2MB scans a built package of about 2 MB and 150
// modules end to end, the flow analysis included; run with -cpu 1.
func BenchmarkScanBuiltFlows2MB(b *testing.B) {
	pkg, modules := flowBenchPackage(b)
	opts := npmScanOptions(PlatformWeChat)
	rep := scanWithBytes(b, pkg, opts)
	if len(rep.Flows) < 100 {
		b.Fatalf("want the flows of every copy, got %d", len(rep.Flows))
	}
	for _, f := range rep.Findings {
		if f.Severity == SeverityCritical {
			b.Fatalf("critical finding in the generated package: %+v", f)
		}
	}
	b.Logf("%d bytes packed, %d unpacked, %d modules, %d flows, %d findings", len(pkg), rep.UnpackedBytes, modules, len(rep.Flows), len(rep.Findings))
	b.SetBytes(rep.UnpackedBytes)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), bytes.NewReader(pkg), int64(len(pkg)), opts); err != nil {
			b.Fatal(err)
		}
	}
}
