package policies

import (
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The input is built as an OPA value by hand. The generic paths (rego's own
// conversion, ast.InterfaceToValue, a JSON round trip to a map) all encode
// and decode JSON per call; in BenchmarkInputConversion that was the larger
// part of a decision on a trivial policy. Building by hand also lets the
// allocations be counted: with 100 findings the conversion was most of a
// decision, about 23 allocations per finding, most of them object keys that
// ast.InternedTerm does not intern and string terms allocated one by one.
// Keys are now shared terms, and string and number terms come from one slab
// per input. TestInputValueMatchesJSON keeps this equal to the JSON encoding,
// so the JSON tags on the structs stay the one definition.

// Object keys are shared by every input. OPA never mutates a term it did not
// build during evaluation, which is what makes its own interned terms safe.
var (
	keyAppID          = ast.StringTerm("app_id")
	keyApp            = ast.StringTerm("app")
	keyApprovals365d  = ast.StringTerm("approvals_365d")
	keyBlacklisted    = ast.StringTerm("blacklisted")
	keyCategory       = ast.StringTerm("category")
	keyCreditScore    = ast.StringTerm("credit_score")
	keyDeveloper      = ast.StringTerm("developer")
	keyExpiresAt      = ast.StringTerm("expires_at")
	keyFile           = ast.StringTerm("file")
	keyFindings       = ast.StringTerm("findings")
	keyHistory        = ast.StringTerm("history")
	keyID             = ast.StringTerm("id")
	keyKind           = ast.StringTerm("kind")
	keyLine           = ast.StringTerm("line")
	keyLiveApps       = ast.StringTerm("live_apps")
	keyLiveVersion    = ast.StringTerm("live_version")
	keyMessage        = ast.StringTerm("message")
	keyName           = ast.StringTerm("name")
	keyNow            = ast.StringTerm("now")
	keyOrgID          = ast.StringTerm("org_id")
	keyPackageBytes   = ast.StringTerm("package_bytes")
	keyPackageSHA256  = ast.StringTerm("package_sha256")
	keyPlatform       = ast.StringTerm("platform")
	keyQualifications = ast.StringTerm("qualifications")
	keyRealName       = ast.StringTerm("real_name")
	keyRejections90d  = ast.StringTerm("rejections_90d")
	keyRemediation    = ast.StringTerm("remediation")
	keyScore          = ast.StringTerm("score")
	keyRiskFlags      = ast.StringTerm("risk_flags")
	keyRuleID         = ast.StringTerm("rule_id")
	keySeverity       = ast.StringTerm("severity")
	keyStatus         = ast.StringTerm("status")
	keySubmission     = ast.StringTerm("submission")
	keyVerifiedAt     = ast.StringTerm("verified_at")
	keyVersion        = ast.StringTerm("version")
	keyWaivers        = ast.StringTerm("waivers")
	keyWithdrawnSame  = ast.StringTerm("withdrawn_same_package")
)

// commonStrings are values that recur in nearly every input; sharing their
// terms saves an allocation each.
var commonStrings = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, s := range []string{
		"", "critical", "high", "medium", "low", "info",
		KindIndividual, KindEnterprise,
		RealNameVerified, RealNamePending, RealNameNone, RealNameRejected, RealNameExpired,
		"wechat", "alipay", "live", "suspended",
	} {
		m[s] = ast.StringTerm(s)
	}
	return m
}()

// termSlab hands out terms from one allocation.
type termSlab struct{ terms []ast.Term }

func newTermSlab(n int) *termSlab { return &termSlab{terms: make([]ast.Term, 0, n)} }

func (s *termSlab) term(v ast.Value) *ast.Term {
	if len(s.terms) == cap(s.terms) {
		// The estimate was short; a fresh slab keeps earlier pointers valid.
		s.terms = make([]ast.Term, 0, 16)
	}
	s.terms = append(s.terms, ast.Term{Value: v})
	return &s.terms[len(s.terms)-1]
}

func (s *termSlab) str(v string) *ast.Term {
	if t, ok := commonStrings[v]; ok {
		return t
	}
	return s.term(ast.String(v))
}

// num leaves numbers to OPA, which interns the small ones.
func (s *termSlab) num(v int64) *ast.Term { return ast.InternedTerm(v) }

func (s *termSlab) time(t time.Time) *ast.Term { return s.term(ast.String(formatTime(t))) }

func (s *termSlab) optionalTime(t *time.Time) *ast.Term {
	if t == nil {
		return ast.NullTerm()
	}
	return s.time(*t)
}

func (s *termSlab) strings(values []string) *ast.Term {
	terms := make([]*ast.Term, len(values))
	for i, v := range values {
		terms[i] = s.str(v)
	}
	return s.term(ast.NewArray(terms...))
}

func (s *termSlab) object(items ...[2]*ast.Term) *ast.Term { return s.term(ast.NewObject(items...)) }

func (in Input) value() ast.Value {
	// Eight terms per finding (its object and seven fields) and four per waiver,
	// plus about forty for the rest.
	s := newTermSlab(8*len(in.Findings) + 4*len(in.Waivers) + 48)
	findings := make([]*ast.Term, len(in.Findings))
	for i, f := range in.Findings {
		findings[i] = s.object(
			[2]*ast.Term{keyRuleID, s.str(f.RuleID)},
			[2]*ast.Term{keySeverity, s.str(f.Severity)},
			[2]*ast.Term{keyFile, s.str(f.File)},
			[2]*ast.Term{keyLine, s.num(int64(f.Line))},
			[2]*ast.Term{keyMessage, s.str(f.Message)},
			[2]*ast.Term{keyRemediation, s.str(f.Remediation)},
			[2]*ast.Term{keyScore, s.num(int64(f.Score))},
		)
	}
	waivers := make([]*ast.Term, len(in.Waivers))
	for i, w := range in.Waivers {
		waivers[i] = s.object(
			[2]*ast.Term{keyRuleID, s.str(w.RuleID)},
			[2]*ast.Term{keyAppID, s.str(w.AppID)},
			[2]*ast.Term{keyExpiresAt, s.time(w.ExpiresAt)},
		)
	}
	sub, a, d, h := in.Submission, in.App, in.Developer, in.History
	return ast.NewObject(
		[2]*ast.Term{keySubmission, s.object(
			[2]*ast.Term{keyID, s.str(sub.ID)},
			[2]*ast.Term{keyAppID, s.str(sub.AppID)},
			[2]*ast.Term{keyVersion, s.str(sub.Version)},
			[2]*ast.Term{keyPlatform, s.str(sub.Platform)},
			[2]*ast.Term{keyPackageSHA256, s.str(sub.PackageSHA256)},
			[2]*ast.Term{keyPackageBytes, s.num(sub.PackageBytes)},
		)},
		[2]*ast.Term{keyApp, s.object(
			[2]*ast.Term{keyID, s.str(a.ID)},
			[2]*ast.Term{keyName, s.str(a.Name)},
			[2]*ast.Term{keyCategory, s.str(a.Category)},
			[2]*ast.Term{keyPlatform, s.str(a.Platform)},
			[2]*ast.Term{keyStatus, s.str(a.Status)},
			[2]*ast.Term{keyLiveVersion, s.str(a.LiveVersion)},
		)},
		[2]*ast.Term{keyDeveloper, s.object(
			[2]*ast.Term{keyID, s.str(d.ID)},
			[2]*ast.Term{keyOrgID, s.str(d.OrgID)},
			[2]*ast.Term{keyKind, s.str(d.Kind)},
			[2]*ast.Term{keyRealName, s.object(
				[2]*ast.Term{keyStatus, s.str(d.RealName.Status)},
				[2]*ast.Term{keyVerifiedAt, s.optionalTime(d.RealName.VerifiedAt)},
				[2]*ast.Term{keyExpiresAt, s.optionalTime(d.RealName.ExpiresAt)},
			)},
			[2]*ast.Term{keyCreditScore, s.num(int64(d.CreditScore))},
			[2]*ast.Term{keyQualifications, s.strings(d.Qualifications)},
			[2]*ast.Term{keyRiskFlags, s.strings(d.RiskFlags)},
			[2]*ast.Term{keyBlacklisted, ast.InternedTerm(d.Blacklisted)},
		)},
		[2]*ast.Term{keyFindings, s.term(ast.NewArray(findings...))},
		[2]*ast.Term{keyHistory, s.object(
			[2]*ast.Term{keyRejections90d, s.num(int64(h.Rejections90d))},
			[2]*ast.Term{keyApprovals365d, s.num(int64(h.Approvals365d))},
			[2]*ast.Term{keyLiveApps, s.num(int64(h.LiveApps))},
			[2]*ast.Term{keyWithdrawnSame, s.num(int64(h.WithdrawnSamePackage))},
		)},
		[2]*ast.Term{keyWaivers, s.term(ast.NewArray(waivers...))},
		[2]*ast.Term{keyNow, s.time(in.Now)},
	)
}

// formatTime writes what time.Time's MarshalJSON writes.
func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }
