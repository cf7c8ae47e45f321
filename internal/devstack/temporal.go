package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Temporal is a running `temporal server start-dev`.
type Temporal struct {
	Address string // gRPC frontend, host:port
	UIURL   string // empty when started headless
	cmd     *exec.Cmd
	done    chan error
}

// TemporalOptions says how to start the dev server.
type TemporalOptions struct {
	Binary   string // path to the temporal CLI
	DBFile   string // SQLite file; empty keeps everything in memory
	Port     int
	UIPort   int // 0 starts it headless
	Log      io.Writer
	Timeout  time.Duration
	Headless bool
}

// StartTemporal starts the dev server and waits until its frontend accepts
// connections. It runs in its own process group so that a Ctrl-C at the
// terminal reaches trustgate first, which then stops things in order.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if _, err := os.Stat(o.Binary); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s (make installs it): %w", o.Binary, err)
	}
	args := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(o.Port),
		"--log-level", "error", "--namespace", "default"}
	if o.DBFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("create folder for %s: %w", o.DBFile, err)
		}
		args = append(args, "--db-filename", o.DBFile)
	}
	t := &Temporal{Address: fmt.Sprintf("127.0.0.1:%d", o.Port), done: make(chan error, 1)}
	if o.UIPort == 0 || o.Headless {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
		t.UIURL = fmt.Sprintf("http://127.0.0.1:%d", o.UIPort)
	}
	// The dev server also opens an HTTP API and a metrics port; pin both to
	// free ports so two stacks on one machine never collide.
	for _, flag := range []string{"--http-port", "--metrics-port"} {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		args = append(args, flag, strconv.Itoa(p))
	}
	cmd := exec.Command(o.Binary, args...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	t.cmd = cmd
	go func() { t.done <- cmd.Wait() }()
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ready := make(chan error, 1)
	go func() { ready <- WaitPort(waitCtx, t.Address, timeout) }()
	select {
	case err := <-ready:
		if err != nil {
			_ = t.Stop()
			return nil, fmt.Errorf("temporal dev server: %w", err)
		}
		return t, nil
	case err := <-t.done:
		return nil, fmt.Errorf("temporal dev server exited at start (is port %d free?): %v", o.Port, err)
	}
}

// Stop asks the server to shut down and kills it if it has not within ten
// seconds.
func (t *Temporal) Stop() error {
	if t.cmd == nil || t.cmd.Process == nil {
		return nil
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
		<-t.done
		return errors.New("temporal dev server did not stop in time; killed")
	}
}
