package scan

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// The data kinds of the privacy vocabulary, and the words a privacy policy
// uses for each, are data: privacy_lexicon.json. Compliance adds a synonym
// or an exclusion without touching code (docs/privacy.md); a kind's name
// never changes once published, because declarations, flows and policies
// all refer to it.
//
//go:embed privacy_lexicon.json
var privacyLexiconJSON []byte

// PrivacyKind is one data kind of the vocabulary as a developer or a
// reviewer reads it, with the words a privacy policy names it by.
type PrivacyKind struct {
	Kind     string   `json:"kind"`
	Covers   string   `json:"covers"`
	CoversZH string   `json:"covers_zh"`
	ZH       []string `json:"zh"`
	EN       []string `json:"en"`
	// Exclude are longer words that contain a synonym but mean something
	// else ("IP地址", "email address" for address): a synonym overlapping
	// one of them does not count.
	Exclude []string `json:"exclude"`
}

type privacyLexicon struct {
	version string
	kinds   []PrivacyKind
	byName  map[string]int
	terms   []lexTerm // every synonym, normalised
	exclude []lexTerm // every exclusion, normalised
}

// lexTerm is a normalised word of a kind. edgeL/edgeR are set when the
// word starts or ends with a Latin letter or digit: English words match
// whole, so "location" is not found inside "allocation".
type lexTerm struct {
	kind         int
	word         string
	edgeL, edgeR bool
}

var privacyLex = loadPrivacyLexicon(privacyLexiconJSON)

func loadPrivacyLexicon(data []byte) *privacyLexicon {
	var doc struct {
		Version string        `json:"version"`
		Kinds   []PrivacyKind `json:"kinds"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		panic("scan: privacy_lexicon.json: " + err.Error())
	}
	lx := &privacyLexicon{version: doc.Version, kinds: doc.Kinds, byName: map[string]int{}}
	for i, k := range doc.Kinds {
		if k.Kind == "" || k.Covers == "" || k.CoversZH == "" || len(k.ZH) == 0 || len(k.EN) == 0 {
			panic(fmt.Sprintf("scan: privacy_lexicon.json: kind %d (%q) needs a name, what it covers in en and zh, and zh and en words", i, k.Kind))
		}
		if _, dup := lx.byName[k.Kind]; dup {
			panic("scan: privacy_lexicon.json: duplicate kind " + k.Kind)
		}
		lx.byName[k.Kind] = i
		for _, w := range append(append([]string{}, k.ZH...), k.EN...) {
			lx.terms = append(lx.terms, newLexTerm(i, w))
		}
		for _, w := range k.Exclude {
			lx.exclude = append(lx.exclude, newLexTerm(i, w))
		}
	}
	return lx
}

func newLexTerm(kind int, w string) lexTerm {
	n := normaliseString(w)
	if n == "" {
		panic(fmt.Sprintf("scan: privacy_lexicon.json: empty word %q", w))
	}
	return lexTerm{kind: kind, word: n, edgeL: isWordByte(n[0]), edgeR: isWordByte(n[len(n)-1])}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

// PrivacyKinds returns the data kinds of the vocabulary in the lexicon's
// order. Flows, declarations and policies use exactly these names.
func PrivacyKinds() []PrivacyKind {
	out := make([]PrivacyKind, len(privacyLex.kinds))
	copy(out, privacyLex.kinds)
	return out
}

// PrivacyLexiconVersion is the version of privacy_lexicon.json, stored
// with the findings that rest on it.
func PrivacyLexiconVersion() string { return privacyLex.version }

func knownPrivacyKind(kind string) bool {
	_, ok := privacyLex.byName[kind]
	return ok
}

func privacyKindNames() []string {
	out := make([]string, len(privacyLex.kinds))
	for i, k := range privacyLex.kinds {
		out[i] = k.Kind
	}
	return out
}

// Sentence is one sentence of a privacy policy that names a data kind:
// its text as written (trimmed, at most maxSentenceRunes), the byte offset
// where it starts in the policy, its 1-based line, and the longest lexicon
// word of the kind it contains, normalised.
type Sentence struct {
	Text   string `json:"text"`
	Offset int    `json:"offset"`
	Line   int    `json:"line"`
	Term   string `json:"term"`
}

// Bounds on policy reading. A policy is a few pages; past
// MaxPrivacyPolicyBytes the rest is not read, and a kind named in many
// sentences keeps the first maxKindSentences as evidence.
const (
	MaxPrivacyPolicyBytes = 256 << 10
	maxKindSentences      = 5
	maxSentenceRunes      = 300
)

// PolicyKinds reads a privacy policy (zh or en) and returns, for each data
// kind it names, the sentences naming it in order. Sentences end at 。！？；
// and !?; and at a newline, and at "." followed by a space or the end, so
// "e.g." inside a sentence or "api.example.com" do not split it. Text is
// matched as the CONTENT rules read it (full-width, traditional and case
// folded, spaces between Chinese characters dropped); English words match
// whole, and a word overlapping one of the kind's exclusions does not
// count. A mention is not a promise: "we do not collect your location"
// names location too, which is why the sentence is kept as evidence.
func PolicyKinds(text string) map[string][]Sentence {
	if len(text) > MaxPrivacyPolicyBytes {
		cut := MaxPrivacyPolicyBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	out := map[string][]Sentence{}
	var n normText
	found := make([]string, len(privacyLex.kinds)) // per kind: matched word in this sentence
	eachSentence(text, func(start, end, line int) {
		raw := text[start:end]
		n.normalise(strings.Join(strings.Fields(raw), " "))
		norm := string(n.text)
		for i := range found {
			found[i] = ""
		}
		for _, t := range privacyLex.terms {
			// The longest word a sentence matches is the best evidence:
			// 地理位置 rather than 位置.
			if len(t.word) > len(found[t.kind]) && matchTerm(norm, t) {
				found[t.kind] = t.word
			}
		}
		for k, word := range found {
			if word == "" {
				continue
			}
			name := privacyLex.kinds[k].Kind
			if len(out[name]) >= maxKindSentences {
				continue
			}
			out[name] = append(out[name], Sentence{Text: printable(raw, maxSentenceRunes), Offset: start, Line: line, Term: word})
		}
	})
	return out
}

// matchTerm reports an occurrence of t in s that stands as a whole word
// where t has Latin edges and overlaps none of its kind's exclusions.
func matchTerm(s string, t lexTerm) bool {
	for from := 0; from <= len(s)-len(t.word); {
		i := strings.Index(s[from:], t.word)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(t.word)
		whole := (!t.edgeL || i == 0 || !isWordByte(s[i-1])) && (!t.edgeR || end == len(s) || !isWordByte(s[end]))
		if whole && !excluded(s, t.kind, i, end) {
			return true
		}
		from = i + 1
	}
	return false
}

// excluded reports whether [i, end) of s overlaps an exclusion of kind.
func excluded(s string, kind, i, end int) bool {
	for _, x := range privacyLex.exclude {
		if x.kind != kind {
			continue
		}
		// An exclusion overlapping [i, end) starts before end and at most
		// len(x.word) bytes before i.
		lo := max(0, i-len(x.word)+1)
		hi := min(len(s), end+len(x.word)-1)
		for from := lo; from < hi; {
			j := strings.Index(s[from:hi], x.word)
			if j < 0 {
				break
			}
			j += from
			if j < end && j+len(x.word) > i {
				return true
			}
			from = j + 1
		}
	}
	return false
}

// eachSentence calls fn with the byte range and 1-based line of every
// non-blank sentence of text, trimmed of surrounding space.
func eachSentence(text string, fn func(start, end, line int)) {
	line, start, startLine := 1, 0, 1
	emit := func(end int) {
		s, e := start, end
		for s < e {
			r, size := utf8.DecodeRuneInString(text[s:e])
			if !isSpaceRune(r) {
				break
			}
			if r == '\n' {
				startLine++
			}
			s += size
		}
		for e > s {
			r, size := utf8.DecodeLastRuneInString(text[s:e])
			if !isSpaceRune(r) {
				break
			}
			e -= size
		}
		if s < e {
			fn(s, e, startLine)
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		next := i + size
		switch {
		case r == '\n':
			emit(i)
			line++
			start, startLine = next, line
		case strings.ContainsRune("。！？；!?;｡", r):
			emit(next)
			start, startLine = next, line
		case r == '.' || r == '．':
			if next == len(text) || isSpaceRune(rune(text[next])) {
				emit(next)
				start, startLine = next, line
			}
		}
		i = next
	}
	emit(len(text))
}

func isSpaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u3000' || r == '\u00a0'
}

// sortedKinds returns the keys of m in the vocabulary's order.
func sortedKinds[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, aok := privacyLex.byName[out[i]]
		b, bok := privacyLex.byName[out[j]]
		if aok != bok {
			return aok
		}
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}
