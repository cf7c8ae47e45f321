package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"trustgate/internal/devstack"
	"trustgate/internal/store"
	"trustgate/migrations"
)

// Main runs a package's tests against the shared stack, or, when the
// package is tested on its own (plain `go test ./pkg`), against a stack it
// starts and stops itself. The after functions clean up what the tests
// left for the whole run.
func Main(m *testing.M, after ...func()) {
	code := run(m)
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

func run(m *testing.M) int {
	if os.Getenv(EnvAdminURL) == "" || os.Getenv(EnvTemporalAddress) == "" {
		s, err := Start(context.Background(), os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv: start stack:", err)
			return 1
		}
		defer s.Stop()
		for _, kv := range s.Env() {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	return m.Run()
}

// DB is a fresh database of one test, migrated, owned by the owner role.
type DB struct {
	Store    *store.Store
	Name     string
	AppURL   string // as the application role, like production
	OwnerURL string
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewDB creates a database for this test from the migrated template and
// drops it when the test ends.
func NewDB(t testing.TB) *DB {
	t.Helper()
	name := "t_" + strings.ToLower(store.NewSecret(8))
	db := openDB(t, name, true)
	t.Cleanup(func() {
		db.Store.Close()
		c, err := pgx.Connect(context.Background(), os.Getenv(EnvAdminURL))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return db
}

// KeptDB is the database called name, made from the migrated template if
// it does not exist yet, and kept after the test: for benchmarks that load
// a million rows once and measure on them again. created says whether this
// call made it.
// A kept database is not migrated again: one made before a newer
// migration lacks its tables.
func KeptDB(t testing.TB, name string) (db *DB, created bool) {
	t.Helper()
	if os.Getenv(EnvAdminURL) == "" {
		t.Fatal("testenv: no database; run benchmarks through teststack or `make test`")
	}
	conn, err := pgx.Connect(context.Background(), os.Getenv(EnvAdminURL))
	if err != nil {
		t.Fatalf("testenv: connect as admin: %v", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatalf("testenv: look for database %s: %v", name, err)
	}
	db = openDB(t, name, !exists)
	t.Cleanup(db.Store.Close)
	return db, !exists
}

// openDB opens the database called name as the application role, first
// making it from the migrated template when create is set.
func openDB(t testing.TB, name string, create bool) *DB {
	t.Helper()
	ctx := context.Background()
	admin := os.Getenv(EnvAdminURL)
	if admin == "" {
		t.Fatal("testenv: no database; run tests through testenv.Main or `make test`")
	}
	if create {
		templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, admin) })
		if templateErr != nil {
			t.Fatalf("testenv: template database: %v", templateErr)
		}
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatalf("testenv: connect as admin: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s", pgx.Identifier{name}.Sanitize(), templateName, devstack.OwnerRole)); err != nil {
			t.Fatalf("testenv: create database: %v", err)
		}
	}
	db := &DB{Name: name, AppURL: withDB(admin, devstack.AppRole, name), OwnerURL: withDB(admin, devstack.OwnerRole, name)}
	var err error
	if db.Store, err = store.Open(ctx, db.AppURL); err != nil {
		t.Fatalf("testenv: open store: %v", err)
	}
	return db
}

// ensureTemplate makes the migrated template database once per set of
// migrations; an advisory lock keeps parallel test processes from racing.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	name := "tmpl_" + migrationsHash()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7261)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7261)") //nolint:errcheck // the connection closes anyway
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if err := devstack.EnsureRolesAndDatabase(ctx, conn, name); err != nil {
		return "", err
	}
	if err := store.Migrate(ctx, withDB(admin, devstack.OwnerRole, name), devstack.AppRole); err != nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// withDB swaps role and database of a postgres:// URL.
func withDB(admin, role, db string) string {
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", role, cfg.Host, cfg.Port, db)
}

var (
	temporalOnce   sync.Once
	temporalClient client.Client
	temporalErr    error
)

// Temporal returns a client of the shared dev server, one per test process.
func Temporal(t testing.TB) client.Client {
	t.Helper()
	addr := os.Getenv(EnvTemporalAddress)
	if addr == "" {
		t.Fatal("testenv: no Temporal; run tests through testenv.Main or `make test`")
	}
	temporalOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		temporalClient, temporalErr = client.DialContext(ctx, client.Options{HostPort: addr, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	})
	if temporalErr != nil {
		t.Fatalf("testenv: connect to Temporal at %s: %v", addr, temporalErr)
	}
	return temporalClient
}

// TaskQueue is a task queue of this test alone, so workers of parallel tests
// never take each other's work.
func TaskQueue(t testing.TB) string {
	return "test-" + strings.ToLower(store.NewSecret(6))
}
