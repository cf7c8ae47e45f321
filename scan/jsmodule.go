package scan

import "bytes"

// The JavaScript parser reads scripts, not ES modules, while mini-program
// sources and vendored libraries use import and export freely (the
// developer tools compile them away, and Alipay's .sjs files end in "export
// default"). stripModuleSyntax rewrites those declarations in place into
// script syntax of exactly the same length, so every byte offset, and so
// every line and column, still points into the original file. Imported
// bindings are lost, which no rule needs; the module specifiers are kept as
// string literals nobody reads.
//
// The scan is lexical: it skips comments, strings, template literals and
// regular expressions so that "export" inside them is left alone, and only
// rewrites keywords in statement position.
func stripModuleSyntax(src []byte) []byte {
	if !bytes.Contains(src, []byte("import")) && !bytes.Contains(src, []byte("export")) {
		return src
	}
	out := bytes.Clone(src)
	lx := lexer{src: out}
	for {
		start, end, kind := lx.next()
		if kind == tokEOF {
			return out
		}
		if kind != tokIdent || end-start != 6 {
			continue
		}
		word := string(out[start:end])
		if word == "import" && lx.dynamicImport(start, end) {
			// import(...) and import.meta are expressions the parser does
			// not know; an identifier of the same length keeps them valid.
			copy(out[start:end], "Import")
			continue
		}
		if (word != "import" && word != "export") || !lx.statementStart(start) {
			continue
		}
		switch word {
		case "import":
			lx.rewriteImport(start, end)
		case "export":
			lx.rewriteExport(start, end)
		}
	}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokPunct
	tokRegexp
	tokTemplate
)

// lexer is a minimal JavaScript tokenizer: enough to tell code from
// strings, comments and regular expressions.
type lexer struct {
	src      []byte
	pos      int
	prev     tokKind // kind of the previous significant token
	prevText string  // its text if punctuation or a keyword before a regexp
	prevEnd  int
	// broken is set when a string, template, regular expression or
	// comment runs into a line break or the end it may not reach: the
	// parser rejects the script, and its tokens cannot be trusted.
	broken bool
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z') || (c >= '0' && c <= '9')
}

// regexpAllowed reports whether a '/' here starts a regular expression
// rather than a division, from the token before it.
func (lx *lexer) regexpAllowed() bool {
	switch lx.prev {
	case tokEOF:
		return true
	case tokNumber, tokString, tokRegexp, tokTemplate:
		return false
	case tokIdent:
		return lx.prevText != "" // only the keywords below are kept
	}
	return lx.prevText != ")" && lx.prevText != "]" && lx.prevText != "}"
}

// regexpKeywords are the words after which a '/' starts a regular
// expression. They and the punctuation are the only previous tokens whose
// text the lexer keeps, taken from tables so that no token allocates.
var regexpKeywords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"} {
		m[w] = w
	}
	return m
}()

var punctText = func() (t [256]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

// next returns the next significant token, skipping blanks and comments.
func (lx *lexer) next() (int, int, tokKind) {
	src := lx.src
	for lx.pos < len(src) {
		c := src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			lx.pos++
			continue
		case c == '/' && lx.pos+1 < len(src) && src[lx.pos+1] == '/':
			for lx.pos < len(src) && src[lx.pos] != '\n' {
				lx.pos++
			}
			continue
		case c == '/' && lx.pos+1 < len(src) && src[lx.pos+1] == '*':
			end := bytes.Index(src[lx.pos+2:], []byte("*/"))
			if end < 0 {
				lx.pos = len(src)
				lx.broken = true
			} else {
				lx.pos += end + 4
			}
			continue
		}
		start := lx.pos
		kind := tokPunct
		switch {
		case c == '"' || c == '\'':
			lx.skipQuoted(c)
			kind = tokString
		case c == '`':
			lx.skipTemplate()
			kind = tokTemplate
		case c == '/' && lx.regexpAllowed():
			lx.skipRegexp()
			kind = tokRegexp
		case c >= '0' && c <= '9':
			for lx.pos < len(src) && (isIdentByte(src[lx.pos]) || src[lx.pos] == '.') {
				lx.pos++
			}
			kind = tokNumber
		case isIdentByte(c):
			for lx.pos < len(src) && isIdentByte(src[lx.pos]) {
				lx.pos++
			}
			kind = tokIdent
		default:
			lx.pos++
		}
		lx.prev, lx.prevEnd = kind, lx.pos
		lx.prevText = ""
		switch kind {
		case tokPunct:
			lx.prevText = punctText[c]
		case tokIdent:
			lx.prevText = regexpKeywords[string(src[start:lx.pos])]
		}
		return start, lx.pos, kind
	}
	return len(src), len(src), tokEOF
}

func (lx *lexer) skipQuoted(q byte) {
	src := lx.src
	for lx.pos++; lx.pos < len(src); lx.pos++ {
		switch src[lx.pos] {
		case '\\':
			lx.pos++
		case q:
			lx.pos++
			return
		case '\n':
			lx.pos++
			lx.broken = true
			return
		}
	}
	// A backslash ending the file must not step past it.
	lx.pos = len(src)
	lx.broken = true
}

// skipTemplate skips a template literal, including nested code in ${}.
func (lx *lexer) skipTemplate() {
	src := lx.src
	for lx.pos++; lx.pos < len(src); lx.pos++ {
		switch src[lx.pos] {
		case '\\':
			lx.pos++
		case '`':
			lx.pos++
			return
		case '$':
			if lx.pos+1 < len(src) && src[lx.pos+1] == '{' {
				lx.pos += 2
				lx.skipBraces()
				lx.pos--
			}
		}
	}
	lx.pos = min(lx.pos, len(src))
	lx.broken = true
}

// skipBraces skips tokens up to the brace closing an already opened one.
func (lx *lexer) skipBraces() {
	depth := 1
	lx.prev, lx.prevText = tokPunct, "{"
	for {
		_, end, kind := lx.next()
		if kind == tokEOF {
			return
		}
		if kind == tokPunct {
			switch lx.src[end-1] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					return
				}
			}
		}
	}
}

func (lx *lexer) skipRegexp() {
	src := lx.src
	inClass := false
	for lx.pos++; lx.pos < len(src); lx.pos++ {
		switch src[lx.pos] {
		case '\\':
			lx.pos++
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '\n':
			lx.broken = true
			return
		case '/':
			if !inClass {
				lx.pos++
				for lx.pos < len(src) && isIdentByte(src[lx.pos]) {
					lx.pos++
				}
				return
			}
		}
	}
	lx.pos = min(lx.pos, len(src))
	lx.broken = true
}

// statementStart reports whether the identifier at start begins a
// statement: at the top of the file or after ; { } or a line break, and not
// a property (".import") or an object key.
func (lx *lexer) statementStart(start int) bool {
	i := start - 1
	sawNewline := false
	for i >= 0 && (lx.src[i] == ' ' || lx.src[i] == '\t' || lx.src[i] == '\n' || lx.src[i] == '\r') {
		sawNewline = sawNewline || lx.src[i] == '\n'
		i--
	}
	if i < 0 {
		return true
	}
	switch lx.src[i] {
	case ';', '{', '}':
		return true
	case '.':
		return false
	}
	return sawNewline && !bytes.HasPrefix(lx.src[start+6:], []byte(":")) && !bytes.HasPrefix(lx.src[start+6:], []byte("("))
}

func blank(b []byte) {
	for i, c := range b {
		if c != '\n' && c != '\r' {
			b[i] = ' '
		}
	}
}

// dynamicImport reports "import(" or "import.meta", not a property
// named import.
func (lx *lexer) dynamicImport(start, end int) bool {
	rest := bytes.TrimLeft(lx.src[end:], " \t\r\n")
	before := bytes.TrimRight(lx.src[:start], " \t\r\n")
	return len(rest) > 0 && (rest[0] == '(' || rest[0] == '.') && !bytes.HasSuffix(before, []byte("."))
}

// rewriteImport blanks a static import declaration up to its module
// specifier.
func (lx *lexer) rewriteImport(start, end int) {
	lx.blankThroughSpecifier(start)
}

// blankThroughSpecifier blanks from start to the module string that ends an
// import or re-export, and the semicolon after it.
func (lx *lexer) blankThroughSpecifier(start int) {
	for {
		_, end, kind := lx.next()
		if kind == tokEOF {
			return
		}
		if kind == tokString {
			blank(lx.src[start:end])
			save := lx.pos
			if s, e, k := lx.next(); k == tokPunct && lx.src[s] == ';' {
				blank(lx.src[s:e])
			} else {
				lx.pos = save
			}
			return
		}
	}
}

var exportDefault = []byte("exports.deflt=")

// rewriteExport turns "export default X" into an assignment of the same
// length, drops "export" before declarations and blanks export lists.
func (lx *lexer) rewriteExport(start, end int) {
	save := lx.pos
	s, e, kind := lx.next()
	switch {
	case kind == tokIdent && string(lx.src[s:e]) == "default":
		// "export" + blanks + "default" is at least 14 bytes, the length
		// of the replacement; pad the rest.
		copy(lx.src[start:], exportDefault)
		blank(lx.src[start+len(exportDefault) : e])
	case kind == tokPunct && (lx.src[s] == '{' || lx.src[s] == '*'):
		if lx.src[s] == '*' {
			lx.blankThroughSpecifier(start)
			return
		}
		lx.skipBraces()
		closeEnd := lx.pos
		save2 := lx.pos
		if fs, fe, k := lx.next(); k == tokIdent && string(lx.src[fs:fe]) == "from" {
			lx.blankThroughSpecifier(start)
			return
		}
		lx.pos = save2
		blank(lx.src[start:closeEnd])
		if s2, e2, k := lx.next(); k == tokPunct && lx.src[s2] == ';' {
			blank(lx.src[s2:e2])
		} else {
			lx.pos = save2
		}
	default:
		blank(lx.src[start:end])
		lx.pos = save
	}
}
