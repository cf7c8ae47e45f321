package scan

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// What the text of a script shows: lexicon terms and high-entropy strings
// in its literals, and the marks obfuscators leave (hex identifiers, names
// of obfuscation services, strings written only as escapes). The checks
// take offsets and text, not syntax nodes, so that scripts read lexically
// (scanLiterals) go through the same code as parsed ones.

// stringLiteral feeds a string literal to the content lexicon and the
// entropy and encoding checks. off is where its opening quote is, value
// its text once escapes are read, raw its source with the quotes.
func (f *jsFile) stringLiteral(off int, value, raw string) {
	// Without escapes the text is the source between the quotes, and a
	// term's place in it is its place in the file.
	exact := len(raw) >= 2 && raw[1:len(raw)-1] == value
	f.s.contentText(f.e, f.t, off+1, exact, value)
	for _, mark := range obfuscatorMarks {
		if strings.Contains(value, mark) {
			f.s.add(ruleCodeObfuscated, withDetail(f.atOffset(off, mark), "marker "+mark))
		}
	}
	if len(raw) >= 16 && fullyHexEscaped(raw) {
		if f.escaped == 0 {
			f.firstEsc = off
		}
		f.escaped++
	}
	if len(value) >= minEntropyLen && !strings.HasPrefix(value, "data:") {
		if e := shannon(value); e >= minEntropy {
			h := f.atOffset(off, "")
			h.snippet = printable(value, 60)
			h.detail = fmt.Sprintf("%d characters, %.2f bits per character", len(value), e)
			f.s.add(ruleCodeEntropy, h)
		}
	}
}

// templateText is the text of a template literal between substitutions:
// shown to users like any string, so searched for lexicon terms.
func (f *jsFile) templateText(off int, value string) {
	// off is past the text's first character (see lexLiteral).
	_, width := utf8.DecodeRuneInString(value)
	base := off - width
	exact := base >= 0 && base+len(value) <= len(f.t.raw) && string(f.t.raw[base:base+len(value)]) == value
	f.s.contentText(f.e, f.t, base, exact, value)
}

// identifier notes a name an obfuscator may have produced.
func (f *jsFile) identifier(name string, off int) {
	if !isHexIdent(name) {
		return
	}
	if _, seen := f.hexIdent[name]; !seen && len(f.hexIdent) < 1000 {
		f.hexIdent[name] = off
	}
}

// finish reports obfuscation, which only shows in the whole file.
func (f *jsFile) finish() {
	if len(f.hexIdent) >= minHexIdents {
		first := 1 << 62
		for _, off := range f.hexIdent {
			first = min(first, off)
		}
		h := f.atOffset(first, "hex identifiers")
		h.detail = fmt.Sprintf("%d identifiers like _0x1a2b", len(f.hexIdent))
		f.s.add(ruleCodeObfuscated, h)
	}
	if f.escaped >= minEscapedLiterals {
		h := f.atOffset(f.firstEsc, "escaped strings")
		h.detail = fmt.Sprintf("%d string literals written only as \\x escapes", f.escaped)
		f.s.add(ruleCodeObfuscated, h)
	}
}

// Obfuscation thresholds: one or two such names or strings happen in
// honest code (a generated id, an escaped binary marker); tens of them are
// the output of an obfuscator.
const (
	minHexIdents       = 8
	minEscapedLiterals = 10
	minEntropyLen      = 256
	minEntropy         = 5.5
)

// hexIdentPrefix starts every name obfuscators generate; the token gate
// looks for it too.
const hexIdentPrefix = "_0x"

var hexIdentRE = regexp.MustCompile(`^_0x[0-9a-fA-F]{4,}$`)

func isHexIdent(name string) bool {
	return strings.HasPrefix(name, hexIdentPrefix) && hexIdentRE.MatchString(name)
}

// fullyHexEscaped reports a quoted literal made only of \xNN escapes.
func fullyHexEscaped(lit string) bool {
	body := lit[1 : len(lit)-1]
	if len(body) < 8 || len(body)%4 != 0 {
		return false
	}
	for i := 0; i < len(body); i += 4 {
		if body[i] != '\\' || body[i+1] != 'x' {
			return false
		}
	}
	return true
}

// obfuscatorMarks are strings that commercial obfuscators popular with
// mini-program developers leave in their output.
var obfuscatorMarks = []string{"jsjiami.com", "sojson.v4", "sojson.v5"}
