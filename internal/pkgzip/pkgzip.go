// Package pkgzip builds zip archives of mini-program packages in memory. Tests
// and examples use it to turn readable fixture folders into the zips the
// scanner receives, so the output is deterministic: entries in lexical
// order, forward slashes, one fixed modification time, no directory entries.
package pkgzip

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// modified is the time stamped on every entry, so that zipping the same
// files twice gives the same bytes.
var modified = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Dir zips the regular files under dir, named relative to dir. Symbolic links
// and other special files are refused rather than followed, so a fixture
// cannot pull in files from outside its folder.
func Dir(dir string) ([]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("zip folder %s: %w", dir, err)
	}
	return build(files)
}

// Files zips in-memory files; keys are the entry names as stored.
func Files(files map[string]string) ([]byte, error) {
	b := make(map[string][]byte, len(files))
	for name, content := range files {
		b[name] = []byte(content)
	}
	return build(b)
}

func build(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified}
		hdr.SetMode(0o644)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, fmt.Errorf("add %s to zip: %w", name, err)
		}
		if _, err := w.Write(files[name]); err != nil {
			return nil, fmt.Errorf("write %s to zip: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finish zip: %w", err)
	}
	return buf.Bytes(), nil
}

// Bytes zips in-memory files given as bytes, such as built packages.
func Bytes(files map[string][]byte) ([]byte, error) {
	return build(files)
}
