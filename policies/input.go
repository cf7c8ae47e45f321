package policies

import (
	"encoding/json"
	"time"
)

// Input is everything a decision may look at: a snapshot taken by the caller,
// so that the same Input always gives the same Decision and can be replayed
// from the decision log. docs/policy-input.md describes each field.
type Input struct {
	Submission SubmissionInput `json:"submission"`
	App        AppInput        `json:"app"`
	Developer  DeveloperInput  `json:"developer"`
	Findings   []FindingInput  `json:"findings"`
	History    HistoryInput    `json:"history"`
	Waivers    []WaiverInput   `json:"waivers"`
	// Related are the other developers' submissions and accounts linked to
	// this one (input_related.go).
	Related []RelatedInput `json:"related"`
	// Flows are the paths by which the scan saw personal data reach a
	// sink, and Privacy what the developer declared about personal data.
	Flows   []FlowInput  `json:"flows"`
	Privacy PrivacyInput `json:"privacy"`
	// Now is the decision's clock; policies never read the real one.
	Now time.Time `json:"now"`
}

// SubmissionInput is the uploaded version being decided on.
type SubmissionInput struct {
	ID            string `json:"id"`
	AppID         string `json:"app_id"`
	Version       string `json:"version"`
	Platform      string `json:"platform"`
	PackageSHA256 string `json:"package_sha256"`
	PackageBytes  int64  `json:"package_bytes"`
}

// AppInput is the app the submission belongs to.
type AppInput struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Platform    string `json:"platform"`
	Status      string `json:"status"`
	LiveVersion string `json:"live_version"`
}

// Developer kinds.
const (
	KindIndividual = "individual"
	KindEnterprise = "enterprise"
)

// DeveloperInput is the developer's trust profile at decision time.
type DeveloperInput struct {
	ID             string        `json:"id"`
	OrgID          string        `json:"org_id"`
	Kind           string        `json:"kind"`
	RealName       RealNameInput `json:"real_name"`
	CreditScore    int           `json:"credit_score"`
	Qualifications []string      `json:"qualifications"`
	RiskFlags      []string      `json:"risk_flags"`
	Blacklisted    bool          `json:"blacklisted"`
}

// Real-name verification states.
const (
	RealNameVerified = "verified"
	RealNamePending  = "pending"
	RealNameNone     = "none"
	RealNameRejected = "rejected"
	RealNameExpired  = "expired"
)

// RealNameInput is the developer's real-name verification. A nil ExpiresAt
// means the verification does not expire.
type RealNameInput struct {
	Status     string     `json:"status"`
	VerifiedAt *time.Time `json:"verified_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// FindingInput is one static-scan finding. Line is 0 for findings about the
// package or a whole file. Remediation is the scan rule's own advice, empty
// when the rule gives none; a critical finding's reason passes it on to the
// developer instead of a generic sentence. Score is a CONTENT finding's
// score for its category (the rule ID names the category), so a policy can
// hold text to a stricter bar than the scan's threshold; 0 for other rules.
type FindingInput struct {
	RuleID      string `json:"rule_id"`
	Severity    string `json:"severity"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	Score       int    `json:"score"`
}

// HistoryInput is the developer's track record.
type HistoryInput struct {
	Rejections90d int `json:"rejections_90d"`
	Approvals365d int `json:"approvals_365d"`
	LiveApps      int `json:"live_apps"`
	// WithdrawnSamePackage counts the developer's earlier submissions of
	// this very package (same SHA-256) that they withdrew.
	WithdrawnSamePackage int `json:"withdrawn_same_package"`
}

// WaiverInput exempts one app from one rule until ExpiresAt.
type WaiverInput struct {
	RuleID    string    `json:"rule_id"`
	AppID     string    `json:"app_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// FlowInput is one personal-data flow of the scan: where the code obtains
// the data (Source, with its data kind) and where it hands it over (Sink).
// OffDevice is true when the data leaves the phone (a server, another
// mini-program, a web page), which is what a declaration has to cover;
// Registered is true when the sink's endpoint host is one the app
// registered, false when it is not or cannot be known.
type FlowInput struct {
	Source     FlowSourceInput `json:"source"`
	Sink       FlowSinkInput   `json:"sink"`
	OffDevice  bool            `json:"off_device"`
	Registered bool            `json:"registered"`
}

// FlowSourceInput is where personal data enters the code; API is written as
// the code calls it ("wx.getLocation"), Kind is a data kind of the privacy
// vocabulary ("location").
type FlowSourceInput struct {
	API  string `json:"api"`
	Kind string `json:"kind"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// FlowSinkInput is where the data is handed over. Endpoint is the host, ""
// when the scan cannot know it; Scheme is "http", "https" or "".
type FlowSinkInput struct {
	API      string `json:"api"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Endpoint string `json:"endpoint"`
	Scheme   string `json:"scheme"`
}

// PrivacyInput is the submission's privacy declaration. Declared is false
// when the developer sent none (Items is then empty); Items are keyed by
// data kind. PolicyTextGiven is true when a privacy policy text came with
// the submission.
type PrivacyInput struct {
	Declared        bool                        `json:"declared"`
	Items           map[string]PrivacyItemInput `json:"items"`
	PolicyTextGiven bool                        `json:"policy_text_given"`
}

// PrivacyItemInput is what the declaration says of one data kind.
type PrivacyItemInput struct {
	Purpose    string `json:"purpose"`
	ThirdParty bool   `json:"third_party"`
}

// MarshalJSON writes an absent item map as {} rather than null.
func (p PrivacyInput) MarshalJSON() ([]byte, error) {
	type plain PrivacyInput
	out := plain(p)
	if out.Items == nil {
		out.Items = map[string]PrivacyItemInput{}
	}
	return json.Marshal(out)
}

// MarshalJSON writes empty lists as [] rather than null, so that a policy can
// iterate them without guarding, and the decision log shows the same shape
// whether or not the caller allocated the slice.
func (in Input) MarshalJSON() ([]byte, error) {
	type plain Input
	out := plain(in)
	out.Findings = nonNil(out.Findings)
	out.Waivers = nonNil(out.Waivers)
	out.Related = nonNil(out.Related)
	out.Flows = nonNil(out.Flows)
	return json.Marshal(out)
}

// MarshalJSON: see Input.MarshalJSON.
func (d DeveloperInput) MarshalJSON() ([]byte, error) {
	type plain DeveloperInput
	out := plain(d)
	out.Qualifications = nonNil(out.Qualifications)
	out.RiskFlags = nonNil(out.RiskFlags)
	return json.Marshal(out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
