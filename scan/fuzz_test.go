package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"trustgate/internal/wxbuild"
)

// FuzzScan checks the one promise hostile input relies on: whatever the
// bytes, Scan neither panics nor returns an error for an in-memory archive,
// and its report is well formed.
func FuzzScan(f *testing.F) {
	for _, name := range []string{"wechat-valid", "alipay-valid", "wechat-missing-page", "wechat-flows", "alipay-flows"} {
		f.Add(fixture(f, name), uint8(0))
	}
	f.Add(craft(f, append(validWeChat(), file("../evil", "x"), file("app.json", "{"))...), uint8(1))
	f.Add(zipFiles(f, weChatApp(`{"pages":["a"],"subpackages":[{"root":"s","pages":["b"]}],"tabBar":{"list":[{"iconPath":"i.png"}]},"permission":{"scope.x":{}}}`, nil)), uint8(2))
	f.Add([]byte("PK\x05\x06"+string(make([]byte, 18))), uint8(3))

	platforms := []Platform{PlatformWeChat, PlatformAlipay, "", "other"}
	f.Fuzz(func(t *testing.T, data []byte, p uint8) {
		opts := Options{Platform: platforms[int(p)%len(platforms)], Limits: Limits{MaxUnpackedBytes: 8 << 20}}
		rep, err := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			t.Fatalf("Scan returned an error for in-memory input: %v", err)
		}
		for _, fd := range rep.Findings {
			if _, ok := registry[fd.RuleID]; !ok || fd.Fingerprint == "" || fd.Severity != registry[fd.RuleID].Severity {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}

// FuzzManifest feeds arbitrary app.json text, next to scripts that use
// privacy interfaces, so the manifest parser, the JSON index and the
// privacy declarations all see hostile input.
func FuzzManifest(f *testing.F) {
	f.Add(`{"pages":["pages/index/index"],"requiredPrivateInfos":["getLocation","getFuzzyLocation"],"permission":{"scope.userLocation":{"desc":"x"}}}`)
	f.Add(`{"pages":["a"],"subPackages":[{"root":"s","pages":["b"]}],"tabBar":{"items":[{"icon":"i.png"}]},"usePrivacyCheck":true}`)
	f.Add(`{"pages":[],"requiredPrivateInfos":{"a":1},"usePrivacyCheck":"yes"}`)
	f.Add("\ufeff{\"pages\":[\"~1/..\"]}")
	f.Add(`{"pages":[`)
	f.Fuzz(func(t *testing.T, app string) {
		files := weChatApp(app, map[string]string{"pages/index/index.js": "wx.getLocation({}); wx[n]()"})
		rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
		for _, fd := range rep.Findings {
			if _, ok := registry[fd.RuleID]; !ok || fd.Fingerprint == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}

// FuzzJS runs the module rewrite and the CODE rule pass over arbitrary
// script text: neither may panic, the rewrite must keep every offset, and
// a script the lexical read accepts must read as the parser reads it.
func FuzzJS(f *testing.F) {
	for _, name := range []string{"eval.js", "hidden.js", "packed.js", "obfuscated.js", "endpoint.js", "module.js", "dynamic.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "wechat-rules", "code", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, name := range []string{"pages/data/index.js", "pages/closure/index.js", "utils/http.js", "pages/form/index.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "wechat-flows", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("var a = {}; a.self = a; function f(x) { return g(x) } function g(y) { return f(y) } wx.request({ data: f(a.self.self) })")
	f.Add("export default{a:`${`${1}`}`}/ 2 /i; import(x)")
	f.Add("wx[[['a'].join('')].join('') + 'b'.split('').reverse().join('')]()")
	f.Add("var a = b, b = a; wx[a]()")
	f.Fuzz(func(t *testing.T, src string) {
		if got := stripModuleSyntax([]byte(src)); len(got) != len(src) {
			t.Fatalf("module rewrite changed the length: %d -> %d", len(src), len(got))
		}
		requireLexicalReadAgrees(t, fmt.Sprintf("%q", src), stripModuleSyntax([]byte(src)))
		s := &state{opts: Options{Domains: []string{"*.example.com"}}, platform: PlatformWeChat}
		e := &entry{name: "a.js", clean: "a.js", data: []byte(src), read: true}
		s.arch = &archive{files: []*entry{e}, byPath: map[string]*entry{"a.js": e}}
		checkCode(s)
		checkFlows(s)
		for _, fd := range s.findings {
			if fd.Line < 0 || fd.Column < 0 || fd.Fingerprint == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
		for _, fl := range s.flows {
			if fl.Source.Line < 1 || fl.Sink.Line < 1 || fl.Source.Kind == "" {
				t.Fatalf("malformed flow %+v", fl)
			}
		}
	})
}

// FuzzWxapkg feeds arbitrary bytes behind a built package's header, and
// built packages inside a zip, so the index reader, the range checks and
// the module splitting all see hostile input: no panic, no error, findings
// well formed, and every module within the bytes that were read.
func FuzzWxapkg(f *testing.F) {
	_, built := builtApp(f)
	f.Add(wxbuild.Pack(built.Main), false)
	f.Add(wxbuild.Pack(built.Subs["packageShop"]), true)
	f.Add(rawWxapkg(5_000_000, nil, nil, -1), false)
	f.Add(rawWxapkg(1, []wxRecord{{"/../a.js", 30, 0xFFFFFFFF}}, make([]byte, 8), -1), false)
	f.Add(wxbuild.Pack(map[string][]byte{
		"app-config.json": []byte(`{"pages":["a"]}`),
		"app-service.js":  []byte(`define("a.js", function(){define("b.js", function(){})}); define("/c.js", () => {x})`),
	}), true)
	f.Fuzz(func(t *testing.T, data []byte, zipped bool) {
		pkg := data
		if zipped {
			pkg = zipBytes(t, map[string][]byte{"__APP__.wxapkg": data, "sub.wxapkg": data})
		}
		opts := Options{Platform: PlatformWeChat, Limits: Limits{MaxUnpackedBytes: 8 << 20}}
		rep, err := Scan(context.Background(), bytes.NewReader(pkg), int64(len(pkg)), opts)
		if err != nil {
			t.Fatalf("Scan returned an error for in-memory input: %v", err)
		}
		for _, fd := range rep.Findings {
			if _, ok := registry[fd.RuleID]; !ok || fd.Fingerprint == "" || fd.Line < 0 {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
		files, err := ReadFilesBytes(context.Background(), pkg, opts.Limits)
		if err != nil {
			t.Fatalf("ReadFiles returned an error for in-memory input: %v", err)
		}
		for _, fl := range files {
			if fl.Bundle != "" && len(fl.Data) > len(pkg) {
				t.Fatalf("module %q is larger than the package", fl.Name)
			}
		}
	})
}
