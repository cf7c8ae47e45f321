package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/devstack"
	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a developer with an app in a fresh database.
type fixture struct {
	db  *testenv.DB
	dev store.Developer
	app store.App
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	dev, err := db.Store.UpsertDeveloper(ctx, store.Developer{Name: "dev", Kind: "individual", RealNameStatus: "verified", CreditScore: 750})
	require.NoError(t, err)
	app, err := db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "App", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	return fixture{db: db, dev: dev, app: app}
}

func (f fixture) submit(t *testing.T, version, key, hash string) (store.Submission, bool) {
	t.Helper()
	sub, created, err := f.db.Store.CreateSubmission(context.Background(), store.NewSubmission{
		AppID: f.app.ID, DeveloperID: f.dev.ID, Version: version,
		PackageSHA256: shaOf(version), PackageBytes: 10,
		IdempotencyKey: key, RequestHash: hash,
	})
	require.NoError(t, err)
	return sub, created
}

func shaOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestSamePackageInFlightIsRefusedNamingTheFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first, _ := f.submit(t, "1.0.0", "", "")
	_, _, err := f.db.Store.CreateSubmission(context.Background(), store.NewSubmission{
		AppID: f.app.ID, DeveloperID: f.dev.ID, Version: "1.0.1", PackageSHA256: shaOf("1.0.0"), PackageBytes: 10,
	})
	var inFlight *store.InFlightError
	require.ErrorAs(t, err, &inFlight)
	require.Equal(t, first.ID, inFlight.First)
}

func TestDailyQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, v := range []string{"1", "2"} {
		_, _, err := f.db.Store.CreateSubmission(context.Background(), store.NewSubmission{
			AppID: f.app.ID, DeveloperID: f.dev.ID, Version: v, PackageSHA256: shaOf(v), PackageBytes: 10, DailyQuota: 2,
		})
		require.NoError(t, err)
	}
	_, _, err := f.db.Store.CreateSubmission(context.Background(), store.NewSubmission{
		AppID: f.app.ID, DeveloperID: f.dev.ID, Version: "3", PackageSHA256: shaOf("3"), PackageBytes: 10, DailyQuota: 2,
	})
	var quota *store.QuotaError
	require.ErrorAs(t, err, &quota)
	require.InDelta(t, 24*time.Hour, quota.RetryAfter, float64(time.Minute))
}

// Parallel uploads at one under the quota: one fits, the others are
// refused and leave no row; retries of the one that fitted, also racing ones
// under its key, answer with it and do not count.
func TestDailyQuotaHoldsUnderParallelUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	const quota = 3
	for _, v := range []string{"1", "2"} {
		_, _, err := f.db.Store.CreateSubmission(ctx, store.NewSubmission{
			AppID: f.app.ID, DeveloperID: f.dev.ID, Version: v, PackageSHA256: shaOf(v), PackageBytes: 10, DailyQuota: quota,
		})
		require.NoError(t, err)
	}
	upload := func(v string) store.NewSubmission {
		return store.NewSubmission{AppID: f.app.ID, DeveloperID: f.dev.ID, Version: v, PackageSHA256: shaOf(v),
			PackageBytes: 10, IdempotencyKey: "key-" + v, RequestHash: shaOf("req-" + v), DailyQuota: quota}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []store.Submission
		refused int
		other   []error
	)
	for i := range 20 {
		wg.Go(func() {
			sub, ok, err := f.db.Store.CreateSubmission(ctx, upload(fmt.Sprint("p", i)))
			mu.Lock()
			defer mu.Unlock()
			var q *store.QuotaError
			switch {
			case err == nil && ok:
				created = append(created, sub)
			case errors.As(err, &q):
				refused++
			default:
				other = append(other, fmt.Errorf("created %v: %w", ok, err))
			}
		})
	}
	wg.Wait()
	require.Empty(t, other)
	require.Equal(t, 1, len(created), "exactly one upload fits under the quota")
	require.Equal(t, 19, refused)
	n, _, err := f.db.Store.SubmissionsSince(ctx, f.dev.ID, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, quota, n, "refused uploads leave no row")

	winner := upload(created[0].Version)
	for range 5 {
		wg.Go(func() {
			sub, ok, err := f.db.Store.CreateSubmission(ctx, winner)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || ok || sub.ID != created[0].ID {
				other = append(other, fmt.Errorf("retry: %s created %v: %w", sub.ID, ok, err))
			}
		})
	}
	wg.Wait()
	require.Empty(t, other, "a retry at the quota answers from its key")
}

// Racing retries under one key at one under the quota are one upload: each
// waits for the first to commit and answers with its submission instead of
// counting it against the quota.
func TestDailyQuotaRetriesUnderOneKeyCountOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	n := store.NewSubmission{AppID: f.app.ID, DeveloperID: f.dev.ID, Version: "1", PackageSHA256: shaOf("1"),
		PackageBytes: 10, IdempotencyKey: "k", RequestHash: shaOf("r"), DailyQuota: 1}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[string]int{}
		errs []error
	)
	for range 10 {
		wg.Go(func() {
			sub, _, err := f.db.Store.CreateSubmission(ctx, n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ids[sub.ID]++
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	require.Len(t, ids, 1, "one submission for one key")
}

func TestApplicationRoleOwnsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t)
	conn, err := pgx.Connect(ctx, db.AppURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var super bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super))
	require.False(t, super, "the application role must not be a superuser")
	var owned int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user`).Scan(&owned))
	require.Zero(t, owned, "the application role must own no table")
	_, err = conn.Exec(ctx, `DROP TABLE submissions`)
	require.Error(t, err, "the application role cannot change the schema")
	_, err = conn.Exec(ctx, `SELECT count(*) FROM submissions`)
	require.NoError(t, err, "but it can read its rows")
}

func TestAdvanceFollowsTheStateTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sub, _ := f.submit(t, "1.0.0", "", "")
	st := f.db.Store

	require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Scanning}))
	require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Scanning}), "a retried step is harmless")
	err := st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 2, To: submission.Approved})
	require.ErrorIs(t, err, store.ErrConflict, "scanning cannot jump to approved")
	require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 2, To: submission.Evaluating}))
	require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 3, To: submission.Approved,
		Outcome: "approve", Reasons: []byte(`[]`), PolicyVersion: "v1", PolicyHash: "abc"}))

	events, err := st.Timeline(ctx, sub.ID)
	require.NoError(t, err)
	var states []submission.State
	for _, e := range events {
		states = append(states, e.State)
	}
	require.Equal(t, []submission.State{submission.Received, submission.Scanning, submission.Evaluating, submission.Approved}, states)

	got, err := st.GetSubmission(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, "v1", *got.PolicyVersion)
	require.NotNil(t, got.DecidedAt)
	app, err := st.GetApp(ctx, f.app.ID)
	require.NoError(t, err)
	require.Equal(t, "1.0.0", *app.LiveVersion, "approval makes the version live")
	require.Equal(t, "live", app.Status)

	err = st.Advance(ctx, store.Step{SubmissionID: "sub_missing", Seq: 1, To: submission.Scanning})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestSavingFindingsTwiceKeepsOneSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sub, _ := f.submit(t, "1.0.0", "", "")
	findings := []store.Finding{
		{Fingerprint: "a", RuleID: "MAN-003", Severity: "critical", File: "pages/x/x.wxml", Message: "missing"},
		{Fingerprint: "b", RuleID: "PKG-010", Severity: "high", Message: "too big"},
	}
	for range 2 {
		require.NoError(t, f.db.Store.SaveFindings(ctx, sub.ID, findings))
	}
	got, err := f.db.Store.Findings(ctx, sub.ID)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "critical", got[0].Severity, "most severe first")
}

func TestIdempotencyKeyRacesMakeOneSubmission(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	created := make([]bool, 10)
	for i := range ids {
		wg.Go(func() {
			sub, ok := f.submit(t, "1.0.0", "key-1", "hash-1")
			ids[i], created[i] = sub.ID, ok
		})
	}
	wg.Wait()
	firsts := 0
	for i := range ids {
		require.Equal(t, ids[0], ids[i])
		if created[i] {
			firsts++
		}
	}
	require.Equal(t, 1, firsts, "exactly one request created the submission")

	_, _, err := f.db.Store.CreateSubmission(context.Background(), store.NewSubmission{
		AppID: f.app.ID, DeveloperID: f.dev.ID, Version: "1.0.0",
		PackageSHA256: shaOf("1.0.0"), PackageBytes: 10,
		IdempotencyKey: "key-1", RequestHash: "another-request",
	})
	require.ErrorIs(t, err, store.ErrKeyReused)

	subs, err := f.db.Store.ListSubmissions(context.Background(), store.SubmissionFilter{DeveloperID: f.dev.ID, Limit: 50})
	require.NoError(t, err)
	require.Len(t, subs, 1)
}

func TestListsPageNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	var want []string
	for _, v := range []string{"1", "2", "3", "4", "5"} {
		sub, _ := f.submit(t, v, "", "")
		want = append([]string{sub.ID}, want...)
	}
	var got []string
	after := ""
	for {
		page, err := f.db.Store.ListSubmissions(ctx, store.SubmissionFilter{DeveloperID: f.dev.ID, After: after, Limit: 2})
		require.NoError(t, err)
		for _, s := range page {
			got = append(got, s.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	require.Equal(t, want, got)

	rejected, err := f.db.Store.ListSubmissions(ctx, store.SubmissionFilter{DeveloperID: f.dev.ID, State: submission.Rejected, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, rejected)
}

func TestTokensAreStoredHashedAndExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	secret, err := f.db.Store.CreateToken(ctx, store.Token{Role: "developer", Subject: "dev", DeveloperID: &f.dev.ID})
	require.NoError(t, err)
	tok, err := f.db.Store.LookupToken(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, f.dev.ID, *tok.DeveloperID)

	past := time.Now().Add(-time.Minute)
	old, err := f.db.Store.CreateToken(ctx, store.Token{Role: "reviewer", Subject: "r", ExpiresAt: &past})
	require.NoError(t, err)
	_, err = f.db.Store.LookupToken(ctx, old)
	require.True(t, errors.Is(err, store.ErrNotFound), "an expired token no longer works")

	conn, err := pgx.Connect(ctx, f.db.OwnerURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE position($1::bytea in hash) > 0`, []byte(secret)).Scan(&n))
	require.Zero(t, n, "the secret itself is not stored")

	rows, err := f.db.Store.ListTokens(ctx)
	require.NoError(t, err)
	var id string
	for _, r := range rows {
		require.NotContains(t, secret, r.ID[4:], "the listed ID gives no part of the secret away")
		if r.Subject == "dev" {
			id = r.ID
		}
	}
	require.NoError(t, f.db.Store.RevokeTokenByID(ctx, id))
	_, err = f.db.Store.LookupToken(ctx, secret)
	require.ErrorIs(t, err, store.ErrNotFound, "a revoked token no longer works")
	require.ErrorIs(t, f.db.Store.RevokeTokenByID(ctx, "0000000000000000"), store.ErrNotFound)
}

func TestAuditLogIsAppendOnlyForTheApplication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t)
	require.NoError(t, db.Store.Audit(ctx, store.AuditEntry{Actor: "a", Role: "admin", Action: "x", ObjectID: "o"}, nil, map[string]int{"n": 1}))
	conn, err := pgx.Connect(ctx, db.AppURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, stmt := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		_, err := conn.Exec(ctx, stmt)
		require.Error(t, err, "%s must be refused", stmt)
	}
	entries, err := db.Store.AuditOf(ctx, "o")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "a", entries[0].Actor)
}

// The decision log and policy approvals are history like the audit log: the
// application adds to them and can change or remove nothing.
func TestDecisionsAndPolicyApprovalsAreAppendOnlyForTheApplication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sub, _ := f.submit(t, "1.0.0", "", "")
	require.NoError(t, f.db.Store.RecordDecision(ctx, sub.ID, 1, "v1", shaOf("bundle"), map[string]int{"n": 1}, map[string]string{"outcome": "approve"}, nil))
	owner, err := pgx.Connect(ctx, f.db.OwnerURL)
	require.NoError(t, err)
	defer owner.Close(ctx)
	_, err = owner.Exec(ctx, `INSERT INTO policy_versions (id, state, files, hash, author) VALUES ('pol_1', 'draft', '{}', $1, 'author')`, shaOf("bundle"))
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, f.db.AppURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO policy_approvals (policy_id, approved_by, hash) VALUES ('pol_1', 'approver', $1)`, shaOf("bundle"))
	require.NoError(t, err, "the application records approvals")
	for _, stmt := range []string{
		`UPDATE decisions SET output = '{"outcome":"reject"}'`, `DELETE FROM decisions`, `TRUNCATE decisions CASCADE`,
		`UPDATE policy_approvals SET approved_by = 'someone else'`, `DELETE FROM policy_approvals`, `TRUNCATE policy_approvals`,
	} {
		_, err := conn.Exec(ctx, stmt)
		require.Error(t, err, "%s must be refused", stmt)
	}
	var outcome string
	require.NoError(t, owner.QueryRow(ctx, `SELECT output->>'outcome' FROM decisions WHERE submission_id = $1`, sub.ID).Scan(&outcome))
	require.Equal(t, "approve", outcome)
	p, err := f.db.Store.GetPolicy(ctx, "pol_1")
	require.NoError(t, err)
	require.Len(t, p.Approvals, 1)
	require.Equal(t, "approver", p.Approvals[0].By)
	require.Equal(t, shaOf("bundle"), p.Approvals[0].Hash)
}

// serve and worker refuse a database role that could rewrite history: the
// owner, or any role granted UPDATE, DELETE or TRUNCATE on an append-only
// table; the application role as migrations grant it passes.
func TestStartUpCheckRefusesARoleThatCanRewriteHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.NewDB(t)
	require.NoError(t, db.Store.CheckAppendOnly(ctx), "the application role is accepted")

	asOwner, err := store.Open(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer asOwner.Close()
	err = asOwner.CheckAppendOnly(ctx)
	require.Error(t, err, "the owner is refused")
	for _, table := range store.AppendOnlyTables {
		require.Contains(t, err.Error(), table+" (owner)")
	}

	owner, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer owner.Close(ctx)
	_, err = owner.Exec(ctx, `GRANT UPDATE, TRUNCATE ON decisions TO `+pgx.Identifier{devstack.AppRole}.Sanitize())
	require.NoError(t, err)
	err = db.Store.CheckAppendOnly(ctx)
	require.Error(t, err, "an application role granted more than it should is refused")
	require.Contains(t, err.Error(), "decisions (UPDATE, TRUNCATE)")
	require.NotContains(t, err.Error(), "audit_log")
}

func TestSubmissionDetailIsTheSubmissionItsTimelineAndItsFindings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	sub, _ := f.submit(t, "1.0.0", "", "")
	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: "scanning", Detail: map[string]any{"attempt": 1}}))
	require.NoError(t, f.db.Store.SaveFindings(ctx, sub.ID, []store.Finding{
		{Fingerprint: "b", RuleID: "CODE-001", Severity: "low", File: "app.js", Line: 3, Column: 1, Snippet: "x", Message: "m", Remediation: "r"},
		{Fingerprint: "a", RuleID: "MAN-003", Severity: "critical", File: "app.json", Line: 1, Column: 2, Snippet: "y", Message: "m", Remediation: "r"},
	}))

	d, err := f.db.Store.GetSubmissionDetail(ctx, sub.ID)
	require.NoError(t, err)
	want, err := f.db.Store.GetSubmission(ctx, sub.ID)
	require.NoError(t, err)
	timeline, err := f.db.Store.Timeline(ctx, sub.ID)
	require.NoError(t, err)
	findings, err := f.db.Store.Findings(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, want, d.Submission)
	require.Equal(t, findings, d.Findings)
	require.Len(t, d.Timeline, len(timeline))
	for i := range timeline {
		require.Equal(t, timeline[i].Seq, d.Timeline[i].Seq)
		require.Equal(t, timeline[i].State, d.Timeline[i].State)
		require.Equal(t, timeline[i].At.Format(time.RFC3339Nano), d.Timeline[i].At.Format(time.RFC3339Nano), "same instant, same rendering")
		require.JSONEq(t, string(orNull(timeline[i].Detail)), string(orNull(d.Timeline[i].Detail)))
	}

	_, err = f.db.Store.GetSubmissionDetail(ctx, "sub_missing")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func orNull(b []byte) []byte {
	if b == nil {
		return []byte("null")
	}
	return b
}

// The history counts the developer's earlier withdrawals of the very
// package being decided, and nothing else: not other packages, not
// another developer's copy of it, not a later withdrawal.
func TestHistoryCountsEarlierWithdrawalsOfTheSamePackage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	st := f.db.Store
	pkg := shaOf("the package")
	create := func(dev store.Developer, app store.App, version, sha string) store.Submission {
		t.Helper()
		sub, _, err := st.CreateSubmission(ctx, store.NewSubmission{
			AppID: app.ID, DeveloperID: dev.ID, Version: version, PackageSHA256: sha, PackageBytes: 10,
		})
		require.NoError(t, err)
		return sub
	}
	withdraw := func(sub store.Submission) {
		t.Helper()
		require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Withdrawn}))
	}
	history := func(sub store.Submission) store.History {
		t.Helper()
		h, err := st.DeveloperHistory(ctx, sub.DeveloperID, sub.ID, time.Now())
		require.NoError(t, err)
		return h
	}

	first := create(f.dev, f.app, "1.0.0", pkg)
	require.Zero(t, history(first).WithdrawnSamePackage, "nothing was withdrawn before the first upload")
	withdraw(first)
	other := create(f.dev, f.app, "0.9.0", shaOf("another package"))
	withdraw(other)
	secondApp, err := st.CreateApp(ctx, store.App{DeveloperID: f.dev.ID, Name: "Second", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	again := create(f.dev, secondApp, "1.0.0", pkg)
	withdraw(again)
	someoneElse, err := st.UpsertDeveloper(ctx, store.Developer{Name: "copycat", Kind: "individual", RealNameStatus: "verified", CreditScore: 750})
	require.NoError(t, err)
	theirApp, err := st.CreateApp(ctx, store.App{DeveloperID: someoneElse.ID, Name: "Copy", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	withdraw(create(someoneElse, theirApp, "1.0.0", pkg))

	third := create(f.dev, f.app, "1.0.1", pkg)
	require.Equal(t, 2, history(third).WithdrawnSamePackage,
		"two withdrawn copies of the package, on either of the developer's apps; not the other package, not the other developer's")
	require.Equal(t, 1, history(again).WithdrawnSamePackage, "only withdrawals made before the submission count")
	require.Zero(t, history(other).WithdrawnSamePackage)
}
