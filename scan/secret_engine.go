package scan

import (
	"fmt"
	"sort"
	"strings"
	"sync"

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
	anchor *anchor
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
		a, err := newAnchor(r.Regex.String(), r.Keywords)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", id, err)
		}
		wr := &windowRule{id: id, d: detect.NewDetector(cfg), before: before, after: after, anchor: a}
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

// leak is a gitleaks finding placed in the whole file.
type leak struct {
	rule   string
	line   int // 1-based
	secret string
}

type span struct{ start, end int }

// detect returns gitleaks' findings for data, running each rule only on
// the windows around its keywords.
// lower is data in ASCII lower case, shared with the platform rules.
func (e *secretEngine) detect(data []byte, t *text, lower []byte) []leak {
	hits := map[int][]kwHit{}
	e.trie.Walk(lower, func(end, n, pattern int64) bool {
		start := int(end - n + 1)
		for _, ri := range e.byKW[pattern] {
			hits[ri] = append(hits[ri], kwHit{start: start, kw: int(pattern)})
		}
		return true
	})
	unfolded := unfoldedRunes(data)
	for _, hs := range hits {
		// The search reports hits by their end; longer keywords may
		// start before shorter ones that end first.
		sort.SliceStable(hs, func(i, j int) bool { return hs[i].start < hs[j].start })
	}
	var out []leak
	for _, ri := range sortedInts(hits) {
		wr := e.rules[ri]
		a := wr.anchor
		if a != nil && a.fold && unfolded {
			a = nil
		}
		for _, w := range wr.windows(data, t, hits[ri], e.keywords) {
			if a != nil {
				// Only the keywords that can begin a match in the window
				// make the windows the rule runs on.
				for _, sub := range wr.windows(data, t, a.admitted(data, w, hits[ri], e.keywords), e.keywords) {
					out = append(out, wr.runWindow(data, t, sub)...)
				}
				continue
			}
			out = append(out, wr.runWindow(data, t, w)...)
		}
	}
	return preferSpecific(dedupLeaks(out))
}

// windows are the stretches of data around the keyword hits, as far as
// the rule can reach from them, merged and widened (expandWindow).
func (wr *windowRule) windows(data []byte, t *text, hits []kwHit, keywords []string) []span {
	if len(hits) == 0 {
		return nil
	}
	spans := make([]span, len(hits))
	for i, h := range hits {
		spans[i] = span{max(0, h.start-wr.before), min(len(data), h.start+len(keywords[h.kw])+wr.after)}
	}
	out := mergeSpans(spans)
	for i, w := range out {
		out[i] = expandWindow(data, t, w)
	}
	return out
}

func (wr *windowRule) runWindow(data []byte, t *text, w span) []leak {
	found := wr.run(data, t, w)
	if len(found) > 0 && !t.atLineBounds(w) {
		// A window cut inside a long line changes what gitleaks sees as
		// the line (its allowlists read it); the whole lines decide.
		found = wr.run(data, t, t.wholeLines(w))
	}
	return found
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
