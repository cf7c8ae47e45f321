// Package testenv is the test harness: one real PostgreSQL and one real
// Temporal dev server for a whole `make test` run, shared by every test
// package, and an isolated database per test cloned from a migrated
// template in milliseconds.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"trustgate/internal/devstack"
)

// The variables through which one stack reaches every test process.
const (
	EnvAdminURL        = "TRUSTGATE_TEST_PG_ADMIN_URL"
	EnvTemporalAddress = "TRUSTGATE_TEST_TEMPORAL_ADDRESS"
)

// Stack is a running PostgreSQL and Temporal dev server for tests.
type Stack struct {
	AdminURL        string
	TemporalAddress string
	pg              *devstack.Postgres
	temporal        *devstack.Temporal
	dir             string
}

// Start starts a throw-away stack on free ports under the system temp dir.
// Temporal keeps its state in memory: tests never need it after the run.
func Start(ctx context.Context, log io.Writer) (*Stack, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "trustgate-test-")
	if err != nil {
		return nil, fmt.Errorf("make stack folder: %w", err)
	}
	// MkdirTemp makes 0700; the unprivileged database user must enter it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open stack folder: %w", err)
	}
	s := &Stack{dir: dir}
	pgPort, err := devstack.FreePort()
	if err != nil {
		return nil, err
	}
	if s.pg, err = devstack.StartPostgres(ctx, filepath.Join(dir, "pg"), pgPort, log); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.pg.Setup(ctx, ""); err != nil {
		s.Stop()
		return nil, err
	}
	s.AdminURL = s.pg.URL("postgres", "postgres")
	tPort, err := devstack.FreePort()
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.temporal, err = devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Binary: filepath.Join(root, "bin", "temporal"), Port: tPort, Headless: true, Log: log,
	})
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.TemporalAddress = s.temporal.Address
	return s, nil
}

// Env is the environment that hands this stack to test processes.
func (s *Stack) Env() []string {
	return []string{EnvAdminURL + "=" + s.AdminURL, EnvTemporalAddress + "=" + s.TemporalAddress}
}

// Stop stops both servers and removes their data.
func (s *Stack) Stop() {
	if s.temporal != nil {
		_ = s.temporal.Stop()
	}
	if s.pg != nil {
		_ = s.pg.Stop()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// RepoRoot finds the module root from the working directory, which for a
// test is its package folder.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
