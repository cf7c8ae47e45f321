package scan

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// File is one file of a package as the scan reads it, for showing a
// package to a reviewer with the same paths and lines as its findings.
type File struct {
	// Name is the path findings use: a zip entry's name, a built file's
	// name without the leading "/", or a module's define name.
	Name string
	// Data is nil when the file was refused (a PKG finding says why).
	Data []byte
	// Bundle is the built file a module was split from, "" for a stored
	// file. A module's Data is its function body, so its line 1 is the line
	// of the bundle's opening brace and the lines after are the source's;
	// a bundle's own Data has its modules blanked, lines kept.
	Bundle string
}

// ReadFiles reads the package of size bytes from r as Scan does, under the
// same limits, and returns its files in package order. Hostile properties
// do not make an error: the files that could be read are returned.
func ReadFiles(ctx context.Context, r io.ReaderAt, size int64, lim Limits) ([]File, error) {
	if r == nil || size < 0 {
		return nil, fmt.Errorf("read package files: no reader or negative size")
	}
	arch, _, err := readPackage(ctx, r, size, lim.withDefaults(""))
	if err != nil {
		return nil, fmt.Errorf("read package files: %w", err)
	}
	out := make([]File, 0, len(arch.files))
	for _, e := range arch.files {
		f := File{Name: printable(e.name, 0), Data: e.data}
		if e.bundle != nil {
			f.Bundle = printable(e.bundle.name, 0)
		}
		out = append(out, f)
	}
	return out, nil
}

// ReadFilesBytes is ReadFiles over a package held in memory.
func ReadFilesBytes(ctx context.Context, data []byte, lim Limits) ([]File, error) {
	return ReadFiles(ctx, bytes.NewReader(data), int64(len(data)), lim)
}
