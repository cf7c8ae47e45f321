package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"trustgate/internal/store"
	"trustgate/policies"
	"trustgate/workflows"
)

// testRunTimeout bounds a whole /test run: each Rego test has its own
// bound, and a draft with many looping tests must still end.
const testRunTimeout = 60 * time.Second

// by is the audit identity of the request's caller.
func by(c *gin.Context) store.AuditEntry {
	tok := caller(c)
	return store.AuditEntry{Actor: tok.Subject, Role: tok.Role, RequestID: c.GetString(requestIDKey)}
}

// policyAnswer is a version as the API shows it: the version, and the last
// simulation of it when there is one.
type policyAnswer struct {
	policyVersionAnswer
	LastSimulation *simulationAnswer `json:"last_simulation,omitempty"`
}

func (s *Server) renderPolicy(c *gin.Context, status int, v store.PolicyVersion) {
	ans := policyAnswer{policyVersionAnswer: answerPolicyVersion(v)}
	sim, err := s.Store.LatestSimulation(c.Request.Context(), v.ID)
	if err != nil {
		fail(c, err)
		return
	}
	if sim != nil {
		last := answerSimulation(*sim)
		last.Report = nil // large; the simulation's own URL has it
		ans.LastSimulation = &last
	}
	c.Header("ETag", `"`+v.Hash+`"`)
	c.JSON(status, ans)
}

// listPolicies lists the versions, newest first, without their files.
func (s *Server) listPolicies(c *gin.Context) {
	before, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	vs, err := s.Store.ListPolicies(c.Request.Context(), before, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(answerAll(vs, answerPolicyVersion), limit, func(v policyVersionAnswer) string { return v.ID }))
}

func (s *Server) activePolicy(c *gin.Context) {
	id, _, err := s.Store.ActivePolicy(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	s.showPolicy(c, id)
}

func (s *Server) getPolicy(c *gin.Context) { s.showPolicy(c, c.Param("id")) }

func (s *Server) showPolicy(c *gin.Context, id string) {
	v, err := s.Store.GetPolicy(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.renderPolicy(c, http.StatusOK, v)
}

type createPolicyRequest struct {
	// From is "active" or the ID of a version to copy.
	From string `json:"from"`
}

// createPolicy makes a draft: a copy of the active version (or of any
// version) with {"from": ...}, or the files of a multipart body, one part
// per file, named by its path in the bundle.
func (s *Server) createPolicy(c *gin.Context) {
	ctx := c.Request.Context()
	var files map[string][]byte
	var parent *string
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt == "multipart/form-data" {
		var err error
		if files, err = readBundleParts(c); err != nil {
			fail(c, err)
			return
		}
	} else {
		var req createPolicyRequest
		if err := bindJSON(c, &req); err != nil {
			fail(c, err)
			return
		}
		from := req.From
		if from == "" {
			fail(c, invalid("from", `"active" or a policy version ID; or send the files as multipart`))
			return
		}
		if from == "active" {
			id, _, err := s.Store.ActivePolicy(ctx)
			if err != nil {
				fail(c, err)
				return
			}
			from = id
		}
		v, err := s.Store.GetPolicy(ctx, from)
		if errors.Is(err, store.ErrNotFound) {
			fail(c, invalid("from", "no policy version "+from))
			return
		}
		if err != nil {
			fail(c, err)
			return
		}
		files, parent = v.FilesBytes(), &v.ID
	}
	if err := policies.CheckFiles(files); err != nil {
		fail(c, invalid("files", err.Error()))
		return
	}
	v, err := s.Store.CreateDraft(ctx, files, policies.Hash(files), parent, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/v1/policies/"+v.ID)
	s.renderPolicy(c, http.StatusCreated, v)
}

// readBundleParts reads a multipart body of bundle files, bounded before
// anything is kept: the form name of each part is the file's path.
func readBundleParts(c *gin.Context) (map[string][]byte, error) {
	const overhead = 64 << 10 // part headers and boundaries
	if c.Request.ContentLength > policies.MaxBundleBytes+overhead {
		return nil, problemErr("too-large", fmt.Sprintf("a bundle may have at most %d bytes", policies.MaxBundleBytes))
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, policies.MaxBundleBytes+overhead)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, invalid("body", "not a multipart body: "+err.Error())
	}
	files := map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, tooLargeOr(err, invalid("body", "broken multipart body: "+err.Error()))
		}
		name := part.FormName()
		if err := policies.CheckPath(name); err != nil {
			return nil, invalid("files", err.Error())
		}
		if _, dup := files[name]; dup {
			return nil, invalid("files", "file "+name+" is sent twice")
		}
		if len(files) >= policies.MaxFiles {
			return nil, invalid("files", fmt.Sprintf("a bundle may have at most %d files", policies.MaxFiles))
		}
		b, err := io.ReadAll(io.LimitReader(part, policies.MaxFileBytes+1))
		if err != nil {
			return nil, tooLargeOr(err, invalid("body", "broken multipart body: "+err.Error()))
		}
		if len(b) > policies.MaxFileBytes {
			return nil, problemErr("too-large", fmt.Sprintf("%s is over %d bytes", name, policies.MaxFileBytes))
		}
		files[name] = b
	}
}

func tooLargeOr(err error, otherwise error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return problemErr("too-large", fmt.Sprintf("a bundle may have at most %d bytes", policies.MaxBundleBytes))
	}
	return otherwise
}

// putPolicyFile replaces or adds one file of a draft. If-Match must carry
// the hash the editor last saw; someone else's edit in between is 412.
func (s *Server) putPolicyFile(c *gin.Context) {
	ctx := c.Request.Context()
	path := strings.TrimPrefix(c.Param("path"), "/")
	ifMatch := strings.Trim(strings.TrimPrefix(strings.TrimSpace(c.GetHeader("If-Match")), "W/"), `"`)
	if ifMatch == "" {
		fail(c, problemErr("if-match-required", `send If-Match: "<hash>" with the draft's current hash (its ETag)`))
		return
	}
	if err := policies.CheckPath(path); err != nil {
		fail(c, invalid("path", err.Error()))
		return
	}
	if c.Request.ContentLength > policies.MaxFileBytes {
		fail(c, problemErr("too-large", fmt.Sprintf("a file may have at most %d bytes", policies.MaxFileBytes)))
		return
	}
	content, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, policies.MaxFileBytes))
	if err != nil {
		fail(c, tooLargeOr(err, invalid("body", err.Error())))
		return
	}
	v, err := s.Store.GetPolicy(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	files := v.FilesBytes()
	files[path] = content
	if err := policies.CheckFiles(files); err != nil {
		fail(c, invalid("files", err.Error()))
		return
	}
	// The store compares If-Match with the row as it is when it writes, so
	// an edit between this read and that write is caught too.
	v, err = s.Store.UpdateDraft(ctx, v.ID, ifMatch, files, policies.Hash(files), path, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	s.renderPolicy(c, http.StatusOK, v)
}

// compileRefusal is the 422 answer of a bundle that does not compile, with
// one field error per source error ("file:line:col").
func compileRefusal(r policies.ValidationReport) *apiError {
	ae := &apiError{status: http.StatusUnprocessableEntity, kind: "invalid-policy",
		detail: fmt.Sprintf("the policy does not compile under the restricted capabilities (%d errors)", len(r.Errors))}
	for _, e := range r.Errors {
		field := e.File
		if e.Line > 0 {
			field = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
		}
		ae.fields = append(ae.fields, FieldError{Field: field, Message: e.Message})
	}
	return ae
}

// validatePolicy compiles a version and keeps the report; 422 names every
// error with its file, line and column.
func (s *Server) validatePolicy(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.Store.GetPolicy(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	report := validationAnswer{ValidationReport: policies.Validate(v.FilesBytes())}
	if report.OK {
		// A bundle that compiles is also run through both evaluators on
		// recorded inputs: the report says where they differ.
		if report.Evaluators, err = s.compareEvaluators(ctx, v.ID, v.FilesBytes()); err != nil {
			fail(c, err)
			return
		}
		if report.Evaluators != nil && !report.Evaluators.OK() {
			report.OK = false
			// Listed as errors too, so that whoever reads only the errors
			// (the console's page) sees them.
			for _, d := range report.Evaluators.Divergences {
				report.Errors = append(report.Errors, policies.SourceError{Message: "evaluators differ: " + d.String()})
			}
		}
	}
	if err := s.Store.SavePolicyReport(ctx, v.ID, "validation", store.ReportHeader{Hash: report.Hash, OK: report.OK}, report, by(c)); err != nil {
		fail(c, err)
		return
	}
	switch {
	case report.Evaluators != nil && !report.Evaluators.OK():
		fail(c, evaluatorsDiffer(report.Evaluators))
	case !report.OK:
		fail(c, compileRefusal(report.ValidationReport))
	default:
		c.JSON(http.StatusOK, report)
	}
}

// testReport is a test run as a version keeps it.
type testReport struct {
	Hash string `json:"hash"`
	OK   bool   `json:"ok"`
	// MinCoverage is the floor the run was held to.
	MinCoverage float64 `json:"min_coverage"`
	policies.TestReport
}

// testPolicy runs a version's Rego tests, bounded in time, and keeps the
// report. Failing tests are a report (200, ok false); a bundle that does
// not compile is 422.
func (s *Server) testPolicy(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.Store.GetPolicy(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	files := v.FilesBytes()
	if report := policies.Validate(files); !report.OK {
		fail(c, compileRefusal(report))
		return
	}
	runCtx, cancel := context.WithTimeout(ctx, testRunTimeout)
	defer cancel()
	tr, err := policies.RunTests(runCtx, files)
	if errors.Is(err, context.DeadlineExceeded) {
		fail(c, &apiError{status: http.StatusUnprocessableEntity, kind: "invalid-policy",
			detail: fmt.Sprintf("the tests did not finish within %s; does a rule loop?", testRunTimeout)})
		return
	}
	if err != nil {
		fail(c, &apiError{status: http.StatusUnprocessableEntity, kind: "invalid-policy", detail: err.Error()})
		return
	}
	report := testReport{Hash: v.Hash, OK: tr.OK() && tr.Coverage >= policies.MinCoverage, MinCoverage: policies.MinCoverage, TestReport: tr}
	if err := s.Store.SavePolicyReport(ctx, v.ID, "test_report",
		store.ReportHeader{Hash: v.Hash, OK: report.OK, Coverage: tr.Coverage}, report, by(c)); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, report)
}

type simulateRequest struct {
	Last  int        `json:"last"`
	Since *time.Time `json:"since"`
	Until *time.Time `json:"until"`
}

// simulatePolicy starts a simulation of a version's current content and
// answers 202 with the job to poll.
func (s *Server) simulatePolicy(c *gin.Context) {
	ctx := c.Request.Context()
	var req simulateRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	switch {
	case req.Last < 0 || req.Last > store.MaxSimulated:
		fail(c, invalid("last", fmt.Sprintf("a number of decisions from 1 to %d", store.MaxSimulated)))
		return
	case req.Last == 0 && req.Since == nil && req.Until == nil:
		fail(c, invalid("last", `send {"last": N} or a time range {"since": ..., "until": ...}`))
		return
	case req.Since != nil && req.Until != nil && !req.Until.After(*req.Since):
		fail(c, invalid("until", "must be after since"))
		return
	}
	v, err := s.Store.GetPolicy(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if report := policies.Validate(v.FilesBytes()); !report.OK {
		fail(c, compileRefusal(report))
		return
	}
	job, err := s.Store.CreateSimulation(ctx, v.ID, store.SimulationParams{Last: req.Last, Since: req.Since, Until: req.Until}, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: job.ID, TaskQueue: s.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.SimulatePolicyWorkflow, workflows.SimulateInput{SimulationID: job.ID})
	if err != nil {
		_ = s.Store.FailSimulation(ctx, job.ID, "the simulation could not start: "+err.Error())
		fail(c, problemErr("unavailable", "the simulation could not start; try again"))
		return
	}
	c.Header("Location", "/v1/policies/"+v.ID+"/simulations/"+job.ID)
	c.JSON(http.StatusAccepted, answerSimulation(job))
}

// getSimulation is the job a client polls: progress while running, the
// impact report once succeeded, the error once failed.
func (s *Server) getSimulation(c *gin.Context) {
	job, err := s.Store.GetSimulation(c.Request.Context(), c.Param("sim"))
	if err == nil && job.PolicyID != c.Param("id") {
		err = fmt.Errorf("simulation %s of %s: %w", job.ID, c.Param("id"), store.ErrNotFound)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, answerSimulation(job))
}

// approvePolicy is the four-eyes approval of a draft.
func (s *Server) approvePolicy(c *gin.Context) {
	v, err := s.Store.ApprovePolicy(c.Request.Context(), c.Param("id"), policies.MinCoverage, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	s.renderPolicy(c, http.StatusOK, v)
}

type activateAnswer struct {
	policyAnswer
	Previous string `json:"previous"`
}

// activatePolicy makes an approved version decide from now on, or an
// earlier one again (rollback). The bundle is compiled first, so that
// workers are never pointed at one that does not compile here.
func (s *Server) activatePolicy(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.Store.GetPolicy(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if v.State != store.PolicyDraft { // a draft is refused below, whatever it holds
		if report := policies.Validate(v.FilesBytes()); !report.OK {
			fail(c, compileRefusal(report))
			return
		}
	}
	// A version about to decide for the first time must decide the recent
	// inputs alike in both evaluators. A rollback is not held up by it: it
	// must work at once, the version decided before, and the shadow
	// evaluation still watches it.
	if v.State == store.PolicyApproved {
		r, err := s.compareEvaluators(ctx, v.ID, v.FilesBytes())
		if err != nil {
			fail(c, err)
			return
		}
		if r != nil && !r.OK() {
			fail(c, evaluatorsDiffer(r))
			return
		}
	}
	v, previous, err := s.Store.ActivatePolicy(ctx, v.ID, by(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("ETag", `"`+v.Hash+`"`)
	c.JSON(http.StatusOK, activateAnswer{policyAnswer: policyAnswer{policyVersionAnswer: answerPolicyVersion(v)}, Previous: previous})
}
