package scan

// Severity ranks how bad a finding is. Policies compare severities, so the
// order lives in one place: severityRank.
type Severity string

// Severities, from least to most severe.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severityRank = map[Severity]int{
	SeverityInfo:     1,
	SeverityLow:      2,
	SeverityMedium:   3,
	SeverityHigh:     4,
	SeverityCritical: 5,
}

// Platform is the mini-program platform a package is submitted for.
type Platform string

// Supported platforms.
const (
	PlatformWeChat Platform = "wechat"
	PlatformAlipay Platform = "alipay"
)

func (p Platform) known() bool { return p == PlatformWeChat || p == PlatformAlipay }

// Finding is one rule violation. For findings about a declaration that points
// at a missing file (MAN rules), File is the missing file and Line/Column
// point at the declaration inside the manifest, because that is where the
// developer has to look to fix either side.
type Finding struct {
	RuleID      string   `json:"rule_id"`
	Severity    Severity `json:"severity"`
	File        string   `json:"file,omitempty"`
	Line        int      `json:"line,omitempty"`
	Column      int      `json:"column,omitempty"`
	Snippet     string   `json:"snippet,omitempty"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	// Fingerprint is a stable hash of the rule ID, location and what was
	// matched: the same bytes always give the same fingerprints, so findings
	// can be stored idempotently and compared across resubmissions.
	Fingerprint string `json:"fingerprint"`
	// Content is what a CONTENT finding rests on; nil for other rules.
	Content *ContentEvidence `json:"content,omitempty"`
	// Privacy is what a PRIV finding about the declaration or the privacy
	// policy rests on; nil for other rules.
	Privacy *PrivacyEvidence `json:"privacy,omitempty"`
	// Flow is the personal-data flow a PRIV finding is about; nil for
	// other rules.
	Flow *Flow `json:"flow,omitempty"`
}

// ContentEvidence shows a reviewer why a text block was reported: the
// category, the block's score against the category's threshold, the
// lexicon words that scored, and the block as the rules read it (folded
// to simplified, half-width, lower case, without the characters put in to
// break words apart). Lexicon is the lexicon's version.
type ContentEvidence struct {
	Category   string   `json:"category"`
	Score      int      `json:"score"`
	Threshold  int      `json:"threshold"`
	Terms      []string `json:"terms"`
	Normalised string   `json:"normalised"`
	Lexicon    string   `json:"lexicon"`
}

// Report is the result of scanning one package.
type Report struct {
	// Platform is the one the package was checked as: the submitted one if
	// known, else the one its layout shows ("" if neither).
	Platform Platform `json:"platform"`
	// Files counts the regular-file entries with acceptable names.
	Files int `json:"files"`
	// UnpackedBytes counts the bytes actually decompressed, not the sizes
	// the archive declares.
	UnpackedBytes int64 `json:"unpacked_bytes"`
	// Findings are sorted by file, line, column and rule ID; never nil.
	Findings []Finding `json:"findings"`
	// Flows are the paths by which personal data leaves the device (and
	// reaches the app's storage), sorted by source then sink; never nil.
	Flows []Flow `json:"flows"`
	// Fingerprint summarises the package's own code for finding copies of
	// it under other accounts (fingerprint.go).
	Fingerprint CodeFingerprint `json:"fingerprint"`
	// Indicators are what the package shares with others that points at
	// the same operator, sorted by kind and value, each once; never nil.
	Indicators []Indicator `json:"indicators"`
}

// Worst returns the highest severity among the findings, or "" if there are
// none.
func (r Report) Worst() Severity {
	var worst Severity
	for _, f := range r.Findings {
		if severityRank[f.Severity] > severityRank[worst] {
			worst = f.Severity
		}
	}
	return worst
}
