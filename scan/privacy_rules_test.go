package scan

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// Flows as the flow analysis reports them; the declaration rules read
// nothing else of a package.
var (
	locationToServer = Flow{
		Source: FlowSource{API: "wx.getLocation", Kind: "location", File: "pages/shop/index.js", Line: 12},
		Sink:   FlowSink{API: "wx.request", File: "utils/api.js", Line: 40, Endpoint: "api.example.com", Scheme: "https"},
		Steps:  []FlowStep{{File: "pages/shop/index.js", Line: 14}, {File: "utils/api.js", Line: 38}},
	}
	phoneToServer = Flow{
		Source: FlowSource{API: "getPhoneNumber", Kind: "phone", File: "pages/login/index.js", Line: 5},
		Sink:   FlowSink{API: "wx.uploadFile", File: "pages/login/index.js", Line: 9},
	}
	phoneToOtherApp = Flow{
		Source: FlowSource{API: "getPhoneNumber", Kind: "phone", File: "pages/login/index.js", Line: 5},
		Sink:   FlowSink{API: "wx.navigateToMiniProgram", File: "pages/login/index.js", Line: 20},
	}
	clipboardToStorage = Flow{
		Source: FlowSource{API: "wx.getClipboardData", Kind: "clipboard", File: "app.js", Line: 3},
		Sink:   FlowSink{API: "wx.setStorageSync", File: "app.js", Line: 4},
	}
	inputToWebView = Flow{
		Source: FlowSource{API: "formSubmit", Kind: "input", File: "pages/form/index.js", Line: 7},
		Sink:   FlowSink{API: "web-view", File: "pages/web/index.wxml", Line: 1},
	}
)

func decl(kinds ...string) *PrivacyDeclaration {
	d := &PrivacyDeclaration{Items: []PrivacyItem{}}
	for _, k := range kinds {
		d.Items = append(d.Items, PrivacyItem{Kind: k, Purpose: "为了" + k})
	}
	return d
}

// privacyReport runs the declaration rules over flows as Scan does.
func privacyReport(flows []Flow, opts Options) Report {
	s := &state{opts: opts, flows: flows}
	checkPrivacyDeclaration(s)
	return s.report()
}

func findingsOf(rep Report, rule string) []Finding {
	var out []Finding
	for _, f := range rep.Findings {
		if f.RuleID == rule {
			out = append(out, f)
		}
	}
	return out
}

func TestUndeclaredKindSentOffTheDevice(t *testing.T) {
	t.Parallel()
	rep := privacyReport([]Flow{locationToServer, phoneToServer}, Options{Privacy: decl("phone")})
	got := findingsOf(rep, "PRIV-010")
	require.Len(t, got, 1, "%+v", rep.Findings)
	f := got[0]
	require.Equal(t, SeverityHigh, f.Severity)
	require.Equal(t, "pages/shop/index.js", f.File, "the finding points at the source")
	require.Equal(t, 12, f.Line)
	require.Contains(t, f.Message, "location from wx.getLocation is sent by wx.request at utils/api.js:40 to api.example.com")
	require.Contains(t, f.Snippet, "utils/api.js:40")
	require.Contains(t, f.Snippet, "api.example.com")
	require.NotNil(t, f.Privacy)
	require.Equal(t, "location", f.Privacy.Kind)
	require.Equal(t, locationToServer.Source, *f.Privacy.Source)
	require.Equal(t, locationToServer.Sink, *f.Privacy.Sink)
}

func TestDeclarationRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		flows []Flow
		decl  *PrivacyDeclaration
		want  map[string][]string // rule -> "file:line kind" of each finding
	}{
		{"declared and sent is no finding", []Flow{locationToServer, phoneToServer}, decl("location", "phone"), nil},
		{"no declaration, no declaration rules", []Flow{locationToServer}, nil, nil},
		{"an empty declaration makes every sent kind undeclared", []Flow{locationToServer, phoneToServer}, decl(),
			map[string][]string{"PRIV-010": {"pages/login/index.js:5 phone", "pages/shop/index.js:12 location"}}},
		{"data kept on the device is not sent", []Flow{clipboardToStorage}, decl(), nil},
		{"another mini-program is off the device", []Flow{phoneToOtherApp}, decl(),
			map[string][]string{"PRIV-010": {"pages/login/index.js:5 phone"}}},
		{"a web-view is off the device", []Flow{inputToWebView}, decl("location"),
			map[string][]string{"PRIV-010": {"pages/form/index.js:7 input"}, "PRIV-011": {":0 location"}}},
		{"one source to two sinks is two findings", []Flow{phoneToServer, phoneToOtherApp}, decl(),
			map[string][]string{"PRIV-010": {"pages/login/index.js:5 phone", "pages/login/index.js:5 phone"}}},
		{"declared but never collected", []Flow{locationToServer}, decl("location", "contacts", "photo"),
			map[string][]string{"PRIV-011": {":0 contacts", ":0 photo"}}},
		{"collected but kept on the device counts as collected", []Flow{clipboardToStorage}, decl("clipboard"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := privacyReport(tc.flows, Options{Privacy: tc.decl})
			got := map[string][]string{}
			for _, f := range rep.Findings {
				require.NotNil(t, f.Privacy, "%+v", f)
				got[f.RuleID] = append(got[f.RuleID], place(f.File, f.Line)+" "+f.Privacy.Kind)
			}
			if tc.want == nil {
				tc.want = map[string][]string{}
			}
			for _, list := range got {
				sort.Strings(list)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestUnusedKindIsNotConcludedOverDynamicCode(t *testing.T) {
	t.Parallel()
	s := &state{opts: Options{Privacy: decl("contacts")}, dynamicAPI: true}
	checkPrivacyDeclaration(s)
	require.Empty(t, s.report().Findings)
}

func TestPolicyRules(t *testing.T) {
	t.Parallel()
	policy := "隐私政策\n我们会收集您的地理位置，用于推荐附近门店。\n我们不会出售您的信息。"
	rep := privacyReport([]Flow{locationToServer, phoneToServer, clipboardToStorage}, Options{Privacy: decl("location", "phone", "clipboard"), PrivacyPolicy: policy})

	named := findingsOf(rep, "PRIV-013")
	require.Len(t, named, 1, "%+v", rep.Findings)
	require.Equal(t, SeverityInfo, named[0].Severity)
	require.Equal(t, "pages/shop/index.js", named[0].File)
	require.Equal(t, 12, named[0].Line)
	require.Equal(t, "我们会收集您的地理位置，用于推荐附近门店。", named[0].Snippet, "the sentence is the evidence")
	ev := named[0].Privacy
	require.Equal(t, "location", ev.Kind)
	require.Equal(t, "为了location", ev.Purpose)
	require.Equal(t, []Sentence{{Text: "我们会收集您的地理位置，用于推荐附近门店。", Offset: len("隐私政策\n"), Line: 2, Term: "地理位置"}}, ev.Sentences)
	require.Equal(t, PrivacyLexiconVersion(), ev.Lexicon)

	silent := findingsOf(rep, "PRIV-012")
	require.Len(t, silent, 1, "%+v", rep.Findings)
	require.Equal(t, SeverityMedium, silent[0].Severity)
	require.Equal(t, "pages/login/index.js", silent[0].File)
	require.Equal(t, 5, silent[0].Line)
	require.Contains(t, silent[0].Message, "phone from getPhoneNumber is sent by wx.uploadFile at pages/login/index.js:9; no sentence of the policy names it")
	require.Equal(t, "phone", silent[0].Privacy.Kind)
	require.Empty(t, silent[0].Privacy.Sentences)

	// The clipboard is collected but stays on the phone: the policy rules
	// are about data sent.
	for _, f := range rep.Findings {
		require.NotEqual(t, "clipboard", f.Privacy.Kind, "%+v", f)
	}
}

func TestPolicyRulesRunWithoutADeclaration(t *testing.T) {
	t.Parallel()
	rep := privacyReport([]Flow{phoneToServer}, Options{PrivacyPolicy: "We collect your phone number to sign you in."})
	require.Len(t, rep.Findings, 1)
	require.Equal(t, "PRIV-013", rep.Findings[0].RuleID)
	require.Empty(t, privacyReport([]Flow{phoneToServer}, Options{PrivacyPolicy: " \n "}).Findings, "a blank policy is no policy")
}

func TestPrivacyFingerprintsAreStable(t *testing.T) {
	t.Parallel()
	opts := Options{Privacy: decl("contacts"), PrivacyPolicy: "We collect your location."}
	a := privacyReport([]Flow{locationToServer, phoneToServer, phoneToOtherApp}, opts)
	b := privacyReport([]Flow{phoneToOtherApp, locationToServer, phoneToServer, locationToServer}, opts)
	require.Equal(t, a.Findings, b.Findings, "the order and repetition of flows change nothing")
	seen := map[string]bool{}
	for _, f := range a.Findings {
		require.False(t, seen[f.Fingerprint], "two findings share %s", f.Fingerprint)
		seen[f.Fingerprint] = true
	}
	require.Len(t, a.Findings, 6) // 3 × PRIV-010, PRIV-011 contacts, PRIV-013 location, PRIV-012 phone

	moved := phoneToServer
	moved.Sink.Line++
	c := privacyReport([]Flow{locationToServer, moved, phoneToOtherApp}, opts)
	require.NotEqual(t, a.Findings, c.Findings, "a different flow is a different finding")
}

func TestScanRunsTheDeclarationRules(t *testing.T) {
	t.Parallel()
	pkg := zipFiles(t, weChatApp(`{"pages":["pages/index/index"]}`, map[string]string{"pages/index/index.js": "Page({})"}))
	d, err := ParsePrivacyDeclaration([]byte(`{"items":[{"kind":"contacts","purpose":"邀请好友"}]}`))
	require.NoError(t, err)
	rep, err := Scan(t.Context(), bytesReader(pkg), int64(len(pkg)), Options{Platform: PlatformWeChat, Privacy: &d})
	require.NoError(t, err)
	unused := findingsOf(rep, "PRIV-011")
	require.Len(t, unused, 1, "%+v", rep.Findings)
	require.Equal(t, "contacts", unused[0].Privacy.Kind)
	require.Equal(t, "邀请好友", unused[0].Privacy.Purpose)

	rep, err = Scan(t.Context(), bytesReader(pkg), int64(len(pkg)), Options{Platform: PlatformWeChat})
	require.NoError(t, err)
	require.Empty(t, findingsOf(rep, "PRIV-011"), "no declaration, no declaration rules")
}
