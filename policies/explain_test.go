package policies

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		change      func(*Input)
		outcome     string
		wantRules   []string // rule names that must have fired
		absentRules []string // rule names that must not have fired
	}{
		{
			name:        "rejected for credit names the credit rule",
			change:      func(in *Input) { in.Developer.CreditScore = 100 },
			outcome:     OutcomeReject,
			wantRules:   []string{"decision", "reject_reasons", "credit_threshold", "credit_score"},
			absentRules: []string{"review_route"},
		},
		{
			name:        "approved names the approving decision body only",
			outcome:     OutcomeApprove,
			wantRules:   []string{"decision", "credit_threshold", "open_findings"},
			absentRules: []string{"reject_reasons", "review_reasons"},
		},
	}
	engine := mustDefault(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := cleanInput()
			if tt.change != nil {
				tt.change(&in)
			}
			d, fired, err := engine.Explain(context.Background(), in)
			require.NoError(t, err)
			assert.Equal(t, tt.outcome, d.Outcome)
			assert.Equal(t, engine.Decide(context.Background(), in), d, "Explain must decide like Decide")
			names := map[string]bool{}
			for _, f := range fired {
				parts := strings.Fields(f)
				require.Len(t, parts, 2, "fired rule %q is not \"file:line rule\"", f)
				assert.Regexp(t, `^\w+\.rego:\d+$`, parts[0])
				names[parts[1]] = true
			}
			for _, r := range tt.wantRules {
				assert.True(t, names[r], "%s did not fire; fired: %v", r, fired)
			}
			for _, r := range tt.absentRules {
				assert.False(t, names[r], "%s fired; fired: %v", r, fired)
			}
		})
	}
}

func TestExplainNamesTheCreditRuleBody(t *testing.T) {
	t.Parallel()
	in := cleanInput()
	in.Developer.CreditScore = 100
	_, fired, err := mustDefault(t).ExplainRules(context.Background(), in)
	require.NoError(t, err)
	var bodies []int
	for _, f := range fired {
		if f.Rule == "reject_reasons" {
			bodies = append(bodies, f.Line)
		}
	}
	// Exactly one reject rule fired: the credit one, found by its line.
	require.Len(t, bodies, 1, "fired: %v", fired)
	src := string(DefaultFiles()["submission.rego"])
	line := strings.Split(src, "\n")[bodies[0]:]
	assert.Contains(t, strings.Join(line[:3], "\n"), "credit_score < credit_threshold")
}

func TestExplainFailsClosed(t *testing.T) {
	t.Parallel()
	engine, err := New(bundleWith(`decision := "approve"`))
	require.NoError(t, err)
	d, fired, err := engine.Explain(context.Background(), cleanInput())
	require.Error(t, err)
	assert.Empty(t, fired)
	assert.Equal(t, []string{CodePolicyError}, codes(d))
}
