package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Shared indicators: what a package holds that points at whoever operates
// it, whatever account submits it. The store answers "who else has this
// indicator", so each is a value that an honest unrelated app is unlikely
// to share: the hosts its code talks to and the domains its web-views
// open, the SHA-256 of each secret the SECRET rules found (the secret
// itself never leaves the scanner), payment merchant IDs and mini-program
// app IDs written in its code or configuration, and the SHA-256 of its
// images and templates. Vendored libraries (see vendored) are left out:
// what a UI library holds is shared by every app that uses it.

// maxIndicatorsPerKind bounds each kind, the first in package order, so
// that a package of ten thousand images does not make ten thousand rows.
const maxIndicatorsPerKind = 500

// minAssetBytes is the smallest asset hashed: smaller templates are the
// one-line skeletons every new project has, and smaller images are
// one-colour pixels.
const minAssetBytes = 100

// linkState collects indicators while the checks run.
type linkState struct {
	fingerprint CodeFingerprint
	shingles    map[*entry][]uint64 // of own scripts the CODE rules parsed (noteScript)
	emitter     tokenEmitter
	indicators  []Indicator
	perKind     map[string]int
	vendored    map[string]bool // by file name, for hits (vendoredFile)
	err         error           // from Options.CommonModules: fails the scan
}

// checkLinking computes the code fingerprint and the indicators read from
// files; it runs after the CODE and SECRET rules, which record hosts and
// secret hashes as they find them.
func checkLinking(s *state) {
	s.link.fingerprint = s.fingerprint()
	checkIndicators(s)
}

func (s *state) indicate(kind, value string, h hit) {
	if s.link.perKind == nil {
		s.link.perKind = map[string]int{}
	}
	if s.link.perKind[kind] >= maxIndicatorsPerKind {
		return
	}
	s.link.perKind[kind]++
	s.link.indicators = append(s.link.indicators, Indicator{
		Kind: kind, Value: value, File: printable(h.file, 0), Line: h.line,
	})
}

// noteEndpoint records the host of an endpoint the CODE rules resolved:
// a web-view's as a web-view domain, any other as an endpoint host.
func (s *state) noteEndpoint(api, host string, h hit) {
	if s.vendoredFile(h.file) {
		return
	}
	kind := IndicatorHost
	if api == "web-view" {
		kind = IndicatorWebView
	}
	s.indicate(kind, host, h)
}

// noteSecret records the SHA-256 of a secret a SECRET rule found. It is
// called for every secret hit, including those past the per-rule cap, and
// keeps only the hash.
func (s *state) noteSecret(h hit) {
	if h.secret == "" || s.vendoredFile(h.file) {
		return
	}
	sum := sha256.Sum256([]byte(h.secret))
	s.indicate(IndicatorSecretHash, hex.EncodeToString(sum[:]), hit{file: h.file, line: h.line})
}

// vendoredFile reports whether the file a hit names is vendored.
func (s *state) vendoredFile(name string) bool {
	if s.link.vendored == nil {
		s.link.vendored = map[string]bool{}
		for _, e := range s.arch.files {
			s.link.vendored[e.name] = vendored(strings.TrimPrefix(e.clean, s.base), e.data)
		}
	}
	return s.link.vendored[name]
}

// idPatterns find app and merchant IDs. A bare number is anything, so the
// numeric ones need the key they are stored under; a WeChat app ID's
// "wx" and sixteen hex digits are distinctive alone.
var idPatterns = []struct {
	kind  string
	re    *regexp.Regexp
	probe string // every match holds it, case-insensitively
}{
	{IndicatorAppID, regexp.MustCompile(`\b(wx[0-9a-f]{16})\b`), "wx"},
	// Alipay app IDs: 16 digits starting with 20 (the year the app was
	// created), under an app ID key.
	{IndicatorAppID, regexp.MustCompile(`(?i)\bapp_?id["']?\s*[:=]\s*["']?(20\d{14})\b`), "app"},
	// WeChat Pay merchant numbers: 10 digits under a merchant key.
	{IndicatorMerchantID, regexp.MustCompile(`(?i)\b(?:sub_)?(?:mch_?id|merchant_?id|mchid)["']?\s*[:=]\s*["']?(\d{10})\b`), "m"},
	// Alipay partner IDs (PID): 2088 and 12 digits, under a partner or
	// seller key.
	{IndicatorMerchantID, regexp.MustCompile(`(?i)\b(?:partner|seller_?id|pid|merchant_?id)["']?\s*[:=]\s*["']?(2088\d{12})\b`), "2088"},
}

// placeholderIDs are the values templates and documentation use.
var placeholderIDs = map[string]bool{"wx0000000000000000": true, "wxffffffffffffffff": true, "wx1234567890abcdef": true}

// indicatorExts are the text files read for IDs: scripts, configuration
// and templates.
var indicatorExts = map[string]bool{".js": true, ".mjs": true, ".cjs": true, ".ts": true, ".json": true, ".wxs": true, ".sjs": true, ".wxml": true, ".axml": true}

// assetExts are the files hashed whole.
var assetExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".svg": true, ".bmp": true, ".wxml": true, ".axml": true}

// checkIndicators reads IDs and asset hashes from the package's own files.
// Hosts and secret hashes are recorded by the CODE and SECRET rules as
// they find them.
func checkIndicators(s *state) {
	for _, e := range s.arch.files {
		if !e.read || len(e.data) == 0 || !strings.HasPrefix(e.clean, s.base) || junk(e.clean) {
			continue
		}
		rel := strings.TrimPrefix(e.clean, s.base)
		if vendored(rel, e.data) {
			continue
		}
		ext := strings.ToLower(path.Ext(e.clean))
		if assetExts[ext] && len(e.data) >= minAssetBytes {
			sum := sha256.Sum256(e.data)
			s.indicate(IndicatorAssetHash, hex.EncodeToString(sum[:]), hit{file: e.name})
		}
		if indicatorExts[ext] {
			s.findIDs(e)
		}
	}
}

func (s *state) findIDs(e *entry) {
	var (
		t     *text
		lower []byte
	)
	for _, p := range idPatterns {
		if lower == nil {
			lower = asciiLower(e.data)
		}
		if !bytes.Contains(lower, []byte(p.probe)) {
			continue
		}
		for _, m := range p.re.FindAllSubmatchIndex(e.data, maxIndicatorsPerKind) {
			v := string(e.data[m[2]:m[3]])
			if placeholderIDs[v] {
				continue
			}
			if t == nil {
				t = newText(e.data)
			}
			line, _ := t.position(m[2])
			s.indicate(p.kind, v, hit{file: e.name, line: line})
		}
	}
}

// indicatorList returns the indicators sorted by kind, value, file and
// line, each kind and value once (where it is first found); never nil.
func (s *state) indicatorList() []Indicator {
	in := s.link.indicators
	sort.Slice(in, func(i, j int) bool {
		a, b := in[i], in[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	out := make([]Indicator, 0, len(in))
	for i, x := range in {
		if i > 0 && x.Kind == in[i-1].Kind && x.Value == in[i-1].Value {
			continue
		}
		out = append(out, x)
	}
	return out
}
