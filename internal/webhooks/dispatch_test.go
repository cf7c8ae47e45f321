package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// developer is a developer with one app and one webhook endpoint; each
// submission it makes enqueues a submission.received delivery to it.
type developer struct {
	st          *store.Store
	id, app, wh string
	n           int
}

func newDeveloper(t *testing.T, st *store.Store, name, endpoint string) *developer {
	t.Helper()
	ctx := context.Background()
	dev, err := st.UpsertDeveloper(ctx, store.Developer{Name: name, Kind: "enterprise", RealNameStatus: "verified", CreditScore: 800})
	require.NoError(t, err)
	app, err := st.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: name + " app", Category: "tools", Platform: "wechat"})
	require.NoError(t, err)
	hook, err := st.CreateWebhook(ctx, dev.ID, endpoint, []string{"*"}, DefaultMaxEndpoints)
	require.NoError(t, err)
	return &developer{st: st, id: dev.ID, app: app.ID, wh: hook.ID}
}

// submit makes a submission of a package of its own, so each one is a
// separate order of events and nothing waits for an earlier one.
func (d *developer) submit(t *testing.T) {
	t.Helper()
	d.n++
	sha := sha256.Sum256([]byte(d.id + strconv.Itoa(d.n)))
	_, _, err := d.st.CreateSubmission(context.Background(), store.NewSubmission{
		AppID: d.app, DeveloperID: d.id, Version: "1.0." + strconv.Itoa(d.n), PackageSHA256: hex.EncodeToString(sha[:]), PackageBytes: 10,
	})
	require.NoError(t, err)
}

// tarpit accepts requests and never answers them, until the test ends.
type tarpit struct {
	hanging, most atomic.Int32
	answered      atomic.Int32
	release       chan struct{}
}

func newTarpit(t *testing.T) (*tarpit, string) {
	tp := &tarpit{release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := tp.hanging.Add(1)
		for m := tp.most.Load(); n > m && !tp.most.CompareAndSwap(m, n); m = tp.most.Load() {
		}
		select {
		case <-tp.release:
		case <-r.Context().Done():
		}
		tp.hanging.Add(-1)
		tp.answered.Add(1)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(tp.release) }) // before Close, which waits for the handlers
	return tp, srv.URL
}

func TestATarpitEndpointDoesNotDelayAnotherDevelopersDelivery(t *testing.T) {
	t.Parallel()
	st := testenv.NewDB(t).Store
	tp, tarpitURL := newTarpit(t)
	arrived := make(chan struct{}, 8)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(healthy.Close)

	// Developer A's events are older, so a dispatcher that sends in order
	// one at a time reaches B only after all of A's timeouts.
	a := newDeveloper(t, st, "a", tarpitURL)
	for range 4 {
		a.submit(t)
	}
	b := newDeveloper(t, st, "b", healthy.URL)
	b.submit(t)

	const sendTimeout = 5 * time.Second
	d := &Dispatcher{Store: st, AllowLoopback: true, Every: 50 * time.Millisecond,
		SendTimeout: sendTimeout, Concurrency: 4, PerEndpoint: 2}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	// The bound: B's delivery arrives within 2 s, which is also
	// before A's sends could have timed out, so A's tarpit is still hanging.
	select {
	case <-arrived:
	case <-time.After(2 * time.Second):
		t.Fatalf("B's delivery did not arrive within 2 s; A's tarpit holds %d requests", tp.hanging.Load())
	}
	require.Zero(t, tp.answered.Load(), "B's delivery arrived while every request to A's tarpit still hung")
	// A's sends may still be connecting when B's arrives (the dispatcher
	// starts them side by side, in no set order); they reach the tarpit
	// well before their 5 s timeout, and none has been answered.
	require.Eventually(t, func() bool { return tp.hanging.Load() > 0 }, 2*time.Second, 10*time.Millisecond,
		"A's tarpit was being sent to at the same time")
	require.Zero(t, tp.answered.Load(), "A's sends still hang")
	require.LessOrEqual(t, tp.most.Load(), int32(2), "the tarpit holds no more than the per-endpoint limit")
}

func TestBreakerSkipsAnEndpointThatKeepsFailingUntilItsCooldownEnds(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t)
	st := db.Store
	var failing atomic.Bool
	failing.Store(true)
	var flakyHits, healthyHits atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flakyHits.Add(1)
		if failing.Load() {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(flaky.Close)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		healthyHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(healthy.Close)

	a := newDeveloper(t, st, "a", flaky.URL)
	for range 6 {
		a.submit(t)
	}
	b := newDeveloper(t, st, "b", healthy.URL)
	d := &Dispatcher{Store: st, AllowLoopback: true, SendTimeout: 2 * time.Second, Concurrency: 8, PerEndpoint: 2,
		Breaker: store.Breaker{Failures: 2, Cooldown: time.Hour}}
	d.setup()
	ctx := context.Background()
	round := func() int {
		t.Helper()
		n, err := d.dispatch(ctx)
		require.NoError(t, err)
		d.sends.Wait()
		return n
	}

	require.Equal(t, 2, round(), "two of A's deliveries at once, the per-endpoint limit")
	require.EqualValues(t, 2, flakyHits.Load())
	hooks, err := st.ListWebhooks(ctx, a.id)
	require.NoError(t, err)
	require.NotNil(t, hooks[0].PausedUntil, "two failures in a row open the breaker")
	require.WithinDuration(t, time.Now().Add(time.Hour), *hooks[0].PausedUntil, time.Minute)

	b.submit(t)
	require.Equal(t, 1, round(), "only B's delivery: A's four due deliveries wait for the cool-down")
	require.EqualValues(t, 2, flakyHits.Load())
	require.EqualValues(t, 1, healthyHits.Load())

	// The cool-down ends (as if an hour passed); A's endpoint recovered.
	conn, err := pgx.Connect(ctx, db.OwnerURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE webhooks SET paused_until = now() - interval '1 second' WHERE id = $1`, a.wh)
	require.NoError(t, err)
	failing.Store(false)
	require.Equal(t, 1, round(), "a single probe first")
	hooks, err = st.ListWebhooks(ctx, a.id)
	require.NoError(t, err)
	require.Nil(t, hooks[0].PausedUntil, "a delivered probe closes the breaker")
	require.Equal(t, 2, round(), "then the per-endpoint limit again")
	require.EqualValues(t, 5, flakyHits.Load())
}

func TestEventsOfOneSubmissionAreLeasedOneAfterAnother(t *testing.T) {
	t.Parallel()
	st := testenv.NewDB(t).Store
	ctx := context.Background()
	a := newDeveloper(t, st, "a", "http://127.0.0.1:9/hook")
	a.submit(t)
	subs, err := st.ListSubmissions(ctx, store.SubmissionFilter{DeveloperID: a.id, Limit: 1})
	require.NoError(t, err)
	require.NoError(t, st.Advance(ctx, store.Step{SubmissionID: subs[0].ID, Seq: 1, To: submission.Scanning}))

	claim := store.Claim{Max: 10, PerEndpoint: 10, BreakerFailures: 5, Lease: time.Minute}
	first, err := st.ClaimDeliveries(ctx, claim)
	require.NoError(t, err)
	require.Len(t, first, 1, "the later event waits for the earlier")
	require.Equal(t, "submission.received", first[0].Type)
	again, err := st.ClaimDeliveries(ctx, claim)
	require.NoError(t, err)
	require.Empty(t, again, "a leased delivery is nobody else's, and its successor still waits")

	require.NoError(t, st.RecordDelivery(ctx, first[0], http.StatusNoContent, nil, store.Breaker{Failures: 5, Cooldown: time.Minute}))
	next, err := st.ClaimDeliveries(ctx, claim)
	require.NoError(t, err)
	require.Len(t, next, 1)
	require.Equal(t, "submission.scanning", next[0].Type)
}
