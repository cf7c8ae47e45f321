package scan

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a rule's pattern says about its matches, read once at start-up from
// the parsed pattern: how far a match reaches around its keyword (for the
// windows) and which strings a part of it spells (for the windows and the
// anchors).

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

// Spelling stops past these many strings, or runes in one class.
const (
	maxSpelled      = 64
	maxSpelledClass = 4
)

// spell lists the strings re matches when they are few: literals,
// sequences, alternations, optional parts and classes of a few runes.
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
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxSpelledClass {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, true
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
