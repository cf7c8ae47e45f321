package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"trustgate/internal/devstack"
	"trustgate/internal/store"
)

// Isolated is a stack of a test's own, for fault tests that stop and
// restart the servers, which the shared stack must never see. Temporal
// keeps its state in a file so that a restart keeps the workflows.
type Isolated struct {
	dir, root        string
	pg               *devstack.Postgres
	temporal         *devstack.Temporal
	temporalPort     int
	OwnerURL, AppURL string
	TemporalAddress  string
	log              io.Writer
}

// StartIsolated starts PostgreSQL (with the trustgate database migrated)
// and a Temporal dev server for one test, stopped when it ends.
func StartIsolated(t testing.TB) *Isolated {
	t.Helper()
	ctx := context.Background()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "trustgate-faults-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "services.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Isolated{dir: dir, root: root, log: logf}
	t.Cleanup(func() {
		if s.temporal != nil {
			_ = s.temporal.Stop()
		}
		if s.pg != nil {
			_ = s.pg.Stop()
		}
		logf.Close()
		os.RemoveAll(dir)
	})
	pgPort, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if s.pg, err = devstack.StartPostgres(ctx, filepath.Join(dir, "pg"), pgPort, logf); err != nil {
		t.Fatal(err)
	}
	if err := s.pg.Setup(ctx, "trustgate"); err != nil {
		t.Fatal(err)
	}
	s.OwnerURL, s.AppURL = s.pg.URL(devstack.OwnerRole, "trustgate"), s.pg.URL(devstack.AppRole, "trustgate")
	if err := store.Migrate(ctx, s.OwnerURL, devstack.AppRole); err != nil {
		t.Fatal(err)
	}
	if s.temporalPort, err = devstack.FreePort(); err != nil {
		t.Fatal(err)
	}
	if err := s.StartTemporal(); err != nil {
		t.Fatal(err)
	}
	return s
}

// StopPostgres stops the database; StartPostgres brings it back on the
// same port with the same data.
func (s *Isolated) StopPostgres() error { return s.pg.Stop() }

// StartPostgres restarts the database stopped by StopPostgres.
func (s *Isolated) StartPostgres() error {
	pg, err := devstack.StartPostgres(context.Background(), s.pg.Dir, s.pg.Port, s.log)
	if err != nil {
		return fmt.Errorf("restart PostgreSQL: %w", err)
	}
	s.pg = pg
	return nil
}

// StopTemporal stops the dev server; StartTemporal starts it again on the
// same port and file, where the workflows it had are waiting.
func (s *Isolated) StopTemporal() error {
	err := s.temporal.Stop()
	s.temporal = nil
	return err
}

// StartTemporal starts (or restarts) the dev server.
func (s *Isolated) StartTemporal() error {
	t, err := devstack.StartTemporal(context.Background(), devstack.TemporalOptions{
		Binary: filepath.Join(s.root, "bin", "temporal"), DBFile: filepath.Join(s.dir, "temporal.db"),
		Port: s.temporalPort, Headless: true, Log: s.log,
	})
	if err != nil {
		return err
	}
	s.temporal, s.TemporalAddress = t, t.Address
	return nil
}
