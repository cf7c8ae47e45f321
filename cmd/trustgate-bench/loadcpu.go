package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is the CPU used so far by the load generator (this process) and
// by the server under test, when it is a process of ours.
type cpuTimes struct {
	generator, server time.Duration
	serverKnown       bool
}

func cpuNow(serverPID int) cpuTimes {
	t := cpuTimes{generator: processCPU()}
	if serverPID > 0 {
		t.server, t.serverKnown = procCPU(func(string) bool { return false }, false, serverPID)
	}
	return t
}

// printCPU says where the machine's time went in a run: CPU per request of
// the generator and of the server process (API and an idle worker).
func printCPU(w io.Writer, before, after cpuTimes, sent int) {
	if sent == 0 {
		return
	}
	per := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d.Microseconds())/float64(sent), 'f', 0, 64) + " µs"
	}
	fmt.Fprintf(w, "  cpu per request, warm-up included: generator %s", per(after.generator-before.generator))
	if before.serverKnown && after.serverKnown {
		fmt.Fprintf(w, ", server %s", per(after.server-before.server))
	}
	fmt.Fprintln(w)
}

// readSources reads trustgate_submission_reads_total from the server's
// private metrics port: how many reads the API answered from memory and
// how many from PostgreSQL.
func readSources(ctx context.Context, metricsURL string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return "unknown: " + err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "unknown: " + err.Error()
	}
	defer resp.Body.Close()
	var parts []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "trustgate_submission_reads_total{source="); ok {
			parts = append(parts, strings.NewReplacer(`"`, "", "}", "").Replace(line))
		}
	}
	if len(parts) == 0 {
		return "none counted"
	}
	return strings.Join(parts, ", ")
}
