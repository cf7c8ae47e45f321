package activities

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"gocloud.dev/blob"

	"trustgate/internal/blobstore"
	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/internal/testenv"
	"trustgate/policies"
)

// scanFixture is one submission about to be scanned, of a verified
// enterprise developer's app, with its package in a blob bucket, and the
// activities over a real database with the default policy.
type scanFixture struct {
	db     *testenv.DB
	conn   *pgx.Conn // as the owner, to read the decision log
	a      *Activities
	env    *testsuite.TestActivityEnvironment
	bucket *blob.Bucket
}

// newScanFixture stores files as the package of submission id, made for an
// app with the given registered domains; privacy is the declaration it was
// sent with ("" for none).
func newScanFixture(t *testing.T, id string, files map[string]string, domains []string, privacy string) scanFixture {
	t.Helper()
	db := testenv.NewDB(t)
	ctx := t.Context()
	bucket, err := blobstore.Open(ctx, "file://"+filepath.ToSlash(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = bucket.Close() })
	conn, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	engine, err := policies.NewDefault()
	require.NoError(t, err)
	a := &Activities{Store: db.Store, Blobs: bucket, Policies: fixedEngine{engine.WithTimeout(time.Minute)}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	f := scanFixture{db: db, conn: conn, a: a, env: env, bucket: bucket}
	f.add(t, id, files, domains, privacy)
	return f
}

// add stores files as the package of a new submission id, of a new
// developer's app of the same name, waiting to be scanned.
func (f scanFixture) add(t *testing.T, id string, files map[string]string, domains []string, privacy string) {
	t.Helper()
	ctx := t.Context()
	pkg, err := pkgzip.Files(files)
	require.NoError(t, err)
	sum := sha256.Sum256(pkg)
	sha := hex.EncodeToString(sum[:])
	require.NoError(t, blobstore.PutPackage(ctx, f.bucket, sha, bytes.NewReader(pkg)))
	verified, expires := time.Now().AddDate(-1, 0, 0), time.Now().AddDate(1, 0, 0)
	dev, err := f.db.Store.UpsertDeveloper(ctx, store.Developer{Name: id, Kind: "enterprise", RealNameStatus: "verified",
		RealNameVerifiedAt: &verified, RealNameExpiresAt: &expires, CreditScore: 800})
	require.NoError(t, err)
	app, err := f.db.Store.EnsureApp(ctx, store.App{DeveloperID: dev.ID, Name: id, Category: "tools", Platform: "wechat",
		Domains: domains})
	require.NoError(t, err)
	_, err = f.conn.Exec(ctx, `INSERT INTO submissions (id, app_id, developer_id, version, package_sha256, package_bytes, state, privacy)
		VALUES ($1, $2, $3, '1.0.0', $4, $5, 'scanning', NULLIF($6, '')::jsonb)`, id, app.ID, dev.ID, sha, len(pkg), privacy)
	require.NoError(t, err)
}
