package scan

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// generatedPackage builds a valid WeChat package of about 2 MB unpacked:
// a main package and sub-packages of pages whose scripts are varied enough
// to compress like real code rather than like a bomb.
func generatedPackage(tb testing.TB) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("const let var function return if else for while this data setData wx request url success fail page onLoad onShow item index list value key")
	script := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			fmt.Fprintf(&sb, "%s %s%d = %s(%d);\n", words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.IntN(1000), words[rng.IntN(len(words))], rng.IntN(1<<16))
		}
		return sb.String()
	}
	files := map[string]string{
		"project.config.json": `{"compileType":"miniprogram"}`,
		"app.js":              script(4 << 10),
	}
	var pages, subs []string
	for i := range 20 {
		page := fmt.Sprintf("pages/p%d/p%d", i, i)
		pages = append(pages, fmt.Sprintf("%q", page))
		files[page+".js"] = script(40 << 10)
		files[page+".wxml"] = strings.Repeat(fmt.Sprintf("<view class=\"row-%d\">{{item.name}}</view>\n", i), 100)
	}
	for s := range 4 {
		var sp []string
		for i := range 6 {
			page := fmt.Sprintf("pages/s%d/s%d", i, i)
			sp = append(sp, fmt.Sprintf("%q", page))
			files[fmt.Sprintf("sub%d/%s.js", s, page)] = script(40 << 10)
			files[fmt.Sprintf("sub%d/%s.wxml", s, page)] = "<view>{{text}}</view>"
		}
		subs = append(subs, fmt.Sprintf(`{"root":"sub%d","pages":[%s]}`, s, strings.Join(sp, ",")))
	}
	files["app.json"] = fmt.Sprintf(`{"pages":[%s],"subpackages":[%s]}`, strings.Join(pages, ","), strings.Join(subs, ","))
	return zipFiles(tb, files)
}

func BenchmarkScan(b *testing.B) {
	data := generatedPackage(b)
	rep := scanBytes(b, data, PlatformWeChat)
	requireAcceptable(b, rep)
	b.SetBytes(rep.UnpackedBytes)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Platform: PlatformWeChat}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanLibraries scans the real libraries with every rule on;
// throughput is over the libraries' source bytes.
func BenchmarkScanLibraries(b *testing.B) {
	apps := npmApps(b)
	var total int64
	for _, app := range apps {
		total += app.source
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, app := range apps {
			if _, err := Scan(context.Background(), bytes.NewReader(app.zip), int64(len(app.zip)), npmScanOptions(app.platform)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The secret benchmarks read the same text files, real libraries' minified
// bundles and the generated secrets included: gitleaks' detector built once
// with DetectBytes per file, against the windowed engine. The test
// TestSecretWindowsFindWhatGitleaksFinds holds their findings equal.
func BenchmarkSecretsGitleaks(b *testing.B) {
	engine, corpus, total := secretBench(b)
	b.SetBytes(total)
	for b.Loop() {
		for _, f := range corpus {
			engine.full.DetectBytes(f.data)
		}
	}
}

func BenchmarkSecretsWindowed(b *testing.B) {
	engine, corpus, total := secretBench(b)
	b.SetBytes(total)
	for b.Loop() {
		for _, f := range corpus {
			// Line starts and lower case are part of the cost, as
			// gitleaks' own lowering is part of its.
			engine.detect(f.data, newText(f.data), asciiLower(f.data))
		}
	}
}

func secretBench(b *testing.B) (*secretEngine, []corpusFile, int64) {
	engine, err := secretEngineOnce()
	if err != nil {
		b.Fatal(err)
	}
	corpus := secretCorpus(b, true)
	var total int64
	for _, f := range corpus {
		total += int64(len(f.data))
	}
	return engine, corpus, total
}

// BenchmarkScanPackage2MB scans, end to end in memory (zip bytes in,
// findings out), a package at the platforms' 2 MB limit made of real
// library code, every rule on: the scan's share of the time from upload
// to stored findings.
func BenchmarkScanPackage2MB(b *testing.B) {
	const limit = 2 << 20
	files := map[string]string{
		"app.json":               `{"pages":["pages/index/index"]}`,
		"app.js":                 "App({})",
		"project.config.json":    `{"compileType":"miniprogram"}`,
		"pages/index/index.js":   "Page({ data: { title: 'Hello' } })",
		"pages/index/index.wxml": "<view>{{title}}</view>",
	}
	total := 0
	for _, f := range files {
		total += len(f)
	}
	for _, app := range npmApps(b) {
		for _, name := range sortedKeys(app.files) {
			body := app.files[name]
			if _, skip := files[name]; skip || total+len(body) > limit {
				continue
			}
			files[name] = body
			total += len(body)
		}
	}
	data := zipFiles(b, files)
	opts := Options{Platform: PlatformWeChat}
	rep := scanBytes(b, data, opts.Platform)
	b.SetBytes(rep.UnpackedBytes)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()*1000/float64(b.N), "ms/op")
}
