package scan

import (
	"fmt"
	"strings"
)

// RulesMarkdown renders the rule catalogue as the Markdown of
// docs/rules.md. The document is generated so that it cannot drift from
// the rules: a test fails when the committed file differs, and
// "go test ./scan -run TestRulesDoc -update" rewrites it.
func RulesMarkdown() string {
	var b strings.Builder
	b.WriteString("# Scan rules\n\n")
	b.WriteString("Generated from the rule registry of package `scan`; do not edit by hand.\n")
	b.WriteString("Regenerate with `go test ./scan -run TestRulesDoc -update`.\n\n")
	b.WriteString("Rule IDs are stable: findings, waivers and policies refer to them. ")
	b.WriteString("Severities: critical and high block or send a submission to review under the default policy; ")
	b.WriteString("medium, low and info are evidence for reviewers.\n")
	family := ""
	for _, r := range Rules() {
		prefix, _, _ := strings.Cut(r.ID, "-")
		if prefix != family {
			family = prefix
			fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", family, familyIntro[family])
			b.WriteString("| ID | Severity | What | Why it matters | How to fix |\n|---|---|---|---|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.ID, r.Severity, mdCell(r.Message), mdCell(r.Why), mdCell(r.Remediation))
	}
	fmt.Fprintf(&b, "\n## CONTENT lexicon %s\n\n", LexiconVersion())
	b.WriteString("| ID | Category | 说明 | 如何修改 | Threshold | Terms | Slang | Combinations |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range ContentCategories() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d |\n", c.Rule, c.Name, mdCell(c.MessageZH), mdCell(c.RemediationZH), c.Threshold, c.Terms, c.Slang, c.Combos)
	}
	return b.String()
}

// familyIntro says why each family exists; each rule says why it matters
// in its Why.
var familyIntro = map[string]string{
	"PKG":     "The archive and the package as the platform sees it. Anything that makes the zip unsafe to unpack is critical, so the submission is rejected with that reason instead of being unpacked anywhere.",
	"MAN":     "app.json, the manifest both platforms read first. Declared pages that are missing make the app fail at start-up; privacy declarations are what the platforms hold the code to.",
	"CODE":    "The scripts, read from their syntax tree (`.js`, `.wxs`, `.sjs`, vendored `miniprogram_npm/` and `node_modules/` included). Dynamic code cannot be reviewed; privacy and payment calls are evidence for the policy. A script that names none of the globals, platform objects or marks these rules look for is read lexically for its string literals instead of being parsed, so CODE-090 reports such a script only when it is visibly broken (a string, comment or bracket left open).",
	"SECRET":  "Credentials in any text file. A released package is public: anyone can unpack it from a phone. gitleaks' rules (run as a library) find provider credentials; the platform rules find app secrets and payment signing keys.",
	"CONTENT": "Text for businesses that need a qualification, in template texts and attribute values, string literals and JSON values. Each block is read as evaders write (full-width, traditional, zero-width characters and separators between characters undone) and scored per category from weighted terms, slang and words near each other; a block whose score reaches the category's threshold is a finding, with the words, the score and the normalised text as evidence for the policy, never a verdict. The data is `scan/lexicon.json`, owned by compliance: see [content-lexicon.md](content-lexicon.md).",
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
