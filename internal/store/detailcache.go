package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// changeChannel is where migration 0007's triggers name every submission
// whose row, timeline or findings changed, after the change commits.
const changeChannel = "trustgate_submission"

// DetailCache keeps submission details (GetSubmissionDetail) in memory and
// drops one as soon as PostgreSQL says its submission changed. Reading a
// submission is what developers' tools and pipelines do most, mostly of
// submissions that no longer change; with the cache such a read costs no
// round trip and no decoding.
//
// It is only as good as the notifications: until its listening connection is
// up, and again from the moment it breaks, every read goes to the database
// and nothing is kept, because changes made meanwhile would go unseen. A
// change shows as soon as its notification arrives, a few milliseconds after
// it commits. Each API process has a cache of its own, so any number of
// processes stay consistent with the database, not with one another's
// memory.
type DetailCache struct {
	store    *Store
	maxBytes int
	maxAge   time.Duration
	idlePing time.Duration

	mu      sync.Mutex
	entries map[string]cachedDetail
	bytes   int
	// epoch counts notifications and reconnections. A read that started
	// before a notification may hold the submission as it was before that
	// change, so it is only kept when the epoch is still the one it started
	// in.
	epoch     uint64
	listening atomic.Bool
	// generation counts the entries ever kept: each kept detail has its
	// own, never given to another, so what a caller derives from a detail
	// may be keyed by it.
	generation uint64

	// OnRead, when set before use, is told where each read was answered
	// from (for metrics).
	OnRead func(fromMemory bool)
}

type cachedDetail struct {
	detail     SubmissionDetail
	generation uint64
	size       int
	expires    time.Time
}

// ListenerName is the application_name of a cache's listening connection.
const ListenerName = "trustgate-submission-cache"

// DefaultDetailCacheAge bounds how long an entry is kept even without a
// notification: a safety net for a change that somehow bypassed the
// triggers, not what keeps the cache right.
const DefaultDetailCacheAge = time.Minute

// NewDetailCache returns a cache of at most maxBytes (roughly: the stored
// size of timelines and findings) over s. It keeps nothing until Listen runs.
func NewDetailCache(s *Store, maxBytes int) *DetailCache {
	return &DetailCache{store: s, maxBytes: maxBytes, maxAge: DefaultDetailCacheAge, idlePing: 5 * time.Second, entries: map[string]cachedDetail{}}
}

// Get returns a submission's detail, from memory when it is there and its
// submission has not changed since.
func (c *DetailCache) Get(ctx context.Context, id string) (SubmissionDetail, error) {
	d, _, err := c.GetWithGeneration(ctx, id)
	return d, err
}

// GetWithGeneration is Get with the generation of the kept detail: the
// same for every answer until the submission changes, then never given
// again; 0 when the detail was not kept. A caller that keeps what it
// derives from a detail (the server its rendered answers) keys it by
// submission and generation, and so never serves it after a change.
func (c *DetailCache) GetWithGeneration(ctx context.Context, id string) (SubmissionDetail, uint64, error) {
	if !c.listening.Load() {
		c.counted(false)
		d, err := c.store.GetSubmissionDetail(ctx, id)
		return d, 0, err
	}
	c.mu.Lock()
	e, ok := c.entries[id]
	epoch := c.epoch
	if ok && time.Now().After(e.expires) {
		c.dropLocked(id)
		ok = false
	}
	c.mu.Unlock()
	c.counted(ok)
	if ok {
		return e.detail, e.generation, nil
	}
	d, size, err := c.store.submissionDetail(ctx, id)
	if err != nil {
		return d, 0, err
	}
	return d, c.keep(id, d, size, epoch), nil
}

func (c *DetailCache) counted(fromMemory bool) {
	if c.OnRead != nil {
		c.OnRead(fromMemory)
	}
}

// keep keeps d unless a change may have been announced since the read
// began, and returns its generation (0 when not kept).
func (c *DetailCache) keep(id string, d SubmissionDetail, size int, epoch uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening.Load() || c.epoch != epoch || size > c.maxBytes/8 {
		return 0
	}
	if old, ok := c.entries[id]; ok {
		c.bytes -= old.size
	}
	// Past the bound, entries go in map order, which is as good as random:
	// cheaper than keeping an LRU list on every hit, and the hot ones come
	// back on their next read.
	for other := range c.entries {
		if c.bytes+size <= c.maxBytes {
			break
		}
		c.dropLocked(other)
	}
	c.generation++
	c.entries[id] = cachedDetail{detail: d, generation: c.generation, size: size, expires: time.Now().Add(c.maxAge)}
	c.bytes += size
	return c.generation
}

func (c *DetailCache) dropLocked(id string) {
	if e, ok := c.entries[id]; ok {
		c.bytes -= e.size
		delete(c.entries, id)
	}
}

// changed drops id, or everything when id is empty.
func (c *DetailCache) changed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if id == "" {
		clear(c.entries)
		c.bytes = 0
		return
	}
	c.dropLocked(id)
}

// Listen keeps a connection of its own listening for changes until ctx
// ends, reconnecting after a failure; while it is not listening the cache
// keeps nothing. It returns ctx's error.
func (c *DetailCache) Listen(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := c.listenOnce(ctx)
		if c.listening.Swap(false) {
			// It was listening until now: a new break is retried after
			// the shortest wait, not the one the last outage grew to.
			backoff = 100 * time.Millisecond
		}
		c.changed("")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		slog.Warn("submission cache: not listening, reading from the database", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce listens on one connection until it fails or ctx ends.
func (c *DetailCache) listenOnce(ctx context.Context) error {
	cfg := c.store.pool.Config().ConnConfig.Copy()
	// Named, so that an operator (or a test) can find it among the
	// pool's connections in pg_stat_activity.
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return fmt.Errorf("listen on %s: %w", changeChannel, err)
	}
	// Anything kept before this point may have missed a change.
	c.changed("")
	c.listening.Store(true)
	for {
		// A connection that breaks without a word (a network partition)
		// would leave the cache trusting it for as long as TCP takes to
		// notice; a ping whenever nothing arrived for a while bounds that.
		wait, cancel := context.WithTimeout(ctx, c.idlePing)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			ping, cancel := context.WithTimeout(ctx, c.idlePing)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("ping the listening connection: %w", err)
			}
		case err != nil:
			return fmt.Errorf("wait for notifications: %w", err)
		default:
			c.changed(n.Payload)
		}
	}
}

// Listening says whether the cache is keeping answers: its connection is
// up and listening.
func (c *DetailCache) Listening() bool { return c.listening.Load() }
