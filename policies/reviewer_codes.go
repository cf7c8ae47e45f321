package policies

import "sort"

// reviewerCatalogue holds the reasons a person gives when rejecting, beside
// the policy's own codes: a reviewer picks from this list, the developer
// reads the text in their language.
var reviewerCatalogue = map[string]map[string]catalogueText{
	"CONTENT_MISLEADING": {
		langEnglish: {"The app's content or description misleads users.", "Describe what the app does accurately and remove misleading claims, then upload again."},
		langChinese: {"小程序的内容或描述对用户有误导。", "请如实描述小程序的功能并删除误导性内容，然后重新上传。"},
	},
	"FUNCTION_INCOMPLETE": {
		langEnglish: {"The app does not work as a finished product.", "Finish the features that are shown to users, then upload again."},
		langChinese: {"小程序功能不完整，无法作为成品使用。", "请完成向用户展示的功能，然后重新上传。"},
	},
	"PRIVACY_UNDISCLOSED": {
		langEnglish: {"The app collects personal data without saying so.", "Declare every use of personal data in the privacy settings and ask for consent, then upload again."},
		langChinese: {"小程序在未告知的情况下收集个人信息。", "请在隐私设置中声明所有个人信息的用途并征得用户同意，然后重新上传。"},
	},
	"POLICY_VIOLATION": {
		langEnglish: {"The app breaks the platform's rules.", "Read the reviewer's comment, fix what it names and upload again."},
		langChinese: {"小程序违反了平台规则。", "请阅读审核意见，修改其中指出的问题后重新上传。"},
	},
}

// CatalogueEntry is one reason code as people read it.
type CatalogueEntry struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	// Reviewer marks the codes a reviewer may give; the others come from
	// the policy itself.
	Reviewer bool `json:"reviewer"`
}

// Catalogue lists every reason code with its text in the language an
// Accept-Language header (or tag) prefers, sorted by code.
func Catalogue(acceptLanguage string) []CatalogueEntry {
	lang := PreferredLanguage(acceptLanguage)
	var out []CatalogueEntry
	for _, set := range []struct {
		texts    map[string]map[string]catalogueText
		reviewer bool
	}{{catalogue, false}, {reviewerCatalogue, true}} {
		for code, byLang := range set.texts {
			t := byLang[lang]
			out = append(out, CatalogueEntry{Code: code, Message: t.message, Remediation: t.remediation, Reviewer: set.reviewer})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// ReviewerMayGive reports whether a reviewer may reject with this code:
// one of the reviewer codes, or a policy code (a reviewer may confirm what
// the policy suspected).
func ReviewerMayGive(code string) bool {
	_, ok := reviewerCatalogue[code]
	if !ok {
		_, ok = catalogue[code]
	}
	return ok && code != "POLICY_ERROR"
}
