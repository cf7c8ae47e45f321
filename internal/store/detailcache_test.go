package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/submission"
)

// reads counts where a cache answered from, as the API's metrics do.
type reads struct{ memory, database atomic.Uint64 }

func counting(c *store.DetailCache) *reads {
	r := &reads{}
	c.OnRead = func(fromMemory bool) {
		if fromMemory {
			r.memory.Add(1)
		} else {
			r.database.Add(1)
		}
	}
	return r
}

// listening starts a cache over the fixture's database and waits until it
// keeps answers.
func listening(t *testing.T, f fixture) (*store.DetailCache, *reads) {
	t.Helper()
	c := store.NewDetailCache(f.db.Store, 1<<20)
	r := counting(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Listen(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, c.Listening, 10*time.Second, 5*time.Millisecond, "the cache never started listening")
	return c, r
}

// fromMemory reads id until the cache answers from memory. The first reads
// may go to the database: a read that overlaps the announcement of the
// submission's creation is not kept, as it may predate the change.
func fromMemory(t *testing.T, c *store.DetailCache, r *reads, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		hits := r.memory.Load()
		_, err := c.Get(context.Background(), id)
		require.NoError(t, err)
		return r.memory.Load() == hits+1
	}, 5*time.Second, 2*time.Millisecond, "never answered from memory")
}

func stateOf(t *testing.T, c *store.DetailCache, id string) submission.State {
	t.Helper()
	d, err := c.Get(context.Background(), id)
	require.NoError(t, err)
	return d.State
}

func TestTheSubmissionCacheShowsEveryChangeOnceAnnounced(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, r := listening(t, f)
	sub, _ := f.submit(t, "1.0.0", "", "")

	fromMemory(t, c, r, sub.ID)
	require.Equal(t, submission.Received, stateOf(t, c, sub.ID))
	_, kept, err := c.GetWithGeneration(ctx, sub.ID)
	require.NoError(t, err)
	require.NotZero(t, kept, "a kept detail has a generation")
	_, again, err := c.GetWithGeneration(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, kept, again, "what was derived from the kept detail may be kept with its generation")

	// The row and the timeline.
	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Scanning}))
	require.Eventually(t, func() bool { return stateOf(t, c, sub.ID) == submission.Scanning }, 5*time.Second, 2*time.Millisecond)
	d, changed, err := c.GetWithGeneration(ctx, sub.ID)
	require.NoError(t, err)
	require.Len(t, d.Timeline, 2)
	require.NotEqual(t, kept, changed, "the generation of the detail before the change is never given again")

	// The findings alone.
	require.NoError(t, f.db.Store.SaveFindings(ctx, sub.ID, []store.Finding{
		{Fingerprint: "a", RuleID: "MAN-003", Severity: "critical", File: "app.json", Line: 1, Column: 2, Snippet: "y", Message: "m", Remediation: "r"},
	}))
	require.Eventually(t, func() bool {
		d, err := c.Get(ctx, sub.ID)
		return err == nil && len(d.Findings) == 1
	}, 5*time.Second, 2*time.Millisecond)

	// A timeline entry alone.
	_, err = f.db.Store.Note(ctx, sub.ID, 2, map[string]any{"note": "scanned"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		d, err := c.Get(ctx, sub.ID)
		return err == nil && len(d.Timeline) == 3
	}, 5*time.Second, 2*time.Millisecond)

	// Another developer's view is the server's business; the cache only
	// says "not found" for what does not exist, and keeps no such answer.
	_, err = c.Get(ctx, "sub_missing")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// A change made while the listening connection is down would never be
// announced to this cache; it must not keep answering what it held before.
// A cache that kept its entries would show the old state for a whole
// minute (its safety-net age), far past the bound below.
func TestTheSubmissionCacheMissesNoChangeWhenItsConnectionBreaks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, r := listening(t, f)
	sub, _ := f.submit(t, "1.0.0", "", "")
	fromMemory(t, c, r, sub.ID)

	conn, err := pgx.Connect(ctx, f.db.AppURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var killed int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, store.ListenerName).Scan(&killed))
	require.Equal(t, 1, killed)
	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Scanning}))

	require.Eventually(t, func() bool { return stateOf(t, c, sub.ID) == submission.Scanning }, 3*time.Second, 2*time.Millisecond)
	require.Eventually(t, c.Listening, 10*time.Second, 5*time.Millisecond, "the cache listens again")
	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 2, To: submission.Evaluating}))
	require.Eventually(t, func() bool { return stateOf(t, c, sub.ID) == submission.Evaluating }, 3*time.Second, 2*time.Millisecond)
}

// Without its listener the cache is a pass-through: every read goes to the
// database, and the database's answer is what the caller gets.
func TestTheSubmissionCacheKeepsNothingUntilItListens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c := store.NewDetailCache(f.db.Store, 1<<20)
	r := counting(c)
	sub, _ := f.submit(t, "1.0.0", "", "")
	require.Equal(t, submission.Received, stateOf(t, c, sub.ID))
	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: sub.ID, Seq: 1, To: submission.Scanning}))
	require.Equal(t, submission.Scanning, stateOf(t, c, sub.ID), "read straight after the change")
	require.Zero(t, r.memory.Load())
	require.Equal(t, uint64(2), r.database.Load())
}
