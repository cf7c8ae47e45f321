package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// crashTimeouts make Temporal notice a killed worker within seconds: a scan
// that stops heartbeating for a second, or a step not done in three, is
// retried on the next worker.
var crashTimeouts = []string{
	"TRUSTGATE_SCAN_HEARTBEAT_TIMEOUT=1s", "TRUSTGATE_STEP_TIMEOUT=3s", "TRUSTGATE_SCAN_TIMEOUT=20s",
}

// killMidScan waits until scans are running, then kills the worker hard
// and starts another in its place.
func (c *cluster) killMidScan(w *proc, ids []string) *proc {
	c.t.Helper()
	var scanning int
	require.Eventually(c.t, func() bool {
		scanning = c.countRows(`SELECT count(*) FROM submissions WHERE id = ANY($1) AND state = 'scanning'`, ids)
		return scanning > 0
	}, 30*time.Second, 5*time.Millisecond, "scans started")
	w.kill()
	c.t.Logf("killed %s with %d of %d submissions scanning", w.name, scanning, len(ids))
	return c.startWorker()
}

// TestWorkersKilledMidScanAndReviewLoseNothing kills the worker process
// (SIGKILL) twice while many packages are being scanned and reviews are
// open: every submission still reaches its right final state, and nothing
// is written twice — findings, timeline entries, decisions, webhook events.
func TestWorkersKilledMidScanAndReviewLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills worker processes")
	}
	t.Parallel()
	c := startCluster(t, crashTimeouts...)
	api := c.startAPI()
	apis := []*stack{api}
	w := c.startWorker()
	lin, wang, r1 := c.demo.Tokens["lin-verified"], c.demo.Tokens["wang-flagged"], c.demo.Tokens["reviewer"]

	// A reference run without faults says what every package should find.
	ref := uploadMany(t, apis, "0", 1, func(i int) []byte { return twoMegabytePackage(t, 1000) })[0]
	want := api.settle(t, lin, ref)
	wantFindings := c.countRows(`SELECT count(*) FROM findings WHERE submission_id = $1`, ref)
	require.Positive(t, wantFindings)

	// Reviews are open, one of them claimed, when the first crash comes.
	reviews := make([]string, 3)
	tasks := make([]string, 3)
	for i := range reviews {
		id, task := api.inReview(t, fmt.Sprintf("9.%d.0", i))
		reviews[i], tasks[i] = id, task.ID
	}
	code, _ := api.act(t, r1, "/v1/review-tasks/"+tasks[0]+"/claim", "")
	require.Equal(t, http.StatusOK, code)

	first := uploadMany(t, apis, "1", 10, func(i int) []byte { return twoMegabytePackage(t, 100+i) })
	w = c.killMidScan(w, first)

	// Reviewers keep working on the new worker; then it is killed too,
	// again in the middle of scans.
	code, _ = api.act(t, r1, "/v1/review-tasks/"+tasks[1]+"/claim", "")
	require.Equal(t, http.StatusOK, code)
	second := uploadMany(t, apis, "2", 10, func(i int) []byte { return twoMegabytePackage(t, 200+i) })
	c.killMidScan(w, second)

	code, out := api.act(t, r1, "/v1/review-tasks/"+tasks[0]+"/decision", `{"outcome":"approve","comment":"decided after two crashes"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = api.act(t, r1, "/v1/review-tasks/"+tasks[1]+"/decision",
		`{"outcome":"reject","reason_codes":["CONTENT_MISLEADING"],"comment":"rejected after two crashes"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = api.act(t, wang, "/v1/submissions/"+reviews[2]+"/withdraw", "")
	require.Equal(t, http.StatusOK, code, "%v", out)

	scanned := append(append([]string{ref}, first...), second...)
	for _, id := range scanned {
		sub := api.settle(t, lin, id)
		require.Equal(t, want.State, sub.State, "%s", id)
		require.Equal(t, timelineStates(want), timelineStates(sub), "%s: each step once", id)
		require.Equal(t, wantFindings, c.countRows(`SELECT count(*) FROM findings WHERE submission_id = $1`, id), "%s: every finding, once", id)
	}
	for i, final := range []string{"approved", "rejected", "withdrawn"} {
		sub := api.settle(t, wang, reviews[i])
		require.Equal(t, final, string(sub.State), "%s", reviews[i])
	}

	all := append(scanned, reviews...)
	require.Zero(t, c.countRows(`SELECT count(*) FROM (SELECT submission_id, state FROM submission_events
		WHERE submission_id = ANY($1) AND state <> 'in_review' GROUP BY 1, 2 HAVING count(*) > 1) d`, all),
		"no state entered twice in a timeline")
	require.Zero(t, c.countRows(`SELECT count(*) FROM (SELECT submission_id, type FROM webhook_events
		WHERE submission_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1) d`, all), "no webhook event twice")
	require.Equal(t, len(scanned)*len(want.Timeline), c.countRows(`SELECT count(*) FROM webhook_events
		WHERE submission_id = ANY($1) AND type LIKE 'submission.%'`, scanned), "one event per step of every submission")
	require.Zero(t, c.countRows(`SELECT count(*) FROM (SELECT submission_id FROM decisions
		WHERE submission_id = ANY($1) GROUP BY 1 HAVING count(*) > 1) d`, scanned), "one decision per automatic submission")
	require.Zero(t, c.countRows(`SELECT count(*) FROM submissions WHERE state = 'failed'`), "no submission failed")
}
