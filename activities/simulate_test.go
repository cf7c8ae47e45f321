package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/testenv"
	"trustgate/policies"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// recordDecisions writes n decisions of findings findings each to the
// decision log, as the Decide activity writes them: individuals and
// enterprises, four categories, credit scores around the thresholds, and
// findings mostly informational with a few that need review.
func recordDecisions(t testing.TB, db *testenv.DB, n, findings int) {
	t.Helper()
	ctx := context.Background()
	dev, err := db.Store.UpsertDeveloper(ctx, store.Developer{Name: "bench", Kind: "individual", RealNameStatus: "verified", CreditScore: 700})
	require.NoError(t, err)
	app, err := db.Store.EnsureApp(ctx, store.App{DeveloperID: dev.ID, Name: "bench", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO submissions (id, app_id, developer_id, version, package_sha256, package_bytes, state)
		SELECT 'sub_bench' || g, $1, $2, '1.0.' || g, repeat('a', 64), 1024, 'approved' FROM generate_series(1, $3) g`,
		app.ID, dev.ID, n)
	require.NoError(t, err)

	engine, err := policies.NewDefault()
	require.NoError(t, err)
	// On a busy machine the 100 ms bound of production would record a
	// POLICY_ERROR now and then, and the fixture would differ by run.
	engine = engine.WithTimeout(time.Minute)
	kinds := []string{policies.KindIndividual, policies.KindEnterprise}
	categories := []string{"tools", "lifestyle", "shopping", "finance"}
	severities := []string{"info", "info", "low", "medium", "info"}
	verified, expires := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 0, n)
	for i := 1; i <= n; i++ {
		in := policies.Input{
			Submission: policies.SubmissionInput{ID: fmt.Sprint("sub_bench", i), AppID: app.ID, Version: "1.0.0", Platform: "wechat",
				PackageSHA256: strings.Repeat("a", 64), PackageBytes: 1024},
			App: policies.AppInput{ID: app.ID, Name: "bench", Category: categories[i%len(categories)], Platform: "wechat", Status: "live"},
			Developer: policies.DeveloperInput{ID: dev.ID, OrgID: "org", Kind: kinds[i%len(kinds)],
				RealName:    policies.RealNameInput{Status: policies.RealNameVerified, VerifiedAt: &verified, ExpiresAt: &expires},
				CreditScore: 650 + i%150, Qualifications: []string{"finance"}},
			History: policies.HistoryInput{Approvals365d: 2, LiveApps: 1},
			Now:     time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
		}
		for f := range findings {
			sev := severities[f%len(severities)]
			if i%50 == 0 && f == 0 {
				sev = "high"
			}
			in.Findings = append(in.Findings, policies.FindingInput{RuleID: fmt.Sprintf("CODE-%03d", f), Severity: sev,
				File: fmt.Sprintf("pages/p%d/p.js", f), Line: f + 1, Message: "a finding of the benchmark"})
		}
		input, err := json.Marshal(in)
		require.NoError(t, err)
		output, err := json.Marshal(engine.Decide(ctx, in))
		require.NoError(t, err)
		rows = append(rows, []any{in.Submission.ID, 1, engine.Version(), engine.Hash(), input, output})
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"decisions"},
		[]string{"submission_id", "attempt", "policy_version", "policy_hash", "input", "output"}, pgx.CopyFromRows(rows))
	require.NoError(t, err)
}

// simulationOf drafts the shipped bundle with the individual credit
// threshold raised to 710 and asks for a simulation of the last n decisions.
func simulationOf(t testing.TB, db *testenv.DB, n int) (*Activities, store.PolicySimulation) {
	t.Helper()
	ctx := context.Background()
	provider, err := NewStoredPolicies(ctx, db.Store)
	require.NoError(t, err)
	files := policies.DefaultFiles()
	files["data.json"] = []byte(strings.Replace(string(files["data.json"]), `"individual": 700,`, `"individual": 710,`, 1))
	who := store.AuditEntry{Actor: "bench", Role: "compliance"}
	draft, err := db.Store.CreateDraft(ctx, files, policies.Hash(files), nil, who)
	require.NoError(t, err)
	job, err := db.Store.CreateSimulation(ctx, draft.ID, store.SimulationParams{Last: n}, who)
	require.NoError(t, err)
	return &Activities{Store: db.Store, Policies: provider}, job
}

// BenchmarkSimulate10kDecisions measures a simulation as the issue sets
// it: 10,000 recorded decisions of 20 findings each, read from PostgreSQL
// and evaluated. The bar is under 10 s; run with `make bench`. Besides the
// wall clock it reports this process's CPU time per simulation (PostgreSQL's
// own is not in it), which a busy machine does not inflate.
func BenchmarkSimulate10kDecisions(b *testing.B) {
	db := testenv.NewDB(b)
	recordDecisions(b, db, 10_000, 20)
	a, job := simulationOf(b, db, 10_000)
	ctx := context.Background()
	cpuBefore, cpuOK := processCPU()
	for b.Loop() {
		im, err := a.simulate(ctx, job, func(int, int) {})
		require.NoError(b, err)
		require.Equal(b, 10_000, im.Evaluated)
	}
	cpuAfter, _ := processCPU()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/simulation")
	if cpuOK {
		b.ReportMetric(float64((cpuAfter-cpuBefore).Milliseconds())/float64(b.N), "cpu-ms/simulation")
	}
}

// TestSimulationReadsAndComparesRecordedDecisions checks the report of a
// small simulation against what the threshold change must do.
func TestSimulationReadsAndComparesRecordedDecisions(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	recordDecisions(t, db, 400, 20)
	a, job := simulationOf(t, db, 300)
	var progress []int
	im, err := a.simulate(t.Context(), job, func(_, done int) { progress = append(progress, done) })
	require.NoError(t, err)
	require.Equal(t, 300, im.Evaluated, "only the last 300")
	require.Equal(t, 0, progress[0], "progress starts at zero")
	// Individuals (even i) with 700 to 709 move to reject: from approve, or
	// from review when they also have a high finding (every 50th).
	want, fromApprove := 0, 0
	for i := 101; i <= 400; i++ {
		if credit := 650 + i%150; i%2 == 0 && credit >= 700 && credit < 710 {
			want++
			if i%50 != 0 {
				fromApprove++
			}
		}
	}
	require.Positive(t, fromApprove)
	require.Equal(t, want, im.Changed)
	require.Equal(t, fromApprove, im.ByKind[policies.KindIndividual]["approve"]["reject"])
	require.Zero(t, im.ByKind[policies.KindEnterprise]["approve"]["reject"])
	require.Len(t, im.Changes, want)
	require.Greater(t, im.Changes[0].DecisionID, im.Changes[len(im.Changes)-1].DecisionID, "newest first")
}
