package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"trustgate/policies"
)

const policyUsage = "usage: trustgate policy eval [DIR] --input FILE.json [--explain] [--lang LANG] | policy test [DIR] [--min-coverage PERCENT] | policy replay SUBMISSION_ID | policy simulate DIR --server URL --token T --last N"

// Exit codes of "trustgate policy", for compliance's CI: 2 for a command
// that was used wrongly, 1 for a bundle that does not compile (a forbidden
// builtin included) or a decision the policy could not make, 3 for failing
// Rego tests or coverage under the floor.
const (
	policyExitBroken = 1
	policyExitUsage  = 2
	policyExitTests  = 3
)

// runPolicy evaluates a decision input or runs a bundle's Rego tests. DIR is
// a bundle folder (*.rego and data.json); without it, the shipped bundle.
func runPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return &exitError{code: policyExitUsage, msg: policyUsage}
	}
	switch args[0] {
	case "eval":
		return runPolicyEval(ctx, args[1:], stdout)
	case "test":
		return runPolicyTest(ctx, args[1:], stdout)
	case "replay":
		return runPolicyReplay(ctx, args[1:], stdout)
	case "simulate":
		return runPolicySimulate(ctx, args[1:], stdout)
	default:
		return &exitError{code: policyExitUsage, msg: fmt.Sprintf("unknown policy command %q; %s", args[0], policyUsage)}
	}
}

// evalOutput is the decision, with the rules that fired when asked for.
type evalOutput struct {
	policies.Decision
	PolicyVersion string   `json:"policy_version"`
	FiredRules    []string `json:"fired_rules,omitempty"`
}

func runPolicyEval(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("policy eval", "policy eval [DIR] --input FILE.json [--explain] [--lang LANG]")
	input := fset.String("input", "", "decision input as JSON (see docs/policy-input.md)")
	explain := fset.Bool("explain", false, "add the rules that fired")
	lang := fset.String("lang", "", `language of messages, as an Accept-Language value ("zh-CN"); default the bundle's English`)
	bundle := fset.String("bundle", "", "bundle folder (same as DIR)")
	dir, err := parseWithDir(fset, args, bundle)
	if err != nil {
		return err
	}
	if *input == "" {
		return &exitError{code: policyExitUsage, msg: "policy eval needs --input FILE.json"}
	}
	in, err := readInput(*input)
	if err != nil {
		return err
	}
	files, err := bundleFiles(dir)
	if err != nil {
		return err
	}
	engine, err := policies.New(files)
	if err != nil {
		return &exitError{code: policyExitBroken, msg: bundleName(dir) + ": " + err.Error()}
	}
	decision, fired, evalErr := engine.Explain(ctx, in)
	if *lang != "" {
		decision.Reasons = policies.Localize(decision.Reasons, *lang)
	}
	out := evalOutput{Decision: decision, PolicyVersion: engine.Version()}
	if *explain {
		out.FiredRules = fired
	}
	if err := writePolicyJSON(stdout, out); err != nil {
		return err
	}
	if evalErr != nil {
		// The fail-closed decision is printed too: it is what the pipeline
		// would have done.
		return &exitError{code: policyExitBroken, msg: bundleName(dir) + ": the policy could not decide: " + evalErr.Error()}
	}
	return nil
}

func runPolicyTest(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("policy test", "policy test [DIR] [--min-coverage PERCENT]")
	floor := fset.Float64("min-coverage", policies.MinCoverage, "fail under this coverage of policy lines, in percent")
	bundle := fset.String("bundle", "", "bundle folder (same as DIR)")
	dir, err := parseWithDir(fset, args, bundle)
	if err != nil {
		return err
	}
	files, err := bundleFiles(dir)
	if err != nil {
		return err
	}
	// Compiling as the engine does first names a forbidden builtin or a
	// missing decision rule as such, rather than as a failing test.
	if _, err := policies.New(files); err != nil {
		return &exitError{code: policyExitBroken, msg: bundleName(dir) + ": " + err.Error()}
	}
	report, err := policies.RunTests(ctx, files)
	if err != nil {
		return &exitError{code: policyExitBroken, msg: bundleName(dir) + ": " + err.Error()}
	}
	if err := writePolicyJSON(stdout, report); err != nil {
		return err
	}
	switch {
	case len(report.Tests) == 0:
		return &exitError{code: policyExitTests, msg: bundleName(dir) + ": the bundle has no Rego tests (*_test.rego)"}
	case !report.OK():
		var failed []string
		for _, t := range report.Tests {
			if !t.Pass {
				failed = append(failed, fmt.Sprintf("%s:%d %s", t.File, t.Line, t.Name))
			}
		}
		return &exitError{code: policyExitTests, msg: fmt.Sprintf("%s: %d of %d tests failed: %s", bundleName(dir), report.Failed, len(report.Tests), strings.Join(failed, ", "))}
	case report.Coverage < *floor:
		return &exitError{code: policyExitTests, msg: fmt.Sprintf("%s: coverage %.1f%% is under the floor of %.1f%% (per file: %v)", bundleName(dir), report.Coverage, *floor, report.Files)}
	}
	return nil
}

// parseWithDir parses flags that may come before or after the one optional
// positional DIR ("eval ./bundle --input x.json" reads naturally, and the
// flag package stops at the first positional).
func parseWithDir(fset *flag.FlagSet, args []string, bundle *string) (string, error) {
	var positional []string
	for {
		if err := fset.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", err
			}
			return "", &exitError{code: policyExitUsage, msg: err.Error()}
		}
		if fset.NArg() == 0 {
			break
		}
		positional = append(positional, fset.Arg(0))
		args = fset.Args()[1:]
	}
	switch {
	case len(positional) > 1:
		return "", &exitError{code: policyExitUsage, msg: fmt.Sprintf("one bundle folder at most, got %s", strings.Join(positional, " "))}
	case len(positional) == 1 && *bundle != "" && positional[0] != *bundle:
		return "", &exitError{code: policyExitUsage, msg: "give the bundle folder once, as DIR or --bundle"}
	case len(positional) == 1:
		return positional[0], nil
	}
	return *bundle, nil
}

// bundleFiles reads DIR, or returns the shipped bundle when dir is empty.
func bundleFiles(dir string) (map[string][]byte, error) {
	if dir == "" {
		return policies.DefaultFiles(), nil
	}
	files, err := readBundle(dir)
	if err != nil {
		return nil, &exitError{code: policyExitUsage, msg: err.Error()}
	}
	if len(files) == 0 {
		return nil, &exitError{code: policyExitUsage, msg: fmt.Sprintf("bundle %s has no *.rego files", dir)}
	}
	return files, nil
}

func bundleName(dir string) string {
	if dir == "" {
		return "shipped bundle"
	}
	return "bundle " + dir
}

// readInput decodes a decision input strictly: a misspelt field would
// otherwise be evaluated as missing, and the decision explained for an
// input nobody meant.
func readInput(path string) (policies.Input, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return policies.Input{}, &exitError{code: policyExitUsage, msg: fmt.Sprintf("read input: %v", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in policies.Input
	if err := dec.Decode(&in); err != nil {
		return policies.Input{}, &exitError{code: policyExitUsage, msg: fmt.Sprintf("%s is not a decision input (see docs/policy-input.md): %v", path, err)}
	}
	return in, nil
}

func writePolicyJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readBundle reads the .rego files and data.json of a folder, keyed by
// their slash-separated path inside it. Other files (a README) are left out.
func readBundle(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".rego") && filepath.Base(path) != "data.json" {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read bundle %s: %w", dir, err)
	}
	return files, nil
}

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

// runPolicyReplay asks the API to re-evaluate a submission's recorded
// input under the bundle that decided it. Exit 3 when the outcome differs.
func runPolicyReplay(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("policy replay", "policy replay [--server URL] [--token T] SUBMISSION_ID")
	server, token := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "policy replay needs one submission ID"}
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/v1/submissions/"+fs.Arg(0)+"/evaluation/replay", nil)
	if err != nil {
		return err
	}
	var ans struct {
		Same bool `json:"same"`
	}
	var raw json.RawMessage
	if err := c.do(req, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return err
	}
	if err := writeJSON(stdout, raw); err != nil {
		return err
	}
	if !ans.Same {
		return &exitError{code: 3, msg: "the replay decided differently from the recorded decision"}
	}
	return nil
}
