package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// jsonIndex maps JSON pointers (RFC 6901) to the byte offsets of the values
// they name, and of their keys for object members. Findings about a
// manifest point at the exact declaration this way, where searching the
// text for a string would find the first of several equal values.
type jsonIndex struct {
	values map[string]int
	keys   map[string]int
}

// indexJSON indexes a document that json.Unmarshal already accepted, so its
// depth is bounded and its tokens are well formed.
func indexJSON(raw []byte) *jsonIndex {
	idx := &jsonIndex{values: map[string]int{}, keys: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = idx.walk(dec, raw, "")
	return idx
}

func (idx *jsonIndex) walk(dec *json.Decoder, raw []byte, ptr string) error {
	start := tokenStart(raw, dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	idx.values[ptr] = start
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			keyStart := tokenStart(raw, dec.InputOffset())
			key, err := dec.Token()
			if err != nil {
				return err
			}
			name, ok := key.(string)
			if !ok {
				return errors.New("object key is not a string")
			}
			member := ptr + "/" + escapePointer(name)
			idx.keys[member] = keyStart
			if err := idx.walk(dec, raw, member); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := idx.walk(dec, raw, ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// tokenStart skips what the decoder skips between tokens.
func tokenStart(raw []byte, off int64) int {
	i := int(off)
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// at returns the offset of the key of ptr if it has one, else of its value;
// false when ptr is not in the document.
func (idx *jsonIndex) at(ptr string) (int, bool) {
	if off, ok := idx.keys[ptr]; ok {
		return off, true
	}
	off, ok := idx.values[ptr]
	return off, ok
}

// valueAt is like at but prefers the value, for findings about what a
// member says rather than that it exists.
func (idx *jsonIndex) valueAt(ptr string) (int, bool) {
	if off, ok := idx.values[ptr]; ok {
		return off, true
	}
	return idx.at(ptr)
}

// text is a file with its line starts, so that turning an offset into a
// position costs a binary search however many findings point into it.
type text struct {
	raw   []byte
	lines []int // offset where each line starts
}

func newText(raw []byte) *text {
	t := &text{raw: raw, lines: []int{0}}
	for i, c := range raw {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// position turns a byte offset into a 1-based line and byte column. Columns
// count bytes, as Go and most editors' "go to" do for UTF-8.
func (t *text) position(off int) (line, col int) {
	if off < 0 {
		return 0, 0
	}
	off = min(off, len(t.raw))
	i := sort.SearchInts(t.lines, off+1) - 1
	return i + 1, off - t.lines[i] + 1
}

// line returns the 1-based line, trimmed and bounded, for a snippet.
func (t *text) line(n int) string {
	if n <= 0 || n > len(t.lines) {
		return ""
	}
	end := len(t.raw)
	if n < len(t.lines) {
		end = t.lines[n] - 1
	}
	raw := t.raw[t.lines[n-1]:end]
	if len(raw) > 4*maxSnippet {
		raw = raw[:4*maxSnippet]
	}
	return strings.TrimSpace(string(raw))
}

// errorHit places a JSON decoding error of the file e.
func errorHit(e *entry, raw []byte, err error) hit {
	t := newText(raw)
	line, col := t.position(jsonErrorOffset(err))
	return hit{file: e.name, line: line, column: col, snippet: t.line(line), detail: err.Error(), match: "invalid"}
}

// jsonErrorOffset is where a decoding error happened, or -1 if unknown. A
// syntax error's offset is just past the offending byte, so step back to it.
func jsonErrorOffset(err error) int {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return int(max(syn.Offset-1, 0))
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return int(typ.Offset)
	}
	return -1
}

// withoutBOM blanks a UTF-8 byte order mark, which editors on Windows add
// and the platforms' tools accept, keeping byte offsets unchanged.
func withoutBOM(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return b
	}
	c := bytes.Clone(b)
	copy(c, "   ")
	return c
}
