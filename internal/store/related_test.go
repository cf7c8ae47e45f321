package store_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/linkkey"
	"trustgate/internal/store"
	"trustgate/scan"
)

// A scan's findings, fingerprint (with its per-file signatures) and
// indicators are stored together, and a scan run again leaves one run's.
func TestSaveScanIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	r := rand.New(rand.NewPCG(3, 4))
	res := store.ScanResult{SubmissionID: f.subA.ID, DeveloperID: f.devA.ID, AppID: f.subA.AppID,
		Findings:    []store.Finding{{Fingerprint: "fp1", RuleID: "CODE-001", Severity: "high", File: "a.js", Line: 1, Message: "m"}},
		Fingerprint: store.Fingerprint{MinHash: randomSig(r), Shingles: 300, Files: []store.FileSignature{{File: "a.js", MinHash: randomSig(r)}}},
		Indicators:  []store.Indicator{{Kind: store.IndicatorMerchantID, Value: "1900000109"}}}
	for range 2 {
		require.NoError(t, f.db.Store.SaveScan(ctx, res))
	}
	findings, err := f.db.Store.Findings(ctx, f.subA.ID)
	require.NoError(t, err)
	require.Len(t, findings, 1)
	fp, ok, err := f.db.Store.Fingerprint(ctx, f.subA.ID)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, res.Fingerprint, fp, "read back as saved, per-file signatures included")
	inds, err := f.db.Store.Indicators(ctx, f.subA.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Indicator{{Kind: store.IndicatorMerchantID, Value: "1900000109"}}, inds)

	// A re-scan that finds too little own code leaves no fingerprint.
	res.Fingerprint = store.Fingerprint{Shingles: 20}
	require.NoError(t, f.db.Store.SaveScan(ctx, res))
	_, ok, err = f.db.Store.Fingerprint(ctx, f.subA.ID)
	require.NoError(t, err)
	require.False(t, ok)
	require.Empty(t, ownerQuery(t, f.db, `SELECT 1 FROM link_fingerprint_files`))

	// Nothing is half stored: a bad indicator undoes the findings too.
	res.Findings = nil
	res.Indicators = []store.Indicator{{Kind: "email", Value: "x"}}
	require.Error(t, f.db.Store.SaveScan(ctx, res))
	findings, err = f.db.Store.Findings(ctx, f.subA.ID)
	require.NoError(t, err)
	require.Len(t, findings, 1, "the failed save changed nothing")
}

// Related finds another developer's similar package with its standing
// now, and an account sharing an identity hash; never the developer's own.
func TestRelatedCarriesTheOtherSidesStanding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	r := rand.New(rand.NewPCG(5, 6))
	sig := randomSig(r)
	save := func(sub store.Submission, sig []uint32, files []store.FileSignature, inds []store.Indicator) {
		require.NoError(t, f.db.Store.SaveScan(ctx, store.ScanResult{SubmissionID: sub.ID, DeveloperID: sub.DeveloperID, AppID: sub.AppID,
			Fingerprint: store.Fingerprint{MinHash: sig, Shingles: 500, Files: files}, Indicators: inds}))
	}
	shared := randomSig(r)
	save(f.subA, sig, []store.FileSignature{{File: "pages/wheel/wheel.js", MinHash: shared}, {File: "utils.js", MinHash: randomSig(r)}},
		[]store.Indicator{{Kind: store.IndicatorHost, Value: "api.lucky.example"}})
	save(f.subB, similarSig(r, sig, 0.9), []store.FileSignature{{File: "pages/index/index.js", MinHash: shared}},
		[]store.Indicator{{Kind: store.IndicatorHost, Value: "api.lucky.example"}})
	reasons, _ := json.Marshal([]map[string]any{{"code": "POLICY_VIOLATION", "message": "gambling"}})
	require.NoError(t, f.db.Store.SuspendApp(ctx, f.subA.AppID, &f.subA.ID, reasons, "senior", "", "test-suspend"))

	links, err := f.db.Store.Related(ctx, f.subB.ID, store.RelatedOptions{MinSimilarity: 0.5})
	require.NoError(t, err)
	require.Len(t, links, 1)
	l := links[0]
	require.Equal(t, store.LinkSubmission, l.Kind)
	require.Equal(t, f.subA.ID, l.SubmissionID)
	require.Equal(t, f.devA.ID, l.DeveloperID)
	require.InDelta(t, 0.9, l.Similarity, 0.05)
	require.Equal(t, "suspended", l.AppStatus)
	require.Equal(t, []string{"POLICY_VIOLATION"}, l.AppReasonCodes)
	require.Equal(t, "received", l.SubmissionState)
	require.Empty(t, l.SubmissionReasonCodes, "codes of a rejection only")
	require.Equal(t, []store.Shared{{Kind: store.IndicatorHost, Value: "api.lucky.example"}}, l.Shared)

	// The per-file signatures come back as saved, so the scanner's pairing
	// (which the related API runs on them) finds the copied file.
	fb, ok, err := f.db.Store.Fingerprint(ctx, f.subB.ID)
	require.NoError(t, err)
	require.True(t, ok)
	fa, ok, err := f.db.Store.Fingerprint(ctx, f.subA.ID)
	require.NoError(t, err)
	require.True(t, ok)
	pairs := scan.MostSimilarFiles(scanFiles(fb), scanFiles(fa), 5)
	require.Equal(t, []scan.FilePair{{A: "pages/index/index.js", B: "pages/wheel/wheel.js", Similarity: 1}}, pairs)

	// An identity hash shared with a blacklisted account.
	key, err := linkkey.New(linkkey.DevKey)
	require.NoError(t, err)
	h, err := key.Hash(linkkey.Phone, "+86 138 0013 8000")
	require.NoError(t, err)
	for _, dev := range []string{f.devA.ID, f.devB.ID} {
		require.NoError(t, f.db.Store.SetDeveloperIdentity(ctx, dev, []store.IdentityHash{{Kind: linkkey.Phone, Hash: h}}))
	}
	yes := true
	_, _, _, err = f.db.Store.ApplyStanding(ctx, f.devA.ID, store.Standing{Blacklisted: &yes, AsOf: time.Now()},
		store.AuditEntry{Actor: "test", Role: "identity", Action: "developer.standing"})
	require.NoError(t, err)
	links, err = f.db.Store.RelatedToDeveloper(ctx, f.devB.ID, store.RelatedOptions{MinSimilarity: 0.5})
	require.NoError(t, err)
	require.Len(t, links, 2)
	var byIdentity store.Link
	for _, l := range links {
		require.Equal(t, f.devA.ID, l.DeveloperID, "only the other developer")
		require.True(t, l.DeveloperBlacklisted)
		if l.Kind == store.LinkDeveloper {
			byIdentity = l
		}
	}
	require.Equal(t, []store.Shared{{Kind: linkkey.Phone}}, byIdentity.Shared, "the hash is never handed out")

	own, err := f.db.Store.RelatedToDeveloper(ctx, f.devA.ID, store.RelatedOptions{MinSimilarity: 0.5})
	require.NoError(t, err)
	for _, l := range own {
		require.NotEqual(t, f.devA.ID, l.DeveloperID)
	}
}

// Under the limit, a link by a merchant ID outranks one by a host that
// any number of unrelated apps may call.
func TestRelatedKeepsOperatorLinksBeforeCommonOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	dev, err := f.db.Store.UpsertDeveloper(ctx, store.Developer{Name: "merchant-twin", Kind: "individual", RealNameStatus: "verified", CreditScore: 700})
	require.NoError(t, err)
	app, err := f.db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "Twin", Category: "games", Platform: "wechat"})
	require.NoError(t, err)
	subC, _, err := f.db.Store.CreateSubmission(ctx, store.NewSubmission{AppID: app.ID, DeveloperID: dev.ID, Version: "1.0.0",
		PackageSHA256: shaOf("merchant-twin"), PackageBytes: 10})
	require.NoError(t, err)
	host := store.Indicator{Kind: store.IndicatorHost, Value: "cdn.popular.example"}
	merchant := store.Indicator{Kind: store.IndicatorMerchantID, Value: "1900000109"}
	for _, c := range []struct {
		sub  store.Submission
		inds []store.Indicator
	}{{f.subA, []store.Indicator{host}}, {f.subB, []store.Indicator{host, merchant}}, {subC, []store.Indicator{merchant}}} {
		require.NoError(t, f.db.Store.SaveIndicators(ctx, c.sub.ID, c.sub.DeveloperID, c.sub.AppID, c.inds))
	}
	links, err := f.db.Store.Related(ctx, f.subB.ID, store.RelatedOptions{MinSimilarity: 0.5, Limit: 1})
	require.NoError(t, err)
	require.Len(t, links, 1)
	require.Equal(t, subC.ID, links[0].SubmissionID)
	require.Equal(t, []store.Shared{{Kind: store.IndicatorMerchantID, Value: "1900000109"}}, links[0].Shared)
}

func scanFiles(fp store.Fingerprint) scan.CodeFingerprint {
	var out scan.CodeFingerprint
	for _, f := range fp.Files {
		out.Files = append(out.Files, scan.FileFingerprint(f))
	}
	return out
}
