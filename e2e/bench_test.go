package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/pkgzip"
)

// twoMegabytePackage is a WeChat app of about 2 MB unpacked (the platform's
// per-package limit): the example app plus a vendored library of ordinary
// code, as real packages carry.
func twoMegabytePackage(b testing.TB, salt int) []byte {
	b.Helper()
	var lib strings.Builder
	for i := 0; lib.Len() < 1900<<10; i++ {
		fmt.Fprintf(&lib, "function helper%d(a, b) {\n  var sum = a + b * %d;\n  if (sum > %d) { return 'big-%d'; }\n  return wx.getStorageSync('k%d') || sum;\n}\n", i, i, i*7, i, i)
	}
	files := map[string]string{
		"app.json":                       `{"pages":["pages/index/index"]}`,
		"project.config.json":            `{"appid":"wx0000000000000000","compileType":"miniprogram"}`,
		"app.js":                         "App({});",
		"pages/index/index.js":           "Page({ onLoad() { wx.request({ url: 'http://api.example.com/feed' }); } });",
		"pages/index/index.wxml":         "<view>hello</view>",
		"miniprogram_npm/lib/index.js":   lib.String(),
		"miniprogram_npm/lib/salt.js":    fmt.Sprintf("module.exports = %d;", salt),
		"miniprogram_npm/lib/package.js": `module.exports = {"name":"lib"};`,
	}
	z, err := pkgzip.Files(files)
	require.NoError(b, err)
	return z
}

// BenchmarkUploadToFindings measures a 2 MB package from the start of its
// upload to its findings stored, on the whole stack with real PostgreSQL and
// Temporal. Budget: 300 ms.
func BenchmarkUploadToFindings(b *testing.B) {
	s := startStack(b, 8<<20)
	tok, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")
	var took, uploads []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pkg := twoMegabytePackage(b, i)
		start := time.Now()
		resp, created := s.upload(b, tok, app, fmt.Sprintf("1.0.%d", i), pkg, "")
		require.Equal(b, http.StatusAccepted, resp.StatusCode)
		uploads = append(uploads, time.Since(start))
		id := created["id"].(string)
		// The package has a plain-http endpoint, so its findings are not
		// empty: they are stored when the first one shows.
		for {
			var f struct{ Items []any }
			s.call(b, "GET", "/v1/submissions/"+id+"/findings", tok, nil, nil, &f)
			if len(f.Items) > 0 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		took = append(took, time.Since(start))
		s.settle(b, tok, id) // the next upload of the app waits for this one to settle
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	sort.Slice(uploads, func(i, j int) bool { return uploads[i] < uploads[j] })
	b.ReportMetric(float64(uploads[len(uploads)/2].Milliseconds()), "upload-p50-ms")
	b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(took[len(took)*95/100].Milliseconds()), "p95-ms")
}
