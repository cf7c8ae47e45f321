package scan

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// entry is one regular file of the archive that is safe to name: it passed
// the path checks. data is nil when the entry was refused or could not be
// read; it still counts as present so that manifest checks do not report a
// refused file as missing on top of the refusal.
type entry struct {
	name     string // as stored, what a developer finds in their zip
	clean    string // forward slashes, cleaned: the key for lookups
	index    int    // position in the central directory, stable for the same bytes
	declared uint64 // uncompressed size the header claims; never trusted for reading
	data     []byte
	read     bool
	// bundle is the built file (app-service.js, game.js) this module was
	// split from, nil for a file stored as itself. A module's data is its
	// function body, so its line 1 is the line of the body's opening brace.
	bundle *entry
}

// archive is what readArchive could safely take from the zip.
type archive struct {
	files    []*entry
	byPath   map[string]*entry
	names    []string // cleaned names of every safe entry, directories included
	unpacked int64    // decompressed bytes actually read
	// truncated means entries were not even listed, so no check may
	// conclude that a file is missing.
	truncated bool
}

// readPackage reads a package in whichever form it came, told by its bytes
// and never by a file name: a built WeChat package (.wxapkg), or a zip of a
// source project, of an unpacked built package, or of built packages (a main
// package with its sub-packages). Built code is split back into its modules
// before any rule runs (bundle.go).
func readPackage(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*archive, []Finding, error) {
	ra := &boundedReaderAt{r: r, size: size}
	head := make([]byte, wxapkgHeaderBytes)
	n, _ := ra.ReadAt(head, 0)
	if ra.err != nil {
		return nil, nil, fmt.Errorf("read package header: %w", ra.err)
	}
	if !isWxapkg(head[:n]) {
		return readArchive(ctx, r, size, lim)
	}
	a := &archive{byPath: map[string]*entry{}}
	rd := &reader{ctx: ctx, ra: ra, lim: lim, a: a, seen: map[string]string{}}
	if err := rd.readWxapkg(ra, size, "", ""); err != nil {
		return nil, nil, err
	}
	if err := rd.splitBundles(); err != nil {
		return nil, nil, err
	}
	rd.fileFolderClashes()
	return a, rd.findings, nil
}

// readArchive lists and reads the zip under the limits. Hostile properties
// become findings; the error is only for our own faults.
func readArchive(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*archive, []Finding, error) {
	a := &archive{byPath: map[string]*entry{}}
	ra := &boundedReaderAt{r: r, size: size}
	records, err := countDirectoryRecords(ctx, ra, size, lim.MaxEntries)
	if err != nil {
		return nil, nil, fmt.Errorf("count zip entries: %w", err)
	}
	if records > lim.MaxEntries {
		a.truncated = true
		f := rulePkgTooManyEntries.finding(hit{detail: fmt.Sprintf("more than %d entries", lim.MaxEntries)})
		return a, []Finding{f}, nil
	}
	zr, err := zip.NewReader(ra, size)
	if ra.err != nil {
		return nil, nil, fmt.Errorf("read zip directory: %w", ra.err)
	}
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		a.truncated = true
		return a, []Finding{rulePkgCorrupt.finding(hit{detail: err.Error(), match: "directory"})}, nil
	}
	if len(zr.File) > lim.MaxEntries {
		a.truncated = true
		f := rulePkgTooManyEntries.finding(hit{detail: fmt.Sprintf("%d entries, limit %d", len(zr.File), lim.MaxEntries)})
		return a, []Finding{f}, nil
	}
	rd := &reader{ctx: ctx, ra: ra, lim: lim, a: a, seen: map[string]string{}}
	for i, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("read zip entries: %w", err)
		}
		if err := rd.visit(i, f); err != nil {
			return nil, nil, err
		}
	}
	if err := rd.expandWxapkgs(); err != nil {
		return nil, nil, err
	}
	if err := rd.splitBundles(); err != nil {
		return nil, nil, err
	}
	rd.fileFolderClashes()
	return a, rd.findings, nil
}

// countDirectoryRecords counts central directory signatures in the whole
// archive, stopping past limit. zip.NewReader keeps every record it finds in
// memory, trusting no count it could check, so a small archive of bare
// records would cost gigabytes; every record it can parse starts with this
// signature, so the count is an upper bound taken in constant memory.
func countDirectoryRecords(ctx context.Context, ra *boundedReaderAt, size int64, limit int) (int, error) {
	sig := []byte("PK\x01\x02")
	buf := make([]byte, 256<<10)
	count := 0
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := ra.ReadAt(buf, off)
		if ra.err != nil {
			return 0, ra.err
		}
		count += bytes.Count(buf[:n], sig)
		if count > limit || err != nil || int64(n) < int64(len(buf)) {
			return count, nil
		}
		// Step back so a signature across the chunk boundary is seen once.
		off += int64(n) - int64(len(sig)-1)
	}
	return count, nil
}

// fileFolderClashes reports a file whose name is also a folder of another
// entry ("lib" next to "lib/x.js"): unpacking either one fails or replaces
// the other, so what is reviewed would not be what runs. Sorted names find
// the clashes in n log n, whatever the depth of hostile paths.
func (rd *reader) fileFolderClashes() {
	sorted := make([]string, len(rd.a.names))
	for i, name := range rd.a.names {
		sorted[i] = strings.ToLower(name)
	}
	sort.Strings(sorted)
	for _, e := range rd.a.files {
		prefix := strings.ToLower(e.clean) + "/"
		if i := sort.SearchStrings(sorted, prefix); i < len(sorted) && strings.HasPrefix(sorted[i], prefix) {
			rd.findings = append(rd.findings, rulePkgDuplicate.finding(hit{
				file: e.name, snippet: e.name, detail: "a folder has the same name",
				match: fmt.Sprintf("%d:%s", e.index, e.name),
			}))
		}
	}
}

// reader carries the running totals while entries are visited.
type reader struct {
	ctx      context.Context
	ra       *boundedReaderAt
	lim      Limits
	a        *archive
	seen     map[string]string // case-folded clean name -> first name stored
	declared uint64            // sum of header sizes, to refuse early on claims
	full     bool              // the unpacked budget is spent; stop reading contents
	findings []Finding
}

func (rd *reader) add(r Rule, name string, i int, detail string) {
	rd.findings = append(rd.findings, r.finding(hit{
		file: name, snippet: name, detail: detail,
		match: fmt.Sprintf("%d:%s", i, name),
	}))
}

// maxNameBytes is far beyond any real path (Windows tools stop at 260) and
// keeps the work done per name small.
const maxNameBytes = 1024

// nameProblem returns the rule a stored name breaks, whatever holds it: a
// zip entry, a built package's index or a module's define call.
func nameProblem(name string) (Rule, string, bool) {
	switch {
	case len(name) > maxNameBytes:
		return rulePkgCorrupt, fmt.Sprintf("entry name is longer than %d bytes", maxNameBytes), true
	case hasControl(name):
		return rulePkgCorrupt, "entry name contains control characters", true
	case isAbsolute(name):
		return rulePkgAbsolute, "", true
	case hasDotDot(strings.ReplaceAll(name, `\`, "/")):
		return rulePkgTraversal, "", true
	}
	return Rule{}, "", false
}

// place records a file or folder whose name passed nameProblem, refusing
// an empty name and one that collides with an earlier one; shown is the
// name findings use. It returns nil for a folder or a refused name.
func (rd *reader) place(name, shown string, i int, declared uint64, folder bool) *entry {
	slashed := strings.ReplaceAll(name, `\`, "/")
	clean := path.Clean(slashed)
	if clean == "." {
		rd.add(rulePkgCorrupt, shown, i, "entry has an empty name")
		return nil
	}
	fold := strings.ToLower(clean)
	if first, dup := rd.seen[fold]; dup {
		rd.add(rulePkgDuplicate, shown, i, fmt.Sprintf("collides with %q", printable(first, maxSnippet)))
		return nil
	}
	rd.seen[fold] = shown
	rd.a.names = append(rd.a.names, clean)
	if folder {
		return nil
	}
	e := &entry{name: shown, clean: clean, index: i, declared: declared}
	rd.a.files = append(rd.a.files, e)
	rd.a.byPath[clean] = e
	return e
}

// visit checks one entry's name and type, then reads it if it is a file.
func (rd *reader) visit(i int, f *zip.File) error {
	name := f.Name
	if r, detail, bad := nameProblem(name); bad {
		rd.add(r, name, i, detail)
		return nil
	}
	if f.Mode().Type()&^fs.ModeDir != 0 {
		rd.add(rulePkgLink, name, i, "mode "+f.Mode().String())
		return nil
	}
	folder := strings.HasSuffix(strings.ReplaceAll(name, `\`, "/"), "/") || f.Mode().IsDir()
	e := rd.place(name, name, i, f.UncompressedSize64, folder)
	if e == nil {
		return nil
	}
	if f.Flags&0x1 != 0 {
		rd.add(rulePkgEncrypted, name, i, "")
		return nil
	}
	return rd.read(i, f, e)
}

// read decompresses one entry into memory. Header sizes are only used to
// refuse early; the bytes actually produced are what is counted, through a
// LimitReader one byte past the budget so that an overrun is seen without
// ever being buffered.
func (rd *reader) read(i int, f *zip.File, e *entry) error {
	lim := rd.lim
	if rd.full {
		return nil
	}
	if f.UncompressedSize64 > uint64(lim.MaxFileBytes) {
		rd.add(rulePkgTooLarge, f.Name, i, fmt.Sprintf("entry declares %d bytes, limit per file %d", f.UncompressedSize64, lim.MaxFileBytes))
		return nil
	}
	if ratioTooHigh(f.UncompressedSize64, f.CompressedSize64, lim.MaxCompressionRatio) {
		rd.add(rulePkgRatio, f.Name, i, fmt.Sprintf("declares %d bytes from %d", f.UncompressedSize64, f.CompressedSize64))
		return nil
	}
	rd.declared += f.UncompressedSize64
	if rd.declared > uint64(lim.MaxUnpackedBytes) {
		rd.full = true
		rd.add(rulePkgTooLarge, f.Name, i, fmt.Sprintf("entries declare more than %d bytes in total", lim.MaxUnpackedBytes))
		return nil
	}

	budget := min(lim.MaxFileBytes, lim.MaxUnpackedBytes-rd.a.unpacked)
	ratioCap := int64(max(float64(ratioFloor), lim.MaxCompressionRatio*float64(f.CompressedSize64)))
	budget = min(budget, ratioCap)
	data, err := readLimited(rd.ctx, f, budget)
	rd.a.unpacked += int64(len(data))
	if rd.ra.err != nil {
		return fmt.Errorf("read zip entry %q: %w", f.Name, rd.ra.err)
	}
	if cerr := rd.ctx.Err(); cerr != nil {
		return fmt.Errorf("read zip entry %q: %w", f.Name, cerr)
	}
	if err != nil {
		rd.add(rulePkgCorrupt, f.Name, i, entryError(err))
		return nil
	}
	if int64(len(data)) > budget {
		switch {
		case int64(len(data)) > lim.MaxFileBytes:
			rd.add(rulePkgTooLarge, f.Name, i, fmt.Sprintf("entry inflates past %d bytes", lim.MaxFileBytes))
		case int64(len(data)) > ratioCap:
			rd.add(rulePkgRatio, f.Name, i, fmt.Sprintf("inflates past %d bytes from %d", ratioCap, f.CompressedSize64))
		default:
			rd.full = true
			rd.add(rulePkgTooLarge, f.Name, i, fmt.Sprintf("archive inflates past %d bytes", lim.MaxUnpackedBytes))
		}
		return nil
	}
	e.data, e.read = data, true
	return nil
}

// readLimited reads at most budget+1 bytes of the entry. The buffer is sized
// once from the declared size (bounded by budget) and filled in place: an
// honest entry is decompressed straight into a buffer of its own size,
// never copied or doubled, and only a header that understates the size
// makes the buffer grow.
func readLimited(ctx context.Context, f *zip.File, budget int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	r := io.LimitReader(ctxReader{ctx: ctx, r: rc}, budget+1)
	// One byte past the declared size lets EOF arrive without growing.
	buf := make([]byte, 0, min(int64(f.UncompressedSize64), budget)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func ratioTooHigh(unpacked, packed uint64, maxRatio float64) bool {
	if unpacked <= ratioFloor {
		return false
	}
	return packed == 0 || float64(unpacked)/float64(packed) > maxRatio
}

// entryError explains the zip package's terse errors to a developer.
func entryError(err error) string {
	switch {
	case errors.Is(err, zip.ErrAlgorithm):
		return "unsupported compression method"
	case errors.Is(err, zip.ErrChecksum):
		return "checksum mismatch"
	case errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF):
		return "entry data does not match its header"
	default:
		return err.Error()
	}
}

func isAbsolute(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return true
	}
	// A drive letter, as in C:\ or C:file, is absolute or drive-relative on
	// Windows; both escape the folder being unpacked into.
	return len(name) >= 2 && name[1] == ':' && isASCIILetter(name[0])
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func hasDotDot(slashed string) bool {
	for _, seg := range strings.Split(slashed, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// hasControl catches names like "a.js\x00.png", which C-based tools
// truncate and so show a reviewer a different file than the one unpacked.
func hasControl(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] == 0x7f {
			return true
		}
	}
	return false
}

// boundedReaderAt keeps the caller's I/O errors apart from archive damage:
// out-of-range offsets come from corrupt headers and are answered here, so
// any error the underlying reader returns is a real read failure.
type boundedReaderAt struct {
	r    io.ReaderAt
	size int64
	err  error
}

var errOutOfRange = errors.New("offset outside the archive")

func (b *boundedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > b.size {
		return 0, errOutOfRange
	}
	want := p
	if int64(len(p)) > b.size-off {
		want = p[:b.size-off]
	}
	n := 0
	if len(want) > 0 {
		var err error
		n, err = b.r.ReadAt(want, off)
		if n < len(want) {
			// Inside the declared size every byte must be there: a short
			// read is the caller's reader failing, not the archive.
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			if b.err == nil {
				b.err = err
			}
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ctxReader stops a long decompression when the scan is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
