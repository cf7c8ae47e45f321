package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/testenv"
)

// The scale of issue 18: with a million stored package fingerprints,
// finding the related set of a new package within 50 ms at p99, storing one
// within 5 ms, and the index size per package. Run it on its own, it loads
// a million rows (about a minute):
//
//	go run ./internal/testenv/teststack -- go test -run '^$' -bench RelatedByCode -benchtime 2000x ./internal/store
//
// TRUSTGATE_LINK_BENCH_PACKAGES sets another number of stored packages;
// TRUSTGATE_LINK_BENCH_DB=name keeps the loaded database under that name
// (on a stack that stays up) to measure again without loading again;
// TRUSTGATE_LINK_BENCH_COMPARE=1 also builds the alternative index (one row
// per band, b-tree on the hash) on the same packages and measures it.

// benchSig is stored package i's signature, drawn again whenever needed
// instead of keeping a million in memory. Every 50th package is a copy
// (0.9 similar) of the one before it, as a family of re-uploads would be.
func benchSig(i int) []uint32 {
	if i%50 == 1 {
		r := rand.New(rand.NewPCG(uint64(i), 99))
		return similarSig(r, benchSig(i-1), 0.9)
	}
	return randomSig(rand.New(rand.NewPCG(uint64(i), 7)))
}

func benchPackages(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("TRUSTGATE_LINK_BENCH_PACKAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			b.Fatalf("TRUSTGATE_LINK_BENCH_PACKAGES=%q: want a number of at least 100", v)
		}
	}
	return n
}

// superConn connects to the test database as the cluster's superuser, which
// may load rows without checking their foreign keys: the developers, apps
// and submissions the million fingerprints name are not loaded, only the
// fingerprints and their index.
func superConn(b *testing.B, db *testenv.DB) *pgx.Conn {
	cfg, err := pgx.ParseConfig(os.Getenv(testenv.EnvAdminURL))
	require.NoError(b, err)
	cfg.Database = db.Name
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// benchDB is a fresh database of this run, dropped after it, or with
// TRUSTGATE_LINK_BENCH_DB the database of that name, kept for measuring
// again without loading again (made and loaded when it does not exist).
// load says whether the fingerprints are still to be loaded.
func benchDB(b *testing.B) (db *testenv.DB, load bool) {
	name := os.Getenv("TRUSTGATE_LINK_BENCH_DB")
	if name == "" {
		return testenv.NewDB(b), true
	}
	return testenv.KeptDB(b, name)
}

func loadFingerprints(b *testing.B, conn *pgx.Conn, n int) {
	ctx := context.Background()
	start := time.Now()
	_, err := conn.Exec(ctx, `SET session_replication_role = replica; DROP INDEX link_fingerprints_bands_idx`)
	require.NoError(b, err)
	i := 0
	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"link_fingerprints"},
		[]string{"submission_id", "developer_id", "app_id", "minhash", "bands", "shingles"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			sig := benchSig(i)
			row := []any{fmt.Sprintf("sub_bench%09d", i), fmt.Sprintf("dev_bench%07d", i/5), fmt.Sprintf("app_bench%08d", i/2),
				benchMinHash(sig), store.BandHashes(sig), 400 + i%2000}
			i++
			return row, nil
		}))
	require.NoError(b, err)
	require.EqualValues(b, n, copied)
	copyTime := time.Since(start)
	start = time.Now()
	var took []string
	for _, stmt := range []string{`SET maintenance_work_mem = '1GB'`,
		`CREATE INDEX link_fingerprints_bands_idx ON link_fingerprints USING gin (bands) WITH (fastupdate = off)`,
		`SET session_replication_role = origin`, `VACUUM ANALYZE link_fingerprints`} {
		_, err = conn.Exec(ctx, stmt)
		require.NoError(b, err)
		took = append(took, time.Since(start).Round(time.Millisecond).String())
		start = time.Now()
	}
	b.Logf("loaded %d fingerprints: COPY %s, GIN index %s, VACUUM ANALYZE %s", n, copyTime.Round(time.Millisecond), took[1], took[3])
}

func benchMinHash(sig []uint32) []byte {
	out := make([]byte, 0, 4*len(sig))
	for _, v := range sig {
		out = append(out, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return out
}

// benchQuery is the mix of lookups a day of uploads makes: most packages
// are like nothing stored; some are re-uploads of a stored one (0.85
// similar, found), some are distant relatives (0.6 similar: a candidate by
// a shared band two times in three, scored below the threshold and left
// out).
func benchQuery(r *rand.Rand, n int) (sig []uint32, wantMatch bool) {
	switch p := r.IntN(100); {
	case p < 80:
		return randomSig(r), false
	case p < 90:
		return similarSig(r, benchSig(r.IntN(n)), 0.85), true
	default:
		return similarSig(r, benchSig(r.IntN(n)), 0.6), false
	}
}

func percentiles(d []time.Duration) (p50, p95, p99, maxD time.Duration) {
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return at(0.50), at(0.95), at(0.99), d[len(d)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func BenchmarkRelatedByCode(b *testing.B) {
	ctx := context.Background()
	n := benchPackages(b)
	db, load := benchDB(b)
	conn := superConn(b, db)
	if load {
		loadFingerprints(b, conn, n)
	}
	require.NoError(b, conn.QueryRow(ctx, `SELECT count(*) FROM link_fingerprints WHERE submission_id LIKE 'sub\_bench%'`).Scan(&n))

	var table, index int64
	require.NoError(b, conn.QueryRow(ctx, `SELECT pg_table_size('link_fingerprints'), pg_relation_size('link_fingerprints_bands_idx')`).Scan(&table, &index))
	b.ReportMetric(float64(index)/float64(n), "band-index-B/pkg")
	b.ReportMetric(float64(table)/float64(n), "table-B/pkg")

	r := rand.New(rand.NewPCG(2026, 18))
	var lat []time.Duration
	found, wanted, extra := 0, 0, 0
	for b.Loop() {
		sig, want := benchQuery(r, n)
		start := time.Now()
		got, err := db.Store.RelatedByCode(ctx, sig, 0.8, "", 20)
		lat = append(lat, time.Since(start))
		require.NoError(b, err)
		if want {
			wanted++
			if len(got) > 0 {
				found++
			}
		} else if len(got) > 0 {
			extra++
		}
	}
	p50, p95, p99, mx := percentiles(lat)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p95), "p95-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(mx), "max-ms")
	b.Logf("%d lookups in %d stored packages: p50 %s p95 %s p99 %s max %s; re-uploads found %d of %d, other lookups with a match %d",
		len(lat), n, p50, p95, p99, mx, found, wanted, extra)
	require.Equal(b, wanted, found, "every re-upload is found")

	benchSaves(b, db, conn, r, table/int64(n), index/int64(n))

	// What any one-row commit costs on this machine (the WAL flush), to
	// tell it apart from what the fingerprint's index adds.
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_commit (x integer)`)
	require.NoError(b, err)
	var commit []time.Duration
	for i := range 300 {
		start := time.Now()
		_, err := conn.Exec(ctx, `INSERT INTO bench_commit VALUES ($1)`, i)
		require.NoError(b, err)
		commit = append(commit, time.Since(start))
	}
	c50, c95, c99, cmx := percentiles(commit)
	b.Logf("one-row commits on the same database: p50 %s p95 %s p99 %s max %s", c50, c95, c99, cmx)

	if os.Getenv("TRUSTGATE_LINK_BENCH_COMPARE") == "1" {
		compareBandRows(b, conn, n)
	}
}

// compareBandRows measures the alternative to the GIN index: one row per
// band (band hash, submission) with a b-tree on the hash, joined back to
// the fingerprints for the signatures to score.
func compareBandRows(b *testing.B, conn *pgx.Conn, n int) {
	ctx := context.Background()
	start := time.Now()
	_, err := conn.Exec(ctx, `DROP TABLE IF EXISTS bench_bands; CREATE TABLE bench_bands (hash bigint NOT NULL, submission_id text NOT NULL)`)
	require.NoError(b, err)
	i, band := 0, 0
	var bands []int64
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"bench_bands"}, []string{"hash", "submission_id"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if band == 0 {
				if i == n {
					return nil, nil
				}
				bands = store.BandHashes(benchSig(i))
			}
			row := []any{bands[band], fmt.Sprintf("sub_bench%09d", i)}
			if band++; band == len(bands) {
				band, i = 0, i+1
			}
			return row, nil
		}))
	require.NoError(b, err)
	for _, stmt := range []string{`CREATE INDEX bench_bands_idx ON bench_bands (hash) INCLUDE (submission_id)`, `VACUUM ANALYZE bench_bands`} {
		_, err = conn.Exec(ctx, stmt)
		require.NoError(b, err)
	}
	var table, index int64
	require.NoError(b, conn.QueryRow(ctx, `SELECT pg_table_size('bench_bands'), pg_relation_size('bench_bands_idx')`).Scan(&table, &index))
	r := rand.New(rand.NewPCG(2026, 18))
	var lat []time.Duration
	for range 2000 {
		sig, _ := benchQuery(r, n)
		start := time.Now()
		rows, err := conn.Query(ctx, `SELECT f.submission_id, f.minhash FROM link_fingerprints f
			WHERE f.submission_id IN (SELECT submission_id FROM bench_bands WHERE hash = ANY ($1))`, store.BandHashes(sig))
		require.NoError(b, err)
		for rows.Next() {
		}
		require.NoError(b, rows.Err())
		lat = append(lat, time.Since(start))
	}
	p50, p95, p99, mx := percentiles(lat)
	b.Logf("band rows (built in %s): table %d B/package, b-tree %d B/package; candidates of 2000 lookups p50 %s p95 %s p99 %s max %s",
		time.Since(start).Round(time.Second), table/int64(n), index/int64(n), p50, p95, p99, mx)
}

// benchSaves measures what storing a fingerprint adds to a scan's save:
// the scan's transaction (store.SaveScan) with its findings alone, as
// before linking, against the same with the fingerprint, its per-file
// signatures and the indicators, in pairs whose order is drawn at random so
// that both arms see the same machine. It runs with the server's WAL
// compression off and then on (a superuser setting, changed between
// blocks of pairs), each block after a checkpoint: the first change of an
// index page after a checkpoint writes the whole page to the WAL, which is
// what a save costs in production, where checkpoints are minutes apart and
// saves are spread over them.
func benchSaves(b *testing.B, db *testenv.DB, conn *pgx.Conn, r *rand.Rand, tableB, indexB int64) {
	ctx := context.Background()
	dev, err := db.Store.UpsertDeveloper(ctx, store.Developer{Name: "bench", Kind: "enterprise", RealNameStatus: "verified", CreditScore: 800})
	require.NoError(b, err)
	salt := store.NewSecret(4) // a run on a kept database adds an app of its own
	app, err := db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "Bench " + salt, Category: "tools", Platform: "wechat"})
	require.NoError(b, err)
	findings := make([]store.Finding, 20)
	for i := range findings {
		findings[i] = store.Finding{Fingerprint: shaOf(fmt.Sprint(i)), RuleID: "CODE-010", Severity: "medium",
			File: fmt.Sprintf("pages/p%d/index.js", i), Line: i + 1, Snippet: "wx.request({url: base + path})", Message: "request to a host"}
	}
	seq := 0
	save := func(withLinks bool) time.Duration {
		seq++
		sub, _, err := db.Store.CreateSubmission(ctx, store.NewSubmission{AppID: app.ID, DeveloperID: dev.ID,
			Version: strconv.Itoa(seq), PackageSHA256: shaOf(salt + strconv.Itoa(seq)), PackageBytes: 10})
		require.NoError(b, err)
		res := store.ScanResult{SubmissionID: sub.ID, DeveloperID: dev.ID, AppID: app.ID, Findings: findings}
		if withLinks {
			res.Fingerprint = store.Fingerprint{MinHash: randomSig(r), Shingles: 1000}
			for f := range 10 {
				res.Fingerprint.Files = append(res.Fingerprint.Files, store.FileSignature{File: fmt.Sprintf("pages/p%d/index.js", f), MinHash: randomSig(r)})
			}
			for k := range 15 {
				res.Indicators = append(res.Indicators, store.Indicator{Kind: store.IndicatorHost, Value: fmt.Sprintf("api%d.%s.example", k, salt)})
			}
		}
		start := time.Now()
		require.NoError(b, db.Store.SaveScan(ctx, res))
		return time.Since(start)
	}
	b.Cleanup(func() { // also when a save fails: the server outlives the run
		_, _ = conn.Exec(context.Background(), `ALTER SYSTEM RESET wal_compression`)
		_, _ = conn.Exec(context.Background(), `SELECT pg_reload_conf()`)
	})
	for _, compression := range []string{"off", "lz4"} {
		_, err := conn.Exec(ctx, `ALTER SYSTEM SET wal_compression = '`+compression+`'`)
		require.NoError(b, err)
		_, err = conn.Exec(ctx, `SELECT pg_reload_conf()`)
		require.NoError(b, err)
		var without, with, added []time.Duration
		for range 3 {
			_, err = conn.Exec(ctx, `CHECKPOINT`)
			require.NoError(b, err)
			for range 100 {
				var w, o time.Duration
				if r.IntN(2) == 0 {
					w, o = save(true), save(false)
				} else {
					o, w = save(false), save(true)
				}
				with, without, added = append(with, w), append(without, o), append(added, w-o)
			}
		}
		o50, _, o99, _ := percentiles(without)
		w50, w95, w99, wmx := percentiles(with)
		a50, _, _, _ := percentiles(added)
		mean := func(d []time.Duration) (sum time.Duration) {
			for _, x := range d {
				sum += x
			}
			return sum / time.Duration(len(d))
		}
		b.ReportMetric(ms(mean(with)-mean(without)), "save-added-mean-ms-wal-"+compression)
		b.ReportMetric(ms(a50), "save-added-p50-ms-wal-"+compression)
		b.ReportMetric(ms(w99-o99), "save-added-p99-ms-wal-"+compression)
		b.Logf("wal_compression=%s, %d pairs of scan saves: findings alone p50 %s p99 %s mean %s; with fingerprint and indicators p50 %s p95 %s p99 %s max %s mean %s; added: mean %s, median of pairs %s, p99 %s",
			compression, len(added), o50, o99, mean(without), w50, w95, w99, wmx, mean(with), mean(with)-mean(without), a50, w99-o99)
	}
	b.Logf("table %d B/package, GIN band index %d B/package", tableB, indexB)
}
