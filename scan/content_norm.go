package scan

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is read the way evaders write it before any term is looked for:
// full-width and other compatibility forms fold to their plain form
// (NFKC), traditional characters to simplified ones, letters to lower
// case; zero-width and formatting characters go, and so do spaces,
// punctuation and symbols next to a Chinese character, so that
// "貸 款\u200b秒·批" reads as 贷款秒批. Every byte of the normalised text
// remembers the byte of the original it came from, so a finding still
// points at the original line and column.

//go:embed t2s.txt
var t2sTable string

// toSimplified maps a traditional character to its simplified form.
var toSimplified = loadT2S(t2sTable)

func loadT2S(table string) map[rune]rune {
	m := map[rune]rune{}
	for n, line := range strings.Split(table, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		trad, simp, ok := strings.Cut(line, " ")
		tr, sr := []rune(trad), []rune(strings.TrimSpace(simp))
		if !ok || len(tr) != len(sr) {
			panic(fmt.Sprintf("scan: t2s.txt line %d: the two runs differ in length", n+1))
		}
		for i, t := range tr {
			if prev, dup := m[t]; dup && prev != sr[i] {
				panic(fmt.Sprintf("scan: t2s.txt line %d: %c maps to both %c and %c", n+1, t, prev, sr[i]))
			}
			if t != sr[i] {
				m[t] = sr[i]
			}
		}
	}
	return m
}

// normText is a normalised block and, for each of its bytes, the offset
// of the original byte it came from. orig is nil when the two agree byte
// for byte (plain lower-case ASCII), which is most string literals.
type normText struct {
	text    []byte
	orig    []int
	origBuf []int // orig's storage, reused
	// pending separators: dropped if the next kept rune or the last one is
	// Chinese, kept otherwise.
	sepText []byte
	sepOrig []int
	lastHan bool
	lastAl  bool // last kept rune is a Latin letter or a digit
	// lastLone: the last kept rune is a letter or digit standing alone,
	// with no letter or digit right before or after it in the original
	// ("U S D T"); nextAl: the rune after the one being read is an ASCII
	// letter or digit.
	lastLone bool
	nextAl   bool
}

// origAt is the original offset of normalised byte i.
func (n *normText) origAt(i int) int {
	if n.orig == nil {
		return i
	}
	if i >= len(n.orig) {
		if len(n.orig) == 0 {
			return 0
		}
		return n.orig[len(n.orig)-1]
	}
	return n.orig[i]
}

// normalise fills n with s read as above. The buffers are reused.
func (n *normText) normalise(s string) {
	n.text, n.orig = n.text[:0], nil
	if asciiOnly(s) {
		// Lowering ASCII keeps every byte where it was.
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			n.text = append(n.text, c)
		}
		return
	}
	n.orig = n.origBuf[:0] // identity no longer holds
	defer func() { n.origBuf = n.orig[:0] }()
	n.sepText, n.sepOrig = n.sepText[:0], n.sepOrig[:0]
	n.lastHan, n.lastAl, n.lastLone = false, false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n.nextAl = nextAlnum(s[i+size:])
		switch {
		case r < utf8.RuneSelf:
			n.rune(unicode.ToLower(r), i)
		case 0x4E00 <= r && r <= 0x9FFF:
			// Unified ideographs are their own NFKC form; only the
			// traditional ones change.
			if simp, ok := toSimplified[r]; ok {
				r = simp
			}
			n.rune(r, i)
		case norm.NFKC.PropertiesString(s[i:i+size]).Decomposition() == nil:
			// No compatibility form; composing with a neighbour (a letter
			// and a combining accent) does not make a word of the lexicon.
			n.rune(fold(r), i)
		default:
			for _, c := range norm.NFKC.String(s[i : i+size]) {
				n.rune(fold(c), i)
			}
		}
		i += size
	}
	n.flushSeparators(false)
}

func fold(r rune) rune {
	if simp, ok := toSimplified[r]; ok {
		return simp
	}
	return unicode.ToLower(r)
}

// asciiOnly reports text of ASCII characters only: it has nothing to fold
// but case, and nothing Chinese to join.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (n *normText) rune(r rune, at int) {
	var han, al bool
	switch {
	case (0x4E00 <= r && r <= 0x9FFF) || (0x3400 <= r && r <= 0x4DBF):
		han = true // the common ideographs, without the table lookups below
	case r < utf8.RuneSelf && (('a' <= r && r <= 'z') || ('0' <= r && r <= '9')):
		al = true
	case invisible(r):
		return
	case separator(r):
		n.sepText = utf8.AppendRune(n.sepText, r)
		for len(n.sepOrig) < len(n.sepText) {
			n.sepOrig = append(n.sepOrig, at)
		}
		return
	default:
		han = unicode.Is(unicode.Han, r)
		al = r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
	}
	// Separators go when they stand between a Chinese character and a
	// Chinese character, letter or digit: "贷 款", "USDT 场外"; and between
	// letters spaced out one by one next to Chinese text: "U S D T 场外".
	// (Text of ASCII only never comes here, so English prose keeps its
	// spaces.)
	lone := al && !(n.lastAl && len(n.sepText) == 0) && !n.nextAl
	n.flushSeparators((n.lastHan && (han || al)) || (han && n.lastAl) || (lone && n.lastLone))
	start := len(n.text)
	n.text = utf8.AppendRune(n.text, r)
	for range len(n.text) - start {
		n.orig = append(n.orig, at)
	}
	n.lastHan, n.lastAl, n.lastLone = han, al, lone
}

// nextAlnum reports whether the next visible rune of s is a Latin letter
// or digit, half- or full-width.
func nextAlnum(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		case invisible(r):
			continue
		default:
			return ('０' <= r && r <= '９') || ('Ａ' <= r && r <= 'Ｚ') || ('ａ' <= r && r <= 'ｚ')
		}
	}
	return false
}

func (n *normText) flushSeparators(drop bool) {
	if !drop {
		n.text = append(n.text, n.sepText...)
		n.orig = append(n.orig, n.sepOrig...)
	}
	n.sepText, n.sepOrig = n.sepText[:0], n.sepOrig[:0]
}

// invisible characters change nothing a user sees: zero-width spaces and
// joiners, the byte-order mark, soft hyphens, variation selectors, and
// controls.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		(unicode.IsControl(r) && !unicode.IsSpace(r))
}

func separator(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// normaliseBytes is normalise for text that is ASCII most of the time, as
// names in scripts are, without copying it into a string first.
func (n *normText) normaliseBytes(b []byte) {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n.normalise(string(b))
			return
		}
	}
	n.text, n.orig = n.text[:0], nil
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		n.text = append(n.text, c)
	}
}

// normaliseString is normalise for callers that want the text only: the
// lexicon's own words go through it so that they are written the way
// the text they are matched against is.
func normaliseString(s string) string {
	var n normText
	n.normalise(s)
	return string(n.text)
}
