package policies

import (
	"context"
	"testing"

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
			remediation: catalogue.Unlisted.Zh.GenericRemediation + catalogue.Unlisted.Zh.Advice + "Do the thing.",
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
