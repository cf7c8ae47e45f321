package store_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/linkkey"
	"trustgate/internal/store"
	"trustgate/internal/testenv"
	"trustgate/scan"
)

// randomSig is the signature of a package unrelated to any other.
func randomSig(r *rand.Rand) []uint32 {
	sig := make([]uint32, store.MinHashSize)
	for i := range sig {
		sig[i] = r.Uint32()
	}
	return sig
}

// similarSig is a signature about similarity similar to sig, as a copy
// with some code changed would be: it keeps the share J = s/(2-s) of sig's
// values that makes Dice 2J/(1+J) = s, and redraws the rest.
func similarSig(r *rand.Rand, sig []uint32, similarity float64) []uint32 {
	out := slices.Clone(sig)
	perm := r.Perm(len(out))
	keep := similarity / (2 - similarity)
	for _, i := range perm[:len(out)-int(keep*float64(len(out))+0.5)] {
		out[i] = r.Uint32()
	}
	return out
}

// linkFixture is a database with two developers, one app and one
// submission each.
type linkFixture struct {
	db         *testenv.DB
	devA, devB store.Developer
	subA, subB store.Submission
}

func newLinkFixture(t *testing.T) linkFixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	f := linkFixture{db: db}
	for i, p := range []struct {
		dev *store.Developer
		sub *store.Submission
	}{{&f.devA, &f.subA}, {&f.devB, &f.subB}} {
		name := []string{"taken-down", "newcomer"}[i]
		dev, err := db.Store.UpsertDeveloper(ctx, store.Developer{Name: name, Kind: "individual", RealNameStatus: "verified", CreditScore: 700})
		require.NoError(t, err)
		app, err := db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "Lucky " + name, Category: "games", Platform: "wechat"})
		require.NoError(t, err)
		sub, _, err := db.Store.CreateSubmission(ctx, store.NewSubmission{AppID: app.ID, DeveloperID: dev.ID, Version: "1.0.0",
			PackageSHA256: shaOf(name), PackageBytes: 10})
		require.NoError(t, err)
		*p.dev, *p.sub = dev, sub
	}
	return f
}

func ownerQuery(t *testing.T, db *testenv.DB, sql string, args ...any) [][]any {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	require.NoError(t, err)
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		require.NoError(t, err)
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestBandHashes(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	sig := randomSig(r)
	bands := store.BandHashes(sig)
	require.Len(t, bands, store.LSHBands)
	require.Equal(t, bands, store.BandHashes(slices.Clone(sig)), "the same signature bands the same")

	changed := slices.Clone(sig)
	changed[5] ^= 1 // band 1 (values 4..7)
	other := store.BandHashes(changed)
	for b := range bands {
		if b == 1 {
			require.NotEqual(t, bands[b], other[b], "the changed band")
		} else {
			require.Equal(t, bands[b], other[b], "band %d", b)
		}
	}

	same := make([]uint32, store.MinHashSize) // every band holds the same four values
	hs := store.BandHashes(same)
	for b := 1; b < len(hs); b++ {
		require.NotEqual(t, hs[0], hs[b], "equal values in different bands must not collide")
	}
	require.Nil(t, store.BandHashes(sig[:64]))
}

func TestSaveFingerprintIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	r := rand.New(rand.NewPCG(3, 4))
	fp := store.Fingerprint{MinHash: randomSig(r), Shingles: 900}
	for range 2 {
		require.NoError(t, f.db.Store.SaveFingerprint(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, fp))
	}
	rows := ownerQuery(t, f.db, `SELECT submission_id, shingles, cardinality(bands), length(minhash) FROM link_fingerprints`)
	require.Equal(t, [][]any{{f.subA.ID, int32(900), int32(32), int32(512)}}, rows)

	// A re-scan that computes another fingerprint replaces the row.
	fp.Shingles = 901
	require.NoError(t, f.db.Store.SaveFingerprint(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, fp))
	rows = ownerQuery(t, f.db, `SELECT shingles FROM link_fingerprints`)
	require.Equal(t, [][]any{{int32(901)}}, rows)

	require.NoError(t, f.db.Store.SaveFingerprint(ctx, f.subB.ID, f.devB.ID, f.subB.AppID, store.Fingerprint{Shingles: 3}),
		"too little code: nothing to store")
	require.Error(t, f.db.Store.SaveFingerprint(ctx, f.subB.ID, f.devB.ID, f.subB.AppID, store.Fingerprint{MinHash: []uint32{1, 2}}))
	require.Len(t, ownerQuery(t, f.db, `SELECT 1 FROM link_fingerprints`), 1)
}

func TestRelatedByCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	r := rand.New(rand.NewPCG(5, 6))
	taken := randomSig(r)
	require.NoError(t, f.db.Store.SaveFingerprint(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, store.Fingerprint{MinHash: taken, Shingles: 500}))
	// A third developer's package, unrelated to the taken-down one.
	dev, err := f.db.Store.UpsertDeveloper(ctx, store.Developer{Name: "bystander", Kind: "enterprise", RealNameStatus: "verified", CreditScore: 800})
	require.NoError(t, err)
	app, err := f.db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "Weather", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	sub, _, err := f.db.Store.CreateSubmission(ctx, store.NewSubmission{AppID: app.ID, DeveloperID: dev.ID, Version: "1", PackageSHA256: shaOf("weather"), PackageBytes: 10})
	require.NoError(t, err)
	require.NoError(t, f.db.Store.SaveFingerprint(ctx, sub.ID, dev.ID, app.ID, store.Fingerprint{MinHash: randomSig(r), Shingles: 500}))

	t.Run("a copy with renamed identifiers is found", func(t *testing.T) {
		copySig := similarSig(r, taken, 0.85)
		got, err := f.db.Store.RelatedByCode(ctx, copySig, 0.8, f.devB.ID, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, f.subA.ID, got[0].SubmissionID)
		require.Equal(t, f.subA.AppID, got[0].AppID)
		require.Equal(t, f.devA.ID, got[0].DeveloperID)
		require.InDelta(t, store.Similarity(copySig, taken), got[0].Similarity, 1e-9)
		require.GreaterOrEqual(t, got[0].Similarity, 0.8)
	})
	t.Run("an unrelated package finds nothing", func(t *testing.T) {
		got, err := f.db.Store.RelatedByCode(ctx, randomSig(r), 0.3, f.devB.ID, 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("a package sharing a band but below the threshold is left out", func(t *testing.T) {
		partial := randomSig(r)
		copy(partial[:8], taken[:8]) // two bands: Jaccard 8/128, similarity 0.12
		got, err := f.db.Store.RelatedByCode(ctx, partial, 0.5, f.devB.ID, 10)
		require.NoError(t, err)
		require.Empty(t, got)
		got, err = f.db.Store.RelatedByCode(ctx, partial, 0.05, f.devB.ID, 10)
		require.NoError(t, err)
		require.Len(t, got, 1, "the band collision is a candidate, scored on the whole signature")
	})
	t.Run("the developer's own packages are left out", func(t *testing.T) {
		got, err := f.db.Store.RelatedByCode(ctx, taken, 0.8, f.devA.ID, 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("a signature of the wrong size is refused", func(t *testing.T) {
		_, err := f.db.Store.RelatedByCode(ctx, taken[:100], 0.8, "", 10)
		require.Error(t, err)
	})
}

func TestSaveIndicatorsIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	inds := []store.Indicator{
		{Kind: store.IndicatorHost, Value: "API.Lucky.example", File: "a.js", Line: 3},
		{Kind: store.IndicatorHost, Value: "api.lucky.example", File: "b.js", Line: 9},
		{Kind: store.IndicatorMerchantID, Value: "1900000109"},
	}
	for range 2 {
		require.NoError(t, f.db.Store.SaveIndicators(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, inds))
	}
	rows := ownerQuery(t, f.db, `SELECT kind, value FROM link_indicators ORDER BY kind`)
	require.Equal(t, [][]any{{"host", "api.lucky.example"}, {"merchant_id", "1900000109"}}, rows)

	require.NoError(t, f.db.Store.SaveIndicators(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, inds[2:]))
	require.Len(t, ownerQuery(t, f.db, `SELECT 1 FROM link_indicators`), 1, "a re-scan replaces the set")
	require.Error(t, f.db.Store.SaveIndicators(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, []store.Indicator{{Kind: "email", Value: "x"}}))
}

func TestRelatedByIndicators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	key, err := linkkey.New(strings.Repeat("s", 32))
	require.NoError(t, err)
	identity := func(kind, v string) store.IdentityHash {
		h, err := key.Hash(kind, v)
		require.NoError(t, err)
		return store.IdentityHash{Kind: kind, Hash: h}
	}
	require.NoError(t, f.db.Store.SaveIndicators(ctx, f.subA.ID, f.devA.ID, f.subA.AppID, []store.Indicator{
		{Kind: store.IndicatorHost, Value: "api.lucky.example"},
		{Kind: store.IndicatorMerchantID, Value: "1900000109"},
	}))
	require.NoError(t, f.db.Store.SetDeveloperIdentity(ctx, f.devA.ID, []store.IdentityHash{
		identity(linkkey.Phone, "+86 138 0013 8000"), identity(linkkey.SettlementAccount, "6222020200112233"),
	}))

	t.Run("a newcomer sharing the merchant and the phone is linked", func(t *testing.T) {
		got, err := f.db.Store.RelatedByIndicators(ctx, []store.Indicator{
			{Kind: store.IndicatorMerchantID, Value: "1900000109"},
			{Kind: store.IndicatorHost, Value: "cdn.other.example"},
		}, []store.IdentityHash{identity(linkkey.Phone, "+8613800138000"), identity(linkkey.IDDocument, "110105194912310021")}, f.devB.ID, 10)
		require.NoError(t, err)
		require.Equal(t, []store.IndicatorMatch{
			{Kind: "merchant_id", Value: "1900000109", SubmissionID: f.subA.ID, AppID: f.subA.AppID, DeveloperID: f.devA.ID},
			{Kind: "phone", DeveloperID: f.devA.ID},
		}, got)
	})
	t.Run("hosts compare without case", func(t *testing.T) {
		got, err := f.db.Store.RelatedByIndicators(ctx, []store.Indicator{{Kind: store.IndicatorHost, Value: "API.LUCKY.example"}}, nil, f.devB.ID, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "api.lucky.example", got[0].Value)
	})
	t.Run("the developer's own indicators are left out", func(t *testing.T) {
		got, err := f.db.Store.RelatedByIndicators(ctx, []store.Indicator{{Kind: store.IndicatorMerchantID, Value: "1900000109"}},
			[]store.IdentityHash{identity(linkkey.Phone, "13800138000")}, f.devA.ID, 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

func TestIdentityIsStoredOnlyAsKeyedHashes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	key, err := linkkey.New(strings.Repeat("s", 32))
	require.NoError(t, err)
	plain := map[string]string{
		linkkey.IDDocument:        "11010519491231002X",
		linkkey.Phone:             "13800138000",
		linkkey.SettlementAccount: "6222020200112233",
	}
	var hashes []store.IdentityHash
	for kind, v := range plain {
		h, err := key.Hash(kind, v)
		require.NoError(t, err)
		hashes = append(hashes, store.IdentityHash{Kind: kind, Hash: h})
	}
	for range 2 {
		require.NoError(t, f.db.Store.SetDeveloperIdentity(ctx, f.devA.ID, hashes))
	}
	rows := ownerQuery(t, f.db, `SELECT kind, hash FROM link_identity ORDER BY kind`)
	require.Len(t, rows, 3, "setting the same hashes twice keeps three rows")
	for _, row := range rows {
		h := row[1].([]byte)
		require.Len(t, h, 32)
		for _, v := range plain {
			require.False(t, bytes.Contains(h, []byte(v)), "a plain value in the table")
			require.NotContains(t, strings.ToLower(string(h)), strings.ToLower(v))
		}
	}
	// Nothing in the whole row, printed as text, holds a plain value.
	dump := ownerQuery(t, f.db, `SELECT t::text FROM link_identity t`)
	for _, row := range dump {
		for _, v := range plain {
			require.NotContains(t, row[0].(string), v)
		}
	}

	// A new phone replaces the old one, and leaves the other kinds alone.
	h, err := key.Hash(linkkey.Phone, "13900139000")
	require.NoError(t, err)
	require.NoError(t, f.db.Store.SetDeveloperIdentity(ctx, f.devA.ID, []store.IdentityHash{{Kind: linkkey.Phone, Hash: h}}))
	rows = ownerQuery(t, f.db, `SELECT kind, hash FROM link_identity WHERE kind = 'phone'`)
	require.Equal(t, [][]any{{"phone", h}}, rows)
	require.Len(t, ownerQuery(t, f.db, `SELECT 1 FROM link_identity`), 3)
}

// The store keeps the scan's shapes without importing the scanner; these
// must stay equal, or a fingerprint would be banded differently from how
// the scan means it.
func TestStoredShapesAreTheScans(t *testing.T) {
	t.Parallel()
	require.Equal(t, scan.MinHashSize, store.MinHashSize)
	require.Equal(t, scan.LSHBands, store.LSHBands)
	require.Equal(t, scan.LSHRows, store.LSHRows)
	require.Equal(t, []string{scan.IndicatorHost, scan.IndicatorWebView, scan.IndicatorSecretHash,
		scan.IndicatorMerchantID, scan.IndicatorAppID, scan.IndicatorAssetHash},
		[]string{store.IndicatorHost, store.IndicatorWebView, store.IndicatorSecretHash,
			store.IndicatorMerchantID, store.IndicatorAppID, store.IndicatorAssetHash})
	// Struct conversions compile only while the fields are the same.
	_ = store.Indicator(scan.Indicator{})
	_ = store.FileSignature(scan.FileFingerprint{})
	// The store scores candidates as the scanner scores pairs.
	r := rand.New(rand.NewPCG(18, 7))
	a := randomSig(r)
	for _, s := range []float64{0, 0.3, 0.5, 0.8, 0.9, 1} {
		b := similarSig(r, a, s)
		require.Equal(t, scan.Similarity(a, b), store.Similarity(a, b), "at %v", s)
	}
	require.Equal(t, scan.Similarity(a, a[:10]), store.Similarity(a, a[:10]))
}

// A module counts each developer who ships it once; asked by one of them,
// the count leaves the asker out.
func TestCommonModulesCountOtherDevelopers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newLinkFixture(t)
	r := rand.New(rand.NewPCG(18, 11))
	module, other := randomSig(r), randomSig(r)
	save := func(sub store.Submission, files ...[]uint32) {
		t.Helper()
		res := store.ScanResult{SubmissionID: sub.ID, DeveloperID: sub.DeveloperID, AppID: sub.AppID,
			Fingerprint: store.Fingerprint{MinHash: randomSig(r), Shingles: 500}}
		for i, sig := range files {
			res.Fingerprint.Files = append(res.Fingerprint.Files, store.FileSignature{File: fmt.Sprintf("f%d.js", i), MinHash: sig})
		}
		require.NoError(t, f.db.Store.SaveScan(ctx, res))
	}
	save(f.subA, module, other)
	save(f.subA, module, other) // scanned again: counted once
	save(f.subB, module)

	got, err := f.db.Store.CommonModules(ctx, [][]uint32{module, other, randomSig(r)}, 2, "dev_nobody")
	require.NoError(t, err)
	require.Equal(t, []bool{true, false, false}, got)
	got, err = f.db.Store.CommonModules(ctx, [][]uint32{module}, 2, f.devA.ID)
	require.NoError(t, err)
	require.Equal(t, []bool{false}, got, "devA's own copy does not make it common for devA")
	got, err = f.db.Store.CommonModules(ctx, [][]uint32{module, other}, 1, f.devA.ID)
	require.NoError(t, err)
	require.Equal(t, []bool{true, false}, got)
	got, err = f.db.Store.CommonModules(ctx, nil, 1, f.devA.ID)
	require.NoError(t, err)
	require.Empty(t, got)

	// An account without a verified real name, or a blacklisted one, is
	// not counted: opening accounts must not hide code.
	for _, d := range []store.Developer{
		{Name: "unverified", Kind: "individual", RealNameStatus: "pending", CreditScore: 700},
		{Name: "blacklisted", Kind: "individual", RealNameStatus: "verified", CreditScore: 700, Blacklisted: true},
	} {
		dev, err := f.db.Store.UpsertDeveloper(ctx, d)
		require.NoError(t, err)
		app, err := f.db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "Copy " + d.Name, Category: "games", Platform: "wechat"})
		require.NoError(t, err)
		sub, _, err := f.db.Store.CreateSubmission(ctx, store.NewSubmission{AppID: app.ID, DeveloperID: dev.ID, Version: "1.0.0",
			PackageSHA256: shaOf(d.Name), PackageBytes: 10})
		require.NoError(t, err)
		save(sub, other)
	}
	got, err = f.db.Store.CommonModules(ctx, [][]uint32{other}, 2, "dev_nobody")
	require.NoError(t, err)
	require.Equal(t, []bool{false}, got, "only devA counts for the other module")
}
