package policies

// catalogue holds, for every reason code the default bundle and the engine
// emit, the message and remediation in each language the console speaks.
// Placeholders in braces name evidence keys, so one template serves every
// threshold and category; {where} is the finding's file and line.
//
// The English text is the bundle's own, word for word (TestCatalogueMatches
// BundleText holds them together), so a console in English shows what the
// decision log shows. docs/reason-codes.md lists the same codes.
var catalogue = map[string]map[string]catalogueText{
	"DEVELOPER_BLACKLISTED": {
		langEnglish: {
			message:     "The developer account is blacklisted and cannot publish.",
			remediation: "Contact platform compliance to contest the blacklisting; no submission is accepted until it is lifted.",
		},
		langChinese: {
			message:     "该开发者账号已被列入黑名单，无法发布。",
			remediation: "如有异议，请联系平台合规团队申诉；解除前不接受任何提交。",
		},
	},
	"REALNAME_REQUIRED": {
		langEnglish: {
			message:     `Real-name verification is required to publish; the developer's status is "{real_name_status}".`,
			remediation: "Complete real-name verification for the developer account (identity document for individuals, business licence for enterprises), then upload again.",
		},
		langChinese: {
			message:     "发布前须完成实名认证；该开发者当前状态为“{real_name_status}”。",
			remediation: "请为开发者账号完成实名认证（个人提供身份证件，企业提供营业执照），然后重新上传。",
		},
	},
	"REALNAME_EXPIRED": {
		langEnglish: {
			message:     "The developer's real-name verification expired at {expires_at}.",
			remediation: "Renew the real-name verification for the developer account, then upload again.",
		},
		langChinese: {
			message:     "该开发者的实名认证已于 {expires_at} 过期。",
			remediation: "请为开发者账号更新实名认证，然后重新上传。",
		},
	},
	"CREDIT_BELOW_THRESHOLD": {
		langEnglish: {
			message:     `Credit score {credit_score} is below the {threshold} required for {kind} developers in category "{category}".`,
			remediation: "Raise the account's credit score to at least {threshold} (settle overdue obligations, complete the credit profile), then upload again.",
		},
		langChinese: {
			message:     "信用分 {credit_score} 低于类目“{category}”对{kind}开发者要求的 {threshold} 分。",
			remediation: "请将账号信用分提升至至少 {threshold} 分（结清逾期款项、完善信用资料），然后重新上传。",
		},
	},
	"CATEGORY_ENTERPRISE_ONLY": {
		langEnglish: {
			message:     `Category "{category}" is open to enterprise developers only; this developer is "{kind}".`,
			remediation: "Publish the app from a verified enterprise account, or choose a category open to individual developers.",
		},
		langChinese: {
			message:     "类目“{category}”仅对企业开发者开放；该开发者类型为“{kind}”。",
			remediation: "请使用已认证的企业账号发布该小程序，或改选对个人开发者开放的类目。",
		},
	},
	"QUALIFICATION_MISSING": {
		langEnglish: {
			message:     `Category "{category}" requires the "{qualification}" qualification, which the developer does not hold.`,
			remediation: `Upload the "{qualification}" qualification (licence) in the developer console and wait for it to be verified, then upload again.`,
		},
		langChinese: {
			message:     "类目“{category}”需要“{qualification}”资质，该开发者尚未持有。",
			remediation: "请在开发者后台上传“{qualification}”资质（许可证）并等待审核通过，然后重新上传。",
		},
	},
	"PAYMENT_REQUIRES_ENTERPRISE": {
		langEnglish: {
			message:     `The package uses payment APIs, which only enterprise developers may use; this developer is "{kind}".`,
			remediation: "Remove the payment API calls, or publish from a verified enterprise account that holds a payment qualification.",
		},
		langChinese: {
			message:     "代码包使用了支付接口，仅企业开发者可以使用；该开发者类型为“{kind}”。",
			remediation: "请移除支付接口调用，或使用持有支付资质的已认证企业账号发布。",
		},
	},
	"PAYMENT_QUALIFICATION_MISSING": {
		langEnglish: {
			message:     `The package uses payment APIs, which need the "{qualification}" qualification; the developer does not hold it.`,
			remediation: `Upload the "{qualification}" qualification in the developer console and wait for it to be verified, or remove the payment API calls.`,
		},
		langChinese: {
			message:     "代码包使用了支付接口，需要“{qualification}”资质；该开发者尚未持有。",
			remediation: "请在开发者后台上传“{qualification}”资质并等待审核通过，或移除支付接口调用。",
		},
	},
	"REPEAT_OFFENDER": {
		langEnglish: {
			message:     "The developer had {rejections_90d} rejections in the last 90 days.",
			remediation: "No action needed for this submission; senior reviewers will look at it. Fixing findings before upload avoids further rejections.",
		},
		langChinese: {
			message:     "该开发者在过去 90 天内被驳回 {rejections_90d} 次。",
			remediation: "本次提交无需操作，将由资深审核员审核。上传前修复扫描问题可避免再次被驳回。",
		},
	},
	"RESUBMITTED_AFTER_WITHDRAWAL": {
		langEnglish: {
			message:     "The developer withdrew {withdrawn_same_package} earlier submissions of this same package and uploaded it again.",
			remediation: "No action needed for this submission; a reviewer will look at it. Withdrawing a package and uploading it unchanged does not skip review.",
		},
		langChinese: {
			message:     "该开发者此前撤回过 {withdrawn_same_package} 次同一代码包的提交，又再次上传了它。",
			remediation: "本次提交无需操作，将由审核员审核。撤回代码包后原样重新上传不能免于审核。",
		},
	},
	"RISK_FLAGGED": {
		langEnglish: {
			message:     `The developer account carries the risk flag "{risk_flag}".`,
			remediation: "No action needed for this submission; a reviewer will look at it. Contact platform compliance if the flag is out of date.",
		},
		langChinese: {
			message:     "该开发者账号带有风险标记“{risk_flag}”。",
			remediation: "本次提交无需操作，将由审核员审核。如该标记已过时，请联系平台合规团队。",
		},
	},
	"FINDING_NEEDS_REVIEW": {
		// The finding's own message is the scan's, in English; it is not
		// repeated in the Chinese text.
		langEnglish: {
			message:     "{rule_id} ({severity}) at {where} needs a reviewer: {finding_message}",
			remediation: "No action needed for this submission; to skip review next time, fix what {rule_id} reports at {where}.",
		},
		langChinese: {
			message:     "扫描规则 {rule_id}（{severity}）在 {where} 发现的问题需要人工审核。",
			remediation: "本次提交无需操作；如希望下次免于人工审核，请修复 {rule_id} 在 {where} 报告的问题。",
		},
	},
	CodePolicyError: {
		langEnglish: {
			message:     "The policy could not decide on this submission; it was sent to senior review.",
			remediation: "No action needed; a senior reviewer will decide. Platform staff have been shown the policy error.",
		},
		langChinese: {
			message:     "策略无法对本次提交作出判定，已转交资深审核。",
			remediation: "无需操作，将由资深审核员作出决定；平台人员已收到该策略错误。",
		},
	},
}

// Text for codes the catalogue does not know: the scan's rule IDs, which
// reject a submission for a critical finding, and codes a custom bundle
// adds. Their message is their own and stays; in Chinese the remediation
// says what to do and keeps the original advice after it.
const (
	findingRemediationChinese = "请修复扫描规则 {rule_id} 在 {where} 报告的问题，然后上传新版本。"
	adviceChinese             = "原始建议："
	genericRemediationChinese = "请根据上述说明修改后重新上传；如有疑问，请联系平台审核团队。"
)

// chineseValues translates the evidence values that are words of the
// platform's own vocabulary; everything else (categories, file names) is
// shown as it is.
var chineseValues = map[string]string{
	KindIndividual: "个人",
	KindEnterprise: "企业",
	"critical":     "严重",
	"high":         "高",
	"medium":       "中",
	"low":          "低",
	"info":         "提示",
}

type catalogueText struct{ message, remediation string }
