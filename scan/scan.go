package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Options configure one scan.
type Options struct {
	// Platform the package is submitted for. An unknown value is a PKG
	// finding, not an error, and the layout decides how the rest is checked.
	Platform Platform
	// Limits override DefaultLimits(Platform) field by field.
	Limits Limits
	// Domains are the request and web-view domains registered for the app.
	// The platforms keep them outside the package. Entries are host names,
	// optionally with a scheme or port as the consoles list them, or
	// "*.example.com" for every sub-domain. Empty means unknown: the
	// domain rule (CODE-042) does not run.
	Domains []string
	// SkipSecrets turns the SECRET rules off, for callers that run a
	// secret scanner of their own over the same bytes.
	SkipSecrets bool
	// Privacy is the developer's privacy declaration, validated by
	// ParsePrivacyDeclaration or Validate; nil means none was given and the
	// declaration rules (PRIV-010, PRIV-011) do not run.
	Privacy *PrivacyDeclaration
	// PrivacyPolicy is the app's privacy policy text, zh or en; "" means
	// none was given and the policy rules (PRIV-012, PRIV-013) do not run.
	// Past MaxPrivacyPolicyBytes it is not read.
	PrivacyPolicy string
	// CommonModules, when set, is asked once per scan which of the own
	// modules' signatures (one per script of at least 30 shingles, as in
	// CodeFingerprint.Files) are modules that many developers ship, a
	// library copied into an app's own folders: those are left out of the
	// package's fingerprint as vendored libraries are, and marked common.
	// It answers one flag per signature, in order; an error fails the
	// scan.
	CommonModules func(sigs [][]uint32) ([]bool, error)
}

// checks run in order once the archive is read and the layout is known. A
// new rule family adds its function here.
var checks = []func(*state){
	checkPlatform,
	checkFileTypes,
	checkSizes,
	checkManifest,
	checkPrivateInfos,
	checkCode,
	checkFlows,
	checkSecrets,
	checkLinking,
	checkPrivacyDeclaration, // after every check that finds flows
}

// state is everything the checks share about one package.
type state struct {
	opts     Options
	platform Platform // effective: the submitted one if known, else detected
	detected Platform
	limits   Limits
	arch     *archive
	base     string // folder holding the project files: "" or "name/"
	root     string // folder holding app.json: base plus miniprogramRoot
	app      *manifest
	findings []Finding
	perRule  map[string]int
	apiUses  []apiUse // platform interfaces the scripts reach
	privacy  *privacyDecl
	// dynamicAPI is set when some platform call could not be resolved (a
	// computed name, an unparsed script), so no rule may conclude that an
	// interface is unused.
	dynamicAPI bool
	contentBuf *contentScratch // reused by the CONTENT rules
	js         *jsScratch      // reused by the script analysis
	// built is set when the manifest is a built package's app-config.json;
	// templates are then the ones its compiled template code names.
	built     bool
	templates map[string]bool
	// flow is the personal-data flow analysis, fed each script's syntax
	// tree by the CODE rules; flows is what it found.
	flow  *flowEngine
	flows []Flow
	link  linkState // fingerprint and indicators (fingerprint.go, indicators.go)
}

// maxPerRule caps the findings one rule reports in a package. Past a hundred
// missing pages a developer learns nothing more, and the cap keeps a hostile
// manifest declaring a million pages from costing a million findings.
const maxPerRule = 100

func (s *state) add(r Rule, h hit) {
	if s.perRule == nil {
		s.perRule = map[string]int{}
	}
	s.perRule[r.ID]++
	if h.secret != "" {
		s.noteSecret(h)
	}
	switch n := s.perRule[r.ID]; {
	case n <= maxPerRule:
		s.findings = append(s.findings, r.finding(h))
	case n == maxPerRule+1:
		s.findings = append(s.findings, r.finding(hit{
			detail: fmt.Sprintf("more than %d findings of this rule; the rest are not listed", maxPerRule),
			match:  "overflow",
		}))
	}
}

// Scan reads a mini-program package of the given size from r and reports
// what the rules find. The package is a zip of a source project, a built
// WeChat package (.wxapkg), or a zip of built packages or of an unpacked
// one; its bytes tell which. It returns an error only when the context ends or r
// fails; a broken or hostile archive is reported as findings.
func Scan(ctx context.Context, r io.ReaderAt, size int64, opts Options) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("scan package: %w", err)
	}
	if r == nil || size < 0 {
		return Report{}, errors.New("scan package: no reader or negative size")
	}
	arch, findings, err := readPackage(ctx, r, size, opts.Limits.withDefaults(opts.Platform))
	if err != nil {
		return Report{}, fmt.Errorf("scan package: %w", err)
	}
	s := &state{opts: opts, arch: arch, findings: findings, platform: opts.Platform}
	if !arch.truncated {
		s.locate()
		s.limits = opts.Limits.withDefaults(s.platform)
		s.loadManifest()
		for _, check := range checks {
			check(s)
		}
		if s.link.err != nil {
			return Report{}, fmt.Errorf("scan package: %w", s.link.err)
		}
	} else if !opts.Platform.known() {
		s.add(rulePkgPlatform, hit{detail: fmt.Sprintf("unknown platform %q", opts.Platform)})
	}
	return s.report(), nil
}

// ScanFile scans the package file at path.
func ScanFile(ctx context.Context, path string, opts Options) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("open package: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Report{}, fmt.Errorf("stat package: %w", err)
	}
	return Scan(ctx, f, info.Size(), opts)
}

// report sorts and deduplicates the findings so that the same bytes always
// give the same report.
func (s *state) report() Report {
	fs := s.findings
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Fingerprint < b.Fingerprint
	})
	out := make([]Finding, 0, len(fs))
	for i, f := range fs {
		if i > 0 && f.Fingerprint == fs[i-1].Fingerprint {
			continue
		}
		out = append(out, f)
	}
	files := 0
	if s.arch != nil {
		files = len(s.arch.files)
	}
	var unpacked int64
	if s.arch != nil {
		unpacked = s.arch.unpacked
	}
	flows := s.flows
	if flows == nil {
		flows = []Flow{}
	}
	return Report{
		Platform: s.platform, Files: files, UnpackedBytes: unpacked, Findings: out, Flows: flows,
		Fingerprint: s.link.fingerprint, Indicators: s.indicatorList(),
	}
}
