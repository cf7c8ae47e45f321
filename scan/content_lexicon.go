package scan

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// CONTENT rules come from data: lexicon.json lists, per category, the rule
// it reports as, weighted terms and slang, combinations of words near each
// other, and the score a text block must reach. Compliance changes the
// data without touching code (docs/content-lexicon.md); a category's rule
// ID never changes once published.
//
//go:embed lexicon.json
var lexiconJSON []byte

type lexCombo struct {
	Any    []string `json:"any"`
	Near   []string `json:"near"`
	Window int      `json:"window"`
	Weight int      `json:"weight"`
}

type lexCategoryDoc struct {
	Rule          string         `json:"rule"`
	Name          string         `json:"name"`
	Message       string         `json:"message"`
	MessageZH     string         `json:"message_zh"`
	Remediation   string         `json:"remediation"`
	RemediationZH string         `json:"remediation_zh"`
	Why           string         `json:"why"`
	Threshold     int            `json:"threshold"`
	Terms         map[string]int `json:"terms"`
	Slang         map[string]int `json:"slang"`
	Combos        []lexCombo     `json:"combos"`
}

// ContentCategory is one category of the CONTENT lexicon as compliance
// sees it: `trustgate scan --rules` and docs/rules.md list them.
type ContentCategory struct {
	Rule          string `json:"rule"`
	Name          string `json:"name"`
	MessageZH     string `json:"message_zh"`
	RemediationZH string `json:"remediation_zh"`
	Threshold     int    `json:"threshold"`
	Terms         int    `json:"terms"`
	Slang         int    `json:"slang"`
	Combos        int    `json:"combos"`
}

// lexWord is one normalised word of the lexicon with every part it plays:
// a term or slang of some categories, a side of some combinations, or an
// ordinary word that shadows the terms it overlaps.
type lexWord struct {
	word     string
	ordinary bool
	latinAt  [2]bool // starts, ends with a Latin letter or digit: matched as a whole word
	terms    []lexWeight
	sides    []lexSide
	cats     uint64 // bit i: the word plays a part in category i
}

type lexWeight struct {
	cat, weight int
	slang       bool
}

type lexSide struct {
	cat, combo int
	near       bool
}

type lexCategory struct {
	rule      Rule
	name      string
	threshold int
	combos    []lexCombo
}

type lexiconData struct {
	version    string
	categories []lexCategory
	public     []ContentCategory
	words      []lexWord
	trie       *ahocorasick.Trie
}

// lexicon is loaded and its rules registered before any scan can run; a
// broken lexicon is a build defect, so it panics like a duplicate rule ID.
var lexicon = loadLexicon(lexiconJSON)

func loadLexicon(raw []byte) *lexiconData {
	var doc struct {
		Version    string           `json:"version"`
		Ordinary   []string         `json:"ordinary"`
		Categories []lexCategoryDoc `json:"categories"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(fmt.Sprintf("scan: lexicon.json: %v", err))
	}
	lx := &lexiconData{version: doc.Version}
	index := map[string]int{}
	word := func(w, where string) *lexWord {
		n := normaliseString(strings.TrimSpace(w))
		if n == "" {
			panic("scan: lexicon.json: empty word in " + where)
		}
		i, ok := index[n]
		if !ok {
			i = len(lx.words)
			index[n] = i
			lx.words = append(lx.words, lexWord{word: n, latinAt: [2]bool{latinByte(n[0]), latinByte(n[len(n)-1])}})
		}
		return &lx.words[i]
	}
	for _, w := range doc.Ordinary {
		word(w, "ordinary").ordinary = true
	}
	for ci, c := range doc.Categories {
		if c.Threshold <= 0 {
			panic("scan: lexicon.json: category " + c.Name + " has no threshold")
		}
		if c.MessageZH == "" || c.RemediationZH == "" {
			// The catalogue is shown in both languages.
			panic("scan: lexicon.json: category " + c.Name + " has no Chinese message or remediation")
		}
		r := register(Rule{ID: c.Rule, Severity: SeverityLow, Message: c.Message, Remediation: c.Remediation, Why: c.Why})
		lx.categories = append(lx.categories, lexCategory{rule: r, name: c.Name, threshold: c.Threshold, combos: c.Combos})
		lx.public = append(lx.public, ContentCategory{Rule: c.Rule, Name: c.Name, MessageZH: c.MessageZH, RemediationZH: c.RemediationZH,
			Threshold: c.Threshold, Terms: len(c.Terms), Slang: len(c.Slang), Combos: len(c.Combos)})
		for _, set := range []struct {
			terms map[string]int
			slang bool
		}{{c.Terms, false}, {c.Slang, true}} {
			for t, weight := range set.terms {
				w := word(t, c.Name)
				w.terms = append(w.terms, lexWeight{cat: ci, weight: weight, slang: set.slang})
			}
		}
		for k, combo := range c.Combos {
			if combo.Window <= 0 || combo.Weight <= 0 || len(combo.Any) == 0 || len(combo.Near) == 0 {
				panic(fmt.Sprintf("scan: lexicon.json: combination %d of %s needs words on both sides, a window and a weight", k, c.Name))
			}
			for _, a := range combo.Any {
				w := word(a, c.Name)
				w.sides = append(w.sides, lexSide{cat: ci, combo: k})
			}
			for _, b := range combo.Near {
				w := word(b, c.Name)
				w.sides = append(w.sides, lexSide{cat: ci, combo: k, near: true})
			}
		}
	}
	if len(lx.categories) > 64 {
		panic("scan: lexicon.json: more than 64 categories")
	}
	words := make([]string, len(lx.words))
	for i, w := range lx.words {
		words[i] = w.word
		for _, t := range w.terms {
			lx.words[i].cats |= 1 << t.cat
		}
		for _, sd := range w.sides {
			lx.words[i].cats |= 1 << sd.cat
		}
	}
	lx.trie = ahocorasick.NewTrieBuilder().AddStrings(words).Build()
	return lx
}

// ContentCategories lists the lexicon's categories with their sizes,
// sorted by rule ID.
func ContentCategories() []ContentCategory {
	out := append([]ContentCategory(nil), lexicon.public...)
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// LexiconVersion is the version compliance gave the lexicon; it changes
// with every change of the data.
func LexiconVersion() string { return lexicon.version }

func latinByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}
