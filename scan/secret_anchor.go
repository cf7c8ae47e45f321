package scan

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
)

// Windows alone do not make the generic rules cheap: their keywords (key,
// api, token ...) occur every few dozen bytes of a minified bundle, so the
// windows cover the bundle and the rule's large automaton still reads all
// of it. An anchor is a necessary condition read from the rule's own
// regular expression at start-up: every match begins, at some element of
// the pattern, with a word holding one of the rule's keywords, so a match
// in a window starts that element at a keyword found in the window (less
// the keyword's offset in the word). The rest of the pattern, loosened so
// that it matches more and compiles small, is tried anchored there; it
// stops at the first byte no match can continue with, which in code is a
// few bytes after the keyword. A window where no keyword passes holds no
// match, so gitleaks could find nothing in it and it is not run.
type anchor struct {
	re *regexp.Regexp
	// offsets maps a lower-case keyword to where it sits in the words that
	// begin the anchored element.
	offsets map[string][]int
	// fold is set when the pattern ignores case, where "k" and "s" also
	// match the Kelvin sign and the long s, which the keyword search reads
	// as other bytes.
	fold bool
}

// Loosening bounds: a repetition keeps at most this many mandatory copies
// and loses its upper bound, which only admits more strings and keeps the
// compiled program small.
const maxAnchorMin = 16

// newAnchor derives the anchor of a rule, or nil when the pattern has no
// element that every match begins with a keyword at.
func newAnchor(expr string, keywords []string) (*anchor, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parse rule pattern: %w", err)
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	elems := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		elems = re.Sub
	}
	for i, el := range elems {
		words, ok := leadingWords(el)
		if !ok {
			continue
		}
		offsets, ok := keywordOffsets(words, keywords)
		if !ok {
			continue
		}
		tail := elems[i:]
		// Trailing elements that can match nothing constrain nothing.
		for len(tail) > 1 && nullable(tail[len(tail)-1]) {
			tail = tail[:len(tail)-1]
		}
		anchored := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{{Op: syntax.OpBeginText}}}
		for _, el := range tail {
			anchored.Sub = append(anchored.Sub, loosen(el))
		}
		compiled, err := regexp.Compile(anchored.String())
		if err != nil {
			return nil, fmt.Errorf("compile anchor of %q: %w", expr, err)
		}
		return &anchor{re: compiled, offsets: offsets, fold: foldsCase(re)}, nil
	}
	return nil, nil
}

// leadingWords lists the words one of which every match of re begins
// with: the strings of the longest spelled-out start of a sequence, or of
// each branch of an alternation.
func leadingWords(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return leadingWords(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			words, ok := leadingWords(sub)
			if !ok || len(out)+len(words) > maxSpelled {
				return nil, false
			}
			out = append(out, words...)
		}
		return out, true
	case syntax.OpConcat:
		n := 0
		for n < len(re.Sub) {
			if _, ok := spell(re.Sub[n]); !ok {
				break
			}
			n++
		}
		head := []string{""}
		if n > 0 {
			var ok bool
			if head, ok = spell(&syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[:n]}); !ok {
				return nil, false
			}
		}
		if n == len(re.Sub) {
			return head, true
		}
		// The parser factors common prefixes out of alternations, so a
		// spelled start is often followed by a branch that goes on.
		next, ok := leadingWords(re.Sub[n])
		if !ok || len(head)*len(next) > maxSpelled {
			return head, n > 0
		}
		out := make([]string, 0, len(head)*len(next))
		for _, h := range head {
			for _, w := range next {
				out = append(out, h+w)
			}
		}
		return out, true
	}
	return spell(re)
}

// keywordOffsets maps each keyword to its offsets in the words; every word
// must hold a keyword, or a match could begin without one.
func keywordOffsets(words, keywords []string) (map[string][]int, bool) {
	out := map[string][]int{}
	for _, w := range words {
		w = strings.ToLower(w)
		found := false
		for _, k := range keywords {
			k = strings.ToLower(k)
			if k == "" {
				continue
			}
			for from := 0; ; {
				i := strings.Index(w[from:], k)
				if i < 0 {
					break
				}
				found = true
				if !containsInt(out[k], from+i) {
					out[k] = append(out[k], from+i)
				}
				from += i + 1
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// loosen returns a pattern matching every string re matches: without
// captures and laziness (which change where a match ends, not whether
// there is one) and with repetitions unbounded above and bounded below.
func loosen(re *syntax.Regexp) *syntax.Regexp {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	c := *re
	c.Flags &^= syntax.NonGreedy
	c.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, sub := range re.Sub {
		c.Sub[i] = loosen(sub)
	}
	if c.Op == syntax.OpRepeat && (c.Max != c.Min || c.Min > maxAnchorMin) {
		c.Min, c.Max = min(c.Min, maxAnchorMin), -1
	}
	return &c
}

func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpCapture:
		return nullable(re.Sub[0])
	}
	return false
}

func foldsCase(re *syntax.Regexp) bool {
	if re.Flags&syntax.FoldCase != 0 {
		return true
	}
	for _, sub := range re.Sub {
		if foldsCase(sub) {
			return true
		}
	}
	return false
}

// Encodings of the two non-ASCII runes that fold to ASCII letters.
var (
	kelvinSign = []byte("\u212a")
	longS      = []byte("\u017f")
)

// unfoldedRunes reports whether data holds a rune that a case-insensitive
// pattern reads as an ASCII letter while the keyword search does not.
func unfoldedRunes(data []byte) bool {
	return bytes.Contains(data, kelvinSign) || bytes.Contains(data, longS)
}

// kwHit is a keyword found in a file.
type kwHit struct {
	start int
	kw    int // index into secretEngine.keywords
}

// admitted returns the hits (sorted by start) in window w at which the anchored pattern
// matches, so that some match of the rule can begin there; the pattern
// reads only as far as a match could go on.
func (a *anchor) admitted(data []byte, w span, hits []kwHit, keywords []string) []kwHit {
	var out []kwHit
	var rd bytes.Reader
	first := sort.Search(len(hits), func(i int) bool { return hits[i].start >= w.start })
	for _, h := range hits[first:] {
		if h.start >= w.end {
			break
		}
		for _, off := range a.offsets[keywords[h.kw]] {
			s := h.start - off
			if s < w.start {
				continue
			}
			rd.Reset(data[s:w.end])
			if a.re.MatchReader(&rd) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// keywordSearch finds the same matches as a pattern's FindAll over a
// whole file, but starts the automaton only where a match can begin: at
// the pattern's leading word, placed by the keywords found in the file.
// Go's matcher has no literal to skip to in a case-insensitive pattern
// that starts with \b and an alternation, so over a whole file it runs
// its slowest engine at every byte.
type keywordSearch struct {
	full     *regexp.Regexp
	anchored *regexp.Regexp // \A and the pattern without its leading \b
	boundary bool           // the pattern starts with \b, checked by hand
	offsets  map[string][]int
	fold     bool
}

func newKeywordSearch(re *regexp.Regexp, keywords []string) (*keywordSearch, error) {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parse pattern: %w", err)
	}
	elems := []*syntax.Regexp{parsed}
	if parsed.Op == syntax.OpConcat {
		elems = parsed.Sub
	}
	ks := &keywordSearch{full: re, fold: foldsCase(parsed)}
	if len(elems) > 1 && elems[0].Op == syntax.OpWordBoundary {
		ks.boundary, elems = true, elems[1:]
	}
	words, ok := leadingWords(elems[0])
	if ok {
		ks.offsets, ok = keywordOffsets(words, keywords)
	}
	if !ok {
		return nil, fmt.Errorf("pattern %q does not begin with one of the keywords %q", re, keywords)
	}
	anchored := &syntax.Regexp{Op: syntax.OpConcat, Sub: append([]*syntax.Regexp{{Op: syntax.OpBeginText}}, elems...)}
	if ks.anchored, err = regexp.Compile(anchored.String()); err != nil {
		return nil, fmt.Errorf("compile anchored pattern: %w", err)
	}
	if ks.anchored.NumSubexp() != re.NumSubexp() {
		return nil, fmt.Errorf("anchored pattern of %q lost its groups", re)
	}
	return ks, nil
}

// findAll returns what ks.full.FindAllSubmatchIndex(data, n) returns.
// Every match starts at a candidate (a keyword less its offset in the
// leading word), so trying the candidates in order, each anchored and
// after the previous match, gives the leftmost matches in order; \b is
// checked against the byte before, which an anchored search cannot see.
func (ks *keywordSearch) findAll(data, lower []byte, n int) [][]int {
	if ks.fold && unfoldedRunes(data) {
		return ks.full.FindAllSubmatchIndex(data, n)
	}
	var starts []int
	for k, offs := range ks.offsets {
		kb := []byte(k)
		for from := 0; ; {
			i := bytes.Index(lower[from:], kb)
			if i < 0 {
				break
			}
			for _, off := range offs {
				if s := from + i - off; s >= 0 {
					starts = append(starts, s)
				}
			}
			from += i + 1
		}
	}
	sort.Ints(starts)
	var out [][]int
	var rd bytes.Reader
	next := 0
	for i, s := range starts {
		if len(out) == n || s < next || (i > 0 && s == starts[i-1]) {
			continue
		}
		if ks.boundary && !wordBoundary(data, s) {
			continue
		}
		rd.Reset(data[s:])
		m := ks.anchored.FindReaderSubmatchIndex(&rd)
		if m == nil {
			continue
		}
		for j := range m {
			if m[j] >= 0 {
				m[j] += s
			}
		}
		out = append(out, m)
		next = max(m[1], s+1)
	}
	return out
}

// wordBoundary is \b at offset i, as Go's matcher reads it: ASCII word
// characters on one side only.
func wordBoundary(data []byte, i int) bool {
	before := i > 0 && syntax.IsWordChar(rune(data[i-1]))
	after := i < len(data) && syntax.IsWordChar(rune(data[i]))
	return before != after
}
