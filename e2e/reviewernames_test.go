package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawReceiver keeps every webhook body as it arrived.
type rawReceiver struct {
	mu     sync.Mutex
	bodies []string
}

func (r *rawReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *rawReceiver) of(typ string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bodies {
		var ev struct{ Type string }
		if json.Unmarshal([]byte(b), &ev) == nil && ev.Type == typ {
			return b
		}
	}
	return ""
}

// raw GETs a path and returns the answer's body as it was sent.
func (s *stack) raw(t *testing.T, path, token string) string {
	t.Helper()
	req, err := http.NewRequest("GET", s.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	return string(body)
}

// TestDevelopersSeeReviewersByRole rejects a submission by hand and reads
// the rejection as its developer, their webhook and staff: the reviewer's
// subject is in the staff view only; the developer and the webhook see the
// reviewer's role.
func TestDevelopersSeeReviewersByRole(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	dev, reviewer, senior := s.demo.Tokens["wang-flagged"], s.demo.Tokens["reviewer"], s.demo.Tokens["senior_reviewer"]
	var who struct{ Subject string }
	s.call(t, "GET", "/v1/me", reviewer, nil, nil, &who)
	require.NotEmpty(t, who.Subject)
	require.NotEqual(t, "reviewer", who.Subject, "the subject must differ from the role for this test to tell them apart")

	rcv := &rawReceiver{}
	endpoint := httptest.NewServer(rcv)
	t.Cleanup(endpoint.Close)
	resp := s.call(t, "POST", "/v1/webhooks", dev, strings.NewReader(`{"url":"`+endpoint.URL+`/hook","events":["*"]}`), jsonHeader, nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	id, task := s.inReview(t, "1.0.0")
	code, out := s.act(t, reviewer, "/v1/review-tasks/"+task.ID+"/claim", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = s.act(t, reviewer, "/v1/review-tasks/"+task.ID+"/decision",
		`{"outcome":"reject","reason_codes":["CONTENT_MISLEADING"],"comment":"the discounts shown are not real"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, "rejected", string(s.settle(t, dev, id).State))

	// The developer: the detail (both languages, as it is kept rendered per
	// language) and the list.
	mine := s.raw(t, "/v1/submissions/"+id, dev)
	require.NotContains(t, mine, who.Subject, "the developer's view names the reviewer")
	var sub submissionAnswer
	require.NoError(t, json.Unmarshal([]byte(mine), &sub))
	require.Equal(t, "reviewer", sub.Decision.Reasons[0].Evidence["reviewer"], "the developer sees the role")
	require.NotContains(t, sub.Decision.Reasons[0].Evidence, "reviewer_role")
	require.Equal(t, "the discounts shown are not real", sub.Decision.Reasons[0].Message, "and still the comment")
	require.NotContains(t, s.raw(t, "/v1/submissions/"+id, dev), who.Subject, "a second read, from memory")
	require.NotContains(t, s.raw(t, "/v1/submissions?app_id="+s.appOf("wang-flagged"), dev), who.Subject, "the developer's list names the reviewer")

	// The webhook of the rejection.
	var hook string
	require.Eventually(t, func() bool { hook = rcv.of("submission.rejected"); return hook != "" },
		30*time.Second, 100*time.Millisecond, "the rejection's webhook arrives")
	require.NotContains(t, hook, who.Subject, "the webhook names the reviewer")
	require.Contains(t, hook, `"reviewer":"reviewer"`)

	// Staff keep the name.
	staff := s.raw(t, "/v1/submissions/"+id, senior)
	require.NoError(t, json.Unmarshal([]byte(staff), &sub))
	require.Equal(t, who.Subject, sub.Decision.Reasons[0].Evidence["reviewer"], "staff see who decided")
	require.Equal(t, "reviewer", sub.Decision.Reasons[0].Evidence["reviewer_role"])
}
