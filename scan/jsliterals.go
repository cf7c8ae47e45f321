package scan

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// scanLiterals reads the string literals and template texts of a script
// without parsing it, for scripts the syntax rules have nothing to look
// for (needsSyntax). It must give what the syntax walk gives: the same
// literals, at the same offsets, with the same text, in the same order, so
// that which occurrence of a lexicon term is reported does not depend on
// the path taken. Wherever that is not certain it gives up (false) and the
// script is parsed:
//
//   - a string, template, regular expression or comment that runs off its
//     line or the file, or brackets that do not pair up: the parser would
//     reject the script (CODE-090), and only it can say where;
//   - escapes other than the single-character ones, template escapes, raw
//     carriage returns and line or paragraph separators, invalid UTF-8:
//     the parser's reading of them is its own;
//   - a "/" where the lexer may take division for a regular expression
//     or the reverse (slashUnsure);
//   - a tagged template, whose tag the walk visits after the texts, and
//     "do", whose loop condition the walk visits before the body;
//   - a name the literal checks could report: the parser turns property
//     names ({name: 1}, name() {}) into string literals, which only it can
//     tell from other names (identMayMatter).
//
// TestLexicalLiteralsMatchTheParser holds the two paths equal on the
// fixtures and the real libraries.
func scanLiterals(src []byte, out []lexLiteral) ([]lexLiteral, bool) {
	var stack [64]byte // deeper nesting grows it
	ls := literalScanner{lx: lexer{src: src}, out: out, stack: stack[:0]}
	ok := ls.scan(false)
	return ls.out, ok
}

// lexLiteral is a string literal or a template text.
type lexLiteral struct {
	// off is where the parser places it: a string's opening quote, or
	// for a template text the end of its first character (the parser has
	// read one character ahead when it notes the offset; the columns
	// reported have always reflected this).
	off   int
	value string // the text once escapes are read
	raw   string // a string literal's source with its quotes; "" for template text
}

// maxTemplateNesting bounds the recursion through templates inside
// substitutions; deeper scripts go to the parser.
const maxTemplateNesting = 32

type literalScanner struct {
	lx      lexer
	out     []lexLiteral
	stack   []byte // open brackets
	nesting int
}

// scan reads tokens to the end of the source or, inside a substitution,
// to the brace that closes it.
func (ls *literalScanner) scan(inSubst bool) bool {
	lx := &ls.lx
	src := lx.src
	base := len(ls.stack)
	for {
		tagPosition := !lx.regexpAllowed() // where "/" divides, "`" follows a tag
		unsure := lx.slashUnsure()
		start, end, kind := lx.next()
		if lx.broken || unsure && (kind == tokRegexp || kind == tokPunct && src[start] == '/') {
			return false
		}
		switch kind {
		case tokEOF:
			return !inSubst && len(ls.stack) == base
		case tokIdent:
			if end-start == 2 && src[start] == 'd' && src[start+1] == 'o' {
				return false
			}
			if identMayMatter(src[start:end]) {
				return false
			}
		case tokString:
			if end-start < 2 || src[end-1] != src[start] {
				return false
			}
			raw := string(src[start:end])
			value, ok := cookString(raw[1 : len(raw)-1])
			if !ok {
				return false
			}
			ls.out = append(ls.out, lexLiteral{off: start, value: value, raw: raw})
		case tokTemplate:
			if tagPosition || !ls.template(start, end) {
				return false
			}
		case tokPunct:
			switch c := src[start]; c {
			case '(', '[', '{':
				ls.stack = append(ls.stack, c)
			case ')', ']', '}':
				if len(ls.stack) == base {
					return inSubst && c == '}'
				}
				if ls.stack[len(ls.stack)-1] != opening(c) {
					return false
				}
				ls.stack = ls.stack[:len(ls.stack)-1]
			}
		}
	}
}

// identMayMatter reports a name that the literal checks would report if
// it were a property name: one the CONTENT rules would report, or long
// enough for the entropy check.
func identMayMatter(name []byte) bool {
	return len(name) >= minEntropyLen || mayReport(name)
}

// slashUnsure reports a place where the lexer's guess between division
// and a regular expression can be wrong: after ")" and "}" (which end an
// if condition or a block as well as an expression), after ++ and --, and
// after words that are keywords only in some contexts. Text the lexer
// misreads there could hide a literal from it, or show one the parser
// does not see.
func (lx *lexer) slashUnsure() bool {
	switch lx.prevText {
	case ")", "}", "of", "yield", "await":
		return true
	case "+", "-":
		return lx.prevEnd >= 2 && lx.src[lx.prevEnd-2] == lx.src[lx.prevEnd-1]
	}
	return false
}

func opening(closing byte) byte {
	switch closing {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// template reads the template the lexer skipped from start to end: its
// texts are listed before the literals of its substitutions, as the walk
// visits them.
func (ls *literalScanner) template(start, end int) bool {
	if ls.nesting++; ls.nesting > maxTemplateNesting {
		return false
	}
	defer func() { ls.nesting-- }()
	lx := &ls.lx
	src := lx.src
	var texts []lexLiteral
	first := len(ls.out)
	for pos := start + 1; ; {
		i := pos
		for i < len(src) && src[i] != '`' && src[i] != '\\' && src[i] != '\r' && (src[i] != '$' || i+1 == len(src) || src[i+1] != '{') {
			i++
		}
		if i == len(src) || src[i] == '\\' || src[i] == '\r' {
			return false
		}
		text := string(src[pos:i])
		if !validText(text) {
			return false
		}
		_, width := utf8.DecodeRune(src[pos:])
		texts = append(texts, lexLiteral{off: pos + width, value: text})
		if src[i] == '`' {
			if i+1 != end {
				return false
			}
			break
		}
		lx.pos = i + 2
		lx.prev, lx.prevText = tokPunct, "{"
		if !ls.scan(true) {
			return false
		}
		pos = lx.pos
	}
	lx.pos, lx.prev, lx.prevText, lx.prevEnd = end, tokTemplate, "", end
	ls.out = slices.Insert(ls.out, first, texts...)
	return true
}

// cookString reads the body of a quoted literal as the parser would, or
// reports false for anything but the escapes that stand for one character.
func cookString(body string) (string, bool) {
	if strings.IndexByte(body, '\\') < 0 {
		return body, validText(body)
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i == len(body) {
			return "", false
		}
		switch e := body[i]; e {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'v':
			out = append(out, '\v')
		case '\n':
			// A line continuation adds nothing.
		case '0':
			if i+1 < len(body) && body[i+1] >= '0' && body[i+1] <= '9' {
				return "", false // legacy octal
			}
			out = append(out, 0)
		default:
			if e >= '1' && e <= '9' || e == 'x' || e == 'u' || e == '\r' || e >= utf8.RuneSelf {
				return "", false
			}
			out = append(out, e)
		}
	}
	return string(out), validText(string(out))
}

// validText reports text the parser reads byte for byte: valid UTF-8
// with no carriage return and no line or paragraph separator.
func validText(b string) bool {
	if strings.IndexByte(b, '\r') >= 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			rest := b[i:]
			return utf8.ValidString(rest) && !strings.Contains(rest, lineSeparator) && !strings.Contains(rest, paragraphSeparator)
		}
	}
	return true
}

var (
	lineSeparator      = "\u2028"
	paragraphSeparator = "\u2029"
)
