package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"trustgate/internal/store"
	"trustgate/policies"
)

// policyVersion is GET /v1/policies/{id} as the console reads it: the
// version, its kept reports decoded, and the last simulation's job.
type policyVersion struct {
	store.PolicyVersion
	LastSimulation *store.PolicySimulation `json:"last_simulation"`
}

// testReport is the API's kept test report.
type testReport struct {
	Hash        string  `json:"hash"`
	OK          bool    `json:"ok"`
	MinCoverage float64 `json:"min_coverage"`
	policies.TestReport
}

// reportStatus is one kept report in a word: none, passed or failed, and
// whether it was made on the version's current content.
type reportStatus struct {
	Ran, OK, Stale bool
}

func statusOf(raw json.RawMessage, hash string) reportStatus {
	var h store.ReportHeader
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &h) != nil {
		return reportStatus{}
	}
	return reportStatus{Ran: true, OK: h.OK, Stale: h.Hash != hash}
}

// simStatus is the last simulation's state, stale when the draft changed
// after it.
type simStatus struct {
	State string
	Stale bool
}

func simStatusOf(s *store.PolicySimulation, hash string) simStatus {
	if s == nil {
		return simStatus{}
	}
	return simStatus{State: s.State, Stale: s.PolicyHash != hash}
}

type policyRow struct {
	V          policyVersion
	Validation reportStatus
	Tests      reportStatus
	Simulation simStatus
	// Rollback marks an earlier, retired version that may be made active again.
	Rollback bool
}

type policiesData struct {
	Rows     []policyRow
	ActiveID string
}

func (c *Console) policiesPage(q *req) (string, view, error) {
	var vs list[store.PolicyVersion]
	if err := q.get("/v1/policies?limit=50", &vs); err != nil {
		return "", view{}, err
	}
	var d policiesData
	for _, v := range vs.Items {
		// The listing leaves out the last simulation; the version has it.
		var full policyVersion
		if err := q.get("/v1/policies/"+url.PathEscape(v.ID), &full); err != nil {
			return "", view{}, err
		}
		full.Files = nil
		if full.State == store.PolicyActive {
			d.ActiveID = full.ID
		}
		d.Rows = append(d.Rows, policyRow{V: full,
			Validation: statusOf(full.Validation, full.Hash), Tests: statusOf(full.TestReport, full.Hash),
			Simulation: simStatusOf(full.LastSimulation, full.Hash), Rollback: full.State == store.PolicyRetired})
	}
	return "policies", view{Title: q.lang.T("nav_policies"), Data: d, Path: "/policies"}, nil
}

func (c *Console) createDraft(q *req) (string, error) {
	var v store.PolicyVersion
	if err := q.call("POST", "/v1/policies", strings.NewReader(`{"from":"active"}`), "application/json", &v); err != nil {
		return "", err
	}
	return "/policies/" + url.PathEscape(v.ID), nil
}

func (c *Console) activatePolicy(q *req) (string, error) {
	return "/policies", q.postJSON("/v1/policies/"+url.PathEscape(q.r.PathValue("id"))+"/activate", struct{}{})
}

// editState is the editor's form when the page shows it again after a
// refused save: the person's own text, never lost.
type editState struct {
	Content string
	Stale   bool
}

type policyData struct {
	V          policyVersion
	Files      []string
	File       string // the file open in the editor
	Content    string
	Current    string // the saved content, shown next to a stale edit
	Stale      bool
	Saved      bool
	Validation *policies.ValidationReport
	ValStale   bool
	Tests      *testReport
	TestsStale bool
	Sim        *store.PolicySimulation
	SimStale   bool
	Impact     *policies.Impact
	Running    bool
}

// policyView builds the page of one version; edit, when set, is a refused
// save to show again.
func (c *Console) policyView(q *req, edit *editState) (string, view, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	var d policyData
	if err := q.get("/v1/policies/"+id, &d.V); err != nil {
		return "", view{}, err
	}
	for f := range d.V.Files {
		d.Files = append(d.Files, f)
	}
	slices.Sort(d.Files)
	d.File = q.r.FormValue("file")
	if _, ok := d.V.Files[d.File]; !ok && edit == nil {
		d.File = ""
		if slices.Contains(d.Files, "data.json") {
			d.File = "data.json"
		} else if len(d.Files) > 0 {
			d.File = d.Files[0]
		}
	}
	d.Content = d.V.Files[d.File]
	if edit != nil {
		d.Content, d.Stale, d.Current = edit.Content, edit.Stale, d.V.Files[d.File]
	}
	d.Saved = q.r.URL.Query().Get("saved") == "1"
	if len(d.V.Validation) > 0 && string(d.V.Validation) != "null" {
		var r policies.ValidationReport
		if json.Unmarshal(d.V.Validation, &r) == nil {
			d.Validation, d.ValStale = &r, r.Hash != d.V.Hash
		}
	}
	if len(d.V.TestReport) > 0 && string(d.V.TestReport) != "null" {
		var r testReport
		if json.Unmarshal(d.V.TestReport, &r) == nil {
			d.Tests, d.TestsStale = &r, r.Hash != d.V.Hash
		}
	}
	if s := d.V.LastSimulation; s != nil {
		var job store.PolicySimulation
		if err := q.get("/v1/policies/"+id+"/simulations/"+url.PathEscape(s.ID), &job); err != nil {
			return "", view{}, err
		}
		d.Sim, d.SimStale, d.Running = &job, job.PolicyHash != d.V.Hash, job.State == "running"
		if len(job.Report) > 0 {
			var im policies.Impact
			if json.Unmarshal(job.Report, &im) == nil {
				d.Impact = &im
			}
		}
	}
	v := view{Title: q.lang.T("policy_version") + " " + d.V.ID, Data: d, Path: "/policies/" + id}
	v.Refresh = d.Running // the page polls the job by reloading itself
	return "policy", v, nil
}

func (c *Console) policyPage(q *req) (string, view, error) { return c.policyView(q, nil) }

// maxEditForm bounds a save: one file at its largest, form-encoded.
const maxEditForm = 3*policies.MaxFileBytes + 64<<10

// saveFile puts one file of a draft with the hash it was loaded with. A
// 412 (someone else saved in between) shows the editor again with the
// person's text and the other version next to it.
func (c *Console) saveFile(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxEditForm)
	q, ok := c.startForm(w, r)
	if !ok {
		return
	}
	id, path := r.PathValue("id"), r.PostFormValue("file")
	content := strings.ReplaceAll(r.PostFormValue("content"), "\r\n", "\n") // a textarea sends CRLF
	err := q.call("PUT", "/v1/policies/"+url.PathEscape(id)+"/files/"+escapePath(path), strings.NewReader(content), "text/plain",
		nil, header("If-Match", `"`+r.PostFormValue("hash")+`"`))
	var p *problem
	if errors.As(err, &p) && p.Status != http.StatusUnauthorized {
		edit := &editState{Content: content, Stale: p.Status == http.StatusPreconditionFailed}
		name, v, verr := c.policyView(q, edit)
		if verr != nil {
			c.fail(q, verr)
			return
		}
		if !edit.Stale {
			v.Error = p.Error()
		}
		c.show(q, p.Status, name, v)
		return
	}
	if err != nil {
		c.fail(q, err)
		return
	}
	http.Redirect(w, r, "/policies/"+url.PathEscape(id)+"?file="+url.QueryEscape(path)+"&saved=1", http.StatusSeeOther)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

// validatePolicy keeps a validation report; a bundle that does not compile
// is a report too (the page lists its errors), not a refusal.
func (c *Console) validatePolicy(q *req) (string, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	err := q.postJSON("/v1/policies/"+id+"/validate", struct{}{})
	var p *problem
	if errors.As(err, &p) && p.Status == http.StatusUnprocessableEntity {
		err = nil
	}
	return "/policies/" + id + "#validation", err
}

func (c *Console) testPolicy(q *req) (string, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	return "/policies/" + id + "#tests", q.postJSON("/v1/policies/"+id+"/test", struct{}{})
}

func (c *Console) simulatePolicy(q *req) (string, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	last, err := strconv.Atoi(strings.TrimSpace(q.r.PostFormValue("last")))
	if err != nil {
		return "", &problem{Status: http.StatusUnprocessableEntity, Title: q.lang.T("last_n_help")}
	}
	return "/policies/" + id + "#simulation", q.postJSON("/v1/policies/"+id+"/simulate", map[string]int{"last": last})
}

func (c *Console) approvePolicy(q *req) (string, error) {
	id := url.PathEscape(q.r.PathValue("id"))
	return "/policies/" + id, q.postJSON("/v1/policies/"+id+"/approve", struct{}{})
}
