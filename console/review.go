package console

import (
	"net/url"
	"strings"
	"time"

	"trustgate/internal/store"
)

// queueRow is a task in the queue with its SLA as text.
type queueRow struct {
	store.Task
	Overdue bool
	Left    string
}

type queueData struct {
	Tasks  []queueRow
	Queues []string
	Queue  string
	State  string
	Mine   bool
}

// queuesOf mirrors what the API admits a role to filter by; the API still
// refuses a queue the role does not work.
func queuesOf(role string) []string {
	if role == "senior_reviewer" {
		return []string{"standard", "senior", "qa"}
	}
	return []string{"standard", "qa"}
}

func (c *Console) queuePage(q *req) (string, view, error) {
	if !q.me.Is("reviewer", "senior_reviewer") {
		return "", view{}, &problem{Status: 403, Title: "the " + q.me.Role + " role has no review queue"}
	}
	d := queueData{Queues: queuesOf(q.me.Role), State: "open,claimed"}
	v := url.Values{}
	if s := q.r.URL.Query().Get("queue"); s != "" {
		d.Queue = s
		v.Set("queue", s)
	}
	if s := q.r.URL.Query().Get("state"); s != "" {
		d.State = s
	}
	v.Set("state", d.State)
	if q.r.URL.Query().Get("mine") == "true" {
		d.Mine = true
		v.Set("mine", "true")
	}
	var tasks list[store.Task]
	if err := q.get("/v1/review-tasks?"+v.Encode(), &tasks); err != nil {
		return "", view{}, err
	}
	now := time.Now()
	for _, t := range tasks.Items {
		left := t.DueAt.Sub(now)
		row := queueRow{Task: t, Overdue: left < 0}
		if left < 0 {
			left = -left
		}
		row.Left = left.Truncate(time.Minute).String()
		row.Left = strings.TrimSuffix(row.Left, "0s")
		d.Tasks = append(d.Tasks, row)
	}
	return "queue", view{Title: q.lang.T("queue"), Data: d}, nil
}

// back is where a task action returns: the page the form was on.
func back(q *req) string {
	return localPath(q.r.PostFormValue("back"), "/review")
}

func (c *Console) claim(q *req) (string, error) {
	return back(q), q.postJSON("/v1/review-tasks/"+url.PathEscape(q.r.PathValue("task"))+"/claim", struct{}{})
}

func (c *Console) release(q *req) (string, error) {
	return back(q), q.postJSON("/v1/review-tasks/"+url.PathEscape(q.r.PathValue("task"))+"/release", struct{}{})
}

func (c *Console) decide(q *req) (string, error) {
	codes := q.r.PostForm["reason_codes"]
	if codes == nil {
		codes = []string{}
	}
	return back(q), q.postJSON("/v1/review-tasks/"+url.PathEscape(q.r.PathValue("task"))+"/decision", map[string]any{
		"outcome": q.r.PostFormValue("outcome"), "reason_codes": codes, "comment": q.r.PostFormValue("comment"),
	})
}
