package scan

import (
	"bytes"
	"sort"
)

// Most library scripts never name eval, a platform object or any other
// thing a syntax rule looks for; for them the syntax tree would only serve
// to find string literals. The gate finds the scripts that need the tree
// by searching their bytes for the tokens the rules need, taken from the
// rules' own tables so that a new global or mark is gated with no further
// change. The search is deliberately looser than the rules (comments and
// strings count too), since a script wrongly gated out loses findings.
var codeTokens = func() (t struct{ words, marks [][]byte }) {
	var words []string
	for w := range codeGlobals {
		words = append(words, w)
	}
	for w := range platformObjects {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		t.words = append(t.words, []byte(w))
	}
	// Escapes can spell any name or hide a term (\u0077x is wx), and \x
	// strings and hex names are what the obfuscation rule counts.
	marks := append([]string{hexIdentPrefix, `\x`, `\u`}, obfuscatorMarks...)
	for _, m := range marks {
		t.marks = append(t.marks, []byte(m))
	}
	return t
}()

// needsSyntax reports whether src holds a token some syntax rule needs: a
// code word standing alone (not inside a longer ASCII name) or a mark.
// Any non-ASCII byte counts as a separator, so that a name set off by a
// Unicode space, which JavaScript accepts, is still found.
func needsSyntax(src []byte) bool {
	for _, m := range codeTokens.marks {
		if bytes.Contains(src, m) {
			return true
		}
	}
	for _, w := range codeTokens.words {
		for from := 0; ; {
			i := bytes.Index(src[from:], w)
			if i < 0 {
				break
			}
			i += from
			end := i + len(w)
			if (i == 0 || !asciiIdentByte(src[i-1])) && (end == len(src) || !asciiIdentByte(src[end])) {
				return true
			}
			from = i + 1
		}
	}
	return false
}

func asciiIdentByte(c byte) bool {
	return c < 0x80 && isIdentByte(c)
}
