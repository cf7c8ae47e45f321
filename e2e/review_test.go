package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

func TestReviewPathOverHTTP(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	r1, r2, dev := s.demo.Tokens["reviewer"], s.demo.Tokens["reviewer-2"], s.demo.Tokens["wang-flagged"]
	id, task := s.inReview(t, "1.0.0")

	var queue struct{ Items []store.Task }
	s.call(t, "GET", "/v1/review-tasks", r1, nil, nil, &queue)
	require.NotEmpty(t, queue.Items)
	require.Equal(t, task.ID, queue.Items[0].ID)

	var mine submissionAnswer
	s.call(t, "GET", "/v1/submissions/"+id, dev, nil, nil, &mine)
	require.Equal(t, "in_review", string(mine.State))

	code, _ := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusOK, code)
	// A retried claim with the same Idempotency-Key is the same Update.
	keyed := http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {"claim-once"}}
	var first, retried store.Task
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/review-tasks/"+task.ID+"/release", r1, strings.NewReader("{}"), keyed, &first).StatusCode)
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/review-tasks/"+task.ID+"/release", r1, strings.NewReader("{}"), keyed, &retried).StatusCode,
		"a retried release is answered once, not refused as 'not claimed'")
	require.Equal(t, "open", retried.State)
	code, _ = s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusOK, code)
	code, again := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusOK, code, "the holder claiming again: %v", again)
	code, problem := s.act(t, r2, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusConflict, code, "%v", problem)
	code, problem = s.act(t, r2, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"approve","comment":"x"}`)
	require.Equal(t, http.StatusConflict, code, "a decision without the claim: %v", problem)
	code, problem = s.act(t, dev, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusForbidden, code, "%v", problem)
	code, problem = s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"reject","reason_codes":["NOT_A_CODE"],"comment":"x"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%v", problem)

	code, decided := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision",
		`{"outcome":"reject","reason_codes":["CONTENT_MISLEADING"],"comment":"the discounts shown are not real"}`)
	require.Equal(t, http.StatusOK, code, "%v", decided)
	require.Equal(t, "rejected", decided["state"], "the answer is the submission, decided")

	sub := s.settle(t, dev, id)
	require.Equal(t, []string{"CONTENT_MISLEADING"}, codes(sub))
	require.Equal(t, "the discounts shown are not real", sub.Decision.Reasons[0].Message, "the developer sees the comment")

	code, problem = s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"approve","comment":"x"}`)
	require.Equal(t, http.StatusConflict, code, "a decided task: %v", problem)

	// The developer appeals; the first reviewer may not take the appeal.
	code, appealed := s.act(t, dev, "/v1/submissions/"+id+"/appeal", `{"text":"the discounts are real, see the price history"}`)
	require.Equal(t, http.StatusOK, code, "%v", appealed)
	require.Equal(t, "appealed", appealed["state"])
	code, _ = s.act(t, dev, "/v1/submissions/"+id+"/appeal", `{"text":"again"}`)
	require.Equal(t, http.StatusConflict, code, "one appeal only")

	var tasks struct{ Items []store.Task }
	s.call(t, "GET", "/v1/review-tasks?queue=senior", s.demo.Tokens["senior_reviewer"], nil, nil, &tasks)
	var appealTask string
	for _, tk := range tasks.Items {
		if tk.SubmissionID == id {
			appealTask = tk.ID
		}
	}
	require.NotEmpty(t, appealTask)
	code, _ = s.act(t, r2, "/v1/review-tasks/"+appealTask+"/claim", "")
	require.Equal(t, http.StatusForbidden, code, "the senior queue needs a senior reviewer")
	senior := s.demo.Tokens["senior_reviewer"]
	code, _ = s.act(t, senior, "/v1/review-tasks/"+appealTask+"/claim", "")
	require.Equal(t, http.StatusOK, code)
	code, final := s.act(t, senior, "/v1/review-tasks/"+appealTask+"/decision", `{"outcome":"approve","comment":"price history checks out"}`)
	require.Equal(t, http.StatusOK, code, "%v", final)
	require.Equal(t, "approved", final["state"], "the appeal's decision replaces the first")
	recordHistory(t, id, "review-reject-appeal-approve")
}

func TestQueuePositionAndWithdraw(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	dev := s.demo.Tokens["wang-flagged"]
	first, _ := s.inReview(t, "1.0.0")
	_, _ = s.inReview(t, "1.0.1")
	third, _ := s.inReview(t, "1.0.2")

	var sub struct {
		QueuePosition       *int       `json:"queue_position"`
		EstimatedDecisionAt *time.Time `json:"estimated_decision_at"`
	}
	s.call(t, "GET", "/v1/submissions/"+third, dev, nil, nil, &sub)
	require.NotNil(t, sub.QueuePosition)
	require.Equal(t, 2, *sub.QueuePosition, "two open tasks of the same priority are due before it")
	require.NotNil(t, sub.EstimatedDecisionAt)
	// No decisions in the last day: the queue's pace counts as one an hour.
	require.WithinDuration(t, time.Now().Add(3*time.Hour), *sub.EstimatedDecisionAt, 5*time.Minute)

	code, withdrawn := s.act(t, dev, "/v1/submissions/"+first+"/withdraw", "")
	require.Equal(t, http.StatusOK, code, "%v", withdrawn)
	require.Equal(t, "withdrawn", withdrawn["state"])
	s.call(t, "GET", "/v1/submissions/"+third, dev, nil, nil, &sub)
	require.Equal(t, 1, *sub.QueuePosition, "the withdrawn submission's task left the queue")
	code, _ = s.act(t, dev, "/v1/submissions/"+first+"/withdraw", "")
	require.Equal(t, http.StatusConflict, code, "withdrawn already")
	code, _ = s.act(t, s.demo.Tokens["lin-verified"], "/v1/submissions/"+third+"/withdraw", "")
	require.Equal(t, http.StatusNotFound, code, "not theirs to withdraw")
	recordHistory(t, first, "review-withdraw")
}

// A developer who withdraws a submission and uploads the very same package
// again gets a review that says so: the policy sees the earlier withdrawal
// in the developer's history.
func TestWithdrawnPackageUploadedAgainGoesToReviewSayingSo(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	dev := s.demo.Tokens["wang-flagged"]
	first, task := s.inReview(t, "3.0.0")
	require.NotContains(t, string(task.Reasons), "RESUBMITTED_AFTER_WITHDRAWAL", "nothing was withdrawn yet")
	code, out := s.act(t, dev, "/v1/submissions/"+first+"/withdraw", "")
	require.Equal(t, http.StatusOK, code, "%v", out)

	resp, created := s.upload(t, dev, s.appOf("wang-flagged"), "3.0.1", variant(t, "hello-wechat", "3.0.0"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	again := created["id"].(string)
	var sub struct {
		State string
		Tasks []store.Task
	}
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/submissions/"+again, s.demo.Tokens["senior_reviewer"], nil, nil, &sub)
		return sub.State == "in_review" && len(sub.Tasks) > 0
	}, 60*time.Second, 50*time.Millisecond)
	var reasons []struct {
		Code     string
		Evidence map[string]any
	}
	require.NoError(t, json.Unmarshal(sub.Tasks[0].Reasons, &reasons))
	i := -1
	for at, r := range reasons {
		if r.Code == "RESUBMITTED_AFTER_WITHDRAWAL" {
			i = at
		}
	}
	require.GreaterOrEqual(t, i, 0, "the review says the package was withdrawn before: %s", sub.Tasks[0].Reasons)
	require.EqualValues(t, 1, reasons[i].Evidence["withdrawn_same_package"])
}

func TestClaimRaceGivesEveryTaskToOneReviewer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the claim race submits 200 packages")
	}
	s := startStack(t, 8<<20)
	const tasks, claimers = 200, 50
	ids := make([]string, tasks)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, task := s.inReview(t, fmt.Sprintf("1.%d.0", i))
			ids[i] = task.ID
		})
	}
	wg.Wait()

	ctx := context.Background()
	tokens := make([]string, claimers)
	for i := range tokens {
		tok, err := s.store.CreateToken(ctx, store.Token{Role: "reviewer", Subject: fmt.Sprintf("racer-%d", i)})
		require.NoError(t, err)
		tokens[i] = tok
	}
	wins := make([]atomic.Int32, tasks)
	var unexpected atomic.Int32
	for c := range claimers {
		wg.Go(func() {
			for _, i := range rand.Perm(tasks) {
				code, _ := s.act(t, tokens[c], "/v1/review-tasks/"+ids[i]+"/claim", "")
				switch code {
				case http.StatusOK:
					wins[i].Add(1)
				case http.StatusConflict:
				default:
					unexpected.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, unexpected.Load(), "every answer is 200 or 409")
	for i := range wins {
		require.Equal(t, int32(1), wins[i].Load(), "task %s", ids[i])
	}
}

func TestReviewSurvivesAWorkerRestart(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	r1, dev := s.demo.Tokens["reviewer"], s.demo.Tokens["wang-flagged"]
	id, task := s.inReview(t, "1.0.0")

	// The worker goes away in the middle of the review. A claim made now
	// waits for a worker; the workflow's state is in Temporal, not in it.
	s.worker.Stop()
	claimed := make(chan int, 1)
	go func() {
		code, _ := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/claim", "")
		claimed <- code
	}()
	time.Sleep(time.Second)
	w := s.svc.NewWorker()
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	require.Equal(t, http.StatusOK, <-claimed)

	code, out := s.act(t, r1, "/v1/review-tasks/"+task.ID+"/decision", `{"outcome":"approve","comment":"checked after the restart"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	sub := s.settle(t, dev, id)
	require.Equal(t, "approved", string(sub.State))
	require.Equal(t, []string{"received", "scanning", "evaluating", "in_review", "approved"}, timelineStates(sub),
		"nothing lost, nothing written twice")
}
