package scan

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja/ast"
	"github.com/stretchr/testify/require"
)

// labelled is one text of the corpus and the category it must be caught
// as ("" for ordinary text).
type labelled struct {
	label, text string
	where       string
}

// readCorpus reads testdata/content/NAME: "label<TAB>text" lines, or bare
// texts when label is given, each text a Go string body.
func readCorpus(t testing.TB, name, label string) []labelled {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "content", name))
	require.NoError(t, err)
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, text := label, line
		if label == "" {
			var ok bool
			l, text, ok = strings.Cut(line, "\t")
			require.True(t, ok, "%s:%d: no tab", name, n)
		}
		body, err := strconv.Unquote(`"` + text + `"`)
		require.NoError(t, err, "%s:%d", name, n)
		out = append(out, labelled{label: l, text: body, where: fmt.Sprintf("%s:%d", name, n)})
	}
	require.NoError(t, sc.Err())
	return out
}

// corpusCategory names the categories as the corpus labels them.
var corpusCategory = map[string]string{
	"gambling": "CONTENT-001", "lending": "CONTENT-002", "medical": "CONTENT-003",
	"crypto": "CONTENT-004", "investment": "CONTENT-005",
}

// caughtAs is the set of rule IDs a text block is reported under.
func caughtAs(text string) map[string]bool {
	var n normText
	n.normalise(text)
	_, scores := scoreBlock(&n, nil)
	out := map[string]bool{}
	for _, cs := range scores {
		out[lexicon.categories[cs.cat].rule.ID] = true
	}
	return out
}

// libraryTexts are the text blocks of the real component libraries that
// the CONTENT rules read: template texts and attribute values, string
// literals and template texts of every script, JSON string values.
func libraryTexts(t testing.TB) []labelled {
	var out []labelled
	for _, app := range npmApps(t) {
		names := make([]string, 0, len(app.files))
		for name := range app.files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			src := app.files[name]
			add := func(s string) {
				if len(s) >= 2 {
					out = append(out, labelled{text: s, where: app.name + ":" + name})
				}
			}
			switch ext := path.Ext(name); {
			case ext == ".wxml" || ext == ".axml":
				templateBlocks([]byte(src), func(start, end int) { add(src[start:end]) })
			case ext == ".json":
				jsonStrings([]byte(src), func(_ int, _ bool, v string) { add(v) })
			case scriptExts[ext]:
				prog, err := parseJS(stripModuleSyntax([]byte(src)))
				if err != nil {
					continue
				}
				walkJS(prog, func(n ast.Node) {
					switch n := n.(type) {
					case *ast.StringLiteral:
						add(n.Value.String())
					case *ast.TemplateLiteral:
						for _, el := range n.Elements {
							add(el.Parsed.String())
						}
					}
				})
			}
		}
	}
	return out
}

// TestContentCorpus measures the CONTENT rules on the labelled corpus:
// per category, recall over the risky texts and precision over
// everything, with the ordinary texts (hand-written everyday copy and the
// real libraries' text) as the negatives. Recall must be at least 0.9 and
// no ordinary text may be reported.
func TestContentCorpus(t *testing.T) {
	t.Parallel()
	risky := readCorpus(t, "risky.tsv", "")
	ordinary := readCorpus(t, "ordinary.tsv", "-")
	libs := libraryTexts(t)
	require.GreaterOrEqual(t, len(ordinary)+len(libs), 500, "the ordinary set is too small")

	type counts struct{ texts, tp, fp int }
	per := map[string]*counts{}
	for _, rule := range corpusCategory {
		per[rule] = &counts{}
	}
	for _, r := range risky {
		rule, ok := corpusCategory[r.label]
		require.True(t, ok, "%s: unknown label %q", r.where, r.label)
		per[rule].texts++
		got := caughtAs(r.text)
		if got[rule] {
			per[rule].tp++
		} else {
			t.Logf("missed %s %s: %q", r.label, r.where, r.text)
		}
		for other := range got {
			if other != rule {
				per[other].fp++ // caught under a category it is not
			}
		}
	}
	falsePositives := 0
	for _, o := range append(ordinary, libs...) {
		for rule := range caughtAs(o.text) {
			per[rule].fp++
			falsePositives++
			t.Errorf("ordinary text reported as %s (%s): %q", rule, o.where, o.text)
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-12s %-12s %6s %6s %6s %9s %7s\n", "category", "rule", "risky", "caught", "wrong", "precision", "recall")
	labels := make([]string, 0, len(corpusCategory))
	for l := range corpusCategory {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		rule := corpusCategory[l]
		c := per[rule]
		require.GreaterOrEqual(t, c.texts, 40, "%s needs at least 40 risky texts", l)
		recall := float64(c.tp) / float64(c.texts)
		precision := 1.0
		if c.tp+c.fp > 0 {
			precision = float64(c.tp) / float64(c.tp+c.fp)
		}
		fmt.Fprintf(&table, "%-12s %-12s %6d %6d %6d %9.3f %7.3f\n", l, rule, c.texts, c.tp, c.fp, precision, recall)
		require.GreaterOrEqual(t, recall, 0.9, "recall of %s", l)
	}
	fmt.Fprintf(&table, "ordinary texts: %d hand-written, %d from the libraries; reported: %d\n", len(ordinary), len(libs), falsePositives)
	t.Log(table.String())
	require.Zero(t, falsePositives)
}

// TestRealLibrariesHaveNoContentFindings scans the libraries whole: none
// of their text is about a regulated business.
func TestRealLibrariesHaveNoContentFindings(t *testing.T) {
	t.Parallel()
	for _, app := range npmApps(t) {
		rep, err := Scan(context.Background(), bytesReader(app.zip), int64(len(app.zip)), npmScanOptions(app.platform))
		require.NoError(t, err)
		for _, f := range rep.Findings {
			require.False(t, strings.HasPrefix(f.RuleID, "CONTENT-"), "%s: %s:%d %s | %s", app.name, f.File, f.Line, f.Message, f.Snippet)
		}
	}
}
