package policies

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreferredLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, want string
	}{
		{"plain zh is Chinese", "zh", langChinese},
		{"zh-CN is Chinese", "zh-CN", langChinese},
		{"zh-Hans is Chinese", "zh-Hans", langChinese},
		{"a browser header preferring zh-CN is Chinese", "zh-CN,zh;q=0.9,en;q=0.8", langChinese},
		{"English first wins over Chinese", "en-US,en;q=0.9,zh-CN;q=0.8", langEnglish},
		{"quality decides, not order", "en;q=0.5, zh-CN;q=0.9", langChinese},
		{"unsupported languages are skipped", "fr-FR, zh;q=0.5", langChinese},
		{"Traditional Chinese falls back to English", "zh-TW", langEnglish},
		{"zh-Hant falls back to English", "zh-Hant", langEnglish},
		{"empty header is English", "", langEnglish},
		{"garbage is English", ";;;q=x", langEnglish},
		{"wildcard is English", "*", langEnglish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, PreferredLanguage(tt.header))
		})
	}
}

func TestLocalize(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	decide := func(change func(*Input)) []Reason {
		in := cleanInput()
		change(&in)
		return engine.Decide(context.Background(), in).Reasons
	}
	tests := []struct {
		name        string
		reasons     []Reason
		lang        string
		message     string
		remediation string
	}{
		{
			name:        "English is the bundle's text",
			reasons:     decide(func(in *Input) { in.Developer.CreditScore = 550 }),
			lang:        "en-US",
			message:     `Credit score 550 is below the 700 required for individual developers in category "retail".`,
			remediation: "Raise the account's credit score to at least 700 (settle overdue obligations, complete the credit profile), then upload again.",
		},
		{
			name:        "a catalogued code is filled in from its evidence in Chinese",
			reasons:     decide(func(in *Input) { in.Developer.CreditScore = 550 }),
			lang:        "zh-CN,zh;q=0.9",
			message:     "信用分 550 低于类目“retail”对个人开发者要求的 700 分。",
			remediation: "请将账号信用分提升至至少 700 分（结清逾期款项、完善信用资料），然后重新上传。",
		},
		{
			name:        "a high finding names its place in Chinese",
			reasons:     decide(func(in *Input) { in.Findings = []FindingInput{finding("high", "CODE-012", "pages/pay/pay.js", 40)} }),
			lang:        "zh",
			message:     "扫描规则 CODE-012（高）在 pages/pay/pay.js:40 发现的问题需要人工审核。",
			remediation: "本次提交无需操作；如希望下次免于人工审核，请修复 CODE-012 在 pages/pay/pay.js:40 报告的问题。",
		},
		{
			name: "a scan rule ID keeps its message and gets a Chinese remediation before its own",
			reasons: decide(func(in *Input) {
				f := finding("critical", "MAN-003", "pages/x/x.wxml", 3)
				f.Remediation = "Add the page."
				in.Findings = []FindingInput{f}
			}),
			lang:        "zh-Hans",
			message:     "MAN-003 found",
			remediation: "请修复扫描规则 MAN-003 在 pages/x/x.wxml:3 报告的问题，然后上传新版本。原始建议：Add the page. (at pages/x/x.wxml:3)",
		},
		{
			name:        "an unknown code without a finding gets the generic Chinese text",
			reasons:     []Reason{{Code: "CUSTOM_RULE", Message: "custom", Remediation: "Do the thing."}},
			lang:        "zh",
			message:     "custom",
			remediation: genericRemediationChinese + adviceChinese + "Do the thing.",
		},
		{
			name:        "a catalogued code with too little evidence keeps its own message",
			reasons:     []Reason{{Code: "CREDIT_BELOW_THRESHOLD", Message: "low credit", Remediation: "raise it"}},
			lang:        "zh",
			message:     "low credit",
			remediation: "raise it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Len(t, tt.reasons, 1)
			before := tt.reasons[0]
			got := Localize(tt.reasons, tt.lang)
			require.Len(t, got, 1)
			assert.Equal(t, tt.message, got[0].Message)
			assert.Equal(t, tt.remediation, got[0].Remediation)
			assert.Equal(t, before.Code, got[0].Code)
			assert.Equal(t, before, tt.reasons[0], "Localize must not modify its input")
		})
	}
}

// bundleCodes collects every literal reason code in the bundle's policy
// files: each object with a string "code". Codes that are not literals are
// the scan's rule IDs, passed through.
func bundleCodes(t *testing.T) []string {
	t.Helper()
	b, err := parseBundle(DefaultFiles())
	require.NoError(t, err)
	codes := []string{CodePolicyError}
	for path, m := range b.modules {
		if isTestFile(path) {
			continue
		}
		ast.WalkTerms(m, func(term *ast.Term) bool {
			if obj, ok := term.Value.(ast.Object); ok {
				if code := obj.Get(ast.StringTerm("code")); code != nil {
					if c, ok := code.Value.(ast.String); ok {
						codes = append(codes, string(c))
					}
				}
			}
			if call, ok := term.Value.(ast.Call); ok && call[0].String() == "payment_reason" {
				// payment_reason takes the code as its first argument.
				if c, ok := call[1].Value.(ast.String); ok {
					codes = append(codes, string(c))
				}
			}
			return false
		})
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

func TestEveryCodeIsCataloguedAndDocumented(t *testing.T) {
	t.Parallel()
	codes := bundleCodes(t)
	require.Contains(t, codes, "CREDIT_BELOW_THRESHOLD", "the code walk found nothing")
	require.Contains(t, codes, "PAYMENT_QUALIFICATION_MISSING", "the code walk missed payment_reason")
	doc, err := os.ReadFile("../docs/reason-codes.md")
	require.NoError(t, err)
	for _, code := range codes {
		for _, lang := range []string{langEnglish, langChinese} {
			text := catalogue[code][lang]
			assert.NotEmpty(t, text.message, "%s has no %s message", code, lang)
			assert.NotEmpty(t, text.remediation, "%s has no %s remediation", code, lang)
		}
		assert.Contains(t, string(doc), "`"+code+"`", "docs/reason-codes.md does not list %s", code)
	}
	for code := range catalogue {
		assert.Contains(t, codes, code, "the catalogue has %s, which the bundle no longer emits", code)
	}
}

// The catalogue's English is the bundle's text: filled in from a real
// decision's evidence, it reads word for word what the decision says.
func TestCatalogueMatchesBundleText(t *testing.T) {
	t.Parallel()
	expired := testNow.Add(-time.Hour)
	changes := map[string]func(*Input){
		"DEVELOPER_BLACKLISTED":  func(in *Input) { in.Developer.Blacklisted = true },
		"REALNAME_REQUIRED":      func(in *Input) { in.Developer.RealName.Status = RealNamePending },
		"REALNAME_EXPIRED":       func(in *Input) { in.Developer.RealName.ExpiresAt = &expired },
		"CREDIT_BELOW_THRESHOLD": func(in *Input) { in.Developer.CreditScore = 10 },
		"CATEGORY_ENTERPRISE_ONLY": func(in *Input) {
			in.App.Category, in.Developer.CreditScore, in.Developer.Qualifications = "lending", 900, []string{"lending"}
		},
		"QUALIFICATION_MISSING":       func(in *Input) { in.App.Category = "news" },
		"PAYMENT_REQUIRES_ENTERPRISE": func(in *Input) { in.Findings = []FindingInput{finding("info", "CODE-020", "a.js", 1)} },
		"PAYMENT_QUALIFICATION_MISSING": func(in *Input) {
			in.Developer.Kind = KindEnterprise
			in.Findings = []FindingInput{finding("info", "CODE-020", "a.js", 1)}
		},
		"REPEAT_OFFENDER":              func(in *Input) { in.History.Rejections90d = 4 },
		"RISK_FLAGGED":                 func(in *Input) { in.Developer.RiskFlags = []string{"chargeback_spike"} },
		"RESUBMITTED_AFTER_WITHDRAWAL": func(in *Input) { in.History.WithdrawnSamePackage = 2 },
		"FINDING_NEEDS_REVIEW":         func(in *Input) { in.Findings = []FindingInput{finding("high", "CODE-012", "b.js", 0)} },
	}
	engine := mustDefault(t)
	for _, code := range bundleCodes(t) {
		if code == CodePolicyError {
			continue
		}
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			change, ok := changes[code]
			require.True(t, ok, "no input in this test makes the bundle emit %s", code)
			in := cleanInput()
			change(&in)
			d := engine.Decide(context.Background(), in)
			i := slices.IndexFunc(d.Reasons, func(r Reason) bool { return r.Code == code })
			require.GreaterOrEqual(t, i, 0, "decision %+v has no %s", d, code)
			r := d.Reasons[i]
			values := placeholderValues(r.Evidence, false)
			if len(in.Findings) > 0 {
				values["finding_message"] = in.Findings[0].Message
			}
			text := catalogue[code][langEnglish]
			message, ok := fill(text.message, values)
			require.True(t, ok, "cannot fill %q from %v", text.message, values)
			remediation, ok := fill(text.remediation, values)
			require.True(t, ok, "cannot fill %q from %v", text.remediation, values)
			assert.Equal(t, r.Message, message)
			assert.Equal(t, r.Remediation, remediation)
		})
	}
}

// Every reason code the docs name in a table row is one the bundle or the
// engine emits, or one reviewers give, so the page does not describe codes
// that are gone.
func TestReasonCodesDocHasNoStaleCodes(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/reason-codes.md")
	require.NoError(t, err)
	codes := bundleCodes(t)
	for code := range reviewerCatalogue {
		codes = append(codes, code)
		assert.Contains(t, string(doc), "| `"+code+"` |", "docs/reason-codes.md lists the reviewer code %s", code)
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		assert.Contains(t, codes, m[1], "docs/reason-codes.md lists %s", m[1])
	}
	assert.True(t, strings.Contains(string(doc), "MAN-003"), "the docs should show a scan rule ID as an example")
}

func TestReviewerCodesInBothLanguages(t *testing.T) {
	t.Parallel()
	en, zh := Catalogue("en-US"), Catalogue("zh-CN")
	if len(en) != len(zh) || len(en) == 0 {
		t.Fatalf("catalogue sizes differ: %d en, %d zh", len(en), len(zh))
	}
	for i := range en {
		if en[i].Code != zh[i].Code || en[i].Message == "" || zh[i].Message == "" || en[i].Message == zh[i].Message {
			t.Errorf("%s: missing or untranslated text", en[i].Code)
		}
	}
	if !ReviewerMayGive("CONTENT_MISLEADING") || ReviewerMayGive("POLICY_ERROR") || ReviewerMayGive("NOT_A_CODE") {
		t.Error("ReviewerMayGive admits the wrong codes")
	}
	got := Localize([]Reason{{Code: "CONTENT_MISLEADING", Message: "fake discounts"}}, "zh-CN")
	if got[0].Message != "fake discounts" || got[0].Remediation == "" {
		t.Errorf("a reviewer's reason keeps the comment and gains a remediation: %+v", got[0])
	}
}
