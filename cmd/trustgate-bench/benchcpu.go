package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"trustgate/policies"
	"trustgate/workflows"
)

// cpuMeter measures the CPU time each activity spends, by activity type.
// The activity's goroutine is locked to its OS thread while it runs, and
// the thread's CPU clock is read before and after: the scan and the policy
// evaluation run on that goroutine, so their CPU is counted exactly; what
// runs elsewhere (the garbage collector's background workers, the
// heartbeat goroutine) falls to the process remainder.
type cpuMeter struct {
	interceptor.WorkerInterceptorBase
	mu   sync.Mutex
	cpu  map[string]time.Duration
	runs map[string]int
}

func newCPUMeter() *cpuMeter {
	return &cpuMeter{cpu: map[string]time.Duration{}, runs: map[string]int{}}
}

func (m *cpuMeter) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &meteredActivity{m: m}
	i.Next = next
	return i
}

// take returns what was measured since the last take, and starts again.
func (m *cpuMeter) take() (map[string]time.Duration, map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cpu, runs := m.cpu, m.runs
	m.cpu, m.runs = map[string]time.Duration{}, map[string]int{}
	return cpu, runs
}

type meteredActivity struct {
	interceptor.ActivityInboundInterceptorBase
	m *cpuMeter
}

func (a *meteredActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	out, err := a.Next.ExecuteActivity(ctx, in)
	used := threadCPU() - start
	name := activity.GetInfo(ctx).ActivityType.Name
	a.m.mu.Lock()
	a.m.cpu[name] += used
	a.m.runs[name]++
	a.m.mu.Unlock()
	return out, err
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time of the processes that match, read from
// /proc/PID/stat: utime and stime, plus cutime and cstime (children that
// ended, such as PostgreSQL backends of closed connections). With
// children, the processes whose parent matched count too; pids match
// whatever their command line.
func procCPU(match func(cmdline string) bool, children bool, pids ...int) (time.Duration, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	type stat struct {
		ppid  int
		ticks int64
	}
	stats := map[int]stat{}
	roots := map[int]bool{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may
		// hold spaces.
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		var ticks int64
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
		stats[pid] = stat{ppid, ticks}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if match(strings.ReplaceAll(string(cmd), "\x00", " ")) || slices.Contains(pids, pid) {
			roots[pid] = true
		}
	}
	if len(roots) == 0 {
		return 0, false
	}
	var ticks int64
	for pid, s := range stats {
		if roots[pid] || (children && roots[s.ppid]) {
			ticks += s.ticks
		}
	}
	return time.Duration(ticks) * time.Second / 100, true // USER_HZ is 100 on Linux
}

// noopActivities have the names and signatures of the real activities and
// do nothing: the same workflow on them measures what Temporal and the
// workflow cost by themselves.
type noopActivities struct{}

func (noopActivities) ScanPackage(context.Context, workflows.ScanInput) (workflows.ScanSummary, error) {
	return workflows.ScanSummary{BySeverity: map[string]int{}}, nil
}

func (noopActivities) LoadDeveloper(context.Context, workflows.ProfileInput) (workflows.Profile, error) {
	return workflows.Profile{}, nil
}

func (noopActivities) Decide(context.Context, workflows.DecideInput) (workflows.Verdict, error) {
	return workflows.Verdict{Decision: policies.Decision{Outcome: policies.OutcomeApprove}, PolicyVersion: "noop"}, nil
}

func (noopActivities) Advance(context.Context, workflows.AdvanceInput) error { return nil }

func (noopActivities) Note(context.Context, workflows.NoteInput) error { return nil }
