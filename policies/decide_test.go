package policies

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// defaultEngine is compiled once for the package's tests, the way the worker
// compiles it once per process. Its timeout is long: the tests run in
// parallel, under the race detector, on shared machines, and a decision that
// times out there would fail a test about something else. TestDecideTimesOut
// covers the bound.
var defaultEngine = sync.OnceValues(func() (*Engine, error) {
	e, err := NewDefault()
	if err != nil {
		return nil, err
	}
	return e.WithTimeout(time.Minute), nil
})

func mustDefault(t testing.TB) *Engine {
	t.Helper()
	e, err := defaultEngine()
	require.NoError(t, err)
	return e
}

// cleanInput is approved by the default bundle; each case changes one thing.
func cleanInput() Input {
	verified := testNow.AddDate(-1, 0, 0)
	expires := testNow.AddDate(1, 0, 0)
	return Input{
		Submission: SubmissionInput{ID: "sub-1", AppID: "app-1", Version: "1.2.0", Platform: "wechat", PackageSHA256: "ab", PackageBytes: 2048},
		App:        AppInput{ID: "app-1", Name: "Shop", Category: "retail", Platform: "wechat", Status: "live", LiveVersion: "1.1.0"},
		Developer: DeveloperInput{
			ID: "dev-1", OrgID: "org-1", Kind: KindIndividual,
			RealName:    RealNameInput{Status: RealNameVerified, VerifiedAt: &verified, ExpiresAt: &expires},
			CreditScore: 720,
		},
		History: HistoryInput{Approvals365d: 4, LiveApps: 1},
		Now:     testNow,
	}
}

func finding(severity, ruleID, file string, line int) FindingInput {
	return FindingInput{RuleID: ruleID, Severity: severity, File: file, Line: line, Message: ruleID + " found"}
}

func codes(d Decision) []string {
	out := []string{}
	for _, r := range d.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Input)
		want   Decision // Reasons compared by code only
		codes  []string
		check  func(t *testing.T, d Decision)
	}{
		{
			name:  "clean submission is approved",
			want:  Decision{Outcome: OutcomeApprove},
			codes: []string{},
		},
		{
			name:   "individual below threshold is rejected",
			change: func(in *Input) { in.Developer.CreditScore = 550 },
			want:   Decision{Outcome: OutcomeReject},
			codes:  []string{"CREDIT_BELOW_THRESHOLD"},
			check: func(t *testing.T, d Decision) {
				assert.Equal(t, map[string]any{"credit_score": 550.0, "threshold": 700.0, "kind": "individual", "category": "retail"}, d.Reasons[0].Evidence)
			},
		},
		{
			name:   "enterprise at 650 is approved where individual at 650 is rejected",
			change: func(in *Input) { in.Developer.Kind, in.Developer.CreditScore = KindEnterprise, 650 },
			want:   Decision{Outcome: OutcomeApprove},
			codes:  []string{},
			check: func(t *testing.T, _ Decision) {
				in := cleanInput()
				in.Developer.CreditScore = 650
				d := mustDefault(t).Decide(context.Background(), in)
				assert.Equal(t, OutcomeReject, d.Outcome)
				assert.Equal(t, []string{"CREDIT_BELOW_THRESHOLD"}, codes(d))
			},
		},
		{
			name: "enterprise at 650 in lending is rejected by the category threshold",
			change: func(in *Input) {
				in.Developer.Kind, in.Developer.CreditScore, in.App.Category = KindEnterprise, 650, "lending"
				in.Developer.Qualifications = []string{"lending"}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"CREDIT_BELOW_THRESHOLD"},
			check: func(t *testing.T, d Decision) { assert.Equal(t, 700.0, d.Reasons[0].Evidence["threshold"]) },
		},
		{
			name:   "unverified developer is rejected with REALNAME_REQUIRED",
			change: func(in *Input) { in.Developer.RealName = RealNameInput{Status: RealNamePending} },
			want:   Decision{Outcome: OutcomeReject},
			codes:  []string{"REALNAME_REQUIRED"},
		},
		{
			name: "expired real name is rejected",
			change: func(in *Input) {
				expired := testNow.Add(-time.Hour)
				in.Developer.RealName.ExpiresAt = &expired
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"REALNAME_EXPIRED"},
		},
		{
			name:   "blacklisted developer is rejected",
			change: func(in *Input) { in.Developer.Blacklisted = true },
			want:   Decision{Outcome: OutcomeReject},
			codes:  []string{"DEVELOPER_BLACKLISTED"},
		},
		{
			name: "critical finding rejects with its rule ID and file",
			change: func(in *Input) {
				in.Findings = []FindingInput{finding("critical", "MAN-003", "pages/x/x.wxml", 3)}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"MAN-003"},
			check: func(t *testing.T, d Decision) {
				r := d.Reasons[0]
				assert.Equal(t, map[string]any{"rule_id": "MAN-003", "file": "pages/x/x.wxml", "line": 3.0, "severity": "critical"}, r.Evidence)
				assert.Equal(t, "MAN-003 found", r.Message)
				assert.Contains(t, r.Remediation, "pages/x/x.wxml:3")
			},
		},
		{
			name: "critical finding carries the scan rule's own remediation",
			change: func(in *Input) {
				f := finding("critical", "SECRET-001", "config.js", 7)
				f.Remediation = "Move the key to the server and rotate it."
				in.Findings = []FindingInput{f}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"SECRET-001"},
			check: func(t *testing.T, d Decision) {
				assert.Equal(t, "Move the key to the server and rotate it. (at config.js:7)", d.Reasons[0].Remediation)
			},
		},
		{
			name: "individual in an enterprise-only category is rejected",
			change: func(in *Input) {
				in.App.Category, in.Developer.CreditScore, in.Developer.Qualifications = "medical", 800, []string{"medical"}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"CATEGORY_ENTERPRISE_ONLY"},
		},
		{
			name: "enterprise without the category's qualification is rejected",
			change: func(in *Input) {
				in.App.Category, in.Developer.Kind = "finance", KindEnterprise
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"QUALIFICATION_MISSING"},
			check: func(t *testing.T, d Decision) {
				assert.Equal(t, map[string]any{"category": "finance", "qualification": "finance"}, d.Reasons[0].Evidence)
			},
		},
		{
			name: "licensed enterprise in finance is approved",
			change: func(in *Input) {
				in.App.Category, in.Developer.Kind, in.Developer.Qualifications = "finance", KindEnterprise, []string{"finance"}
			},
			want:  Decision{Outcome: OutcomeApprove},
			codes: []string{},
		},
		{
			name:   "individual using payment APIs is rejected",
			change: func(in *Input) { in.Findings = []FindingInput{finding("info", "CODE-020", "pages/pay/pay.js", 12)} },
			want:   Decision{Outcome: OutcomeReject},
			codes:  []string{"PAYMENT_REQUIRES_ENTERPRISE"},
		},
		{
			name: "enterprise without a payment qualification using payment APIs is rejected",
			change: func(in *Input) {
				in.Developer.Kind = KindEnterprise
				in.Findings = []FindingInput{finding("info", "CODE-020", "pages/pay/pay.js", 12)}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"PAYMENT_QUALIFICATION_MISSING"},
		},
		{
			name: "enterprise with a payment qualification may use payment APIs",
			change: func(in *Input) {
				in.Developer.Kind, in.Developer.Qualifications = KindEnterprise, []string{"payment"}
				in.Findings = []FindingInput{finding("info", "CODE-020", "pages/pay/pay.js", 12)}
			},
			want:  Decision{Outcome: OutcomeApprove},
			codes: []string{},
		},
		{
			name: "waived critical finding is approved",
			change: func(in *Input) {
				in.Findings = []FindingInput{finding("critical", "MAN-003", "pages/x/x.wxml", 3)}
				in.Waivers = []WaiverInput{{RuleID: "MAN-003", AppID: "app-1", ExpiresAt: testNow.Add(time.Hour)}}
			},
			want:  Decision{Outcome: OutcomeApprove},
			codes: []string{},
		},
		{
			name:   "high finding goes to review",
			change: func(in *Input) { in.Findings = []FindingInput{finding("high", "CODE-012", "pages/pay/pay.js", 40)} },
			want:   Decision{Outcome: OutcomeReview, Queue: QueueStandard, Priority: "normal", ApprovalsRequired: 1, SLAHours: 48},
			codes:  []string{"FINDING_NEEDS_REVIEW"},
		},
		{
			name:   "risk flag goes to review",
			change: func(in *Input) { in.Developer.RiskFlags = []string{"chargeback_spike"} },
			want:   Decision{Outcome: OutcomeReview, Queue: QueueStandard, Priority: "normal", ApprovalsRequired: 1, SLAHours: 48},
			codes:  []string{"RISK_FLAGGED"},
		},
		{
			name:   "a package withdrawn before and uploaded again goes to review",
			change: func(in *Input) { in.History.WithdrawnSamePackage = 1 },
			want:   Decision{Outcome: OutcomeReview, Queue: QueueStandard, Priority: "normal", ApprovalsRequired: 1, SLAHours: 48},
			codes:  []string{"RESUBMITTED_AFTER_WITHDRAWAL"},
		},
		{
			name:   "repeat offender goes to senior queue with two approvals",
			change: func(in *Input) { in.History.Rejections90d = 3 },
			want:   Decision{Outcome: OutcomeReview, Queue: QueueSenior, Priority: "high", ApprovalsRequired: 2, SLAHours: 24},
			codes:  []string{"REPEAT_OFFENDER"},
		},
		{
			name: "reject lists every reason, not only the first",
			change: func(in *Input) {
				in.Developer.CreditScore = 100
				in.Developer.Blacklisted = true
				in.Developer.RiskFlags = []string{"x"}
				in.Findings = []FindingInput{
					finding("critical", "SECRET-001", "config.js", 7),
					finding("high", "CODE-012", "pages/pay/pay.js", 40),
					finding("critical", "MAN-003", "pages/x/x.wxml", 3),
				}
			},
			want:  Decision{Outcome: OutcomeReject},
			codes: []string{"CREDIT_BELOW_THRESHOLD", "DEVELOPER_BLACKLISTED", "MAN-003", "SECRET-001"},
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
			got := engine.Decide(context.Background(), in)
			assert.Equal(t, tt.codes, codes(got), "reasons: %+v", got.Reasons)
			for _, r := range got.Reasons {
				assert.NotEmpty(t, r.Remediation, "reason %s", r.Code)
				assert.NotEmpty(t, r.Evidence, "reason %s", r.Code)
			}
			got.Reasons = nil
			assert.Equal(t, tt.want, got)
			if tt.check != nil {
				tt.check(t, engine.Decide(context.Background(), in))
			}
		})
	}
}

func TestDecisionJSONShape(t *testing.T) {
	t.Parallel()
	got := mustDefault(t).Decide(context.Background(), cleanInput())
	b, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, `{"outcome":"approve","reasons":[]}`, string(b))
}

func TestInputMarshalsEmptyListsAsArrays(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Input{})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, []any{}, doc["findings"])
	assert.Equal(t, []any{}, doc["waivers"])
	dev := doc["developer"].(map[string]any)
	assert.Equal(t, []any{}, dev["qualifications"])
	assert.Equal(t, []any{}, dev["risk_flags"])
	assert.Nil(t, dev["real_name"].(map[string]any)["expires_at"])
}

func TestDecideIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	rejected := cleanInput()
	rejected.Developer.CreditScore = 1
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			in, want := cleanInput(), OutcomeApprove
			if i%2 == 1 {
				in, want = rejected, OutcomeReject
			}
			assert.Equal(t, want, engine.Decide(context.Background(), in).Outcome)
		})
	}
	wg.Wait()
}
