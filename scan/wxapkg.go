package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// A built WeChat package (.wxapkg), as the developer tools upload it and
// the public unpackers read it, all integers big-endian:
//
//	0      1 byte   0xBE
//	1      4 bytes  unused (zero)
//	5      4 bytes  index length, from offset 14
//	9      4 bytes  body length, after the index
//	13     1 byte   0xED
//	14     4 bytes  file count
//	18     per file: 4-byte name length, the name ("/app-service.js"),
//	       4-byte offset from the start of the package, 4-byte size
//
// then the bodies, stored uncompressed. Nothing in the index is trusted:
// every length is held to the bytes there are before anything is sized
// from it, so a count in the millions or a size of 4 GB costs nothing.
const (
	wxapkgHeaderBytes = 14
	wxapkgFirstMark   = 0xBE
	wxapkgLastMark    = 0xED
	wxapkgEntryFixed  = 12 // name length, offset, size
)

// isWxapkg reports whether b starts with a built package's header.
func isWxapkg(b []byte) bool {
	return len(b) >= wxapkgHeaderBytes && b[0] == wxapkgFirstMark && b[13] == wxapkgLastMark
}

// wxEntry is one row of a built package's index.
type wxEntry struct {
	i        int
	name     string // as stored
	off, len uint64
	bad      bool // refused by an index check; listed, never read
}

// readWxapkg lists and reads the built package of size bytes at ra into
// the reader's archive. dir is the zip folder holding it ("" at the top)
// and container its zip entry name, which findings about the index name.
// The error is only for our own faults.
func (rd *reader) readWxapkg(ra io.ReaderAt, size int64, dir, container string) error {
	where := container
	if where == "" {
		where = "(package index)"
	}
	broken := func(detail string) {
		rd.findings = append(rd.findings, rulePkgCorrupt.finding(hit{
			file: container, detail: "built package: " + detail, match: where + ":" + detail,
		}))
	}
	head := make([]byte, wxapkgHeaderBytes+4)
	if n, _ := ra.ReadAt(head, 0); n < len(head) {
		rd.a.truncated = true
		broken("shorter than its header")
		return rd.raErr()
	}
	indexLen := uint64(binary.BigEndian.Uint32(head[5:]))
	bodyLen := uint64(binary.BigEndian.Uint32(head[9:]))
	count := uint64(binary.BigEndian.Uint32(head[14:]))
	maxIndex := uint64(4 + rd.lim.MaxEntries*(wxapkgEntryFixed+maxNameBytes))
	switch {
	case count > uint64(rd.lim.MaxEntries):
		rd.a.truncated = true
		rd.findings = append(rd.findings, rulePkgTooManyEntries.finding(hit{
			file: container, detail: fmt.Sprintf("built package lists %d files, limit %d", count, rd.lim.MaxEntries), match: where,
		}))
		return nil
	case indexLen < 4 || wxapkgHeaderBytes+indexLen > uint64(size):
		rd.a.truncated = true
		broken(fmt.Sprintf("index of %d bytes does not fit in %d bytes", indexLen, size))
		return nil
	case indexLen > maxIndex:
		rd.a.truncated = true
		broken(fmt.Sprintf("index of %d bytes is larger than %d files could need", indexLen, rd.lim.MaxEntries))
		return nil
	case count*wxapkgEntryFixed > indexLen-4:
		rd.a.truncated = true
		broken(fmt.Sprintf("%d files cannot fit in an index of %d bytes", count, indexLen))
		return nil
	}
	if wxapkgHeaderBytes+indexLen+bodyLen > uint64(size) {
		broken(fmt.Sprintf("declares %d bytes of bodies, has %d", bodyLen, uint64(size)-wxapkgHeaderBytes-indexLen))
	}
	index := make([]byte, indexLen)
	if _, err := ra.ReadAt(index, wxapkgHeaderBytes); err != nil && !(err == io.EOF) {
		if e := rd.raErr(); e != nil {
			return e
		}
		rd.a.truncated = true
		broken("index cannot be read")
		return nil
	}
	entries, ok := parseWxIndex(index[4:], int(count))
	if !ok {
		rd.a.truncated = true
		broken("index ends inside a file's record")
		return nil
	}
	bodyStart := wxapkgHeaderBytes + indexLen
	rd.checkWxRanges(entries, bodyStart, uint64(size), dir)
	for k := range entries {
		if err := rd.ctx.Err(); err != nil {
			return fmt.Errorf("read built package: %w", err)
		}
		if err := rd.readWxEntry(ra, &entries[k], dir); err != nil {
			return err
		}
	}
	return nil
}

func (rd *reader) raErr() error {
	if rd.ra.err != nil {
		return fmt.Errorf("read built package: %w", rd.ra.err)
	}
	return nil
}

// parseWxIndex reads count records from the index; false when a record
// runs past its end.
func parseWxIndex(b []byte, count int) ([]wxEntry, bool) {
	out := make([]wxEntry, 0, count)
	for i := 0; i < count; i++ {
		if len(b) < 4 {
			return nil, false
		}
		n := uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n+8 > uint64(len(b)) {
			return nil, false
		}
		name := string(b[:n])
		b = b[n:]
		out = append(out, wxEntry{
			i: i, name: name,
			off: uint64(binary.BigEndian.Uint32(b)), len: uint64(binary.BigEndian.Uint32(b[4:])),
		})
		b = b[8:]
	}
	return out, true
}

// shownName is a built file's name as findings and the file browser show
// it: below the zip folder it came from, without the index's leading "/".
func shownName(dir, stored string) string {
	return dir + strings.TrimPrefix(stored, "/")
}

// checkWxRanges refuses bodies that lie outside the package, inside the
// header or index, or over another file's body: the tools write them one
// after the other, and overlapping bodies would let one byte range be
// reviewed as one file and run as another.
func (rd *reader) checkWxRanges(entries []wxEntry, bodyStart, size uint64, dir string) {
	order := make([]*wxEntry, 0, len(entries))
	for k := range entries {
		e := &entries[k]
		switch {
		case e.off+e.len > size:
			e.bad = true
			rd.add(rulePkgCorrupt, shownName(dir, e.name), e.i, fmt.Sprintf("body at %d of %d bytes runs past the end (%d bytes)", e.off, e.len, size))
		case e.off < bodyStart && e.len > 0:
			e.bad = true
			rd.add(rulePkgCorrupt, shownName(dir, e.name), e.i, fmt.Sprintf("body at %d lies inside the index", e.off))
		case e.len > 0:
			order = append(order, e)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a].off < order[b].off })
	var end uint64
	var last *wxEntry
	for _, e := range order {
		if last != nil && e.off < end {
			e.bad = true
			rd.add(rulePkgCorrupt, shownName(dir, e.name), e.i, fmt.Sprintf("body overlaps the body of %q", printable(last.name, maxSnippet)))
			continue
		}
		end, last = e.off+e.len, e
	}
}

// readWxEntry checks one file's name and reads its body under the limits.
// Bodies are stored, not compressed, so the declared size is the size read;
// it was already held to the package's own length.
func (rd *reader) readWxEntry(ra io.ReaderAt, w *wxEntry, dir string) error {
	stored := strings.TrimPrefix(w.name, "/")
	shown := shownName(dir, w.name)
	if r, detail, bad := nameProblem(stored); bad {
		rd.add(r, shown, w.i, detail)
		return nil
	}
	e := rd.place(dir+stored, shown, w.i, w.len, strings.HasSuffix(stored, "/"))
	if e == nil || w.bad || rd.full {
		return nil
	}
	lim := rd.lim
	if w.len > uint64(lim.MaxFileBytes) {
		rd.add(rulePkgTooLarge, shown, w.i, fmt.Sprintf("file declares %d bytes, limit per file %d", w.len, lim.MaxFileBytes))
		return nil
	}
	rd.declared += w.len
	if rd.declared > uint64(lim.MaxUnpackedBytes) || rd.a.unpacked+int64(w.len) > lim.MaxUnpackedBytes {
		rd.full = true
		rd.add(rulePkgTooLarge, shown, w.i, fmt.Sprintf("files declare more than %d bytes in total", lim.MaxUnpackedBytes))
		return nil
	}
	data := make([]byte, w.len)
	if _, err := ra.ReadAt(data, int64(w.off)); err != nil && !(err == io.EOF && len(data) == 0) {
		if e := rd.raErr(); e != nil {
			return e
		}
		rd.add(rulePkgCorrupt, shown, w.i, "body cannot be read")
		return nil
	}
	rd.a.unpacked += int64(len(data))
	e.data, e.read = data, true
	return nil
}

// expandWxapkgs replaces every zip entry that holds a built package (told
// by its bytes) with the files it holds, placed in the entry's folder: a
// main package and its sub-packages uploaded in one zip become one tree,
// each sub-package's files under the root its own index names. Only this
// one level is opened; a built package inside a built package is a nested
// archive (PKG-010).
func (rd *reader) expandWxapkgs() error {
	var kept, built []*entry
	for _, e := range rd.a.files {
		if e.read && isWxapkg(e.data) {
			built = append(built, e)
		} else {
			kept = append(kept, e)
		}
	}
	if len(built) == 0 {
		return nil
	}
	rd.a.files = kept
	gone := map[string]bool{}
	for _, e := range built {
		delete(rd.a.byPath, e.clean)
		gone[e.clean] = true
	}
	names := rd.a.names[:0:0]
	for _, n := range rd.a.names {
		if !gone[n] {
			names = append(names, n)
		}
	}
	rd.a.names = names
	for _, e := range built {
		data := e.data
		e.data, e.read = nil, false
		// Its bytes are counted again as the files inside are read.
		rd.a.unpacked -= int64(len(data))
		rd.declared -= min(rd.declared, uint64(len(data)))
		dir := path.Dir(e.clean) + "/"
		if dir == "./" {
			dir = ""
		}
		inner := &boundedReaderAt{r: bytes.NewReader(data), size: int64(len(data))}
		if err := rd.readWxapkg(inner, int64(len(data)), dir, e.name); err != nil {
			return err
		}
	}
	return nil
}
