package pkgzip

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"entries come out in lexical order", map[string]string{"b.js": "b", "a/x.js": "x", "a.json": "{}"}, []string{"a.json", "a/x.js", "b.js"}},
		{"empty map gives an empty but valid zip", map[string]string{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := Files(tc.files)
			require.NoError(t, err)
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			require.NoError(t, err)
			var got []string
			for _, f := range zr.File {
				got = append(got, f.Name)
				rc, err := f.Open()
				require.NoError(t, err)
				content, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.Equal(t, tc.files[f.Name], string(content))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFilesIsDeterministic(t *testing.T) {
	t.Parallel()
	files := map[string]string{"app.json": `{"pages":[]}`, "pages/a.js": "a", "pages/b.js": "b"}
	first, err := Files(files)
	require.NoError(t, err)
	second, err := Files(files)
	require.NoError(t, err)
	require.Equal(t, first, second)
}

func TestDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pages", "index"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.json"), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pages", "index", "index.js"), []byte("Page({})"), 0o644))

	fromDir, err := Dir(dir)
	require.NoError(t, err)
	fromFiles, err := Files(map[string]string{"app.json": "{}", "pages/index/index.js": "Page({})"})
	require.NoError(t, err)
	require.Equal(t, fromFiles, fromDir, "a folder and the same files in memory zip to the same bytes")
}

func TestDirRefusesSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.Symlink("../outside", filepath.Join(dir, "escape")))
	_, err := Dir(dir)
	require.Error(t, err)
}

func TestDirMissingFolder(t *testing.T) {
	t.Parallel()
	_, err := Dir(filepath.Join(t.TempDir(), "nope"))
	require.Error(t, err)
}
