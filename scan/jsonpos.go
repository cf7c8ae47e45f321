package scan

import (
	"bytes"
	"encoding/json"
	"errors"
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

// at returns the 1-based line and byte column of the key of ptr if it has
// one, else of its value; 0, 0 when ptr is not in the document.
func (idx *jsonIndex) at(raw []byte, ptr string) (line, col int) {
	if idx == nil {
		return 0, 0
	}
	off, ok := idx.keys[ptr]
	if !ok {
		off, ok = idx.values[ptr]
	}
	if !ok {
		return 0, 0
	}
	return offsetPosition(raw, int64(off))
}

// valueAt is like at but prefers the value, for findings about what a
// member says rather than that it exists.
func (idx *jsonIndex) valueAt(raw []byte, ptr string) (line, col int) {
	if idx == nil {
		return 0, 0
	}
	if off, ok := idx.values[ptr]; ok {
		return offsetPosition(raw, int64(off))
	}
	return idx.at(raw, ptr)
}

// offsetPosition turns a byte offset into a 1-based line and byte column.
// Columns count bytes, as Go and most editors' "go to" do for UTF-8.
func offsetPosition(raw []byte, off int64) (line, col int) {
	if off < 0 {
		return 0, 0
	}
	if off > int64(len(raw)) {
		off = int64(len(raw))
	}
	before := raw[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// lineAt returns the 1-based line of raw, trimmed, for a snippet.
func lineAt(raw []byte, line int) string {
	if line <= 0 {
		return ""
	}
	for i := 1; i < line; i++ {
		nl := bytes.IndexByte(raw, '\n')
		if nl < 0 {
			return ""
		}
		raw = raw[nl+1:]
	}
	if nl := bytes.IndexByte(raw, '\n'); nl >= 0 {
		raw = raw[:nl]
	}
	if len(raw) > 4*maxSnippet {
		raw = raw[:4*maxSnippet]
	}
	return strings.TrimSpace(string(raw))
}

// jsonErrorOffset is where a decoding error happened, or -1 if unknown. A
// syntax error's offset is just past the offending byte, so step back to it.
func jsonErrorOffset(err error) int64 {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return max(syn.Offset-1, 0)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return typ.Offset
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
