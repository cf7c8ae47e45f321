package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule describes one check. IDs are stable: they are stored with findings,
// referenced by policies and shown to developers, so a rule is never
// renumbered; a retired rule keeps its ID unused.
type Rule struct {
	ID          string
	Severity    Severity
	Message     string
	Remediation string
	// MessageZH and RemediationZH say the same in Chinese, for the rules
	// whose findings developers read in the console's Chinese pages.
	MessageZH     string
	RemediationZH string
	// Why says in one sentence why the rule matters: what goes wrong for
	// users, the platform or the review when it is ignored.
	Why string
}

// registry holds every rule by ID. It is filled by package-level register
// calls in each family's file, before any Scan can run.
var registry = map[string]Rule{}

// register adds a rule to the registry. It panics on a duplicate ID because
// two rules sharing an ID would silently merge their findings in storage.
func register(r Rule) Rule {
	if _, dup := registry[r.ID]; dup {
		panic("scan: duplicate rule ID " + r.ID)
	}
	if r.Why == "" {
		// The catalogue shows every rule's reason; a rule nobody can
		// justify should not be registered.
		panic("scan: rule " + r.ID + " does not say why it matters")
	}
	if _, ok := severityRank[r.Severity]; !ok {
		panic("scan: rule " + r.ID + " has unknown severity " + string(r.Severity))
	}
	registry[r.ID] = r
	return r
}

// Rules returns every rule, sorted by ID.
func Rules() []Rule {
	out := make([]Rule, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// hit is where and what a rule matched. match feeds the fingerprint; when it
// is empty the snippet is used, so two hits differ exactly when a reader
// could tell them apart.
type hit struct {
	file    string
	line    int
	column  int
	snippet string
	detail  string // appended to the rule's message, e.g. the measured size
	match   string
	content *ContentEvidence
	privacy *PrivacyEvidence
	// secret is what a SECRET rule found; only its SHA-256 is kept, as an
	// indicator (noteSecret), and it never reaches a Finding.
	secret string
	flow   *Flow
}

const maxSnippet = 200

// finding turns a hit into a Finding with its fingerprint.
func (r Rule) finding(h hit) Finding {
	msg := r.Message
	if h.detail != "" {
		msg += ": " + h.detail
	}
	match := h.match
	if match == "" {
		match = h.snippet
	}
	return Finding{
		RuleID:      r.ID,
		Severity:    r.Severity,
		File:        printable(h.file, 0),
		Line:        h.line,
		Column:      h.column,
		Snippet:     printable(h.snippet, maxSnippet),
		Message:     msg,
		Remediation: r.Remediation,
		Fingerprint: fingerprint(r.ID, h.file, h.line, h.column, match),
		Content:     h.content,
		Privacy:     h.privacy,
		Flow:        h.flow,
	}
}

func fingerprint(ruleID, file string, line, column int, match string) string {
	h := sha256.New()
	for _, part := range []string{ruleID, file, strconv.Itoa(line), strconv.Itoa(column), match} {
		// Length-prefixing keeps ("a","bc") and ("ab","c") apart.
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// printable makes attacker-controlled text safe to show in a UI or a log:
// valid UTF-8, no control characters, and at most limit runes (0: no limit).
func printable(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if limit > 0 && utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return s
}
