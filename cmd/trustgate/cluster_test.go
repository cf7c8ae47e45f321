package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"trustgate/internal/devstack"
	"trustgate/internal/testenv"
)

// The multi-process tests run the real binary, built once per test process.
var (
	binaryOnce sync.Once
	binaryDir  string
	binaryErr  error
)

func trustgateBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		if binaryDir, binaryErr = os.MkdirTemp("", "trustgate-bin-"); binaryErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binaryDir, "trustgate"), ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binaryErr)
	return filepath.Join(binaryDir, "trustgate")
}

// removeBinary runs after the package's tests.
func removeBinary() {
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
}

// cluster is trustgate deployed as production runs it: `trustgate serve`
// and `trustgate worker` processes of the real binary against one
// PostgreSQL and one Temporal, sharing a task queue and a blob store.
type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	env   []string
	db    *testenv.DB
	demo  demoData
	n     int
	procs []*proc
}

// startCluster prepares a database with the demo data and the environment
// every process of the cluster shares; extra settings (short timeouts)
// come as KEY=VALUE.
func startCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: trustgateBinary(t), dir: t.TempDir(), db: testenv.NewDB(t)}
	var err error
	c.demo, err = seedDemo(context.Background(), c.db.Store, c.dir)
	require.NoError(t, err)
	blobs := filepath.Join(c.dir, "blobs")
	require.NoError(t, os.MkdirAll(blobs, 0o755))
	c.env = append(os.Environ(),
		"DATABASE_URL="+c.db.AppURL, "TEMPORAL_ADDRESS="+os.Getenv(testenv.EnvTemporalAddress),
		"TEMPORAL_TASK_QUEUE="+testenv.TaskQueue(t), "BLOB_URL=file://"+filepath.ToSlash(blobs),
		"TRUSTGATE_METRICS_ADDR=127.0.0.1:0", "LOG_LEVEL=warn")
	c.env = append(c.env, extra...)
	return c
}

// proc is one process of the cluster; its output goes to a log file that
// a failing test prints.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func (c *cluster) start(name string, env []string, args ...string) *proc {
	t := c.t
	c.n++
	name = fmt.Sprintf("%s-%d", name, c.n)
	logPath := filepath.Join(c.dir, name+".log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(append([]string(nil), c.env...), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	c.procs = append(c.procs, p)
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("log of %s (end):\n%s", name, b)
		}
	})
	return p
}

// startWorker runs `trustgate worker`.
func (c *cluster) startWorker() *proc { return c.start("worker", nil, "worker") }

// startAPI runs `trustgate serve` and returns a client of it once it is
// ready. A free port may be taken by someone else before the process binds
// it; then it tries another.
func (c *cluster) startAPI() *stack {
	c.t.Helper()
	for attempt := 0; ; attempt++ {
		port, err := devstack.FreePort()
		require.NoError(c.t, err)
		p := c.start("serve", []string{fmt.Sprintf("TRUSTGATE_HTTP_ADDR=127.0.0.1:%d", port)}, "serve")
		s := &stack{url: fmt.Sprintf("http://127.0.0.1:%d", port), demo: c.demo, store: c.db.Store}
		deadline := time.Now().Add(60 * time.Second)
		for p.running() && time.Now().Before(deadline) {
			if resp, err := http.Get(s.url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return s
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		require.False(c.t, p.running(), "trustgate serve did not answer /readyz within 60s")
		require.Less(c.t, attempt, 3, "trustgate serve exited before it was ready")
		c.procs = c.procs[:len(c.procs)-1]
	}
}

// kill ends the process as a crashed host would (SIGKILL).
func (p *proc) kill() {
	if p.running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// stop asks the process to shut down (SIGTERM, as an orchestrator scaling
// down does) and waits for it.
func (p *proc) stop(t *testing.T) {
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s of SIGTERM", p.name)
	}
	require.Equal(t, 0, p.cmd.ProcessState.ExitCode(), "%s exits cleanly", p.name)
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// identity is the Temporal worker identity the SDK gives the process by
// default ("pid@host@"), which Temporal records on every activity it runs.
func (p *proc) identity() string { return fmt.Sprintf("%d@", p.cmd.Process.Pid) }

// activityWorkers counts, from a workflow's history, the activities each
// worker identity completed.
func activityWorkers(t *testing.T, workflowID string) map[string]int {
	t.Helper()
	iter := testenv.Temporal(t).GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	out := map[string]int{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil {
			out[a.GetIdentity()]++
		}
	}
	return out
}

// which names the process an identity belongs to.
func which(identity string, procs ...*proc) string {
	for _, p := range procs {
		if strings.HasPrefix(identity, p.identity()) {
			return p.name
		}
	}
	return "other:" + identity
}

// countRows runs a count query on the cluster's database, as the
// application role.
func (c *cluster) countRows(query string, args ...any) int {
	c.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.db.AppURL)
	require.NoError(c.t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(c.t, conn.QueryRow(ctx, query, args...).Scan(&n), "query %s", query)
	return n
}
