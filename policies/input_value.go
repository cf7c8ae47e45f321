package policies

import (
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The input is built as an OPA value by hand. The generic paths (rego's own
// conversion, ast.InterfaceToValue, a JSON round trip to a map) all encode
// and decode JSON per call; in BenchmarkInputConversion that was the larger
// part of a decision on a trivial policy and about 15% of the allocations on
// the default one. TestInputValueMatchesJSON keeps this equal to the JSON
// encoding, so the JSON tags on the structs stay the one definition.

func (in Input) value() ast.Value {
	findings := make([]*ast.Term, len(in.Findings))
	for i, f := range in.Findings {
		findings[i] = ast.ObjectTerm(
			str("rule_id", f.RuleID),
			str("severity", f.Severity),
			str("file", f.File),
			num("line", f.Line),
			str("message", f.Message),
		)
	}
	waivers := make([]*ast.Term, len(in.Waivers))
	for i, w := range in.Waivers {
		waivers[i] = ast.ObjectTerm(
			str("rule_id", w.RuleID),
			str("app_id", w.AppID),
			str("expires_at", formatTime(w.ExpiresAt)),
		)
	}
	s, a, d, h := in.Submission, in.App, in.Developer, in.History
	return ast.NewObject(
		item("submission", ast.ObjectTerm(
			str("id", s.ID),
			str("app_id", s.AppID),
			str("version", s.Version),
			str("platform", s.Platform),
			str("package_sha256", s.PackageSHA256),
			num("package_bytes", s.PackageBytes),
		)),
		item("app", ast.ObjectTerm(
			str("id", a.ID),
			str("name", a.Name),
			str("category", a.Category),
			str("platform", a.Platform),
			str("status", a.Status),
			str("live_version", a.LiveVersion),
		)),
		item("developer", ast.ObjectTerm(
			str("id", d.ID),
			str("org_id", d.OrgID),
			str("kind", d.Kind),
			item("real_name", ast.ObjectTerm(
				str("status", d.RealName.Status),
				item("verified_at", optionalTime(d.RealName.VerifiedAt)),
				item("expires_at", optionalTime(d.RealName.ExpiresAt)),
			)),
			num("credit_score", d.CreditScore),
			item("qualifications", stringArray(d.Qualifications)),
			item("risk_flags", stringArray(d.RiskFlags)),
			item("blacklisted", ast.InternedTerm(d.Blacklisted)),
		)),
		item("findings", ast.ArrayTerm(findings...)),
		item("history", ast.ObjectTerm(
			num("rejections_90d", h.Rejections90d),
			num("approvals_365d", h.Approvals365d),
			num("live_apps", h.LiveApps),
		)),
		item("waivers", ast.ArrayTerm(waivers...)),
		str("now", formatTime(in.Now)),
	)
}

func item(key string, value *ast.Term) [2]*ast.Term {
	return ast.Item(ast.InternedTerm(key), value)
}

func str(key, value string) [2]*ast.Term {
	return item(key, ast.StringTerm(value))
}

func num[T int | int64](key string, value T) [2]*ast.Term {
	return item(key, ast.InternedTerm(value))
}

func stringArray(values []string) *ast.Term {
	terms := make([]*ast.Term, len(values))
	for i, v := range values {
		terms[i] = ast.StringTerm(v)
	}
	return ast.ArrayTerm(terms...)
}

// formatTime writes what time.Time's MarshalJSON writes.
func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

func optionalTime(t *time.Time) *ast.Term {
	if t == nil {
		return ast.NullTerm()
	}
	return ast.StringTerm(formatTime(*t))
}
