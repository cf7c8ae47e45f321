package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The load test offers a constant rate whatever the server does (an open
// model, as real clients behave): when the server falls behind, requests
// queue and the queueing shows in the tail, instead of the generator
// slowing down to the server's pace and hiding it.
const (
	maxLoadDuration = 2 * time.Minute
	maxLoadRuns     = 5
)

func runLoad(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("load", "load [--stack | --server URL --token T --submission ID] [--rate 5000] [--duration 10s] [--runs 1]")
	server, token := clientFlags(fs)
	id := fs.String("submission", "", "submission to read (GET /v1/submissions/{id})")
	stack := fs.Bool("stack", false, "start a whole stack of its own (trustgate dev in a temp dir, free ports), submit a package and read that")
	rate := fs.Int("rate", 5000, "requests per second offered, whatever the answers")
	duration := fs.Duration("duration", 10*time.Second, "how long each run offers load (at most 2m)")
	runs := fs.Int("runs", 1, "how many runs, one after the other (at most 5)")
	warmup := fs.Duration("warmup", 2*time.Second, "offer the same rate for this long first, not counted: the generator opens its connections and the server fills its caches")
	profile := fs.Bool("cpuprofile", false, "with --stack: save a CPU profile of the server during each run to the system temp dir")
	binary := fs.String("trustgate", "bin/trustgate", "with --stack: the trustgate binary whose dev command runs the stack")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 1 || *duration <= 0 || *duration > maxLoadDuration || *runs < 1 || *runs > maxLoadRuns ||
		*warmup < 0 || *warmup > maxLoadDuration {
		return &exitError{code: 2, msg: "load needs --rate ≥ 1, --duration and --warmup up to 2m and --runs from 1 to 5"}
	}
	var pprofURL string
	serverPID := 0 // the stack's own server, whose CPU is reported
	if *stack {
		st, err := startLoadStack(ctx, *binary, stdout)
		if err != nil {
			return err
		}
		defer st.stop(stdout)
		*server, *token, *id, pprofURL = st.api, st.token, st.submission, st.pprof
		serverPID = st.cmd.Process.Pid
	}
	if *id == "" || *token == "" {
		return &exitError{code: 2, msg: "load needs --stack, or --server, --token and --submission"}
	}
	if err := loopbackOnly(*server); err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	target := vegeta.Target{Method: http.MethodGet, URL: strings.TrimRight(*server, "/") + "/v1/submissions/" + url.PathEscape(*id),
		Header: http.Header{"Authorization": {"Bearer " + *token}}}
	fmt.Fprintf(stdout, "offering %d requests/s for %s to GET %s, %d run(s)\n", *rate, *duration, target.URL, *runs)
	if *warmup > 0 {
		fmt.Fprintf(stdout, "each run starts with %s at the same rate that is not counted\n", *warmup)
	}
	for run := 1; run <= *runs; run++ {
		var prof chan string
		if *profile && pprofURL != "" {
			prof = make(chan string, 1)
			go func() {
				time.Sleep(*warmup)
				prof <- saveProfile(ctx, pprofURL, *duration-time.Second)
			}()
		}
		before := cpuNow(serverPID)
		m, sent := attack(ctx, target, *rate, *warmup, *duration)
		printLoad(stdout, run, *rate, m)
		printCPU(stdout, before, cpuNow(serverPID), sent)
		if pprofURL != "" {
			fmt.Fprintf(stdout, "  submission reads so far: %s\n", readSources(ctx, pprofURL))
		}
		if prof != nil {
			fmt.Fprintf(stdout, "  cpu profile of the server: %s\n", <-prof)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// attack offers rate requests per second for warmup and then d, and
// gathers the answers to the requests sent after the warm-up: in the
// warm-up the generator opens its connections, which would otherwise show
// as the server's latency.
func attack(ctx context.Context, target vegeta.Target, rate int, warmup, d time.Duration) (_ *vegeta.Metrics, sent int) {
	a := vegeta.NewAttacker(vegeta.Timeout(5*time.Second), vegeta.KeepAlive(true),
		vegeta.Workers(uint64(max(10, rate/100))), vegeta.Connections(1000),
		// Answers are read whole and thrown away, not kept: the generator
		// shares the machine with the server it measures.
		vegeta.MaxBody(0))
	var m vegeta.Metrics
	counted := time.Now().Add(warmup)
	add := func(r *vegeta.Result) {
		sent++
		if !r.Timestamp.Before(counted) {
			m.Add(r)
		}
	}
	results := a.Attack(vegeta.NewStaticTargeter(target), vegeta.Rate{Freq: rate, Per: time.Second}, warmup+d, "load")
	for {
		select {
		case <-ctx.Done():
			a.Stop()
		case r, ok := <-results:
			if !ok {
				m.Close()
				return &m, sent
			}
			add(r)
			continue
		}
		for r := range results {
			add(r)
		}
		m.Close()
		return &m, sent
	}
}

func printLoad(w io.Writer, run, offered int, m *vegeta.Metrics) {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }
	codes := make([]string, 0, len(m.StatusCodes))
	for code, n := range m.StatusCodes {
		codes = append(codes, fmt.Sprintf("%s×%d", code, n))
	}
	sort.Strings(codes)
	errs := len(m.Errors)
	fmt.Fprintf(w, "run %d: offered %d/s, sent %.0f/s, answered %.0f/s ok; %d requests, success %.2f%%\n",
		run, offered, m.Rate, m.Throughput, m.Requests, m.Success*100)
	fmt.Fprintf(w, "  latency p50 %s  p95 %s  p99 %s  max %s\n", ms(m.Latencies.P50), ms(m.Latencies.P95), ms(m.Latencies.P99), ms(m.Latencies.Max))
	fmt.Fprintf(w, "  status %s; %d distinct errors", strings.Join(codes, " "), errs)
	for i, e := range m.Errors {
		if i == 3 {
			fmt.Fprint(w, " …")
			break
		}
		fmt.Fprintf(w, "; %s", e)
	}
	fmt.Fprintln(w)
}

// loopbackOnly refuses targets off this machine: the load test is for the
// stack under test here, never for someone's server.
func loopbackOnly(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("load: %q is not a URL", server)
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return fmt.Errorf("load: resolve %s: %w", u.Hostname(), err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("load: %s is not a loopback address; the load test only runs against this machine", u.Hostname())
		}
	}
	return nil
}

// saveProfile fetches a CPU profile of the server over d into the system
// temp dir and returns its path (or why there is none).
func saveProfile(ctx context.Context, pprofURL string, d time.Duration) string {
	secs := max(1, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, secs), nil)
	if err != nil {
		return "none: " + err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "none: " + err.Error()
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp("", "trustgate-load-cpu-*.pprof")
	if err != nil {
		return "none: " + err.Error()
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return "none: " + err.Error()
	}
	return f.Name()
}

// loadStack is a whole stack of the load test's own: `trustgate dev` in a
// temp dir on free ports, with one approved submission to read.
type loadStack struct {
	binary                        string
	cmd                           *exec.Cmd
	dir                           string
	api, pprof, token, submission string
}

func startLoadStack(ctx context.Context, binary string, stdout io.Writer) (*loadStack, error) {
	binary, err := filepath.Abs(binary)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("the trustgate binary (go build -o bin/trustgate ./cmd/trustgate): %w", err)
	}
	dir, err := os.MkdirTemp("", "trustgate-load-*")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL runs as another user when we are root
		return nil, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "dev.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	st := &loadStack{binary: binary, dir: dir, api: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), pprof: fmt.Sprintf("http://127.0.0.1:%d", ports[1])}
	st.cmd = exec.Command(binary, "dev")
	st.cmd.Stdout, st.cmd.Stderr = logFile, logFile
	st.cmd.Env = append(os.Environ(),
		"TRUSTGATE_DEV_DIR="+dir,
		fmt.Sprintf("TRUSTGATE_HTTP_ADDR=127.0.0.1:%d", ports[0]),
		fmt.Sprintf("TRUSTGATE_METRICS_ADDR=127.0.0.1:%d", ports[1]),
		"TRUSTGATE_PPROF=true", // --profile reads the CPU profile from the metrics address
		fmt.Sprintf("TRUSTGATE_PG_PORT=%d", ports[2]),
		fmt.Sprintf("TEMPORAL_PORT=%d", ports[3]),
		fmt.Sprintf("TEMPORAL_UI_PORT=%d", ports[4]),
		"DATABASE_URL=", "DATABASE_OWNER_URL=", "TEMPORAL_ADDRESS=",
		// Reads wait on round trips, not on CPU: more connections than
		// the default four keep them from queueing for one.
		"DATABASE_POOL_MAX_CONNS="+envOr("DATABASE_POOL_MAX_CONNS", "16"),
	)
	fmt.Fprintf(stdout, "starting the whole stack (trustgate dev, log: %s)\n", logFile.Name())
	if err := st.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start trustgate dev: %w", err)
	}
	if err := st.prepare(ctx, stdout); err != nil {
		st.stop(stdout)
		return nil, err
	}
	return st, nil
}

// prepare waits for the stack, then submits the hello example as the
// verified demo developer and waits for its approval.
func (st *loadStack) prepare(ctx context.Context, stdout io.Writer) error {
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var tokens map[string]string
	err := waitFor(wctx, 250*time.Millisecond, func() (bool, error) {
		resp, err := http.Get(st.api + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, nil
		}
		b, err := os.ReadFile(filepath.Join(st.dir, "demo-tokens.json"))
		return err == nil && json.Unmarshal(b, &tokens) == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the stack (see %s): %w", filepath.Join(st.dir, "dev.log"), err)
	}
	st.token = tokens["lin-verified"]
	req, err := http.NewRequestWithContext(wctx, http.MethodGet, st.api+"/v1/apps", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+st.token)
	var apps struct{ Items []struct{ ID string } }
	if err := getJSON(req, &apps); err != nil || len(apps.Items) == 0 {
		return fmt.Errorf("find the demo app: %v", err)
	}
	submit := exec.CommandContext(wctx, st.binary, "submit", "--server", st.api, "--token", st.token, "--app", apps.Items[0].ID,
		"--version", "1.0.0", "--wait", "--timeout", "2m", filepath.Join("examples", "hello-wechat.zip"))
	out, err := submit.CombinedOutput()
	if err != nil {
		return fmt.Errorf("submit the example: %w\n%s", err, out)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	st.submission = strings.Fields(first)[1] // "submitted sub_… (received)"
	fmt.Fprintf(stdout, "submission %s approved; its answer has timeline and findings\n", st.submission)
	return nil
}

func (st *loadStack) stop(stdout io.Writer) {
	fmt.Fprintln(stdout, "stopping the stack")
	_ = st.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- st.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = st.cmd.Process.Kill()
		<-done
	}
	if err := os.RemoveAll(st.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(stdout, "leaving", st.dir, ":", err)
	}
}

// freePorts asks the kernel for n free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// getJSON sends req and decodes its 200 answer into out.
func getJSON(req *http.Request, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
