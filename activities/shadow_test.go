package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/internal/testenv"
	"trustgate/policies"
	"trustgate/workflows"
)

type fixedEngine struct{ e *policies.Engine }

func (f fixedEngine) Current(context.Context) (*policies.Engine, error) { return f.e, nil }

// A sampled decision that OPA's evaluator would make differently goes to
// senior review, is recorded so in the decision log, and counts as a
// divergence; the same decision without the divergence approves.
func TestDecideSendsAShadowDivergenceToSeniorReview(t *testing.T) {
	db := testenv.NewDB(t)
	ctx := t.Context()
	verified, expires := time.Now().AddDate(-1, 0, 0), time.Now().AddDate(1, 0, 0)
	dev, err := db.Store.UpsertDeveloper(ctx, store.Developer{Name: "shadowed", Kind: "enterprise", RealNameStatus: "verified",
		RealNameVerifiedAt: &verified, RealNameExpiresAt: &expires, CreditScore: 800})
	require.NoError(t, err)
	app, err := db.Store.EnsureApp(ctx, store.App{DeveloperID: dev.ID, Name: "shadowed", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO submissions (id, app_id, developer_id, version, package_sha256, package_bytes, state)
		VALUES ('sub_agreed', $1, $2, '1.0.0', $3, 1024, 'evaluating'), ('sub_diverged', $1, $2, '1.0.1', $4, 1024, 'evaluating')`,
		app.ID, dev.ID, strings.Repeat("a", 64), strings.Repeat("b", 64))
	require.NoError(t, err)

	engine, err := policies.NewDefault()
	require.NoError(t, err)
	engine = engine.WithTimeout(time.Minute)
	a := &Activities{Store: db.Store, Policies: fixedEngine{engine}}
	profile, err := a.LoadDeveloper(ctx, workflows.ProfileInput{SubmissionID: "sub_agreed"})
	require.NoError(t, err)
	decide := func(id string) workflows.Verdict {
		p := profile
		p.Submission.ID = id
		v, err := a.Decide(ctx, workflows.DecideInput{SubmissionID: id, Attempt: 1, Profile: p, Now: time.Now().UTC()})
		require.NoError(t, err)
		return v
	}

	a.Shadow = policies.NewShadow(policies.ShadowConfig{Rate: 1})
	agreedBefore := counted(metrics.PolicyShadow.WithLabelValues(policies.ShadowAgreed))
	require.Equal(t, policies.OutcomeApprove, decide("sub_agreed").Outcome, "OPA's evaluator agrees with the plan machine")
	assert.Equal(t, agreedBefore+1, counted(metrics.PolicyShadow.WithLabelValues(policies.ShadowAgreed)))

	a.Shadow = policies.NewShadow(policies.ShadowConfig{Rate: 1,
		Reference: func(context.Context, *policies.Engine, policies.Input) (policies.Decision, error) {
			return policies.Decision{Outcome: policies.OutcomeReject,
				Reasons: []policies.Reason{{Code: "DEVELOPER_BLACKLISTED", Message: "blacklisted"}}}, nil
		}})
	divergedBefore := counted(metrics.PolicyShadow.WithLabelValues(policies.ShadowDiverged))
	v := decide("sub_diverged")
	assert.Equal(t, divergedBefore+1, counted(metrics.PolicyShadow.WithLabelValues(policies.ShadowDiverged)))
	require.Equal(t, policies.OutcomeReview, v.Outcome)
	assert.Equal(t, policies.QueueSenior, v.Queue)
	require.Len(t, v.Reasons, 1)
	assert.Equal(t, policies.CodePolicyError, v.Reasons[0].Code)

	var outcome, queue string
	require.NoError(t, conn.QueryRow(ctx, `SELECT output->>'outcome', output->>'queue' FROM decisions WHERE submission_id = 'sub_diverged'`).
		Scan(&outcome, &queue))
	assert.Equal(t, "review senior", outcome+" "+queue, "the decision log holds the decision that was acted on")
}

func counted(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
