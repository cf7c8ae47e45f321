package scan

import (
	"bytes"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/dop251/goja/ast"
)

// Code fingerprints: MinHash signatures (Broder, "On the resemblance and
// containment of documents", 1997) of the set of k-token shingles of a
// package's own scripts, each script written as its normalised syntax-tree
// token stream (fingerprint_tokens.go), with shingles kept inside
// statements.
//
// Why MinHash rather than the other published schemes: the question asked
// of the store is "which stored packages share most of this one's code",
// a similarity between shingle sets (see Similarity), and MinHash
// estimates it from a fixed-size signature, which banding (LSH, LSHBands ×
// LSHRows) turns into an index lookup instead of a comparison with every
// stored package. Winnowing (Schleimer et al., the MOSS scheme) keeps a
// variable number of fingerprints per document, good for finding the copied
// passages but indexable only as an inverted list whose common entries
// (boilerplate shared by thousands of apps) make every lookup long; SimHash
// estimates a cosine over weighted features and is less sensitive to the
// share of copied code that matters here. The set of shingles is taken over
// all own scripts together, so moving or renaming files changes nothing;
// per-file signatures are kept alongside for showing a reviewer the most
// similar pairs of files.
//
// The constants below, the token stream and the hash functions are part
// of every stored signature: changing any of them makes new signatures
// incomparable with stored ones, so they change only with a re-scan of what
// is stored.
const (
	// shingleTokens is k, the tokens per shingle, measured on the real
	// component libraries (docs/linking.md): shorter shingles made
	// unrelated components of one library look alike, longer ones let 10%
	// of changed code cost too much similarity.
	shingleTokens = 5
	// minShingles is the floor below which a package has too little own
	// code to compare: the skeletons the platforms' tools create, barely
	// changed, would otherwise all look alike, and a signature of a few
	// dozen shingles estimates too coarsely.
	minShingles = 100
	// minFileShingles is the floor for a per-file signature: smaller files
	// estimate similarity too coarsely to be worth showing.
	minFileShingles = 30
	// maxFileFingerprints bounds the per-file signatures kept, the largest
	// files first, so that a package of thousands of scripts does not make
	// a report of megabytes.
	maxFileFingerprints = 200
)

// minhashCoeffs are the MinHash functions: value i of a signature is the
// least over the shingles x of the top 32 bits of a[i]·x + b[i] (mod 2^64),
// multiply-shift hashing of the shingles' 64-bit hashes. The coefficients
// come from a fixed splitmix64 stream, so every build computes the same
// signatures.
var minhashCoeffs = func() (c [MinHashSize][2]uint64) {
	state := uint64(0x7472757374676174) // "trustgat"
	next := func() uint64 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	for i := range c {
		c[i] = [2]uint64{next() | 1, next()}
	}
	return c
}()

// minhash returns the signature of a set of shingle hashes.
func minhash(shingles []uint64) []uint32 {
	sig := make([]uint32, MinHashSize)
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for _, x := range shingles {
		for i := range sig {
			if v := uint32((minhashCoeffs[i][0]*x + minhashCoeffs[i][1]) >> 32); v < sig[i] {
				sig[i] = v
			}
		}
	}
	return sig
}

// shingles appends to out the hashes of every run of shingleTokens tokens
// inside one statement (bounds are where statements start and where the
// statement around one resumes after it; a run shorter than a shingle is
// one), and returns out sorted without repeats.
// Keeping shingles inside statements means a changed statement changes only
// its own shingles, not those of the k-1 tokens around it.
func shingles(toks []uint64, bounds []int, out []uint64) []uint64 {
	start := 0
	for i := 0; i <= len(bounds); i++ {
		end := len(toks)
		if i < len(bounds) {
			end = bounds[i]
		}
		out = shingleSegment(toks[start:end], out)
		start = end
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func shingleSegment(seg []uint64, out []uint64) []uint64 {
	hash := func(run []uint64) uint64 {
		h := uint64(0x84222325cbf29ce4) ^ uint64(len(run))
		for _, tok := range run {
			h = (h ^ tok) * 0x100000001b3
			h ^= h >> 29
		}
		return h
	}
	if len(seg) == 0 {
		return out
	}
	if len(seg) < shingleTokens {
		return append(out, hash(seg))
	}
	for i := 0; i+shingleTokens <= len(seg); i++ {
		out = append(out, hash(seg[i:i+shingleTokens]))
	}
	return out
}

// Similarity estimates how much code two packages have in common as the
// Sørensen–Dice coefficient of their shingle sets,
// 2·|A∩B| / (|A|+|B|): the share of the two packages' code, taken
// together, that both hold, which is the "average similarity" the
// plagiarism detector JPlag reports over token matches. MinHash estimates
// the Jaccard similarity J = |A∩B| / |A∪B| (the share of positions where
// the signatures agree), and Dice is 2J / (1+J). Jaccard counts a changed
// statement twice: its old shingles leave the intersection and its new
// ones join the union, so 10% of a package changed reads as 0.86; Dice reads it as about 0.93, and 10%
// removed or added as about 0.95. Being a function of J, Dice keeps the
// store's band index exact: Dice ≥ 0.8 is J ≥ 2/3. Signatures of
// different lengths, or missing ones, are not similar at all.
func Similarity(a, b []uint32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	// Rounded to three places: the estimate is good to about ±0.03, and
	// the reasons a developer reads quote it.
	j := float64(same) / float64(len(a))
	return math.Round(2*j/(1+j)*1000) / 1000
}

// FilePair is a file of one package, the file of another most like it and
// their estimated similarity.
type FilePair struct {
	A          string  `json:"a"`
	B          string  `json:"b"`
	Similarity float64 `json:"similarity"`
}

// MostSimilarFiles returns up to n pairs of files of a and b, most similar
// first, each file in at most one pair (the most similar file still free on
// the other side, greedily), leaving out pairs that share nothing.
func MostSimilarFiles(a, b CodeFingerprint, n int) []FilePair {
	var all []FilePair
	for _, fa := range a.Files {
		for _, fb := range b.Files {
			if fa.Common || fb.Common {
				continue // a library both ship says nothing of a copy
			}
			if s := Similarity(fa.MinHash, fb.MinHash); s > 0 {
				all = append(all, FilePair{A: fa.File, B: fb.File, Similarity: s})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Similarity != all[j].Similarity {
			return all[i].Similarity > all[j].Similarity
		}
		if all[i].A != all[j].A {
			return all[i].A < all[j].A
		}
		return all[i].B < all[j].B
	})
	usedA, usedB := map[string]bool{}, map[string]bool{}
	out := []FilePair{}
	for _, p := range all {
		if len(out) >= n {
			break
		}
		if usedA[p.A] || usedB[p.B] {
			continue
		}
		usedA[p.A], usedB[p.B] = true, true
		out = append(out, p)
	}
	return out
}

// vendoredDirs are the folders the platforms' tools put npm packages in.
var vendoredDirs = []string{"miniprogram_npm", "node_modules"}

// vendoredPath reports whether a file lies under a folder npm packages are
// vendored into.
func vendoredPath(clean string) bool {
	for _, d := range vendoredDirs {
		if strings.HasPrefix(clean, d+"/") || strings.Contains(clean, "/"+d+"/") {
			return true
		}
	}
	return false
}

// vendored reports whether a file is third-party code shipped with the
// app: under a folder npm packages are vendored into, or a script that
// says it is a library (a license banner, or the UMD wrapper bundlers put
// around published libraries, which app code never has). Both are
// documented evasions as well: own code moved under miniprogram_npm/
// leaves the fingerprint; docs/linking.md says what covers that.
func vendored(clean string, data []byte) bool {
	if vendoredPath(clean) {
		return true
	}
	head := data[:min(len(data), 600)]
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("/*!")) ||
		bytes.Contains(head, []byte("@license")) || bytes.Contains(head, []byte("@preserve")) {
		return true
	}
	return bytes.Contains(head, []byte("typeof exports")) && bytes.Contains(head, []byte("typeof define"))
}

// fingerprintExts are the scripts a fingerprint reads. The view-layer
// scripts (.wxs, .sjs) and templates are left out because a build compiles
// them into the page frame, so the source and the built form of one app
// would differ; templates are exact-hash indicators instead.
var fingerprintExts = map[string]bool{".js": true, ".mjs": true, ".cjs": true}

// ownScript reports whether e is one of the package's own scripts: under
// the code root, not vendored, and not what a build leaves of its bundles
// once their modules are split out.
func (s *state) ownScript(e *entry) bool {
	if !e.read || !strings.HasPrefix(e.clean, s.root) || junk(e.clean) ||
		!fingerprintExts[strings.ToLower(path.Ext(e.clean))] {
		return false
	}
	rel := strings.TrimPrefix(e.clean, s.root)
	if s.built && e.bundle == nil && (bundleNames[path.Base(rel)] || strings.HasPrefix(path.Base(rel), "page-frame.")) {
		return false
	}
	return !vendored(rel, e.data)
}

// noteScript keeps the shingles of an own script the CODE rules have
// parsed, so that the fingerprint does not parse it again.
func (s *state) noteScript(e *entry, prog *ast.Program) {
	if !s.ownScript(e) {
		return
	}
	if s.link.shingles == nil {
		s.link.shingles = map[*entry][]uint64{}
	}
	s.link.shingles[e] = s.link.emitter.shingles(prog)
}

// shingles returns the shingles of one parsed script.
func (t *tokenEmitter) shingles(prog *ast.Program) []uint64 {
	t.toks = t.toks[:0]
	t.emit(prog)
	return shingles(t.toks, t.bounds, nil)
}

// fingerprint computes the package's code fingerprint from its own scripts.
// A script the parser rejects adds nothing (CODE-090 reports it). Modules
// that Options.CommonModules says many developers ship are left out of the
// package's set as vendored libraries are, and listed as common.
func (s *state) fingerprint() CodeFingerprint {
	type script struct {
		name string
		sh   []uint64
		sig  []uint32 // nil under minFileShingles
	}
	var scripts []script
	var sigs [][]uint32
	for _, e := range s.arch.files {
		sh, ok := s.link.shingles[e]
		if !ok {
			if !s.ownScript(e) {
				continue
			}
			// Read for literals only by the CODE rules (no name they
			// look for), or skipped by them: parsed here.
			prog, err := parseJS(stripModuleSyntax(e.data))
			if err != nil {
				continue
			}
			sh = s.link.emitter.shingles(prog)
		}
		sc := script{name: printable(e.name, 0), sh: sh}
		if len(sh) >= minFileShingles {
			sc.sig = minhash(sh)
			sigs = append(sigs, sc.sig)
		}
		scripts = append(scripts, sc)
	}
	var common []bool // by index into sigs; nil: none is
	if s.opts.CommonModules != nil && len(sigs) > 0 {
		var err error
		common, err = s.opts.CommonModules(sigs)
		if err == nil && len(common) != len(sigs) {
			err = fmt.Errorf("common modules: %d answers for %d modules", len(common), len(sigs))
		}
		if err != nil {
			s.link.err = err
			return CodeFingerprint{}
		}
	}
	var (
		all      []uint64 // shingles of the package's own code
		unsigned []uint64 // those of scripts too small for a signature
		signed   [][]uint32
		files    []FileFingerprint
		sizes    = map[string]int{}
		n        = 0 // index into sigs
	)
	for _, sc := range scripts {
		isCommon := false
		if sc.sig != nil {
			isCommon = common != nil && common[n]
			n++
			files = append(files, FileFingerprint{File: sc.name, MinHash: sc.sig, Common: isCommon})
			sizes[sc.name] = len(sc.sh)
		}
		switch {
		case isCommon:
		case sc.sig != nil:
			all, signed = append(all, sc.sh...), append(signed, sc.sig)
		default:
			all, unsigned = append(all, sc.sh...), append(unsigned, sc.sh...)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	fp := CodeFingerprint{Shingles: len(all)}
	if len(all) >= minShingles {
		// A MinHash value is a least over the set, so the package's is the
		// least of its scripts' signatures, already computed, and of the
		// small scripts' shingles: no shingle is hashed twice.
		fp.MinHash = minhash(unsigned)
		for _, sig := range signed {
			for i, v := range sig {
				fp.MinHash[i] = min(fp.MinHash[i], v)
			}
		}
	}
	// The app's own files first, the largest first: they are what a
	// reviewer needs paired; common modules fill what room is left.
	sort.SliceStable(files, func(i, j int) bool {
		if files[i].Common != files[j].Common {
			return !files[i].Common
		}
		if sizes[files[i].File] != sizes[files[j].File] {
			return sizes[files[i].File] > sizes[files[j].File]
		}
		return files[i].File < files[j].File
	})
	if len(files) > maxFileFingerprints {
		files = files[:maxFileFingerprints]
	}
	sort.Slice(files, func(i, j int) bool { return files[i].File < files[j].File })
	if len(files) > 0 {
		fp.Files = files
	}
	return fp
}
