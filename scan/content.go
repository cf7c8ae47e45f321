package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// A text block (a template text or attribute value, a string literal, a
// JSON string) is scored for each lexicon category on its normalised form:
// see content_norm.go for the reading and lexicon.json for the data.

// maxBlockMatches bounds the words looked at in one block, so that a
// hostile megabyte of repeated terms costs a bounded amount of work; a
// block that reaches it has long passed every threshold.
const maxBlockMatches = 512

type blockMatch struct {
	start, end int // in the normalised text
	word       int // index into lexicon.words
	// inner is set when a longer lexicon word holds this one: its weight
	// is the longer word's, but it may still stand in a combination
	// (quick loan ... 当天到账).
	inner bool
}

// contentScratch is what one scan reuses from block to block.
type contentScratch struct {
	norm    normText
	matches []blockMatch
	hits    map[string]bool // file, rule and terms already reported
}

// categoryScore is what one block scored for one category.
type categoryScore struct {
	cat, score int
	terms      []string // the words that scored, in the order found
	first      int      // normalised offset of the first of them
}

// scoreBlock finds the lexicon's words in the normalised text n and scores
// each category; it returns the categories that reach their threshold.
func scoreBlock(n *normText, matches []blockMatch) ([]blockMatch, []categoryScore) {
	matches = findWords(n.text, matches[:0])
	if len(matches) == 0 {
		return matches, nil
	}
	var out []categoryScore
	var involved uint64 // categories some match plays a part in
	for _, m := range matches {
		involved |= lexicon.words[m.word].cats
	}
	for ci, c := range lexicon.categories {
		if involved&(1<<ci) == 0 {
			continue
		}
		cs := categoryScore{cat: ci, first: -1}
		seen := map[int]bool{}
		note := func(m blockMatch) {
			if cs.first < 0 || m.start < cs.first {
				cs.first = m.start
			}
			if !seen[m.word] {
				seen[m.word] = true
				cs.terms = append(cs.terms, lexicon.words[m.word].word)
			}
		}
		weighted := map[int]bool{}
		for _, m := range matches {
			for _, t := range lexicon.words[m.word].terms {
				if t.cat == ci && !m.inner && !weighted[m.word] {
					weighted[m.word] = true
					cs.score += t.weight
					note(m)
				}
			}
		}
		for k, combo := range c.combos {
			if a, b, ok := comboPair(n.text, matches, ci, k, combo.Window); ok {
				cs.score += combo.Weight
				note(a)
				note(b)
			}
		}
		if cs.score >= c.threshold {
			out = append(out, cs)
		}
	}
	return matches, out
}

// findWords lists the lexicon words in text that count: whole words for
// Latin ones, not inside a longer lexicon word, and not overlapping an
// ordinary word that reaches past them (以下注意 holds 下注 across 以下
// and 注意, so it is no bet).
func findWords(text []byte, out []blockMatch) []blockMatch {
	lexicon.trie.Walk(text, func(end, n, pattern int64) bool {
		m := blockMatch{start: int(end - n + 1), end: int(end + 1), word: int(pattern)}
		w := &lexicon.words[m.word]
		if (w.latinAt[0] && m.start > 0 && latinByte(text[m.start-1])) ||
			(w.latinAt[1] && m.end < len(text) && latinByte(text[m.end])) {
			return true
		}
		out = append(out, m)
		return len(out) < maxBlockMatches
	})
	kept := out[:0]
	for i, m := range out {
		if lexicon.words[m.word].ordinary {
			continue
		}
		var gone bool
		if m.inner, gone = shadowed(out, i); !gone {
			kept = append(kept, m)
		}
	}
	return kept
}

// shadowed reports a match that an ordinary word overlapping it and not
// inside it makes no hit (gone), or that a longer lexicon word holds
// (inner).
func shadowed(all []blockMatch, i int) (inner, gone bool) {
	m := all[i]
	for j, o := range all {
		if j == i || o.end <= m.start || o.start >= m.end {
			continue
		}
		inside := o.start >= m.start && o.end <= m.end
		if lexicon.words[o.word].ordinary {
			if !inside {
				return false, true
			}
			continue
		}
		if o.start <= m.start && o.end >= m.end && o.end-o.start > m.end-m.start {
			inner = true
		}
	}
	return inner, false
}

// comboPair finds a word of combination k's first side within window
// characters of a word of its second side.
func comboPair(text []byte, matches []blockMatch, cat, k, window int) (blockMatch, blockMatch, bool) {
	for _, a := range matches {
		if !hasSide(a.word, cat, k, false) {
			continue
		}
		for _, b := range matches {
			if b == a || !hasSide(b.word, cat, k, true) {
				continue
			}
			lo, hi := a.end, b.start
			if b.end <= a.start {
				lo, hi = b.end, a.start
			}
			if hi < lo || utf8.RuneCount(text[lo:hi]) <= window {
				return a, b, true
			}
		}
	}
	return blockMatch{}, blockMatch{}, false
}

func hasSide(word, cat, k int, near bool) bool {
	for _, s := range lexicon.words[word].sides {
		if s.cat == cat && s.combo == k && s.near == near {
			return true
		}
	}
	return false
}

// contentText scores one text block that starts at byte offset base of
// file e. exact says the block is the file's bytes from base on (no
// escapes were read), so offsets inside it are offsets in the file;
// otherwise findings point at base. Each category is reported once per
// file and set of terms: the reviewer needs to know it is there, not
// every repetition.
func (s *state) contentText(e *entry, t *text, base int, exact bool, value string) {
	if len(value) < 2 {
		return
	}
	c := s.content()
	c.norm.normalise(value)
	var scores []categoryScore
	c.matches, scores = scoreBlock(&c.norm, c.matches)
	for _, cs := range scores {
		cat := lexicon.categories[cs.cat]
		terms := slices.Clone(cs.terms)
		slices.Sort(terms)
		key := e.clean + "\x00" + cat.rule.ID + "\x00" + strings.Join(terms, "\x00")
		if c.hits[key] {
			continue
		}
		c.hits[key] = true
		at := base
		if exact {
			at += c.norm.origAt(cs.first)
		}
		line, col := t.position(at)
		ev := &ContentEvidence{Category: cat.name, Score: cs.score, Threshold: cat.threshold, Terms: cs.terms,
			Normalised: excerpt(c.norm.text, cs.first), Lexicon: lexicon.version}
		s.add(cat.rule, hit{
			file: e.name, line: line, column: col, snippet: t.line(line),
			detail: fmt.Sprintf("%s, score %d of %d: %s (read as %q)", cat.name, cs.score, cat.threshold,
				strings.Join(cs.terms, ", "), ev.Normalised),
			match: "content:" + strings.Join(terms, ","), content: ev,
		})
	}
}

func (s *state) content() *contentScratch {
	if s.contentBuf == nil {
		s.contentBuf = &contentScratch{hits: map[string]bool{}}
	}
	return s.contentBuf
}

// excerpt is up to maxExcerpt characters of the normalised text from a
// little before from, for the evidence.
func excerpt(text []byte, from int) string {
	const before, maxExcerpt = 8, 60
	start := from
	for k := 0; k < before && start > 0; k++ {
		_, size := utf8.DecodeLastRune(text[:start])
		start -= size
	}
	end := start
	for k := 0; k < maxExcerpt && end < len(text); k++ {
		_, size := utf8.DecodeRune(text[end:])
		end += size
	}
	return strings.ToValidUTF8(string(text[start:end]), "")
}

// mayHoldWord reports whether a whole file, normalised as one block,
// holds some lexicon word that is not ordinary. A block of the file reads
// as a part of that (the file only has more separators between Chinese
// characters to drop), so a file without any word has no block with one,
// and the blocks need not be cut out and decoded. Most files of a
// package are such files.
func (s *state) mayHoldWord(data []byte) bool {
	c := s.content()
	if !asciiBytes(data) {
		c.norm.normalise(string(data))
	} else {
		c.norm.text = append(c.norm.text[:0], data...)
		for i, b := range c.norm.text {
			if 'A' <= b && b <= 'Z' {
				c.norm.text[i] = b + 'a' - 'A'
			}
		}
	}
	found := false
	text := c.norm.text
	lexicon.trie.Walk(text, func(end, n, pattern int64) bool {
		start, stop := int(end-n+1), int(end+1)
		w := &lexicon.words[pattern]
		if w.ordinary || (w.latinAt[0] && start > 0 && latinByte(text[start-1])) ||
			(w.latinAt[1] && stop < len(text) && latinByte(text[stop])) {
			return true
		}
		found = true
		return false
	})
	return found
}

func asciiBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// mayReport reports whether a text, as a block of its own, would give a
// CONTENT finding. The lexical read of scripts asks it about property
// names, which only the parser turns into string literals.
func mayReport(value []byte) bool {
	n := normTexts.Get().(*normText)
	defer normTexts.Put(n)
	n.normaliseBytes(value)
	_, scores := scoreBlock(n, nil)
	return len(scores) > 0
}

// normTexts serve mayReport, which the lexical read of scripts calls
// without a scan's state at hand.
var normTexts = sync.Pool{New: func() any { return new(normText) }}

// contentTemplate scores a template's blocks: the text between tags and
// every quoted attribute value, all shown to users in some form.
// Comments are not shown and are skipped.
func (s *state) contentTemplate(e *entry) {
	if !s.mayHoldWord(e.data) {
		return
	}
	t := newText(e.data)
	templateBlocks(e.data, func(start, end int) {
		s.contentText(e, t, start, true, string(e.data[start:end]))
	})
}

var commentOpen, commentClose = []byte("<!--"), []byte("-->")

// templateBlocks calls fn with the byte range of each text run and each
// quoted attribute value of a template.
func templateBlocks(src []byte, fn func(start, end int)) {
	text := 0
	for i := 0; i < len(src); {
		if src[i] != '<' {
			i++
			continue
		}
		if i > text {
			fn(text, i)
		}
		if bytes.HasPrefix(src[i:], commentOpen) {
			end := bytes.Index(src[i+4:], commentClose)
			if end < 0 {
				return
			}
			i += 4 + end + 3
			text = i
			continue
		}
		// Inside a tag: its quoted values are blocks, up to the closing '>'.
		i++
		for i < len(src) && src[i] != '>' {
			if q := src[i]; q == '"' || q == '\'' {
				close := bytes.IndexByte(src[i+1:], q)
				if close < 0 {
					return
				}
				fn(i+1, i+1+close)
				i += close + 2
				continue
			}
			i++
		}
		i++
		text = i
	}
	if text < len(src) {
		fn(text, len(src))
	}
}

// contentJSON scores the string values of a JSON file (page titles, tab
// labels, configuration shown to users); keys are names, not text. A file
// that is not JSON is left to the rules that read it.
func (s *state) contentJSON(e *entry) {
	if !s.mayHoldWord(e.data) {
		return
	}
	var t *text
	jsonStrings(e.data, func(start int, exact bool, value string) {
		if t == nil {
			t = newText(e.data)
		}
		s.contentText(e, t, start, exact, value)
	})
}

// jsonStrings calls fn with each string value of a JSON document: where
// its text starts (past the quote), whether the text is the source's bytes
// (no escapes), and the text. It stops at the first syntax error.
func jsonStrings(data []byte, fn func(start int, exact bool, value string)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct{ object, key bool }
	var stack []frame
	for {
		start := tokenStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return
		}
		isKey := false
		if k := len(stack) - 1; k >= 0 && stack[k].object {
			isKey = stack[k].key
			if d, ok := tok.(json.Delim); !ok || (d != '}' && d != ']') {
				stack[k].key = !stack[k].key // a key, then its value
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, key: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey || len(v) < 2 {
				continue
			}
			// Every escape is longer than what it stands for, so a
			// string as long as its source has none.
			end := int(dec.InputOffset())
			fn(start+1, end-start == len(v)+2, v)
		}
	}
}
