package scan

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
)

// The gitleaks detector runs every rule whose keyword appears anywhere in a
// file over the whole file. In a minified bundle nearly every keyword
// appears somewhere, so each of tens of regular expressions reads the whole
// bundle. The engine here keeps gitleaks' rules, allowlists and decisions
// (each rule still runs inside a gitleaks detector) but shows each rule
// only the windows of text around its own keywords: a match contains one
// of its rule's keywords (the tests check this against gitleaks itself on
// real code), so a window reaching as far on each side as the rule can
// match loses nothing.
type secretEngine struct {
	rules    []*windowRule
	keywords []string // lower case, indexed by trie pattern number
	byKW     [][]int  // keyword -> rules that declare it
	trie     *ahocorasick.Trie
	full     *detect.Detector // all rules, for the comparison in tests
}

// windowRule is one gitleaks rule with a detector of its own.
type windowRule struct {
	id     string
	d      *detect.Detector
	before int // bytes a match can reach before a keyword's start
	after  int // and past its end
}

var secretEngineOnce = sync.OnceValues(newSecretEngine)

func newSecretEngine() (*secretEngine, error) {
	full, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		return nil, fmt.Errorf("load gitleaks rules: %w", err)
	}
	e := &secretEngine{full: full}
	kwIndex := map[string]int{}
	ids := sortedKeys(full.Config.Rules)
	for _, id := range ids {
		r := full.Config.Rules[id]
		if r.Regex == nil || r.Path != nil || len(r.Keywords) == 0 || len(r.RequiredRules) > 0 || r.SkipReport {
			// Path rules need file names, which a package's content does
			// not give gitleaks here either; the others are composite.
			continue
		}
		cfg := config.Config{
			Rules:      map[string]config.Rule{id: r},
			Keywords:   map[string]struct{}{},
			Allowlists: full.Config.Allowlists,
		}
		for _, k := range r.Keywords {
			cfg.Keywords[strings.ToLower(k)] = struct{}{}
		}
		before, after := regexReach(r.Regex.String(), r.Keywords)
		wr := &windowRule{id: id, d: detect.NewDetector(cfg), before: before, after: after}
		ri := len(e.rules)
		e.rules = append(e.rules, wr)
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			i, ok := kwIndex[k]
			if !ok {
				i = len(e.keywords)
				kwIndex[k] = i
				e.keywords = append(e.keywords, k)
				e.byKW = append(e.byKW, nil)
			}
			e.byKW[i] = append(e.byKW[i], ri)
		}
	}
	e.trie = ahocorasick.NewTrieBuilder().AddStrings(e.keywords).Build()
	return e, nil
}

// Unbounded repetitions are assumed to reach this far; past it, windows
// still grow over runs of token characters (see expandWindow), which is
// what long secrets are made of. A repetition that can cross lines (PEM
// bodies) gets a larger reach.
const (
	reachUnbounded  = 256
	reachMultiline  = 16 << 10
	maxRuleReach    = 32 << 10
	longLine        = 4 << 10
	maxWindowGrowth = 64 << 10
)

// regexReach bounds, in bytes, how far a match can extend before and after
// a keyword it contains. When the pattern is a sequence with one mandatory
// part spelling the keywords (as in "prefix(key|token)suffix"), the bounds
// are the reach of what precedes and follows that part, which halves the
// windows of the generic rules; otherwise the whole reach on both sides.
func regexReach(expr string, keywords []string) (before, after int) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return maxRuleReach, maxRuleReach
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	whole := min(reach(re), maxRuleReach)
	if re.Op != syntax.OpConcat {
		return whole, whole
	}
	for i, sub := range re.Sub {
		if !spellsKeywords(sub, keywords) {
			continue
		}
		for _, p := range re.Sub[:i] {
			before += reach(p)
		}
		for _, p := range re.Sub[i+1:] {
			after += reach(p)
		}
		kw := reach(sub)
		return min(before+kw, maxRuleReach), min(after+kw, maxRuleReach)
	}
	return whole, whole
}

// spellsKeywords reports whether every string re matches contains one of
// the keywords, so that a match's keyword lies in what re matched. Only
// small finite languages are spelled out; anything else is a no.
func spellsKeywords(re *syntax.Regexp, keywords []string) bool {
	words, ok := spell(re)
	if !ok || len(words) == 0 {
		return false
	}
	for _, w := range words {
		w = strings.ToLower(w)
		found := false
		for _, k := range keywords {
			if k != "" && strings.Contains(w, strings.ToLower(k)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

const maxSpelled = 64

// spell lists the strings re matches when they are few: literals,
// sequences, alternations, optional parts and one-letter case classes.
func spell(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpCapture:
		return spell(re.Sub[0])
	case syntax.OpCharClass:
		if len(re.Rune) == 4 && re.Rune[0] == re.Rune[1] && re.Rune[2] == re.Rune[3] &&
			unicode.ToLower(re.Rune[0]) == unicode.ToLower(re.Rune[2]) {
			return []string{string(re.Rune[0])}, true
		}
		if len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] {
			return []string{string(re.Rune[0])}, true
		}
	case syntax.OpQuest:
		words, ok := spell(re.Sub[0])
		return append(words, ""), ok && len(words) < maxSpelled
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			words, ok := spell(sub)
			if !ok || len(out)+len(words) > maxSpelled {
				return nil, false
			}
			out = append(out, words...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			words, ok := spell(sub)
			if !ok || len(out)*len(words) > maxSpelled {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(words))
			for _, a := range out {
				for _, w := range words {
					next = append(next, a+w)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

func reach(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return 3 * len(re.Rune) // case folding admits the Kelvin sign and long s
		}
		return len(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		return utf8.RuneLen(min(re.Rune[len(re.Rune)-1], utf8.MaxRune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += reach(s)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, reach(s))
		}
		return n
	case syntax.OpCapture, syntax.OpQuest:
		return reach(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return unboundedReach(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			return re.Min*reach(re.Sub[0]) + unboundedReach(re.Sub[0])
		}
		return re.Max * reach(re.Sub[0])
	}
	return 0
}

func unboundedReach(sub *syntax.Regexp) int {
	if matchesNewline(sub) {
		return reachMultiline
	}
	return reachUnbounded
}

func matchesNewline(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return true
			}
		}
	case syntax.OpLiteral:
		return strings.ContainsRune(string(re.Rune), '\n')
	}
	for _, s := range re.Sub {
		if matchesNewline(s) {
			return true
		}
	}
	return false
}

// leak is a gitleaks finding placed in the whole file.
type leak struct {
	rule   string
	line   int // 1-based
	secret string
}

type span struct{ start, end int }

// detect returns gitleaks' findings for data, running each rule only on
// the windows around its keywords.
func (e *secretEngine) detect(data []byte, t *text) []leak {
	lower := asciiLower(data)
	perRule := map[int][]span{}
	e.trie.Walk(lower, func(end, n, pattern int64) bool {
		start := int(end - n + 1)
		for _, ri := range e.byKW[pattern] {
			r := e.rules[ri]
			perRule[ri] = append(perRule[ri], span{max(0, start-r.before), min(len(data), int(end)+1+r.after)})
		}
		return true
	})
	var out []leak
	for _, ri := range sortedInts(perRule) {
		wr := e.rules[ri]
		for _, w := range mergeSpans(perRule[ri]) {
			w = expandWindow(data, t, w)
			found := wr.run(data, t, w)
			if len(found) > 0 && !t.atLineBounds(w) {
				// A window cut inside a long line changes what gitleaks
				// sees as the line (its allowlists read it); the whole
				// lines decide.
				found = wr.run(data, t, t.wholeLines(w))
			}
			out = append(out, found...)
		}
	}
	return preferSpecific(dedupLeaks(out))
}

// preferSpecific drops a generic rule's finding when a provider's rule
// found the same secret on the same line, as gitleaks does across the
// rules it runs together; here the rules run apart, so it is done once
// all of a file's findings are in.
func preferSpecific(in []leak) []leak {
	out := make([]leak, 0, len(in))
	for _, l := range in {
		keep := true
		if strings.Contains(strings.ToLower(l.rule), "generic") {
			for _, o := range in {
				if o.line == l.line && o.rule != l.rule && strings.Contains(o.secret, l.secret) &&
					!strings.Contains(strings.ToLower(o.rule), "generic") {
					keep = false
					break
				}
			}
		}
		if keep {
			out = append(out, l)
		}
	}
	return out
}

// run applies the rule's detector to one window of the file.
func (wr *windowRule) run(data []byte, t *text, w span) []leak {
	firstLine, _ := t.position(w.start)
	var out []leak
	for _, f := range wr.d.DetectString(string(data[w.start:w.end])) {
		out = append(out, leakFrom(f, firstLine))
	}
	return out
}

func leakFrom(f report.Finding, firstLine int) leak {
	// gitleaks' column is relative to the window; the column shown is
	// found again on the whole line (secretHit).
	return leak{rule: f.RuleID, line: firstLine + f.StartLine, secret: f.Secret}
}

func dedupLeaks(in []leak) []leak {
	seen := map[leak]bool{}
	out := in[:0]
	for _, l := range in {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func sortedInts[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func mergeSpans(spans []span) []span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// expandWindow widens a window to whole lines when they are short, as
// gitleaks reads them; inside long (minified) lines it grows over runs of
// token characters instead, so that no identifier, number or encoded
// value is cut, plus one byte so that boundary checks see a real neighbour.
func expandWindow(data []byte, t *text, w span) span {
	ls := t.lineStart(w.start)
	if w.start-ls <= longLine {
		w.start = ls
	} else {
		for limit := max(0, w.start-maxWindowGrowth); w.start > limit && tokenByte(data[w.start-1]); {
			w.start--
		}
		w.start = max(0, w.start-1)
	}
	le := t.lineEnd(w.end)
	if le-w.end <= longLine {
		w.end = le
	} else {
		for limit := min(len(data), w.end+maxWindowGrowth); w.end < limit && tokenByte(data[w.end]); {
			w.end++
		}
		w.end = min(len(data), w.end+1)
	}
	return w
}

func tokenByte(c byte) bool {
	return isIdentByte(c) || c == '+' || c == '/' || c == '=' || c == '.' || c == '-' || c == '\\'
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// lineStart is the offset where the line holding off starts.
func (t *text) lineStart(off int) int {
	i := sort.SearchInts(t.lines, off+1) - 1
	return t.lines[max(i, 0)]
}

// lineEnd is the offset just past the newline ending the line that holds
// the byte before off, or the end of the file.
func (t *text) lineEnd(off int) int {
	if off <= 0 {
		off = 1
	}
	i := sort.SearchInts(t.lines, off)
	if i < len(t.lines) {
		return t.lines[i]
	}
	return len(t.raw)
}

func (t *text) atLineBounds(w span) bool {
	return t.lineStart(w.start) == w.start && (w.end == len(t.raw) || t.lineStart(w.end) == w.end)
}

func (t *text) wholeLines(w span) span {
	return span{t.lineStart(w.start), t.lineEnd(w.end)}
}
