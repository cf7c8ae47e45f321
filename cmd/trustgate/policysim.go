package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"trustgate/policies"
)

// simulationJob is the part of a simulation job the command reads.
type simulationJob struct {
	ID       string           `json:"id"`
	PolicyID string           `json:"policy_id"`
	State    string           `json:"state"`
	Total    int              `json:"total"`
	Done     int              `json:"done"`
	Error    string           `json:"error,omitempty"`
	Report   *policies.Impact `json:"report,omitempty"`
}

// runPolicySimulate uploads a bundle folder as a draft, simulates it on the
// newest recorded decisions and prints what would change: for compliance
// staff who keep the policy in git. Exit 1 when the draft does not compile
// or the simulation fails.
func runPolicySimulate(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("policy simulate", "policy simulate DIR --server URL --token T --last N [--json]")
	server, token := clientFlags(fset)
	last := fset.Int("last", 1000, "re-evaluate the newest N recorded decisions")
	asJSON := fset.Bool("json", false, "print the simulation job as JSON")
	bundle := fset.String("bundle", "", "bundle folder (same as DIR)")
	dir, err := parseWithDir(fset, args, bundle)
	if err != nil {
		return err
	}
	if dir == "" {
		return &exitError{code: policyExitUsage, msg: "policy simulate needs the bundle folder DIR"}
	}
	if *last < 1 {
		return &exitError{code: policyExitUsage, msg: "--last must be at least 1"}
	}
	files, err := bundleFiles(dir)
	if err != nil {
		return err
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return &exitError{code: policyExitUsage, msg: err.Error()}
	}
	var draft struct{ ID, Hash string }
	if err := c.uploadDraft(ctx, files, &draft); err != nil {
		return &exitError{code: policyExitBroken, msg: "upload draft: " + err.Error()}
	}
	fmt.Fprintf(stdout, "draft %s (hash %s) from %s\n", draft.ID, draft.Hash[:12], dir)
	job, err := c.simulate(ctx, draft.ID, *last, stdout)
	if err != nil {
		return &exitError{code: policyExitBroken, msg: "simulate: " + err.Error()}
	}
	if *asJSON {
		return writePolicyJSON(stdout, job)
	}
	if job.State != "succeeded" {
		return &exitError{code: policyExitBroken, msg: fmt.Sprintf("simulation %s failed: %s", job.ID, job.Error)}
	}
	printImpact(stdout, job.Report)
	return nil
}

// writeBundleForm writes files as the multipart body POST /v1/policies
// takes: one part per file, named by its path in the bundle.
func writeBundleForm(w io.Writer, files map[string][]byte) (contentType string, err error) {
	mw := multipart.NewWriter(w)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		part, err := mw.CreateFormFile(p, p)
		if err != nil {
			return "", err
		}
		if _, err := part.Write(files[p]); err != nil {
			return "", err
		}
	}
	return mw.FormDataContentType(), mw.Close()
}

func (c *apiClient) uploadDraft(ctx context.Context, files map[string][]byte, out any) error {
	var body bytes.Buffer
	ct, err := writeBundleForm(&body, files)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/v1/policies", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ct)
	return c.do(req, out)
}

// simulate starts a simulation and polls it until it ends, printing its
// progress now and then.
func (c *apiClient) simulate(ctx context.Context, policyID string, last int, progress io.Writer) (simulationJob, error) {
	var job simulationJob
	body, _ := json.Marshal(map[string]int{"last": last})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/v1/policies/"+policyID+"/simulate", bytes.NewReader(body))
	if err != nil {
		return job, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := c.do(req, &job); err != nil {
		return job, err
	}
	shown := time.Now()
	for job.State == "running" {
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+"/v1/policies/"+policyID+"/simulations/"+job.ID, nil)
		if err != nil {
			return job, err
		}
		if err := c.do(req, &job); err != nil {
			return job, err
		}
		if job.State == "running" && time.Since(shown) > 2*time.Second {
			fmt.Fprintf(progress, "  simulating: %d of %d decisions\n", job.Done, job.Total)
			shown = time.Now()
		}
	}
	return job, nil
}

// printImpact writes an impact report for people: the totals, the outcome
// matrices and the changed submissions.
func printImpact(w io.Writer, im *policies.Impact) {
	fmt.Fprintf(w, "evaluated %d recorded decisions in %d ms: %d would change, %d policy errors\n",
		im.Evaluated, im.ElapsedMS, im.Changed, im.PolicyErrors)
	printMatrix(w, "all", im.Matrix)
	for _, by := range []struct {
		title string
		m     map[string]policies.OutcomeMatrix
	}{{"developer kind", im.ByKind}, {"app category", im.ByCategory}} {
		keys := make([]string, 0, len(by.m))
		for k := range by.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if changedIn(by.m[k]) {
				printMatrix(w, by.title+" "+k, by.m[k])
			}
		}
	}
	if len(im.Changes) > 0 {
		fmt.Fprintln(w, "changed submissions (newest first):")
	}
	for i, ch := range im.Changes {
		if i == 50 {
			fmt.Fprintf(w, "  … and %d more (--json lists up to %d)\n", im.Changed-50, policies.MaxChanges)
			break
		}
		fmt.Fprintf(w, "  %s  %s/%s  %s → %s  [%s] → [%s]\n", ch.SubmissionID, ch.Kind, ch.Category, ch.From, ch.To,
			codesOf(ch.OldReasons), codesOf(ch.NewReasons))
	}
}

func changedIn(m policies.OutcomeMatrix) bool {
	for from, tos := range m {
		for to, n := range tos {
			if from != to && n > 0 {
				return true
			}
		}
	}
	return false
}

func printMatrix(w io.Writer, title string, m policies.OutcomeMatrix) {
	outcomes := []string{policies.OutcomeApprove, policies.OutcomeReview, policies.OutcomeReject}
	fmt.Fprintf(w, "%s (from ↓, to →)\n  %-8s", title, "")
	for _, to := range outcomes {
		fmt.Fprintf(w, " %8s", to)
	}
	fmt.Fprintln(w)
	for _, from := range outcomes {
		fmt.Fprintf(w, "  %-8s", from)
		for _, to := range outcomes {
			fmt.Fprintf(w, " %8d", m[from][to])
		}
		fmt.Fprintln(w)
	}
}

func codesOf(rs []policies.Reason) string {
	codes := make([]string, len(rs))
	for i, r := range rs {
		codes[i] = r.Code
	}
	return strings.Join(codes, ",")
}
