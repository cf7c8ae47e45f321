package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
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
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"trustgate/activities"
	"trustgate/internal/app"
	"trustgate/internal/blobstore"
	"trustgate/internal/config"
	"trustgate/internal/demo"
	"trustgate/internal/devstack"
	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/internal/testenv"
)

// The harness every end-to-end test shares: the whole application wired
// in the test process through internal/app on the shared PostgreSQL and
// Temporal (startStack), or on servers of the test's own it may stop
// (startIsolatedStack); the real binary, built once, for the tests that run
// `trustgate serve`, `worker` and the client commands as processes
// (trustgateBinary, runCLI, startCluster); and the calls of the public API
// the tests make.

func TestMain(m *testing.M) {
	// Access logs of thousands of test requests would bury the failures.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	testenv.Main(m, removeBinary)
}

// stack is the whole application wired as `trustgate dev` wires it, on the
// shared PostgreSQL and Temporal, with its own database and task queue.
type stack struct {
	url    string
	demo   demo.Data
	store  *store.Store
	svc    *app.Stack
	worker worker.Worker
}

// startStack wires the application on a database of the test's own;
// opts change the configuration before anything is wired.
func startStack(t testing.TB, maxPackage int64, opts ...func(*config.Config)) *stack {
	t.Helper()
	return wireStack(t, testenv.NewDB(t).Store, testenv.Temporal(t), maxPackage, opts...)
}

// wireStack wires the application on a store and a Temporal client; opts
// change the configuration before anything is wired.
func wireStack(t testing.TB, st *store.Store, tc client.Client, maxPackage int64, opts ...func(*config.Config)) *stack {
	t.Helper()
	ctx := context.Background()
	blobURL := "file://" + filepath.ToSlash(t.TempDir())
	blobs, err := blobstore.Open(ctx, blobURL)
	require.NoError(t, err)
	t.Cleanup(func() { blobs.Close() })
	provider, err := activities.NewStoredPolicies(ctx, st)
	require.NoError(t, err)
	s := &app.Stack{
		Config: config.Config{TemporalTaskQueue: testenv.TaskQueue(t), TemporalNamespace: "default", MaxPackageBytes: maxPackage,
			DailyQuota: 1000, WebhookAllowLoopback: true, BlobURL: blobURL, Dev: true,
			TemporalUIURL: "http://127.0.0.1:8233", SubmissionCacheBytes: 64 << 20},
		Store: st, Temporal: tc, Blobs: blobs, Policies: provider,
	}
	for _, o := range opts {
		o(&s.Config)
	}
	s.LinkKey, err = s.Config.LinkHashKey() // Dev: the public dev key
	require.NoError(t, err)
	w := s.NewWorker()
	require.NoError(t, w.Start())
	t.Cleanup(func() { w.Stop() })
	dctx, stopDispatch := context.WithCancel(context.Background())
	t.Cleanup(stopDispatch)
	s.StartDispatcher(dctx)
	srv := httptest.NewServer(s.Handler(dctx))
	t.Cleanup(srv.Close)
	seeded, err := demo.Seed(ctx, st, t.TempDir())
	require.NoError(t, err)
	return &stack{url: srv.URL, demo: seeded, store: st, svc: s, worker: w}
}

func (s *stack) appOf(owner string) string { return s.demo.AppOf(owner) }

// call sends a request with a token and decodes the JSON answer.
func (s *stack) call(t testing.TB, method, path, token string, body io.Reader, header http.Header, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), "answer: %s", raw)
	}
	return resp
}

func examplePackage(t testing.TB, name string) []byte {
	t.Helper()
	b, err := pkgzip.Dir(filepath.Join("..", "examples", name))
	require.NoError(t, err)
	return b
}

// variant is an example package with one file that differs by salt: the
// same app may not have the same bytes under review twice.
func variant(t testing.TB, name, salt string) []byte {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "examples", name))))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "version.txt"), []byte(salt), 0o644))
	b, err := pkgzip.Dir(dir)
	require.NoError(t, err)
	return b
}

// upload posts a package as multipart, as `trustgate submit` does.
func (s *stack) upload(t testing.TB, token, appID, version string, pkg []byte, key string) (*http.Response, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("app_id", appID))
	require.NoError(t, mw.WriteField("version", version))
	part, err := mw.CreateFormFile("package", "app.zip")
	require.NoError(t, err)
	_, err = part.Write(pkg)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	h := http.Header{"Content-Type": {mw.FormDataContentType()}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	var out map[string]any
	resp := s.call(t, "POST", "/v1/submissions", token, &body, h, &out)
	return resp, out
}

// submissionAnswer is what GET /v1/submissions/{id} answers, as far as the
// tests read it.
type submissionAnswer struct {
	ID       string           `json:"id"`
	AppID    string           `json:"app_id"`
	Version  string           `json:"version"`
	State    submission.State `json:"state"`
	Decision *struct {
		Outcome string `json:"outcome"`
		Reasons []struct {
			Code, Message, Remediation string
			Evidence                   map[string]any
		} `json:"reasons"`
	} `json:"decision"`
	PolicyVersion *string `json:"policy_version"`
	Failure       *string `json:"failure"`
	Timeline      []struct {
		State submission.State `json:"state"`
		At    time.Time        `json:"at"`
	} `json:"timeline"`
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Severity string `json:"severity"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// settle polls a submission until its state is final.
func (s *stack) settle(t testing.TB, token, id string) submissionAnswer {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var sub submissionAnswer
		resp := s.call(t, "GET", "/v1/submissions/"+id, token, nil, nil, &sub)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		if sub.State.Final() {
			return sub
		}
		require.True(t, time.Now().Before(deadline), "submission %s still %s after 60s", id, sub.State)
		time.Sleep(100 * time.Millisecond)
	}
}

func codes(sub submissionAnswer) []string {
	var out []string
	for _, r := range sub.Decision.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func timelineStates(sub submissionAnswer) []string {
	var out []string
	for _, e := range sub.Timeline {
		out = append(out, string(e.State))
	}
	return out
}

// startIsolatedStack wires the application on servers of the test's own,
// which the test may stop and restart.
func startIsolatedStack(t *testing.T) (*stack, *testenv.Isolated) {
	t.Helper()
	iso := testenv.StartIsolated(t)
	ctx := context.Background()
	st, err := store.Open(ctx, iso.AppURL)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	tc, err := app.DialTemporal(ctx, config.Config{TemporalAddress: iso.TemporalAddress, TemporalNamespace: "default"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return wireStack(t, st, tc, 8<<20), iso
}

// testLinkKey keys identity hashes in the processes the tests start
// (`serve` and `worker` refuse to run without a key of their own).
const testLinkKey = "e2e-link-key-0123456789abcdef0123456789abcdef"

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// inReview uploads a package of the flagged demo developer and waits until
// the policy has sent it to review; it returns the submission and its task.
func (s *stack) inReview(t *testing.T, version string) (string, store.Task) {
	t.Helper()
	tok := s.demo.Tokens["wang-flagged"]
	resp, created := s.upload(t, tok, s.appOf("wang-flagged"), version, variant(t, "hello-wechat", version), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	var task store.Task
	require.Eventually(t, func() bool {
		var sub struct {
			State string
			Tasks []store.Task
		}
		s.call(t, "GET", "/v1/submissions/"+id, s.demo.Tokens["senior_reviewer"], nil, nil, &sub)
		if sub.State == "in_review" && len(sub.Tasks) > 0 {
			task = sub.Tasks[0]
			return true
		}
		return false
	}, 60*time.Second, 50*time.Millisecond)
	return id, task
}

func (s *stack) act(t *testing.T, token, path, body string) (int, map[string]any) {
	t.Helper()
	var out map[string]any
	var r *strings.Reader
	if body == "" {
		body = "{}"
	}
	r = strings.NewReader(body)
	resp := s.call(t, "POST", path, token, r, jsonHeader, &out)
	return resp.StatusCode, out
}

// The multi-process tests run the real binary, built once per test process
// from cmd/trustgate.
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
		out, err := exec.Command("go", "build", "-o", filepath.Join(binaryDir, "trustgate"), "trustgate/cmd/trustgate").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binaryErr)
	return filepath.Join(binaryDir, "trustgate")
}

// runCLI runs a command of the real binary, as a developer or compliance
// officer would at a shell, and returns what it printed and its exit code.
func runCLI(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trustgateBinary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "trustgate %s did not end; stderr:\n%s", strings.Join(args, " "), errOut.String())
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
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
	demo  demo.Data
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
	c.demo, err = demo.Seed(context.Background(), c.db.Store, c.dir)
	require.NoError(t, err)
	blobs := filepath.Join(c.dir, "blobs")
	require.NoError(t, os.MkdirAll(blobs, 0o755))
	c.env = append(os.Environ(),
		"DATABASE_URL="+c.db.AppURL, "TEMPORAL_ADDRESS="+os.Getenv(testenv.EnvTemporalAddress),
		"TEMPORAL_TASK_QUEUE="+testenv.TaskQueue(t), "BLOB_URL=file://"+filepath.ToSlash(blobs),
		"TRUSTGATE_METRICS_ADDR=127.0.0.1:0", "LOG_LEVEL=warn", "TRUSTGATE_LINK_KEY="+testLinkKey)
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

// workerProcess runs `trustgate worker` as a process of its own against
// the isolated stack, so that it can be killed like a crashed host.
func workerProcess(t *testing.T, s *stack, iso *testenv.Isolated, bin string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+iso.AppURL, "TEMPORAL_ADDRESS="+iso.TemporalAddress,
		"TEMPORAL_TASK_QUEUE="+s.svc.Config.TemporalTaskQueue, "BLOB_URL="+s.svc.Config.BlobURL,
		"TRUSTGATE_METRICS_ADDR=127.0.0.1:0", "LOG_LEVEL=warn", "TRUSTGATE_LINK_KEY="+testLinkKey)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}
