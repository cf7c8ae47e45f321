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
	b.WriteString(packagesRead)
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
	b.WriteString("\n## 中文说明\n\n规则的中文说明与修改建议（已提供中文的规则）。\n\n| ID | 说明 | 如何修改 |\n|---|---|---|\n")
	for _, r := range Rules() {
		if r.MessageZH != "" {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", r.ID, mdCell(r.MessageZH), mdCell(r.RemediationZH))
		}
	}
	fmt.Fprintf(&b, "\n## CONTENT lexicon %s\n\n", LexiconVersion())
	b.WriteString("| ID | Category | 说明 | 如何修改 | Threshold | Terms | Slang | Combinations |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range ContentCategories() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d |\n", c.Rule, c.Name, mdCell(c.MessageZH), mdCell(c.RemediationZH), c.Threshold, c.Terms, c.Slang, c.Combos)
	}
	return b.String()
}

// packagesRead says which forms of a package the scan reads; the bytes
// decide, never the file name.
const packagesRead = `
## Packages read

- **Source zips**, WeChat (` + "`app.json`, `project.config.json`, `.wxml`" + `) and Alipay (` + "`app.json`, `mini.project.json`, `.axml`" + `), zipped with or without their top folder.
- **WeChat built packages**: a ` + "`.wxapkg`" + ` file as the developer tools upload it (the main package), a zip holding the main package and its sub-packages' ` + "`.wxapkg`" + ` files, or a zip of an unpacked built package. The manifest is ` + "`app-config.json`" + ` (pages, sub-packages, ` + "`permission`, `requiredPrivateInfos`, `tabBar`" + `); every ` + "`define(\"pages/x/index.js\", function(...){...})`" + ` in ` + "`app-service.js`" + ` or ` + "`game.js`" + ` (the main package's and each sub-package's) is scanned as the file it was. A finding in a module names the module's path and a line of its function body, line 1 being the line of the opening brace: the line of the source file as long as the build did not transpile it (only columns on line 1 shift, by the wrapper). The bundle itself is scanned with its modules blanked, for the code outside them. A page exists when its module is present and its template is a ` + "`.wxml`" + `, a per-page ` + "`.html`" + ` or named by the compiled template code (` + "`page-frame.html`" + `, ` + "`page-frame.js`" + `). A hostile index (truncated, offsets past the end or overlapping, names with ` + "`..`" + `, absolute or with control characters, counts or sizes past the limits) is a critical PKG finding.
- **Alipay built packages are not read**: the ` + "`.amr`" + ` and tar packages the Alipay tools build, and Alipay's compiled ` + "`index.worker.js`" + ` bundles, are not unpacked or split; a submission for Alipay must be a source zip.
`

// familyIntro says why each family exists; each rule says why it matters
// in its Why.
var familyIntro = map[string]string{
	"PKG":     "The archive or built package, and the package as the platform sees it. Anything that makes it unsafe to unpack is critical, so the submission is rejected with that reason instead of being unpacked anywhere.",
	"MAN":     "app.json, the manifest both platforms read first. Declared pages that are missing make the app fail at start-up; privacy declarations are what the platforms hold the code to.",
	"CODE":    "The scripts, read from their syntax tree (`.js`, `.wxs`, `.sjs`, vendored `miniprogram_npm/` and `node_modules/` included). Dynamic code cannot be reviewed; privacy and payment calls are evidence for the policy. A script that names none of the globals, platform objects or marks these rules look for is read lexically for its string literals instead of being parsed, so CODE-090 reports such a script only when it is visibly broken (a string, comment or bracket left open).",
	"PRIV":    "Personal-data flows: where the code obtains personal data (platform interfaces, the login code, device data, what the user types into a page's forms) and where it hands it over (network, other mini-programs, a page's `web-view` URL, clipboard, storage), followed across modules through callbacks, promises, the app's own request wrappers, page and global data and storage. The sources and sinks are data, `scan/privacy_sources.json`; every flow is in the report's `flows`, and these rules report the ones that go where they should not, or that the developer's privacy declaration and privacy policy text do not cover: see [privacy.md](privacy.md).",
	"SECRET":  "Credentials in any text file. A released package is public: anyone can unpack it from a phone. gitleaks' rules (run as a library) find provider credentials; the platform rules find app secrets and payment signing keys.",
	"CONTENT": "Text for businesses that need a qualification, in template texts and attribute values, string literals and JSON values. Each block is read as evaders write (full-width, traditional, zero-width characters and separators between characters undone) and scored per category from weighted terms, slang and words near each other; a block whose score reaches the category's threshold is a finding, with the words, the score and the normalised text as evidence for the policy, never a verdict. The data is `scan/lexicon.json`, owned by compliance: see [content-lexicon.md](content-lexicon.md).",
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
