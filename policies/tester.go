package policies

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
)

// MinCoverage is the floor a bundle's Rego tests must reach, in percent of
// policy lines: the bar a draft policy version is held to, the shipped
// bundle's own tests, and "trustgate policy test".
const MinCoverage = 90.0

// testTimeout bounds one Rego test; a policy that loops must not hold a
// compliance user's request open.
const testTimeout = 5 * time.Second

// TestReport is the outcome of a bundle's Rego tests: the report a draft
// policy version must carry before it can be approved.
type TestReport struct {
	Tests   []TestResult `json:"tests"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Skipped int          `json:"skipped"`
	// Coverage is the percentage of policy lines (test files excluded) that
	// the tests evaluated; Files breaks it down per policy file.
	Coverage float64            `json:"coverage"`
	Files    map[string]float64 `json:"files"`
}

// OK reports whether every test passed.
func (r TestReport) OK() bool { return r.Failed == 0 && len(r.Tests) > 0 }

// TestResult is one Rego test.
type TestResult struct {
	Package  string        `json:"package"`
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Pass     bool          `json:"pass"`
	Error    string        `json:"error,omitempty"`
	Output   string        `json:"output,omitempty"`
	Duration time.Duration `json:"duration"`
}

// RunTests runs the bundle's *_test.rego files under the same restricted
// capabilities as New. A failing test is reported, not returned as an error;
// the error is for a bundle that cannot be tested at all.
func RunTests(ctx context.Context, files map[string][]byte) (TestReport, error) {
	b, err := parseBundle(files)
	if err != nil {
		return TestReport{}, err
	}
	store := b.store()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return TestReport{}, fmt.Errorf("open test transaction: %w", err)
	}
	defer store.Abort(ctx, txn)

	coverage := cover.New()
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().
			WithCapabilities(restrictedCapabilities()).
			WithDefaultRegoVersion(ast.RegoV1).
			WithEnablePrintStatements(true)).
		SetStore(store).
		SetModules(b.modules).
		SetCoverageQueryTracer(coverage).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		SetTimeout(testTimeout)
	results, err := runner.RunTests(ctx, txn)
	if err != nil {
		return TestReport{}, fmt.Errorf("run bundle tests: %w", testSetupError(err))
	}

	var report TestReport
	for r := range results {
		report.add(r)
	}
	// Results arrive in completion order; file and line order reads like the
	// test files.
	slices.SortFunc(report.Tests, func(a, b TestResult) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	report.setCoverage(coverage.Report(b.modules))
	return report, ctx.Err()
}

func (r *TestReport) add(res *tester.Result) {
	t := TestResult{
		Package:  res.Package,
		Name:     res.Name,
		Pass:     res.Pass(),
		Output:   string(res.Output),
		Duration: res.Duration,
	}
	if res.Location != nil {
		t.File, t.Line = res.Location.File, res.Location.Row
	}
	switch {
	case res.Skip:
		r.Skipped++
	case res.Pass():
		r.Passed++
	default:
		r.Failed++
		t.Error = "failed"
		if res.FailedAt != nil {
			t.Error = "failed at " + res.FailedAt.String()
		}
		if res.Error != nil {
			t.Error = res.Error.Error()
		}
	}
	r.Tests = append(r.Tests, t)
}

// setCoverage counts policy files only: test files are always nearly fully
// evaluated, and counting them would hide untested policy lines.
func (r *TestReport) setCoverage(cov cover.Report) {
	r.Files = map[string]float64{}
	var covered, notCovered int
	for file, fr := range cov.Files {
		if isTestFile(file) {
			continue
		}
		r.Files[file] = fr.Coverage
		covered += fr.CoveredLines
		notCovered += fr.NotCoveredLines
	}
	if covered+notCovered > 0 {
		r.Coverage = 100 * float64(covered) / float64(covered+notCovered)
	}
}

func testSetupError(err error) error {
	if errs, ok := err.(ast.Errors); ok {
		return locatedErrors(errs)
	}
	return err
}
