// Package store is trustgate's PostgreSQL read model and the only place that
// writes SQL. Every query is a method here; callers get typed rows back.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors callers map to answers. Wrapped errors keep these identities.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means the row is not in a state that allows the change.
	ErrConflict = errors.New("conflict")
	// ErrPrecondition means the row is no longer what the caller last read
	// (a stale If-Match): nothing was changed.
	ErrPrecondition = errors.New("precondition failed")
)

// Store runs trustgate's queries on a connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to url (the application role) and checks the connection,
// with pgx's pool size (pool_max_conns in the URL, or the larger of 4 and
// the number of CPUs).
func Open(ctx context.Context, url string) (*Store, error) { return OpenPool(ctx, url, 0) }

// OpenPool is Open with at most maxConns pooled connections (0: pgx's
// default). An API under read load wants more connections than cores, as a
// round trip is mostly waiting; a worker whose CPU goes to scans and policy
// evaluation does not.
func OpenPool(ctx context.Context, url string, maxConns int) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(min(maxConns, 1000))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// NewID returns a new time-ordered identifier with a prefix saying what it
// names ("sub_", "app_"); ordering by ID orders by creation, which is what
// cursors rely on.
func NewID(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	return prefix + hex.EncodeToString(u[:])
}

// NewSecret returns n random bytes as hex, for tokens.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("read random: %v", err)) // the OS is broken; nothing sensible remains
	}
	return hex.EncodeToString(b)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}
