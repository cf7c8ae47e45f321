package policies

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/policies/vm"
)

// rank orders decisions from worst to best for the developer: reject, then
// review by senior reviewers (two approvals), standard review, approve.
func rank(d Decision) int {
	switch {
	case d.Outcome == OutcomeApprove:
		return 3
	case d.Outcome == OutcomeReview && d.Queue == QueueStandard:
		return 2
	case d.Outcome == OutcomeReview:
		return 1
	default:
		return 0
	}
}

var (
	categories     = []string{"retail", "games", "finance", "lending", "medical", "news"}
	qualifications = []string{"finance", "lending", "medical", "news", "payment"}
	severities     = []string{"info", "low", "medium", "high", "critical"}
)

func randomInput(r *rand.Rand) Input {
	in := cleanInput()
	in.Developer.Kind = pick(r, KindIndividual, KindEnterprise)
	in.App.Category = pick(r, categories...)
	in.Developer.CreditScore = 450 + r.IntN(400)
	in.Developer.RealName.Status = pick(r, RealNameVerified, RealNameVerified, RealNameVerified, RealNamePending, RealNameExpired)
	expires := testNow.Add(time.Duration(r.IntN(2000)-200) * time.Hour)
	in.Developer.RealName.ExpiresAt = &expires
	for _, q := range qualifications {
		if r.IntN(2) == 0 {
			in.Developer.Qualifications = append(in.Developer.Qualifications, q)
		}
	}
	in.Developer.Blacklisted = r.IntN(50) == 0
	if r.IntN(10) == 0 {
		in.Developer.RiskFlags = []string{"chargeback_spike"}
	}
	in.History.Rejections90d = r.IntN(5)
	for range r.IntN(4) {
		in.Findings = append(in.Findings, randomFinding(r))
	}
	if r.IntN(4) == 0 {
		in.Waivers = []WaiverInput{{RuleID: pick(r, "MAN-003", "CODE-012", "CODE-020"), AppID: in.App.ID, ExpiresAt: testNow.Add(time.Duration(r.IntN(100)-50) * time.Hour)}}
	}
	if r.IntN(4) == 0 {
		in.Related = []RelatedInput{randomRelated(r)}
	}
	in.Privacy = randomPrivacy(r)
	for range r.IntN(3) {
		in.Flows = append(in.Flows, randomFlow(r))
	}
	return in
}

// randomRelated is a link to another developer's package or account, of
// any standing, so that the generated inputs reach the linking rules.
func randomRelated(r *rand.Rand) RelatedInput {
	if r.IntN(4) == 0 {
		return RelatedInput{Kind: RelatedDeveloper, DeveloperID: "dev-other", DeveloperBlacklisted: r.IntN(2) == 0,
			Shared: []SharedInput{{Kind: pick(r, "phone", "id_document", "settlement_account")}}}
	}
	rel := RelatedInput{Kind: RelatedSubmission, SubmissionID: "sub-other", AppID: "app-other", DeveloperID: "dev-other",
		Similarity: float64(r.IntN(129)) / 128, DeveloperBlacklisted: r.IntN(3) == 0,
		AppStatus: pick(r, "new", "live", "suspended"), SubmissionState: pick(r, "approved", "rejected", "in_review")}
	if rel.AppStatus == "suspended" {
		rel.AppReasonCodes = []string{"GAMBLING"}
	}
	if rel.SubmissionState == "rejected" {
		rel.SubmissionReasonCodes = []string{"FINDING_CRITICAL"}
	}
	if r.IntN(2) == 0 {
		rel.Shared = []SharedInput{{Kind: pick(r, "merchant_id", "host", "secret_sha256"), Value: "2088000000000001"}}
	}
	return rel
}

var privacyKinds = []string{"location", "phone", "user_info", "device", "input"}

// randomPrivacy is no declaration a quarter of the time, else one that
// covers some of the kinds the flows may carry.
func randomPrivacy(r *rand.Rand) PrivacyInput {
	p := PrivacyInput{PolicyTextGiven: r.IntN(2) == 0}
	if r.IntN(4) == 0 {
		return p
	}
	p.Declared, p.Items = true, map[string]PrivacyItemInput{}
	for _, k := range privacyKinds {
		if r.IntN(2) == 0 {
			p.Items[k] = PrivacyItemInput{Purpose: "to serve the user", ThirdParty: r.IntN(3) == 0}
		}
	}
	return p
}

func randomFlow(r *rand.Rand) FlowInput {
	f := FlowInput{
		Source:     FlowSourceInput{API: "wx.getLocation", Kind: pick(r, privacyKinds...), File: "pages/a/a.js", Line: 1 + r.IntN(50)},
		Sink:       FlowSinkInput{API: pick(r, "wx.request", "wx.setStorageSync", "wx.navigateToMiniProgram"), File: "utils/api.js", Line: 1 + r.IntN(50)},
		OffDevice:  r.IntN(4) != 0,
		Registered: r.IntN(2) == 0,
	}
	if f.Sink.API == "wx.request" {
		f.Sink.Endpoint, f.Sink.Scheme = pick(r, "api.shop.example", "tracker.example.net", ""), pick(r, "https", "http", "")
	}
	return f
}

func randomFinding(r *rand.Rand) FindingInput {
	if r.IntN(5) == 0 {
		// The scan's payment rule is informational; the policy gates it.
		return finding("info", "CODE-020", "pages/pay/pay.js", 1+r.IntN(100))
	}
	return finding(pick(r, severities...), pick(r, "MAN-003", "CODE-012", "SECRET-001"), "pages/x/x.js", 1+r.IntN(100))
}

func pick[T any](r *rand.Rand, options ...T) T { return options[r.IntN(len(options))] }

// clone copies the slices a worsening may change, so that base stays as it
// was decided.
func clone(in Input) Input {
	out := in
	out.Findings = append([]FindingInput(nil), in.Findings...)
	out.Waivers = append([]WaiverInput(nil), in.Waivers...)
	out.Flows = append([]FlowInput(nil), in.Flows...)
	out.Privacy.Items = maps.Clone(in.Privacy.Items)
	out.Developer.Qualifications = append([]string(nil), in.Developer.Qualifications...)
	out.Developer.RiskFlags = append([]string(nil), in.Developer.RiskFlags...)
	out.Related = append([]RelatedInput(nil), in.Related...)
	return out
}

// Making a developer or a package less trustworthy must never improve the
// outcome. A threshold edited the wrong way round in data.json (say, an
// enterprise override above the individual one) breaks this. Each property
// runs on its own generated pairs: a random input, and the same input made
// worse in one way.
func TestDecisionIsMonotonic(t *testing.T) {
	t.Parallel()
	const pairs = 1000
	properties := []struct {
		name   string
		worsen func(*Input, *rand.Rand)
	}{
		{"lower credit score", func(in *Input, r *rand.Rand) { in.Developer.CreditScore -= 1 + r.IntN(200) }},
		{"enterprise becomes individual", func(in *Input, _ *rand.Rand) { in.Developer.Kind = KindIndividual }},
		{"real name unverified", func(in *Input, r *rand.Rand) {
			in.Developer.RealName.Status = pick(r, RealNamePending, RealNameNone, RealNameRejected, RealNameExpired)
		}},
		{"real name expires earlier", func(in *Input, r *rand.Rand) {
			earlier := in.Developer.RealName.ExpiresAt.Add(-time.Duration(1+r.IntN(2000)) * time.Hour)
			in.Developer.RealName.ExpiresAt = &earlier
		}},
		{"one more finding", func(in *Input, r *rand.Rand) { in.Findings = append(in.Findings, randomFinding(r)) }},
		{"a finding becomes more severe", func(in *Input, r *rand.Rand) {
			if len(in.Findings) == 0 {
				in.Findings = append(in.Findings, randomFinding(r))
				return
			}
			f := &in.Findings[r.IntN(len(in.Findings))]
			at := slices.Index(severities, f.Severity)
			f.Severity = severities[at+r.IntN(len(severities)-at)]
		}},
		{"a qualification is lost", func(in *Input, r *rand.Rand) {
			if n := len(in.Developer.Qualifications); n > 0 {
				at := r.IntN(n)
				in.Developer.Qualifications = slices.Delete(in.Developer.Qualifications, at, at+1)
			}
		}},
		{"a waiver is withdrawn", func(in *Input, _ *rand.Rand) { in.Waivers = nil }},
		{"personal data sent somewhere more", func(in *Input, r *rand.Rand) { in.Flows = append(in.Flows, randomFlow(r)) }},
		{"a declared kind is left out of the declaration", func(in *Input, r *rand.Rand) {
			if in.Privacy.Declared {
				delete(in.Privacy.Items, pick(r, privacyKinds...))
			}
		}},
		{"a recipient is no longer registered", func(in *Input, _ *rand.Rand) {
			for i := range in.Flows {
				in.Flows[i].Registered = false
			}
		}},
		{"blacklisted", func(in *Input, _ *rand.Rand) { in.Developer.Blacklisted = true }},
		{"a risk flag is raised", func(in *Input, _ *rand.Rand) {
			in.Developer.RiskFlags = append(in.Developer.RiskFlags, "new_flag")
		}},
		{"more recent rejections", func(in *Input, r *rand.Rand) { in.History.Rejections90d += 1 + r.IntN(3) }},
		{"more withdrawals of the same package", func(in *Input, r *rand.Rand) { in.History.WithdrawnSamePackage += 1 + r.IntN(3) }},
		{"one more link to another account", func(in *Input, r *rand.Rand) { in.Related = append(in.Related, randomRelated(r)) }},
		{"a linked app is taken down", func(in *Input, r *rand.Rand) {
			in.Related = append(in.Related, randomRelated(r))
			l := &in.Related[r.IntN(len(in.Related))]
			if l.Kind == RelatedSubmission {
				l.AppStatus, l.AppReasonCodes = "suspended", []string{"GAMBLING"}
			}
		}},
		{"a linked developer is blacklisted", func(in *Input, r *rand.Rand) {
			in.Related = append(in.Related, randomRelated(r))
			in.Related[r.IntN(len(in.Related))].DeveloperBlacklisted = true
		}},
	}
	engine := mustDefault(t)
	for i, p := range properties {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := rand.New(rand.NewPCG(20260601, uint64(i)))
			outcomes := map[string]int{}
			for pair := range pairs {
				base := randomInput(r)
				worse := clone(base)
				p.worsen(&worse, r)
				before, after := engine.Decide(ctx, base), engine.Decide(ctx, worse)
				require.NotEqual(t, CodePolicyError, firstCode(before), "pair %d errored: %+v", pair, before.Reasons)
				require.NotEqual(t, CodePolicyError, firstCode(after), "pair %d errored: %+v", pair, after.Reasons)
				require.LessOrEqual(t, rank(after), rank(before),
					"%s turned %s into %s (pair %d)\nbefore: %+v\nafter: %+v\nreasons before: %v\nreasons after: %v",
					p.name, before.Outcome, after.Outcome, pair, base, worse, codes(before), codes(after))
				outcomes[before.Outcome]++
			}
			// Pairs that are all rejections would prove nothing.
			for _, o := range []string{OutcomeApprove, OutcomeReview, OutcomeReject} {
				assert.Positive(t, outcomes[o], "no generated input was decided %s: %v", o, outcomes)
			}
		})
	}
}

func firstCode(d Decision) string {
	if len(d.Reasons) == 0 {
		return ""
	}
	return d.Reasons[0].Code
}

// The hand-built input value, and OPA's conversion of it, must be exactly
// what the JSON encoding gives.
func TestInputValueMatchesJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	inputs := []Input{{}, cleanInput(), benchInput(20)}
	for range 200 {
		in := randomInput(r)
		in.Developer.Qualifications = []string{"icp_licence"}
		in.Findings = append(in.Findings, FindingInput{RuleID: "X", Severity: "low", Remediation: "do this", Line: 1 << 20, Score: 25})
		in.Waivers = []WaiverInput{{RuleID: "MAN-003", AppID: "app-1", ExpiresAt: testNow.Add(time.Duration(r.IntN(1e6)) * time.Millisecond)}}
		if r.IntN(2) == 0 {
			in.Developer.RealName.VerifiedAt = nil
		}
		inputs = append(inputs, in)
	}
	for i, in := range inputs {
		want, err := ast.InterfaceToValue(in)
		require.NoError(t, err)
		plan := vm.ToAST(in.planInput())
		require.Equal(t, 0, want.Compare(plan), "plan input %d:\nwant %v\ngot  %v", i, want, plan)
		require.Equal(t, 0, want.Compare(in.opaInput()), "OPA's input %d", i)
	}
}
