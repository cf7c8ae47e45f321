package scan

import (
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostileArchivesAreRefused(t *testing.T) {
	t.Parallel()
	symlink := zip.FileHeader{Name: "pages/index/link.js", Method: zip.Store}
	symlink.SetMode(os.ModeSymlink | 0o777)
	device := zip.FileHeader{Name: "dev/null", Method: zip.Store}
	device.SetMode(os.ModeDevice | os.ModeCharDevice | 0o666)
	encrypted := zip.FileHeader{Name: "secret.js", Method: zip.Deflate, Flags: 0x1}
	nested := craft(t, file("inner.js", "x"))
	elf := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 57)
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40
	copy(pe[0x40:], "PE\x00\x00")

	tests := []struct {
		name  string
		entry craftedEntry
		rule  string
		file  string
	}{
		{"parent directory traversal is refused", file("../evil.js", "x"), "PKG-002", "../evil.js"},
		{"traversal in the middle of a path is refused", file("pages/../../evil.js", "x"), "PKG-002", "pages/../../evil.js"},
		{"backslash traversal is refused", file(`pages\..\..\evil.js`, "x"), "PKG-002", `pages\..\..\evil.js`},
		{"absolute unix path is refused", file("/etc/x", "x"), "PKG-003", "/etc/x"},
		{"windows drive path is refused", file(`C:\Windows\evil.js`, "x"), "PKG-003", `C:\Windows\evil.js`},
		{"drive-relative path is refused", file(`C:evil.js`, "x"), "PKG-003", `C:evil.js`},
		{"UNC path is refused", file(`\\server\share\evil.js`, "x"), "PKG-003", `\\server\share\evil.js`},
		{"symlink is refused", craftedEntry{hdr: symlink, body: []byte("../../../etc/passwd")}, "PKG-004", "pages/index/link.js"},
		{"device file is refused", craftedEntry{hdr: device}, "PKG-004", "dev/null"},
		{"exact duplicate name is refused", file("app.json", `{"pages":[]}`), "PKG-005", "app.json"},
		{"duplicate after path cleaning is refused", file("pages/./index//index.js", "x"), "PKG-005", "pages/./index//index.js"},
		{"duplicate differing only in case is refused", file("Pages/Index/Index.js", "x"), "PKG-005", "Pages/Index/Index.js"},
		{"file named like a folder of another entry is refused", file("pages/index", "x"), "PKG-005", "pages/index"},
		{"encrypted entry is refused", craftedEntry{hdr: encrypted, body: []byte("x")}, "PKG-009", "secret.js"},
		{"nested zip is refused by extension", file("assets/bundle.zip", string(nested)), "PKG-010", "assets/bundle.zip"},
		{"nested zip is refused by content", file("assets/data.bin", string(nested)), "PKG-010", "assets/data.bin"},
		{"jar is refused as an archive", file("lib/tool.jar", "x"), "PKG-010", "lib/tool.jar"},
		{"gzip content is refused", file("assets/blob.dat", "\x1f\x8b\x08\x00rest"), "PKG-010", "assets/blob.dat"},
		{"ELF binary is refused by content", file("assets/native.bin", elf), "PKG-011", "assets/native.bin"},
		{"PE executable is refused by content", file("assets/setup.dat", string(pe)), "PKG-011", "assets/setup.dat"},
		{"Mach-O binary is refused by content", file("assets/mac.dat", "\xcf\xfa\xed\xfe rest"), "PKG-011", "assets/mac.dat"},
		{"shared library is refused by extension", file("lib/libx.so", "not really"), "PKG-011", "lib/libx.so"},
		{"windows executable is refused by extension", file("tools/run.exe", "x"), "PKG-011", "tools/run.exe"},
		{"absurdly long name is refused", file(strings.Repeat("a/", 600)+"x.js", "x"), "PKG-001", strings.Repeat("a/", 600) + "x.js"},
		{"control character in a name is refused", file("pages/a.js\x00.png", "x"), "PKG-001", "pages/a.js\x00.png"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, craft(t, append(validWeChat(), tc.entry)...), PlatformWeChat)
			want := printable(tc.file, 0)
			f := requireFinding(t, rep, tc.rule, want)
			require.Equal(t, SeverityCritical, f.Severity)
			require.Equal(t, SeverityCritical, rep.Worst())
		})
	}
}

func TestTextThatLooksLikeMagicIsAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"text starting with MZ is not an executable", "MZ is a postcode prefix in this readme, long enough to have a header offset field....."},
		{"text starting with BZh is not bzip2", "BZh1 is not followed by the block magic"},
		{"wasm is allowed", "\x00asm\x01\x00\x00\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, craft(t, append(validWeChat(), file("assets/file.txt", tc.body))...), PlatformWeChat)
			requireAcceptable(t, rep)
		})
	}
}

func TestBrokenArchivesAreFindings(t *testing.T) {
	t.Parallel()
	valid := craft(t, validWeChat()...)
	flipped := bytes.Clone(valid)
	// The first entry's data starts right after its 30-byte local header
	// and name; damaging it breaks the deflate stream or the checksum.
	flipped[30+len("app.json")+2] ^= 0xff

	tests := []struct {
		name string
		data []byte
		file string
	}{
		{"random bytes are corrupt", []byte("this is not a zip file at all"), ""},
		{"empty input is corrupt", nil, ""},
		{"truncated archive is corrupt", valid[:len(valid)-10], ""},
		{"damaged entry data is corrupt", flipped, "app.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := scanBytes(t, tc.data, PlatformWeChat)
			requireFinding(t, rep, "PKG-001", tc.file)
			require.Equal(t, SeverityCritical, rep.Worst())
		})
	}
}

func TestTooManyEntriesIsRefused(t *testing.T) {
	t.Parallel()
	entries := validWeChat()
	for i := range 20 {
		entries = append(entries, file("assets/"+strings.Repeat("a", i+1)+".txt", "x"))
	}
	b := craft(t, entries...)
	rep, err := Scan(t.Context(), bytes.NewReader(b), int64(len(b)), Options{Platform: PlatformWeChat, Limits: Limits{MaxEntries: 10}})
	require.NoError(t, err)
	requireFinding(t, rep, "PKG-006", "")
	require.Len(t, rep.Findings, 1, "a refused listing is not checked further")
}

func TestOversizedEntriesAreRefused(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("var a = 1;\n", 20_000) // 220 kB
	tests := []struct {
		name   string
		limits Limits
		rule   string
		file   string
	}{
		{"file over the per-file limit is refused", Limits{MaxFileBytes: 100_000}, "PKG-007", "big.js"},
		{"archive over the unpacked limit is refused", Limits{MaxUnpackedBytes: 100_000}, "PKG-007", "big.js"},
		{"repetitive file over the ratio limit is refused", Limits{MaxCompressionRatio: 2}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := craft(t, append(validWeChat(), file("big.js", big))...)
			rep, err := Scan(t.Context(), bytes.NewReader(b), int64(len(b)), Options{Platform: PlatformWeChat, Limits: tc.limits})
			require.NoError(t, err)
			if tc.rule == "" {
				// Below ratioFloor the ratio rule stays quiet on purpose.
				requireNoFinding(t, rep, "PKG-008")
				return
			}
			requireFinding(t, rep, tc.rule, tc.file)
			requireNoFinding(t, rep, "MAN-003")
		})
	}
}
