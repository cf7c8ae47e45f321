package scan

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// zeroBomb returns a zip whose one entry inflates to 1 GB of zeros, built
// without ever holding those zeros: a flushed deflate segment of 1 MB of
// zeros decodes the same wherever it is repeated (its back-references only
// ever see zeros), so it is written 1024 times and closed with an empty
// final block. declared is the uncompressed size the headers claim.
func zeroBomb(t testing.TB, declared uint64) []byte {
	t.Helper()
	const chunk, copies = 1 << 20, 1024
	zeros := make([]byte, chunk)
	var seg bytes.Buffer
	fw, err := flate.NewWriter(&seg, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(zeros)
	require.NoError(t, err)
	require.NoError(t, fw.Flush())

	var crc uint32
	for range copies {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, e := range validWeChat() {
		w, err := zw.Create(e.hdr.Name)
		require.NoError(t, err)
		_, err = w.Write(e.body)
		require.NoError(t, err)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "assets/zeros.txt",
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(seg.Len())*copies + 2,
		UncompressedSize64: declared,
	})
	require.NoError(t, err)
	for range copies {
		_, err = w.Write(seg.Bytes())
		require.NoError(t, err)
	}
	_, err = w.Write([]byte{0x03, 0x00}) // final, empty fixed-Huffman block
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// TestZipBombIsRefusedFastInBoundedMemory is not parallel: it measures the
// process's allocations, which other tests running alongside would inflate.
func TestZipBombIsRefusedFastInBoundedMemory(t *testing.T) {
	tests := []struct {
		name     string
		declared uint64
		rule     string
	}{
		{"honest 1 GB header is refused from the header", 1 << 30, "PKG-007"},
		{"header claiming 15 MB is refused once it inflates past it", 15 << 20, "PKG-001"},
		{"header claiming 1 kB is refused once it inflates past it", 1 << 10, "PKG-001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bomb := zeroBomb(t, tc.declared)
			require.Less(t, len(bomb), 4<<20, "the bomb itself stays small")

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			rep := scanBytes(t, bomb, PlatformWeChat)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)

			f := requireFinding(t, rep, tc.rule, "assets/zeros.txt")
			require.Equal(t, SeverityCritical, f.Severity)
			require.Less(t, elapsed, 10*time.Second)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(100<<20), "allocation stays bounded")
			require.LessOrEqual(t, rep.UnpackedBytes, int64(16<<20)+1)
		})
	}
}

// TestBareDirectoryRecordsAreRefusedInBoundedMemory builds the listing
// bomb: half a million central directory records and no data. Parsed, each
// record becomes a few hundred bytes of zip.File.
func TestBareDirectoryRecordsAreRefusedInBoundedMemory(t *testing.T) {
	const records = 500_000
	var b bytes.Buffer
	rec := make([]byte, 46)
	binary.LittleEndian.PutUint32(rec, 0x02014b50)
	binary.LittleEndian.PutUint16(rec[28:], 1) // name length
	for range records {
		b.Write(rec)
		b.WriteByte('a')
	}
	dirSize := b.Len()
	end := make([]byte, 22)
	binary.LittleEndian.PutUint32(end, 0x06054b50)
	binary.LittleEndian.PutUint16(end[8:], uint16(records%65536))
	binary.LittleEndian.PutUint16(end[10:], uint16(records%65536))
	binary.LittleEndian.PutUint32(end[12:], uint32(dirSize))
	b.Write(end)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep := scanBytes(t, b.Bytes(), PlatformWeChat)
	runtime.ReadMemStats(&after)

	requireFinding(t, rep, "PKG-006", "")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(10<<20), "the listing is refused before it is parsed")
}

func TestManySmallBombsHitTheArchiveLimit(t *testing.T) {
	t.Parallel()
	entries := validWeChat()
	body := string(make([]byte, 900<<10)) // each entry stays under ratioFloor
	for _, name := range []string{"a.txt", "b.txt", "c.txt", "d.txt"} {
		entries = append(entries, file("assets/"+name, body))
	}
	b := craft(t, entries...)
	rep, err := Scan(t.Context(), bytes.NewReader(b), int64(len(b)), Options{
		Platform: PlatformWeChat, Limits: Limits{MaxUnpackedBytes: 2 << 20},
	})
	require.NoError(t, err)
	requireFinding(t, rep, "PKG-007", "assets/c.txt")
	require.LessOrEqual(t, rep.UnpackedBytes, int64(2<<20))
}
