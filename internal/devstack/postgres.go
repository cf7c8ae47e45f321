// Package devstack starts the real services trustgate needs on a developer's
// machine and in tests: a project-local PostgreSQL cluster and the Temporal
// CLI's dev server. Production points trustgate at its own services instead.
package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Role names of the local cluster. The owner runs migrations and owns the
// tables; the application connects as app, which owns nothing.
const (
	OwnerRole = "trustgate_owner"
	AppRole   = "trustgate_app"
)

// Postgres is a local cluster started with pg_ctl.
type Postgres struct {
	Dir  string // data directory
	Port int
	Log  io.Writer
	// runAs is the unprivileged user to run the server as when we are root:
	// initdb refuses to run as root.
	runAs string
}

// URL returns a connection URL for a role and database on this cluster.
func (p *Postgres) URL(role, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, p.Port, db)
}

// PostgresDir picks the data directory: want if the unprivileged server
// user can reach it, otherwise a folder of the system temp dir named after
// want, so that a clone under a private home folder still works.
func PostgresDir(want string) (string, error) {
	abs, err := filepath.Abs(want)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", want, err)
	}
	if os.Geteuid() != 0 || reachableByOthers(filepath.Dir(abs)) {
		return abs, nil
	}
	return filepath.Join(os.TempDir(), "trustgate-pg-"+shortHash(abs)), nil
}

// reachableByOthers reports whether every folder from / down to dir can be
// entered by a user who is neither its owner nor in its group.
func reachableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// StartPostgres initialises the cluster in dir if it is new and starts it on
// port; a cluster left running by an earlier start is reused.
func StartPostgres(ctx context.Context, dir string, port int, log io.Writer) (*Postgres, error) {
	p := &Postgres{Dir: dir, Port: port, Log: log}
	if os.Geteuid() == 0 {
		p.runAs = "postgres"
		if _, err := user.Lookup(p.runAs); err != nil {
			return nil, fmt.Errorf("running as root needs the unprivileged %q user to run PostgreSQL: %w", p.runAs, err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if p.runAs != "" {
		if err := p.run(ctx, "chown", "-R", p.runAs, dir); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); os.IsNotExist(err) {
		fmt.Fprintf(log, "initialising PostgreSQL cluster in %s\n", dir)
		if err := p.run(ctx, "initdb", "-D", dir, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--locale=C.UTF-8"); err != nil {
			return nil, err
		}
	}
	if p.run(ctx, "pg_ctl", "-D", dir, "status") == nil {
		return p, p.waitReady(ctx)
	}
	// TCP on loopback only: a Unix socket path under a deep clone can exceed
	// the kernel's limit, and nothing here needs one.
	opts := fmt.Sprintf("-p %d -c unix_socket_directories='' -c listen_addresses=127.0.0.1 -c max_connections=300", port)
	if err := p.run(ctx, "pg_ctl", "-D", dir, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("start PostgreSQL on port %d: %w; its log ends:\n%s", port, err, logTail(filepath.Join(dir, "server.log")))
	}
	return p, p.waitReady(ctx)
}

// logTail is the end of a server log, for an error that would otherwise
// point at a file a test's cleanup has already removed.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Stop shuts the cluster down, finishing open transactions quickly.
func (p *Postgres) Stop() error {
	return p.run(context.Background(), "pg_ctl", "-D", p.Dir, "-m", "fast", "-w", "stop")
}

// Setup creates the owner and application roles (neither a superuser) and
// the database if missing, so it is safe to run on every start.
func (p *Postgres) Setup(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres", "postgres"))
	if err != nil {
		return fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(ctx)
	return EnsureRolesAndDatabase(ctx, conn, db)
}

// EnsureRolesAndDatabase creates the two roles and db owned by the owner
// role, on a superuser connection.
func EnsureRolesAndDatabase(ctx context.Context, conn *pgx.Conn, db string) error {
	for _, role := range []string{OwnerRole, AppRole} {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return fmt.Errorf("look up role %s: %w", role, err)
		}
		if !exists {
			_, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
			if err != nil && !strings.Contains(err.Error(), "already exists") {
				return fmt.Errorf("create role %s: %w", role, err)
			}
		}
	}
	if db == "" {
		return nil
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", db, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()+" OWNER "+OwnerRole); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

func (p *Postgres) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres", "postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL on port %d did not answer: %w", p.Port, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// run runs a PostgreSQL tool, as the unprivileged user when we are root.
func (p *Postgres) run(ctx context.Context, name string, args ...string) error {
	var cmd *exec.Cmd
	if p.runAs != "" && name != "chown" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", p.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if name == "pg_ctl" && len(args) > 0 && args[len(args)-1] == "status" {
			return err // "not running" is an answer, not a failure worth logging
		}
		return fmt.Errorf("%s: %w\n%s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitPort waits until something accepts connections on addr.
func WaitPort(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %w", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}
