package e2e

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPostgresRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts PostgreSQL")
	}
	t.Parallel()
	s, iso := startIsolatedStack(t)
	lin := s.demo.Tokens["lin-verified"]

	s.worker.Stop()
	resp, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	id := created["id"].(string)

	require.NoError(t, iso.StopPostgres())
	var problem map[string]any
	resp = s.call(t, "GET", "/readyz", "", nil, nil, &problem)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	resp = s.call(t, "GET", "/v1/submissions/"+id, lin, nil, nil, &problem)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%v", problem)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))

	// The worker runs the submission while the database is down: its
	// activities fail and are retried until the database is back.
	w := s.svc.NewWorker()
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	time.Sleep(3 * time.Second)
	require.NoError(t, iso.StartPostgres())

	require.Eventually(t, func() bool {
		return s.call(t, "GET", "/readyz", "", nil, nil, nil).StatusCode == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond, "the API recovers by itself")
	sub := s.settle(t, lin, id)
	require.Equal(t, "approved", string(sub.State))
	require.Equal(t, []string{"received", "scanning", "evaluating", "approved"}, timelineStates(sub), "nothing lost, nothing twice")
}

func TestTemporalRestartContinuesTheReview(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts Temporal")
	}
	t.Parallel()
	s, iso := startIsolatedStack(t)
	r1, dev := s.demo.Tokens["reviewer"], s.demo.Tokens["wang-flagged"]
	id, task := s.inReview(t, "1.0.0")

	require.NoError(t, iso.StopTemporal())
	resp := s.call(t, "GET", "/readyz", "", nil, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NoError(t, iso.StartTemporal())

	var code int
	require.Eventually(t, func() bool {
		code, _ = s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
		return code == http.StatusOK
	}, 60*time.Second, 500*time.Millisecond, "the workflow is still there after the restart (last answer %d)", code)
	code, out := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"approve","comment":"fine after the restart"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	sub := s.settle(t, dev, id)
	require.Equal(t, []string{"received", "scanning", "evaluating", "in_review", "approved"}, timelineStates(sub))
}

func TestReviewSurvivesAWorkerKilledHard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a worker process")
	}
	t.Parallel()
	bin := trustgateBinary(t)
	s, iso := startIsolatedStack(t)
	s.worker.Stop() // from here on, only worker processes work
	first := workerProcess(t, s, iso, bin)

	r1, dev := s.demo.Tokens["reviewer"], s.demo.Tokens["wang-flagged"]
	id, task := s.inReview(t, "1.0.0")
	code, _ := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusOK, code)

	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	workerProcess(t, s, iso, bin)

	code, out := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"approve","comment":"decided after the crash"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	sub := s.settle(t, dev, id)
	require.Equal(t, []string{"received", "scanning", "evaluating", "in_review", "approved"}, timelineStates(sub),
		"nothing lost, nothing written twice")
}
