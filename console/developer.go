package console

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"trustgate/internal/store"
	"trustgate/policies"
	"trustgate/scan"
)

func toString(v any) string { return fmt.Sprint(v) }

// submission is GET /v1/submissions/{id} as the console reads it.
type submission struct {
	ID            string  `json:"id"`
	AppID         string  `json:"app_id"`
	Version       string  `json:"version"`
	Notes         string  `json:"notes"`
	State         string  `json:"state"`
	PackageSHA256 string  `json:"package_sha256"`
	PackageBytes  int64   `json:"package_bytes"`
	PolicyVersion *string `json:"policy_version"`
	Failure       *string `json:"failure"`
	CreatedAt     string  `json:"created_at"`
	DecidedAt     *string `json:"decided_at"`
	Decision      *struct {
		Outcome string            `json:"outcome"`
		Reasons []policies.Reason `json:"reasons"`
	} `json:"decision"`
	Timeline            []store.Event `json:"timeline"`
	QueuePosition       *int          `json:"queue_position"`
	EstimatedDecisionAt *time.Time    `json:"estimated_decision_at"`
	Tasks               []store.Task  `json:"tasks"`
	WorkflowURL         string        `json:"workflow_url"`
}

// Final reports whether the submission is decided for good.
func (s submission) Final() bool {
	switch s.State {
	case "approved", "rejected", "withdrawn", "failed":
		return true
	}
	return false
}

type list[T any] struct {
	Items []T `json:"items"`
}

// home is the start page of each role.
func (c *Console) home(q *req) (string, view, error) {
	switch q.me.Role {
	case "developer":
		return c.developerHome(q)
	case "reviewer", "senior_reviewer":
		return c.queuePage(q)
	case "admin":
		return c.operationsPage(q)
	case "compliance":
		return c.auditPage(q)
	}
	return "identity", view{Title: q.lang.T("brand")}, nil
}

type developerData struct {
	Apps        []store.App
	Submissions []submission
}

func (c *Console) developerHome(q *req) (string, view, error) {
	var d developerData
	var apps list[store.App]
	if err := q.get("/v1/apps", &apps); err != nil {
		return "", view{}, err
	}
	var subs list[submission]
	if err := q.get("/v1/submissions?limit=50", &subs); err != nil {
		return "", view{}, err
	}
	d.Apps, d.Submissions = apps.Items, subs.Items
	return "developer", view{Title: q.lang.T("my_apps"), Data: d}, nil
}

func (c *Console) createApp(q *req) (string, error) {
	var domains []string
	for _, d := range strings.Fields(q.r.PostFormValue("domains")) {
		domains = append(domains, strings.ToLower(d))
	}
	if domains == nil {
		domains = []string{}
	}
	err := q.postJSON("/v1/apps", map[string]any{
		"name": q.r.PostFormValue("name"), "category": q.r.PostFormValue("category"),
		"platform": q.r.PostFormValue("platform"), "domains": domains,
	})
	return "/", err
}

// upload checks the form's CSRF token, then sends the package on to the
// API as a multipart stream, without holding it in memory twice.
func (c *Console) upload(w http.ResponseWriter, r *http.Request) {
	max := c.cfg.MaxPackageBytes
	if max <= 0 {
		max = 32 << 20
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10+scan.MaxPrivacyDeclarationBytes+scan.MaxPrivacyPolicyBytes)
	q := c.start(w, r)
	if q.me == nil {
		c.signInPage(q, http.StatusUnauthorized, q.lang.T("session_ended"))
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		c.fail(q, &problem{Status: http.StatusRequestEntityTooLarge, Title: err.Error()})
		return
	}
	defer r.MultipartForm.RemoveAll()
	if !checkToken(c.csrf(q.s), r.FormValue("csrf")) {
		c.fail(q, &problem{Status: http.StatusForbidden, Title: q.lang.T("csrf_failed")})
		return
	}
	file, hdr, err := r.FormFile("package")
	if err != nil {
		c.fail(q, &problem{Status: http.StatusUnprocessableEntity, Title: q.lang.T("package")})
		return
	}
	defer file.Close()
	privacy, err := privacyParts(r.MultipartForm)
	if err != nil {
		c.fail(q, &problem{Status: http.StatusRequestEntityTooLarge, Title: err.Error()})
		return
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range []string{"app_id", "version", "notes"} {
			if err := mw.WriteField(f, r.FormValue(f)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		for _, kv := range privacy {
			if err := mw.WriteField(kv[0], kv[1]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		part, err := mw.CreateFormFile("package", hdr.Filename)
		if err == nil {
			_, err = io.Copy(part, file)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	var created struct {
		ID string `json:"id"`
	}
	err = q.call("POST", "/v1/submissions", pr, mw.FormDataContentType(), &created)
	pr.Close()
	if err != nil {
		c.fail(q, err)
		return
	}
	http.Redirect(w, r, "/submissions/"+url.PathEscape(created.ID), http.StatusSeeOther)
}

func (c *Console) withdraw(q *req) (string, error) {
	id := q.r.PathValue("id")
	return "/submissions/" + url.PathEscape(id), q.postJSON("/v1/submissions/"+url.PathEscape(id)+"/withdraw", struct{}{})
}

func (c *Console) appeal(q *req) (string, error) {
	id := q.r.PathValue("id")
	return "/submissions/" + url.PathEscape(id),
		q.postJSON("/v1/submissions/"+url.PathEscape(id)+"/appeal", map[string]string{"text": q.r.PostFormValue("text")})
}

func (c *Console) retry(q *req) (string, error) {
	id := q.r.PathValue("id")
	return "/submissions/" + url.PathEscape(id), q.postJSON("/v1/submissions/"+url.PathEscape(id)+"/retry", struct{}{})
}

// finding is one finding with its place against the live version.
type finding struct {
	store.Finding
	Status string `json:"status"`
}

// ruleGroup is the findings of one rule, shown together.
type ruleGroup struct {
	RuleID, Severity, Message, Remediation string
	Findings                               []finding
}

type findingsAnswer struct {
	Items      []finding       `json:"items"`
	Fixed      []store.Finding `json:"fixed"`
	ComparedTo *string         `json:"compared_to"`
}

var severityRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

func groupByRule(items []finding) []ruleGroup {
	idx := map[string]int{}
	var out []ruleGroup
	for _, f := range items {
		i, ok := idx[f.RuleID]
		if !ok {
			i = len(out)
			idx[f.RuleID] = i
			out = append(out, ruleGroup{RuleID: f.RuleID, Severity: f.Severity, Message: f.Message, Remediation: f.Remediation})
		}
		out[i].Findings = append(out[i].Findings, f)
	}
	sort.SliceStable(out, func(a, b int) bool { return severityRank[out[a].Severity] < severityRank[out[b].Severity] })
	return out
}

// standing is the developer as the policy saw them at the last evaluation.
type standing struct {
	Developer struct {
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		RealName struct {
			Status    string  `json:"status"`
			ExpiresAt *string `json:"expires_at"`
		} `json:"real_name"`
		CreditScore    int      `json:"credit_score"`
		Qualifications []string `json:"qualifications"`
		RiskFlags      []string `json:"risk_flags"`
		Blacklisted    bool     `json:"blacklisted"`
	} `json:"developer"`
	History struct {
		Rejections90d int `json:"rejections_90d"`
		Approvals365d int `json:"approvals_365d"`
		LiveApps      int `json:"live_apps"`
		// Shown when not zero: an unchanged package uploaded again after
		// a withdrawal is what the reviewer should know of.
		WithdrawnSamePackage int `json:"withdrawn_same_package"`
	} `json:"history"`
	PolicyVersion string
	At            time.Time
}

type submissionData struct {
	Sub        submission
	Groups     []ruleGroup
	Fixed      []store.Finding
	ComparedTo *string
	Staff      bool
	Standing   *standing
	Codes      []policies.CatalogueEntry
	Holds      map[string]bool // tasks the signed-in reviewer holds
	Related    []relatedLink   // other developers' packages and accounts linked to it (staff)
	Flows      []flowView
}

// relatedLink is a link of GET /v1/submissions/{id}/related.
type relatedLink struct {
	store.Link
	SimilarFiles []scan.FilePair `json:"similar_files"`
}

func (c *Console) submissionPage(q *req) (string, view, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	var d submissionData
	if err := q.get("/v1/submissions/"+id, &d.Sub); err != nil {
		return "", view{}, err
	}
	var fa findingsAnswer
	if err := q.get("/v1/submissions/"+id+"/findings?compare=live", &fa); err != nil {
		return "", view{}, err
	}
	d.Groups, d.Fixed, d.ComparedTo = groupByRule(fa.Items), fa.Fixed, fa.ComparedTo
	d.Staff = q.me.Role != "developer"
	var privacy struct {
		Flows json.RawMessage `json:"flows"`
	}
	if err := q.get("/v1/submissions/"+id+"/privacy", &privacy); err != nil {
		return "", view{}, err
	}
	if d.Staff {
		var ev struct {
			Items []store.DecisionRecord `json:"items"`
		}
		if err := q.get("/v1/submissions/"+id+"/evaluation", &ev); err != nil {
			return "", view{}, err
		}
		if n := len(ev.Items); n > 0 {
			var st standing
			if json.Unmarshal(ev.Items[n-1].Input, &st) == nil {
				st.PolicyVersion, st.At = ev.Items[n-1].PolicyVersion, ev.Items[n-1].CreatedAt
				d.Standing = &st
			}
		}
		var related struct {
			Links []relatedLink `json:"links"`
		}
		if err := q.get("/v1/submissions/"+id+"/related", &related); err != nil {
			return "", view{}, err
		}
		d.Related = related.Links
		d.Holds = map[string]bool{}
		for _, t := range d.Sub.Tasks {
			if t.Assignee != nil && *t.Assignee == q.me.Subject && t.State == "claimed" {
				d.Holds[t.ID] = true
			}
		}
		if len(d.Holds) > 0 {
			var cat list[policies.CatalogueEntry]
			if err := q.get("/v1/reason-codes", &cat); err != nil {
				return "", view{}, err
			}
			// The policy's own codes carry placeholders for its evidence;
			// a reviewer gives the codes written for people.
			for _, e := range cat.Items {
				if e.Reviewer && policies.ReviewerMayGive(e.Code) {
					d.Codes = append(d.Codes, e)
				}
			}
		}
	}
	d.Flows = submissionFlows(privacy.Flows, fa.Items)
	return "submission", view{Title: q.lang.T("submission") + " " + d.Sub.Version, Data: d}, nil
}
