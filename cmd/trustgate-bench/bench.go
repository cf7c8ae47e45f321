package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"trustgate/internal/app"
	"trustgate/internal/demo"
	"trustgate/internal/devstack"
	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/workflows"
)

// runBench is the load harness behind `make bench`: the whole pipeline in
// this process (API over HTTP on loopback, worker, dispatcher) against a
// PostgreSQL and Temporal dev server it starts, or DATABASE_URL /
// TEMPORAL_ADDRESS. It prints throughput, intake-to-decision latency and
// CPU per submission, and the same workflow on do-nothing activities.
func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench", "bench [--duration 20s] [--concurrency 8] [--out FILE]")
	duration := fs.Duration("duration", 20*time.Second, "how long each closed-loop phase runs")
	concurrency := fs.Int("concurrency", 8, "clients of the closed-loop phases, each with one submission in flight")
	rate := fs.Float64("rate", 2, "offered rate of 2 MB packages per second in the open-loop phase")
	out := fs.String("out", ".artifacts/bench/results.md", "where the results are written")
	cli := fs.String("temporal-cli", "bin/temporal", "the Temporal CLI that starts the dev server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if os.Getenv("LOG_LEVEL") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	dir, err := os.MkdirTemp("", "trustgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL runs as another user
		return err
	}
	b := &bench{stdout: stdout, duration: *duration, concurrency: *concurrency, rate: *rate}

	if cfg.DatabaseURL == "" {
		port, err := devstack.FreePort()
		if err != nil {
			return err
		}
		pg, err := devstack.StartPostgres(ctx, filepath.Join(dir, "pg"), port, io.Discard)
		if err != nil {
			return err
		}
		defer pg.Stop() //nolint:errcheck // best effort at the end
		if err := pg.Setup(ctx, "trustgate"); err != nil {
			return err
		}
		cfg.DatabaseOwnerURL, cfg.DatabaseURL = pg.URL(devstack.OwnerRole, "trustgate"), pg.URL(devstack.AppRole, "trustgate")
		cfg.DatabaseAppRole = devstack.AppRole
		b.pgDir = pg.Dir
	}
	if err := store.Migrate(ctx, cfg.OwnerURL(), app.AppRole(cfg)); err != nil {
		return err
	}
	if cfg.TemporalAddress == "" {
		port, err := devstack.FreePort()
		if err != nil {
			return err
		}
		t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{Binary: *cli, Port: port, Headless: true, Log: io.Discard})
		if err != nil {
			return err
		}
		defer t.Stop() //nolint:errcheck // best effort at the end
		cfg.TemporalAddress = t.Address
		b.temporalPort = fmt.Sprint(port)
	}
	cfg.TemporalTaskQueue = "bench-" + strings.ToLower(store.NewSecret(6))
	cfg.BlobURL = "file://" + filepath.ToSlash(filepath.Join(dir, "blobs"))
	cfg.MaxPackageBytes, cfg.DailyQuota = 32<<20, 1_000_000
	if cfg.LinkKey == "" {
		cfg.LinkKey = store.NewSecret(32) // a run's own: its hashes outlive nothing
	}
	svc, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	b.svc, b.meter = svc, newCPUMeter()
	svc.Interceptors = append(svc.Interceptors, b.meter)
	if b.demo, err = demo.Seed(ctx, svc.Store, dir); err != nil {
		return err
	}
	w := svc.NewWorker()
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	noopQueue := cfg.TemporalTaskQueue + "-noop"
	nw := worker.New(svc.Temporal, noopQueue, worker.Options{})
	nw.RegisterWorkflow(workflows.SubmissionWorkflow)
	nw.RegisterActivity(&noopActivities{})
	if err := nw.Start(); err != nil {
		return err
	}
	defer nw.Stop()
	dctx, stopDispatch := context.WithCancel(ctx)
	defer stopDispatch()
	svc.StartDispatcher(dctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: svc.NewServer().Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()
	b.url = "http://" + ln.Addr().String()
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	b.printf("# trustgate load harness\n\n")
	b.printf("%s, %d CPUs (GOMAXPROCS %d), %s; PostgreSQL %s, Temporal %s.\n", time.Now().UTC().Format(time.RFC3339),
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), where(b.pgDir != "", "local, started by the harness", "DATABASE_URL"),
		where(b.temporalPort != "", "dev server in memory, started by the harness", "TEMPORAL_ADDRESS"))
	b.printf("API, worker and load clients run in this one process; packages go over HTTP on loopback.\n")
	b.printf("Load average at the start (1, 5, 15 min): %s; other work on the machine shares its CPUs.\n\n", loadAverage())

	noop := b.noopPhase(ctx, noopQueue)
	full := b.closedLoop(ctx, "generated 100 KB packages", func(i int) []byte { return generatedPackage(100<<10, i) })
	b.printf("\nsustained: %.1f submissions/s; no-op workflow of the same shape: %.1f/s; ratio %.2f (target: >= 20/s and >= 0.7)\n\n",
		full.rate(), noop.rate(), full.rate()/noop.rate())
	// "2 MB" is 1.9 MB unpacked: just under WeChat's main-package limit,
	// so these are approved like the 100 KB ones, not rejected for size.
	b.openLoop(ctx, "generated 2 MB packages", *rate, func(i int) []byte { return generatedPackage(1900<<10, 1_000_000+i) })
	b.closedLoop(ctx, "generated packages of 50 KB to 2 MB", func(i int) []byte {
		sizes := []int{50 << 10, 200 << 10, 500 << 10, 1 << 20, 1900 << 10}
		return generatedPackage(sizes[i%len(sizes)], 2_000_000+i)
	})
	if libs, err := npmLibraryPackages(); err != nil {
		b.printf("\nreal npm libraries: skipped (%v)\n", err)
	} else {
		b.libraries(ctx, libs)
	}
	b.printf("\nLoad average at the end: %s\n\n%s\n", loadAverage(), cpuMethod)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, b.report.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nresults written to %s\n", *out)
	return nil
}

const cpuMethod = `How CPU is measured: each activity runs with its goroutine locked to an OS thread, and the
thread's CPU clock (getrusage RUSAGE_THREAD) is read before and after; the scan and the policy
evaluation run on that goroutine, so "scan" and "policy" are exact. "database" is PostgreSQL's own
CPU (its processes' utime+stime from /proc, backends included) plus the CPU of the activities that
only read and write the database (Advance, LoadDeveloper, Note, SaveTask: query building, pgx,
JSON). "Temporal server" is the dev server process's CPU from /proc. "our process, rest" is this
process's CPU (getrusage RUSAGE_SELF) minus the activities: HTTP intake and the blob write, the
Temporal SDK and workflow tasks, the garbage collector, and the load clients themselves.
"orchestration" is Temporal server plus that rest. With DATABASE_URL or TEMPORAL_ADDRESS the
servers' CPU is not visible to the harness and is left out.`

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func where(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

type bench struct {
	stdout       io.Writer
	report       bytes.Buffer
	svc          *app.Stack
	meter        *cpuMeter
	demo         demo.Data
	url          string
	client       *http.Client
	pgDir        string
	temporalPort string
	duration     time.Duration
	concurrency  int
	rate         float64
	version      atomic.Int64
}

func (b *bench) printf(format string, args ...any) {
	fmt.Fprintf(b.stdout, format, args...)
	fmt.Fprintf(&b.report, format, args...)
}

// phase is what one phase measured.
type phase struct {
	done      int
	outcomes  map[string]int
	latencies []time.Duration // intake to decision, automatic decisions only
	took      time.Duration
	bytes     int64
}

func (p phase) rate() float64 { return float64(p.done) / p.took.Seconds() }

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// cpuSnapshot is where every CPU clock stood.
type cpuSnapshot struct {
	self, pg, temporal time.Duration
	pgOK, temporalOK   bool
}

func (b *bench) snapshot() cpuSnapshot {
	s := cpuSnapshot{self: processCPU()}
	if b.pgDir != "" {
		s.pg, s.pgOK = procCPU(func(cmd string) bool { return strings.Contains(cmd, b.pgDir) }, true)
	}
	if b.temporalPort != "" {
		s.temporal, s.temporalOK = procCPU(func(cmd string) bool {
			return strings.Contains(cmd, "start-dev") && strings.Contains(cmd, "--port "+b.temporalPort)
		}, false)
	}
	return s
}

// measure runs a phase between two CPU snapshots and prints its figures.
func (b *bench) measure(name, offered string, run func() phase) phase {
	b.meter.take()
	before := b.snapshot()
	p := run()
	after := b.snapshot()
	cpu, runs := b.meter.take()
	b.printf("\n## %s\n\n", name)
	b.printf("offered: %s; %d submissions decided in %.1fs: %.1f/s", offered, p.done, p.took.Seconds(), p.rate())
	if p.bytes > 0 {
		b.printf(" (%.1f MB/s of zipped packages)", float64(p.bytes)/p.took.Seconds()/1e6)
	}
	b.printf("; outcomes %v\n", p.outcomes)
	if len(p.latencies) > 0 {
		b.printf("intake to decision (automatic decisions): p50 %v, p95 %v, p99 %v, max %v\n",
			percentile(p.latencies, .5).Round(time.Millisecond), percentile(p.latencies, .95).Round(time.Millisecond),
			percentile(p.latencies, .99).Round(time.Millisecond), percentile(p.latencies, 1).Round(time.Millisecond))
	}
	if p.done == 0 {
		return p
	}
	var activitiesCPU, dbActivities time.Duration
	for name, d := range cpu {
		activitiesCPU += d
		if name != "ScanPackage" && name != "Decide" {
			dbActivities += d
		}
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000/float64(p.done))
	}
	rest := after.self - before.self - activitiesCPU
	b.printf("\nCPU per submission | |\n|---|---|\n")
	b.printf("| scan (ScanPackage) | %s |\n", per(cpu["ScanPackage"]))
	b.printf("| policy (Decide) | %s |\n", per(cpu["Decide"]))
	pg := "n/a"
	if after.pgOK && before.pgOK {
		pg = per(after.pg - before.pg)
		b.printf("| database | %s (PostgreSQL %s + store activities %s) |\n", per(after.pg-before.pg+dbActivities), pg, per(dbActivities))
	} else {
		b.printf("| database | store activities %s (PostgreSQL not visible) |\n", per(dbActivities))
	}
	tcpu := "n/a"
	if after.temporalOK && before.temporalOK {
		tcpu = per(after.temporal - before.temporal)
		b.printf("| orchestration | %s (Temporal server %s + our process, rest %s) |\n", per(after.temporal-before.temporal+rest), tcpu, per(rest))
	} else {
		b.printf("| orchestration | our process, rest %s (Temporal server not visible) |\n", per(rest))
	}
	total := after.self - before.self + (after.pg - before.pg) + (after.temporal - before.temporal)
	b.printf("| total | %s (%.2f cores busy) |\n", per(total), total.Seconds()/p.took.Seconds())
	b.printf("\nactivity runs: %v\n", runs)
	return p
}

// noopPhase runs the submission workflow on do-nothing activities, started
// straight on Temporal, as fast as the clients can.
func (b *bench) noopPhase(ctx context.Context, queue string) phase {
	return b.measure("no-op workflow, same shape (same activities, doing nothing)",
		fmt.Sprintf("closed loop, %d clients", b.concurrency), func() phase {
			p := phase{outcomes: map[string]int{}}
			var mu sync.Mutex
			start := time.Now()
			var wg sync.WaitGroup
			for range b.concurrency {
				wg.Go(func() {
					for time.Since(start) < b.duration {
						id := "noop_" + strings.ToLower(store.NewSecret(10))
						t0 := time.Now()
						run, err := b.svc.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue},
							workflows.SubmissionWorkflow, workflows.SubmissionInput{SubmissionID: id})
						var res workflows.SubmissionResult
						if err == nil {
							err = run.Get(ctx, &res)
						}
						mu.Lock()
						if err != nil {
							p.outcomes["error"]++
						} else {
							p.done++
							p.outcomes[string(res.State)]++
							p.latencies = append(p.latencies, time.Since(t0))
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			p.took = time.Since(start)
			return p
		})
}

// closedLoop keeps one submission per client in flight for the duration.
func (b *bench) closedLoop(ctx context.Context, name string, pkg func(i int) []byte) phase {
	return b.measure(name, fmt.Sprintf("closed loop, %d clients", b.concurrency), func() phase {
		p := phase{outcomes: map[string]int{}}
		var mu sync.Mutex
		var n atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for range b.concurrency {
			wg.Go(func() {
				for time.Since(start) < b.duration {
					data := pkg(int(n.Add(1)))
					b.submit(ctx, "lin-verified", data, &mu, &p)
				}
			})
		}
		wg.Wait()
		p.took = time.Since(start)
		return p
	})
}

// openLoop offers submissions at a fixed rate, whatever the answers.
func (b *bench) openLoop(ctx context.Context, name string, rate float64, pkg func(i int) []byte) phase {
	count := int(rate * b.duration.Seconds())
	packages := make([][]byte, count)
	for i := range packages {
		packages[i] = pkg(i)
	}
	return b.measure(name, fmt.Sprintf("open loop, %.1f/s for %v", rate, b.duration), func() phase {
		p := phase{outcomes: map[string]int{}}
		var mu sync.Mutex
		start := time.Now()
		var wg sync.WaitGroup
		for i := range packages {
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
			wg.Go(func() { b.submit(ctx, "lin-verified", packages[i], &mu, &p) })
		}
		wg.Wait()
		p.took = time.Since(start)
		return p
	})
}

// libraries submits each real component library, wrapped as an app, a few
// times at once.
func (b *bench) libraries(ctx context.Context, libs []npmPackage) {
	b.measure("real npm component libraries wrapped as apps", fmt.Sprintf("%d libraries x 3, all at once", len(libs)), func() phase {
		p := phase{outcomes: map[string]int{}}
		var mu sync.Mutex
		start := time.Now()
		var wg sync.WaitGroup
		for _, lib := range libs {
			for i := range 3 {
				data, err := lib.zip(i)
				if err != nil {
					mu.Lock()
					p.outcomes["error"]++
					mu.Unlock()
					continue
				}
				owner := "lin-verified"
				if lib.platform == "alipay" {
					owner = "acme-pay"
				}
				wg.Go(func() { b.submit(ctx, owner, data, &mu, &p) })
			}
		}
		wg.Wait()
		p.took = time.Since(start)
		return p
	})
}

// submit uploads a package over HTTP and waits for its decision, read
// from the store, where intake and decision times are recorded.
func (b *bench) submit(ctx context.Context, owner string, pkg []byte, mu *sync.Mutex, p *phase) {
	id, err := b.upload(owner, pkg)
	if err == nil {
		var sub store.Submission
		for {
			if sub, err = b.svc.Store.GetSubmission(ctx, id); err != nil || sub.DecidedAt != nil || sub.State.Final() || sub.State == "in_review" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err == nil {
			mu.Lock()
			defer mu.Unlock()
			p.outcomes[string(sub.State)]++
			if sub.DecidedAt != nil && (sub.State == "approved" || sub.State == "rejected") {
				p.done++
				p.bytes += int64(len(pkg))
				p.latencies = append(p.latencies, sub.DecidedAt.Sub(sub.CreatedAt))
			}
			return
		}
	}
	slog.Warn("bench submission", "error", err)
	mu.Lock()
	p.outcomes["error"]++
	mu.Unlock()
}

func (b *bench) upload(owner string, pkg []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("app_id", b.demo.AppOf(owner))
	_ = mw.WriteField("version", fmt.Sprintf("1.%d.0", b.version.Add(1)))
	part, _ := mw.CreateFormFile("package", "app.zip")
	_, _ = part.Write(pkg)
	_ = mw.Close()
	req, err := http.NewRequest("POST", b.url+"/v1/submissions", &body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+b.demo.Tokens[owner])
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("upload: %d %s", resp.StatusCode, raw)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(raw, &created); err != nil {
		return "", err
	}
	return created.ID, nil
}

// generatedPackage is a WeChat app of about size bytes unpacked: a page and
// a vendored library of ordinary code, different for every salt.
func generatedPackage(size, salt int) []byte {
	var lib strings.Builder
	fmt.Fprintf(&lib, "// build %d\n", salt)
	for i := 0; lib.Len() < size; i++ {
		fmt.Fprintf(&lib, "function helper%d(a, b) {\n  var sum = a + b * %d;\n  if (sum > %d) { return 'big-%d'; }\n  return wx.getStorageSync('k%d') || sum;\n}\n", i, i, i*7, i, i)
	}
	z, err := pkgzip.Files(map[string]string{
		"app.json":                     `{"pages":["pages/index/index"]}`,
		"project.config.json":          `{"appid":"wx0000000000000000","compileType":"miniprogram"}`,
		"app.js":                       "App({});",
		"pages/index/index.js":         "Page({ data: { title: 'Hello' } });",
		"pages/index/index.wxml":       "<view>{{title}}</view>",
		"miniprogram_npm/lib/index.js": lib.String(),
	})
	if err != nil {
		panic(err) // in-memory zip of strings
	}
	return z
}
