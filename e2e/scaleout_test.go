package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// uploadMany uploads packages of the verified demo developer concurrently,
// spreading them over the API processes, and returns their IDs.
func uploadMany(t *testing.T, apis []*stack, prefix string, n int, pkg func(i int) []byte) []string {
	t.Helper()
	lin := apis[0].demo.Tokens["lin-verified"]
	app := apis[0].appOf("lin-verified")
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			resp, created := apis[i%len(apis)].upload(t, lin, app, fmt.Sprintf("%s.%d.0", prefix, i), pkg(i), "")
			require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
			ids[i] = created["id"].(string)
		})
	}
	wg.Wait()
	return ids
}

// TestTwoAPIsAndTwoWorkersShareTheWork runs trustgate as it is deployed:
// two `trustgate serve` and two `trustgate worker` processes against one
// Temporal and one PostgreSQL.
func TestTwoAPIsAndTwoWorkersShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four processes")
	}
	t.Parallel()
	c := startCluster(t)
	apis := []*stack{c.startAPI(), c.startAPI()}
	w1, w2 := c.startWorker(), c.startWorker()
	lin := c.demo.Tokens["lin-verified"]

	// Submissions through both APIs are worked by both workers: Temporal's
	// history names the worker that completed each activity.
	ids := uploadMany(t, apis, "1", 16, func(i int) []byte { return variant(t, "hello-wechat", fmt.Sprintf("spread-%d", i)) })
	perWorker := map[string]int{}
	for i, id := range ids {
		sub := apis[(i+1)%2].settle(t, lin, id)
		require.Equal(t, []string{"received", "scanning", "evaluating", "approved"}, timelineStates(sub), "%s", id)
		for identity, n := range activityWorkers(t, id) {
			perWorker[which(identity, w1, w2)] += n
		}
	}
	t.Logf("activities completed per worker: %v", perWorker)
	require.Len(t, perWorker, 2, "only the two worker processes ran activities, and both did: %v", perWorker)
	require.Positive(t, perWorker[w1.name])
	require.Positive(t, perWorker[w2.name])

	// A claim race across the two API processes has one winner per task.
	const tasks, reviewers = 4, 8
	taskIDs := make([]string, tasks)
	var wg sync.WaitGroup
	for i := range taskIDs {
		wg.Go(func() {
			_, task := apis[i%2].inReview(t, fmt.Sprintf("2.%d.0", i))
			taskIDs[i] = task.ID
		})
	}
	wg.Wait()
	tokens := make([]string, reviewers)
	for i := range tokens {
		tok, err := c.db.Store.CreateToken(context.Background(), store.Token{Role: "reviewer", Subject: fmt.Sprintf("racer-%d", i)})
		require.NoError(t, err)
		tokens[i] = tok
	}
	wins := make([]atomic.Int32, tasks)
	winner := make([]atomic.Value, tasks)
	var unexpected atomic.Int32
	for r := range reviewers {
		wg.Go(func() {
			for i, id := range taskIDs {
				switch code, _ := apis[r%2].act(t, tokens[r], "/v1/review-tasks/"+id+"/claim", ""); code {
				case http.StatusOK:
					wins[i].Add(1)
					winner[i].Store(tokens[r])
				case http.StatusConflict:
				default:
					unexpected.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, unexpected.Load(), "every claim is answered 200 or 409")
	for i := range wins {
		require.Equal(t, int32(1), wins[i].Load(), "task %s has exactly one winner", taskIDs[i])
	}

	// One worker is stopped while submissions are in flight and reviews
	// are open: the other finishes everything.
	more := uploadMany(t, apis, "3", 10, func(i int) []byte { return variant(t, "hello-wechat", fmt.Sprintf("scale-down-%d", i)) })
	w1.stop(t)
	for i, id := range more {
		sub := apis[i%2].settle(t, lin, id)
		require.Equal(t, []string{"received", "scanning", "evaluating", "approved"}, timelineStates(sub), "%s", id)
	}
	for i, id := range taskIDs {
		code, out := apis[i%2].act(t, winner[i].Load().(string), "/v1/review-tasks/"+id+"/decision",
			`{"outcome":"approve","comment":"decided after a worker left"}`)
		require.Equal(t, http.StatusOK, code, "%v", out)
	}
	require.Equal(t, tasks, c.countRows(`SELECT count(*) FROM submissions WHERE state = 'approved' AND version LIKE '2.%'`))
	require.Zero(t, c.countRows(`SELECT count(*) FROM submissions WHERE state NOT IN ('approved')`), "nothing lost or failed")
}
