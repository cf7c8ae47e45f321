package scan

import (
	"bytes"
	"encoding/binary"
	"path"
	"strings"
)

// Extensions are checked as well as contents: an entry refused before it was
// read has no contents, and a renamed archive still has its magic bytes.
var archiveExts = map[string]bool{
	".zip": true, ".rar": true, ".7z": true, ".tar": true, ".gz": true, ".tgz": true,
	".bz2": true, ".xz": true, ".zst": true, ".lz": true, ".lzma": true, ".z": true,
	".cab": true, ".iso": true, ".dmg": true, ".apk": true, ".aab": true, ".ipa": true,
	".jar": true, ".war": true, ".aar": true, ".xapk": true, ".wxapkg": true,
}

var nativeExts = map[string]bool{
	".so": true, ".dll": true, ".exe": true, ".dylib": true, ".msi": true, ".sys": true,
}

// checkFileTypes flags nested archives and native binaries. WebAssembly is
// deliberately allowed: both platforms run .wasm inside the mini-program.
func checkFileTypes(s *state) {
	for _, e := range s.arch.files {
		ext := strings.ToLower(path.Ext(e.clean))
		h := hit{file: e.name, snippet: e.name, match: e.clean}
		switch {
		case archiveExts[ext]:
			s.add(rulePkgNested, withDetail(h, "extension "+ext))
		case isArchive(e.data) != "":
			s.add(rulePkgNested, withDetail(h, isArchive(e.data)+" content"))
		case nativeExts[ext]:
			s.add(rulePkgNative, withDetail(h, "extension "+ext))
		case isNative(e.data) != "":
			s.add(rulePkgNative, withDetail(h, isNative(e.data)+" content"))
		}
	}
}

func withDetail(h hit, detail string) hit {
	h.detail = detail
	return h
}

// isArchive names the archive format of b by its magic bytes, or "".
func isArchive(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")),
		bytes.HasPrefix(b, []byte("PK\x07\x08")):
		return "zip"
	case isWxapkg(b):
		return "built mini-program package"
	case bytes.HasPrefix(b, []byte("Rar!\x1a\x07")):
		return "rar"
	case bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z"
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gzip"
	case len(b) >= 10 && bytes.HasPrefix(b, []byte("BZh")) && b[3] >= '1' && b[3] <= '9' &&
		bytes.Equal(b[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}):
		return "bzip2"
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case bytes.HasPrefix(b, []byte("MSCF\x00\x00\x00\x00")):
		return "cab"
	case len(b) >= 262 && bytes.Equal(b[257:262], []byte("ustar")):
		return "tar"
	}
	return ""
}

// isNative names the executable format of b by its magic bytes, or "".
func isNative(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "ELF"
	case isPE(b):
		return "PE"
	case len(b) >= 4 && isMachO(binary.BigEndian.Uint32(b)):
		return "Mach-O"
	case bytes.HasPrefix(b, []byte{0xca, 0xfe, 0xba, 0xbe}):
		// Universal Mach-O and Java classes share this magic; both are refused.
		return "Mach-O universal or Java class"
	}
	return ""
}

// isPE requires the PE signature the MZ header points to, because "MZ" alone
// also starts ordinary text.
func isPE(b []byte) bool {
	if len(b) < 0x40 || !bytes.HasPrefix(b, []byte("MZ")) {
		return false
	}
	off := int64(binary.LittleEndian.Uint32(b[0x3c:]))
	return off+4 <= int64(len(b)) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00"))
}

func isMachO(magic uint32) bool {
	switch magic {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return true
	}
	return false
}
