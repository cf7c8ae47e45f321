package console

import (
	"net/url"

	"trustgate/internal/store"
)

// operationsPage lists the submissions that failed through our own fault,
// each with its workflow and a retry button.
func (c *Console) operationsPage(q *req) (string, view, error) {
	var failed list[submission]
	if err := q.get("/v1/submissions?state=failed&limit=50", &failed); err != nil {
		return "", view{}, err
	}
	// The list leaves out the workflow link; the submission itself has it.
	for i, s := range failed.Items {
		var full submission
		if err := q.get("/v1/submissions/"+url.PathEscape(s.ID), &full); err != nil {
			return "", view{}, err
		}
		failed.Items[i] = full
	}
	return "operations", view{Title: q.lang.T("failed"), Data: failed.Items}, nil
}

type auditData struct {
	Actor, Action, Object, Submission string
	Entries                           []store.AuditEntry
	Decisions                         []store.DecisionRecord
	Searched                          bool
}

// auditPage searches the audit log and shows a submission's decision log.
func (c *Console) auditPage(q *req) (string, view, error) {
	qs := q.r.URL.Query()
	d := auditData{Actor: qs.Get("actor"), Action: qs.Get("action"), Object: qs.Get("object_id"), Submission: qs.Get("submission")}
	v := url.Values{}
	for k, val := range map[string]string{"actor": d.Actor, "action": d.Action, "object_id": d.Object} {
		if val != "" {
			v.Set(k, val)
		}
	}
	var entries list[store.AuditEntry]
	if err := q.get("/v1/audit?"+v.Encode(), &entries); err != nil {
		return "", view{}, err
	}
	d.Entries = entries.Items
	if d.Submission != "" {
		d.Searched = true
		var ev struct {
			Items []store.DecisionRecord `json:"items"`
		}
		if err := q.get("/v1/submissions/"+url.PathEscape(d.Submission)+"/evaluation", &ev); err != nil {
			return "", view{}, err
		}
		d.Decisions = ev.Items
	}
	return "audit", view{Title: q.lang.T("audit"), Data: d}, nil
}
