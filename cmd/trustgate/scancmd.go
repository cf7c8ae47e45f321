package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"trustgate/internal/pkgzip"
	"trustgate/scan"
)

// Exit codes of "trustgate scan", for a developer's CI: 0 when nothing
// reaches --fail-on, 1 when something does, 2 when the package could not be
// scanned at all (a missing file, bad flags).
const (
	scanExitFindings = 1
	scanExitError    = 2
)

const scanUsage = "scan [--platform wechat|alipay] [--domains a.com,*.b.com] [--format text|json|sarif] [--fail-on SEVERITY] [--privacy DECL.json] [--privacy-policy POLICY.txt] PATH | scan --rules"

// runScan scans a package (a zip or a built .wxapkg) or a project folder offline, as a developer's CI
// would before uploading.
func runScan(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("scan", scanUsage)
	platform := fset.String("platform", "", "wechat or alipay (default: detected from the layout)")
	domains := fset.String("domains", "", "comma-separated request and web-view domains registered for the app")
	format := fset.String("format", "text", "output: text, json or sarif")
	asJSON := fset.Bool("json", false, "same as --format json")
	failOn := fset.String("fail-on", "high", "exit 1 when a finding is at or above this severity: info, low, medium, high, critical, or none")
	listRules := fset.Bool("rules", false, "print the rule catalogue and exit")
	privacy := fset.String("privacy", "", "the app's privacy declaration (JSON, see docs/privacy.md), held against the data the code sends")
	privacyPolicy := fset.String("privacy-policy", "", "the app's privacy policy text (zh or en), checked for the data kinds the code sends")
	// Flags may follow the path, as in "scan app.zip --format json".
	var paths []string
	for rest := args; ; {
		if err := fset.Parse(rest); err != nil {
			return &exitError{code: scanExitError, msg: err.Error()}
		}
		if fset.NArg() == 0 {
			break
		}
		paths = append(paths, fset.Arg(0))
		rest = fset.Args()[1:]
	}
	if *asJSON {
		*format = "json"
	}
	if *listRules {
		return printRules(stdout, *format)
	}
	threshold, err := parseFailOn(*failOn)
	if err != nil {
		return &exitError{code: scanExitError, msg: err.Error()}
	}
	if *format != "text" && *format != "json" && *format != "sarif" {
		return &exitError{code: scanExitError, msg: fmt.Sprintf("unknown --format %q: want text, json or sarif", *format)}
	}
	if len(paths) != 1 {
		fset.Usage()
		return &exitError{code: scanExitError, msg: "scan needs one PATH (a .zip, a .wxapkg or a project folder)"}
	}
	path := paths[0]
	opts := scan.Options{Platform: scan.Platform(*platform), Domains: splitList(*domains)}
	if err := readPrivacyInputs(&opts, *privacy, *privacyPolicy); err != nil {
		return &exitError{code: scanExitError, msg: err.Error()}
	}
	report, err := scanPath(ctx, path, opts)
	if err != nil {
		return &exitError{code: scanExitError, msg: err.Error()}
	}
	if err := writeReport(stdout, *format, path, report); err != nil {
		return &exitError{code: scanExitError, msg: fmt.Sprintf("write report: %v", err)}
	}
	if threshold != "" && atOrAbove(report, threshold) {
		return &exitError{code: scanExitFindings}
	}
	return nil
}

// scanPath scans a zip as uploaded, or zips a folder first so that the
// folder is checked exactly as its upload would be. Without --platform the
// layout decides, so the platform rule only speaks when asked to.
func scanPath(ctx context.Context, path string, opts scan.Options) (scan.Report, error) {
	info, err := os.Stat(path)
	if err != nil {
		return scan.Report{}, fmt.Errorf("scan %s: %w", path, err)
	}
	var data []byte
	if info.IsDir() {
		if data, err = pkgzip.Dir(path); err != nil {
			return scan.Report{}, fmt.Errorf("scan %s: %w", path, err)
		}
	} else if data, err = os.ReadFile(path); err != nil {
		return scan.Report{}, fmt.Errorf("scan %s: %w", path, err)
	}
	if opts.Platform == "" {
		// Scan once to learn the layout's platform, then as that platform.
		probe, err := scan.Scan(ctx, bytes.NewReader(data), int64(len(data)), scan.Options{Platform: scan.PlatformWeChat, SkipSecrets: true})
		if err != nil {
			return scan.Report{}, fmt.Errorf("scan %s: %w", path, err)
		}
		opts.Platform = detectedPlatform(probe)
	}
	rep, err := scan.Scan(ctx, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return scan.Report{}, fmt.Errorf("scan %s: %w", path, err)
	}
	return rep, nil
}

// readPrivacyInputs reads the privacy declaration and policy text named by
// the flags into opts. A declaration the API would refuse is refused here
// with the same message.
func readPrivacyInputs(opts *scan.Options, declPath, policyPath string) error {
	if declPath != "" {
		data, err := readBounded(declPath, scan.MaxPrivacyDeclarationBytes)
		if err != nil {
			return fmt.Errorf("--privacy: %w", err)
		}
		d, err := scan.ParsePrivacyDeclaration(data)
		if err != nil {
			return fmt.Errorf("--privacy %s: %w", declPath, err)
		}
		opts.Privacy = &d
	}
	if policyPath != "" {
		data, err := readBounded(policyPath, scan.MaxPrivacyPolicyBytes)
		if err != nil {
			return fmt.Errorf("--privacy-policy: %w", err)
		}
		opts.PrivacyPolicy = string(data)
	}
	return nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// detectedPlatform reads the layout from a probe scan as WeChat: a layout
// contradiction (PKG-015) means the package is laid out for Alipay.
func detectedPlatform(probe scan.Report) scan.Platform {
	for _, f := range probe.Findings {
		if f.RuleID == "PKG-015" && strings.Contains(f.Message, "laid out for alipay") {
			return scan.PlatformAlipay
		}
	}
	return scan.PlatformWeChat
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

var severityOrder = []scan.Severity{scan.SeverityInfo, scan.SeverityLow, scan.SeverityMedium, scan.SeverityHigh, scan.SeverityCritical}

func parseFailOn(s string) (scan.Severity, error) {
	if s == "none" {
		return "", nil
	}
	for _, sev := range severityOrder {
		if string(sev) == s {
			return sev, nil
		}
	}
	return "", fmt.Errorf("unknown --fail-on %q: want info, low, medium, high, critical or none", s)
}

func rank(s scan.Severity) int {
	for i, sev := range severityOrder {
		if sev == s {
			return i + 1
		}
	}
	return 0
}

func atOrAbove(r scan.Report, threshold scan.Severity) bool {
	return rank(r.Worst()) >= rank(threshold)
}

// jsonReport is the shape of --format json, stable for scripts.
type jsonReport struct {
	Platform scan.Platform  `json:"platform"`
	Files    int            `json:"files"`
	Bytes    int64          `json:"bytes"`
	Findings []scan.Finding `json:"findings"`
	Flows    []scan.Flow    `json:"flows"`
}

func writeReport(w io.Writer, format, path string, r scan.Report) error {
	switch format {
	case "json":
		return writeJSON(w, jsonReport{Platform: r.Platform, Files: r.Files, Bytes: r.UnpackedBytes, Findings: r.Findings, Flows: r.Flows})
	case "sarif":
		return writeJSON(w, r.SARIF())
	}
	fmt.Fprintf(w, "%s: %s, %d files, %d bytes, %d findings\n", path, r.Platform, r.Files, r.UnpackedBytes, len(r.Findings))
	for _, f := range r.Findings {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
		}
		fmt.Fprintf(w, "  %-8s %-11s %s %s\n", f.Severity, f.RuleID, loc, f.Message)
		if f.Snippet != "" {
			fmt.Fprintf(w, "           %s\n", f.Snippet)
		}
		fmt.Fprintf(w, "           fix: %s\n", f.Remediation)
	}
	if len(r.Flows) > 0 {
		fmt.Fprintf(w, "%d personal-data flows:\n", len(r.Flows))
		for _, f := range r.Flows {
			fmt.Fprintf(w, "  %-10s %s\n", f.Source.Kind, scan.FlowPath(f))
		}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRules prints the rule catalogue and then the CONTENT lexicon's
// categories with their sizes, which compliance changes as data.
func printRules(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, struct {
			Rules   []scan.Rule `json:"rules"`
			Lexicon struct {
				Version    string                 `json:"version"`
				Categories []scan.ContentCategory `json:"categories"`
			} `json:"lexicon"`
		}{Rules: scan.Rules(), Lexicon: struct {
			Version    string                 `json:"version"`
			Categories []scan.ContentCategory `json:"categories"`
		}{scan.LexiconVersion(), scan.ContentCategories()}})
	}
	for _, r := range scan.Rules() {
		fmt.Fprintf(w, "%-11s %-8s %s\n            fix: %s\n", r.ID, r.Severity, r.Message, r.Remediation)
	}
	fmt.Fprintf(w, "\nCONTENT lexicon %s\n%-11s %-20s %9s %5s %5s %6s\n", scan.LexiconVersion(), "rule", "category", "threshold", "terms", "slang", "combos")
	for _, c := range scan.ContentCategories() {
		fmt.Fprintf(w, "%-11s %-20s %9d %5d %5d %6d\n", c.Rule, c.Name, c.Threshold, c.Terms, c.Slang, c.Combos)
	}
	return nil
}
