package scan

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// rulesFixture scans a rules fixture with the domains its endpoints are
// held to.
func rulesFixture(t *testing.T, name string, p Platform) Report {
	t.Helper()
	b := fixture(t, name)
	rep, err := Scan(context.Background(), bytesReader(b), int64(len(b)), Options{
		Platform: p, Domains: []string{"https://api.example.com", "*.cdn.example.com"},
	})
	require.NoError(t, err)
	return rep
}

// Each case names a file where the rule must fire, at a line, and a file
// written to look alike where it must not.
func TestCodeRulesFireAndDoNotFire(t *testing.T) {
	t.Parallel()
	we := rulesFixture(t, "wechat-rules", PlatformWeChat)
	ali := rulesFixture(t, "alipay-rules", PlatformAlipay)
	tests := []struct {
		name string
		rep  Report
		rule string
		file string
		line int
		not  string // a look-alike file without the finding
	}{
		{"eval is found, not its mention or a method named eval", we, "CODE-001", "code/eval.js", 2, "code/eval_ok.js"},
		{"eval through window is found", we, "CODE-001", "code/eval.js", 3, ""},
		{"indirect eval is found", we, "CODE-001", "code/eval.js", 4, ""},
		{"eval in a vendored library is found", we, "CODE-001", "miniprogram_npm/lib/index.js", 2, ""},
		{"eval in an ES module is found", we, "CODE-001", "code/module.js", 4, ""},
		{"new Function is found, not other constructors", we, "CODE-002", "code/function.js", 1, "code/function_ok.js"},
		{"Function called without new is found", we, "CODE-002", "code/function.js", 2, ""},
		{"string timer is found, not a function timer", we, "CODE-003", "code/timer.js", 1, "code/timer_ok.js"},
		{"concatenated string timer is found", we, "CODE-003", "code/timer.js", 2, ""},
		{"packer is found, not its parameter names alone", we, "CODE-004", "code/packed.js", 1, "code/packed_ok.js"},
		{"hex identifiers are obfuscation, minified code is not", we, "CODE-005", "code/obfuscated.js", 1, "code/minified_ok.js"},
		{"random string is high entropy, a data URI or prose is not", we, "CODE-006", "code/entropy.js", 1, "code/entropy_ok.js"},
		{"undeclared location interface is found, declared address is not", we, "CODE-010", "code/location.js", 1, ""},
		{"location interface hidden in a template is still undeclared", we, "CODE-010", "code/hidden.js", 5, ""},
		{"Alipay privacy interface without usePrivacyCheck", ali, "CODE-011", "pages/index/index.js", 3, ""},
		{"location without scope description", we, "CODE-012", "code/location.js", 1, ""},
		{"clipboard use is evidence", we, "CODE-013", "code/location.js", 3, "pages/index/index.js"},
		{"WeChat payment is evidence, our own method is not", we, "CODE-020", "code/pay.js", 1, "code/pay_ok.js"},
		{"Alipay payment is evidence", ali, "CODE-020", "pages/index/index.js", 4, ""},
		{"concatenated API name is hidden, a literal one is not", we, "CODE-030", "code/hidden.js", 1, "code/hidden_ok.js"},
		{"reversed and joined API name is hidden", we, "CODE-030", "code/hidden.js", 3, ""},
		{"hidden payment is still payment", we, "CODE-020", "code/hidden.js", 3, ""},
		{"forwarded API name is dynamic", we, "CODE-031", "code/dynamic.js", 2, "code/hidden_ok.js"},
		{"plain http request is found, https is not", we, "CODE-040", "code/endpoint.js", 1, "code/endpoint_ok.js"},
		{"plain ws socket built by concatenation is found", we, "CODE-040", "code/endpoint.js", 4, ""},
		{"web-view over http is found", we, "CODE-040", "pages/index/index.wxml", 3, ""},
		{"IP endpoint is found", we, "CODE-041", "code/endpoint.js", 2, "code/endpoint_ok.js"},
		{"unregistered domain is found, registered and wildcard ones are not", we, "CODE-042", "code/endpoint.js", 3, "code/endpoint_ok.js"},
		{"broken wxs is reported, valid wxs is not", we, "CODE-090", "wxs/broken.wxs", 3, "wxs/tools.wxs"},
		{"broken sjs is reported, sjs modules are not", ali, "CODE-090", "pages/index/broken.sjs", 3, "pages/index/index.sjs"},
		{"gambling terms in a template", we, "CONTENT-001", "pages/index/index.wxml", 2, ""},
		{"lending terms in a string", we, "CONTENT-002", "code/content.js", 1, "code/content_ok.js"},
		{"crypto trading in English", we, "CONTENT-004", "code/content.js", 2, "code/content_ok.js"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			found := false
			for _, f := range tc.rep.Findings {
				if f.RuleID == tc.rule && f.File == tc.file && f.Line == tc.line {
					found = true
					require.Equal(t, registry[tc.rule].Severity, f.Severity)
					require.Positive(t, f.Column)
				}
				if tc.not != "" {
					require.False(t, f.RuleID == tc.rule && f.File == tc.not, "false positive %+v", f)
				}
			}
			require.True(t, found, "want %s at %s:%d, got %+v", tc.rule, tc.file, tc.line, tc.rep.Findings)
		})
	}
}

func TestScriptsParseWithoutFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		src  string
	}{
		{"ES module syntax", "a.js", "import a, { b as c } from './a'\nimport './side'\nexport * from './x'\nexport { c }\nexport class K {}\nexport default function () { return import('./lazy') }\n"},
		{"sjs default export without space", "a.sjs", "export default{ a: 1 }"},
		{"keyword-like properties", "a.js", "const o = { import: 1, export: 2 }\no.import = o.export\n"},
		{"regular expression with a slash in a class", "a.js", "const re = /[/]export/g; const x = 4 / 2 / 1\n"},
		{"template with nested braces", "a.js", "const s = `${ {a: 1}.a } export`\n"},
		{"optional chaining and classes", "a.js", "class A { #x = 1; static y = 2; get z() { return this.#x } }\nconst v = a?.b?.[c]?.(d) ?? 0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := weChatApp(`{"pages":["pages/index/index"]}`, map[string]string{tc.file: tc.src})
			rep := scanBytes(t, zipFiles(t, files), PlatformWeChat)
			require.Empty(t, rep.Findings)
		})
	}
}

func TestPrivacyDeclarations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		app   string
		js    string
		rule  string
		clean bool
	}{
		{"declared location is accepted", `{"pages":["pages/index/index"],"requiredPrivateInfos":["getLocation"],"permission":{"scope.userLocation":{"desc":"to find stores"}}}`, "wx.getLocation({})", "", true},
		{"requiredPrivateInfos of the wrong type", `{"pages":["pages/index/index"],"requiredPrivateInfos":"getLocation"}`, "", "MAN-009", false},
		{"unknown interface in requiredPrivateInfos", `{"pages":["pages/index/index"],"requiredPrivateInfos":["getLocations"]}`, "", "MAN-009", false},
		{"precise and fuzzy location together", `{"pages":["pages/index/index"],"requiredPrivateInfos":["getLocation","getFuzzyLocation"]}`, "wx.getLocation({}); wx.getFuzzyLocation({})", "MAN-010", false},
		{"declared but unused interface", `{"pages":["pages/index/index"],"requiredPrivateInfos":["chooseAddress"]}`, "", "MAN-011", false},
		{"unused is not concluded when a call is computed", `{"pages":["pages/index/index"],"requiredPrivateInfos":["chooseAddress"]}`, "wx[name]()", "CODE-031", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, zipFiles(t, weChatApp(tc.app, map[string]string{"pages/index/index.js": tc.js})), PlatformWeChat)
			for _, f := range rep.Findings {
				if tc.clean {
					require.Less(t, severityRank[f.Severity], severityRank[SeverityLow], "unexpected %+v", f)
				} else if f.RuleID != tc.rule {
					require.NotEqual(t, "MAN-011", f.RuleID, "unexpected %+v", f)
				}
			}
			if tc.rule != "" {
				requireFinding(t, rep, tc.rule, map[bool]string{true: "pages/index/index.js", false: "app.json"}[tc.rule[:4] == "CODE"])
			}
		})
	}
}
