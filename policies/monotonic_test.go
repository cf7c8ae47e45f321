package policies

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/require"
)

// rank orders outcomes from worst to best for the developer.
func rank(outcome string) int {
	switch outcome {
	case OutcomeApprove:
		return 2
	case OutcomeReview:
		return 1
	default:
		return 0
	}
}

func randomInput(r *rand.Rand) Input {
	in := cleanInput()
	in.Developer.Kind = pick(r, KindIndividual, KindEnterprise)
	in.App.Category = pick(r, "retail", "games", "finance", "lending", "medical")
	in.Developer.CreditScore = 450 + r.IntN(400)
	in.Developer.RealName.Status = pick(r, RealNameVerified, RealNameVerified, RealNameVerified, RealNamePending, RealNameExpired)
	expires := testNow.Add(time.Duration(r.IntN(2000)-200) * time.Hour)
	in.Developer.RealName.ExpiresAt = &expires
	in.Developer.Blacklisted = r.IntN(50) == 0
	if r.IntN(10) == 0 {
		in.Developer.RiskFlags = []string{"chargeback_spike"}
	}
	in.History.Rejections90d = r.IntN(5)
	for range r.IntN(3) {
		in.Findings = append(in.Findings, randomFinding(r))
	}
	return in
}

func randomFinding(r *rand.Rand) FindingInput {
	return finding(pick(r, "critical", "high", "medium", "low"), pick(r, "MAN-003", "CODE-012", "SECRET-001"), "pages/x/x.js", 1+r.IntN(100))
}

func pick[T any](r *rand.Rand, options ...T) T { return options[r.IntN(len(options))] }

// Making a developer or a package less trustworthy must never improve the
// outcome. A threshold edited the wrong way round in data.json (say, an
// enterprise override above the individual one) breaks this.
func TestDecisionIsMonotonic(t *testing.T) {
	t.Parallel()
	const pairs = 2000
	worsen := []struct {
		name   string
		change func(*Input, *rand.Rand)
	}{
		{"lower credit score", func(in *Input, r *rand.Rand) { in.Developer.CreditScore -= 1 + r.IntN(200) }},
		{"enterprise becomes individual", func(in *Input, _ *rand.Rand) { in.Developer.Kind = KindIndividual }},
		{"real name unverified", func(in *Input, r *rand.Rand) {
			in.Developer.RealName.Status = pick(r, RealNamePending, RealNameNone, RealNameRejected, RealNameExpired)
		}},
		{"one more finding", func(in *Input, r *rand.Rand) { in.Findings = append(in.Findings, randomFinding(r)) }},
	}
	engine := mustDefault(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(20260601, 1))
	for i := range pairs {
		base := randomInput(r)
		before := engine.Decide(ctx, base)
		require.NotEqual(t, CodePolicyError, firstCode(before), "input %d errored: %+v", i, before.Reasons)
		for _, w := range worsen {
			worse := base
			worse.Findings = append([]FindingInput(nil), base.Findings...)
			w.change(&worse, r)
			after := engine.Decide(ctx, worse)
			require.LessOrEqual(t, rank(after.Outcome), rank(before.Outcome),
				"%s turned %s into %s (pair %d)\nbefore: %+v\nafter: %+v", w.name, before.Outcome, after.Outcome, i, base, worse)
		}
	}
}

func firstCode(d Decision) string {
	if len(d.Reasons) == 0 {
		return ""
	}
	return d.Reasons[0].Code
}

// The hand-built input value must be exactly what the JSON encoding gives.
func TestInputValueMatchesJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	inputs := []Input{{}, cleanInput(), benchInput()}
	for range 200 {
		in := randomInput(r)
		in.Developer.Qualifications = []string{"icp_licence"}
		in.Waivers = []WaiverInput{{RuleID: "MAN-003", AppID: "app-1", ExpiresAt: testNow.Add(time.Duration(r.IntN(1e6)) * time.Millisecond)}}
		if r.IntN(2) == 0 {
			in.Developer.RealName.VerifiedAt = nil
		}
		inputs = append(inputs, in)
	}
	for i, in := range inputs {
		want, err := ast.InterfaceToValue(in)
		require.NoError(t, err)
		require.Equal(t, 0, want.Compare(in.value()), "input %d:\nwant %v\ngot  %v", i, want, in.value())
	}
}
