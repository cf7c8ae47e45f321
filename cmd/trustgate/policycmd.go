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
	"os"
	"path/filepath"
	"strings"

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
