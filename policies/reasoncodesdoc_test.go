package policies

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/reason-codes.md)")

// docs/reason-codes.md is generated from catalogue.json, so that the page
// cannot describe a code differently from the console, or one that is gone.
func TestReasonCodesDoc(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "docs", "reason-codes.md")
	want := reasonCodesMarkdown()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "docs/reason-codes.md is out of date; run: go test ./policies -run TestReasonCodesDoc -update")
}

var placeholder = regexp.MustCompile(`\{([a-z_0-9]+)\}`)

// reasonCodesMarkdown renders the catalogue as docs/reason-codes.md.
func reasonCodesMarkdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Reason codes\n\n")
	p("Generated from `policies/catalogue.json`; do not edit by hand.\n")
	p("Regenerate with `go test ./policies -run TestReasonCodesDoc -update`; how to add a code is in\n")
	p("[policy-authoring.md](policy-authoring.md#adding-a-reason-code).\n\n")
	p("Every decision (`policies.Decision`) carries reasons; each has a stable `code`, a `message`,\n")
	p("`evidence` and a `remediation`. Codes are stable: the console, the decision log and policy\n")
	p("simulation key on them, so a code is never renamed or reused for a different condition.\n\n")
	p("Messages and remediations are written by the bundle in English.\n")
	p("`policies.Localize(reasons, acceptLanguage)` returns them in Simplified Chinese for `zh`, `zh-CN`,\n")
	p("`zh-Hans` (and any Accept-Language header whose first language we have is one of those), filled in\n")
	p("from the evidence; in English it returns the bundle's text unchanged. `{name}` below is an evidence\n")
	p("value; `{where}` is the finding's `file:line`, the file alone when the line is 0, or \"package\n")
	p("level\"; `{finding_message}` is the finding's own message, from the scan.\n\n")

	p("## Overview\n\n")
	p("| code | given by | outcome | when | evidence |\n|---|---|---|---|---|\n")
	scanRow := "| *the scan rule ID* (e.g. `MAN-003`) | bundle | reject | a `critical` finding not covered by a running waiver | `rule_id`, `file`, `line`, `severity` |\n"
	for _, e := range catalogue.Codes {
		if e.Source == sourceReviewer {
			continue
		}
		if scanRow != "" && !strings.HasPrefix(e.Outcome, OutcomeReject) {
			p("%s", scanRow)
			scanRow = ""
		}
		p("| `%s` | %s | %s | %s | %s |\n", e.Code, e.Source, e.Outcome, e.When, codeList(e.Evidence))
	}
	p("\n## Texts\n")
	for _, e := range catalogue.Codes {
		if e.Source == sourceReviewer {
			continue
		}
		if !strings.HasPrefix(e.Outcome, OutcomeReject) {
			scanRuleTexts(p)
			break
		}
		codeTexts(p, e)
	}
	for _, e := range catalogue.Codes {
		if e.Source != sourceReviewer && !strings.HasPrefix(e.Outcome, OutcomeReject) {
			codeTexts(p, e)
		}
	}
	zh := catalogue.Unlisted.Zh
	p("\nCodes a custom bundle adds that are not in the catalogue keep their message; in Chinese their\n")
	p("remediation becomes \"%s\" followed by \"%s\" and the original text.\n\n", zh.GenericRemediation, zh.Advice)

	p("## Codes reviewers give\n\n")
	p("A reviewer who rejects picks at least one code; the developer reads the reviewer's comment as the\n")
	p("message and the code's remediation. `GET /v1/reason-codes` lists every code (these and the policy's)\n")
	p("in the caller's language (`Accept-Language`). A reviewer may also give a policy code such as\n")
	p("`QUALIFICATION_MISSING`, but not an engine code (`%s`).\n\n", CodePolicyError)
	p("| code | message (en) | message (zh) |\n|---|---|---|\n")
	for _, e := range catalogue.Codes {
		if e.Source == sourceReviewer {
			p("| `%s` | %s | %s |\n", e.Code, e.En.Message, e.Zh.Message)
		}
	}
	for _, e := range catalogue.Codes {
		if e.Source == sourceReviewer {
			codeTexts(p, e)
		}
	}
	return b.String()
}

func codeList(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "`" + k + "`"
	}
	return strings.Join(out, ", ")
}

func codeTexts(p func(string, ...any), e catalogueCode) {
	p("\n### `%s`\n", e.Code)
	p("- en message: %s\n", e.En.Message)
	p("- en remediation: %s\n", e.En.Remediation)
	p("- zh message: %s%s\n", e.Zh.Message, translatedWords(e.Zh.Message))
	p("- zh remediation: %s%s\n", e.Zh.Remediation, translatedWords(e.Zh.Remediation))
	if e.Note != "" {
		p("- note: %s\n", e.Note)
	}
}

func scanRuleTexts(p func(string, ...any)) {
	zh := catalogue.Unlisted.Zh
	p("\n### Scan rule IDs (critical findings, e.g. `MAN-003`)\n")
	p("- en message: the finding's own message, from the scan.\n")
	p("- en remediation: the finding's own `remediation` followed by ` (at {where})`; when the scan gave none, \"Fix what {rule_id} reports at {where} and upload a new version.\"\n")
	p("- zh message: the finding's own message, unchanged.\n")
	p("- zh remediation: %s%s*the English remediation above*\n", zh.FindingRemediation, zh.Advice)
}

// translatedWords says how the evidence words a Chinese template shows are
// translated.
func translatedWords(template string) string {
	var notes []string
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		words, ok := catalogue.EvidenceWords.Zh[m[1]]
		if !ok {
			continue
		}
		var pairs []string
		for _, en := range slices.Sorted(maps.Keys(words)) {
			pairs = append(pairs, en+" "+words[en])
		}
		notes = append(notes, fmt.Sprintf("`%s` 译为：%s", m[1], strings.Join(pairs, "、")))
	}
	if len(notes) == 0 {
		return ""
	}
	return "（" + strings.Join(slices.Compact(notes), "；") + "）"
}
