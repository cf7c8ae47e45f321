package scan

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// CONTENT rules come from data: lexicon.json lists, per category, the rule
// it reports as and the terms. Compliance can extend the terms without
// touching code; a category's rule ID never changes once published.
//
//go:embed lexicon.json
var lexiconJSON []byte

type lexCategory struct {
	Rule        string   `json:"rule"`
	Name        string   `json:"name"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	Why         string   `json:"why"`
	Terms       []string `json:"terms"`
}

type lexTerm struct {
	term  string // lower case
	ascii bool   // matched as a whole word
	rule  Rule
	name  string
}

// lexicon is loaded and its rules registered before any scan can run; a
// broken lexicon is a build defect, so it panics like a duplicate rule ID.
var lexicon = loadLexicon(lexiconJSON)

func loadLexicon(raw []byte) []lexTerm {
	var doc struct {
		Categories []lexCategory `json:"categories"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(fmt.Sprintf("scan: lexicon.json: %v", err))
	}
	var terms []lexTerm
	for _, c := range doc.Categories {
		r := register(Rule{ID: c.Rule, Severity: SeverityLow, Message: c.Message, Remediation: c.Remediation, Why: c.Why})
		for _, t := range c.Terms {
			lt := strings.ToLower(strings.TrimSpace(t))
			if lt == "" {
				panic("scan: lexicon.json: empty term in " + c.Name)
			}
			terms = append(terms, lexTerm{term: lt, ascii: isASCII(lt), rule: r, name: c.Name})
		}
	}
	return terms
}

// lexTrie finds any lexicon term in one pass. Every string literal of
// every script comes here and nearly none holds a term, so one pass over
// the literal replaces a search per term.
var lexTrie = func() *ahocorasick.Trie {
	terms := make([]string, len(lexicon))
	for i, lt := range lexicon {
		terms[i] = lt.term
	}
	return ahocorasick.NewTrieBuilder().AddStrings(terms).Build()
}()

// mayHoldTerm reports whether lower holds some term, word boundaries
// aside, which the search per term then checks.
func (s *state) mayHoldTerm(lower string) bool {
	s.lexBuf = append(s.lexBuf[:0], lower...)
	found := false
	lexTrie.Walk(s.lexBuf, func(_, _, _ int64) bool {
		found = true
		return false
	})
	return found
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// contentText looks for lexicon terms in one piece of text that starts at
// byte offset off of file e. Each term is reported once per file: the
// reviewer needs to know it is there, not every repetition.
func (s *state) contentText(e *entry, t *text, off int, value string) {
	if len(value) < 2 {
		return
	}
	lower := strings.ToLower(value)
	if !s.mayHoldTerm(lower) {
		return
	}
	for _, lt := range lexicon {
		i := indexTerm(lower, lt)
		if i < 0 {
			continue
		}
		key := e.clean + "\x00" + lt.term
		if s.lexHits == nil {
			s.lexHits = map[string]bool{}
		}
		if s.lexHits[key] {
			continue
		}
		s.lexHits[key] = true
		at := off
		if len(lower) == len(value) {
			at += i // offsets agree when lowering kept every byte
		}
		line, col := t.position(at)
		s.add(lt.rule, hit{
			file: e.name, line: line, column: col, snippet: t.line(line),
			detail: fmt.Sprintf("%s: %q", lt.name, lt.term), match: lt.term,
		})
	}
}

// indexTerm finds term in lower, as a whole word for English terms so
// that "roulette" does not match inside an unrelated identifier.
func indexTerm(lower string, lt lexTerm) int {
	from := 0
	for {
		i := strings.Index(lower[from:], lt.term)
		if i < 0 {
			return -1
		}
		i += from
		if !lt.ascii || (!wordByte(lower, i-1) && !wordByte(lower, i+len(lt.term))) {
			return i
		}
		from = i + 1
	}
}

func wordByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

// contentTemplate searches a whole template: text, attributes and bindings
// are all shown to users in some form.
func (s *state) contentTemplate(e *entry) {
	s.contentText(e, newText(e.data), 0, string(e.data))
}
