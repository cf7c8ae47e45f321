package policies

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"trustgate/policies/vm"
)

// decisionQuery is the one document a bundle must define.
const decisionQuery = "data.trustgate.submission.decision"

// DefaultTimeout bounds one evaluation. The default bundle decides on a
// hundred findings in well under a millisecond; a bundle that takes a second has a
// loop in it, and the submission goes to senior review rather than holding a
// worker. The bound is wall-clock time, so it leaves room for a worker whose
// CPU is shared: a sound bundle must not fail closed because the machine was
// busy.
const DefaultTimeout = time.Second

// Engine decides on submissions with one compiled bundle. It is safe for
// concurrent use: the prepared query is read-only once built.
type Engine struct {
	query rego.PreparedEvalQuery
	// program is the decision query planned and prepared for package vm,
	// which makes decisions; query (OPA's own evaluator) explains them and
	// stands in where program is nil: the evaluator is configured to be
	// OPA's, or the bundle could not be planned (planErr says why).
	program  *vm.Program
	planErr  error
	compiler *ast.Compiler
	hash     string
	version  string
	timeout  time.Duration
	// qaSampleRate is data.trustgate.qa.sample_rate, read once.
	qaSampleRate float64
}

// NewDefault returns an engine for the bundle embedded in the binary, named
// "default-" and the start of its hash.
func NewDefault() (*Engine, error) {
	files := DefaultFiles()
	return NewNamed("default-"+bundleHash(files)[:12], files)
}

// New compiles a bundle given as its files (path to content: *.rego and a
// top-level data.json). Its version is the start of its hash.
func New(files map[string][]byte) (*Engine, error) {
	return NewNamed(bundleHash(files)[:12], files)
}

// NewNamed is New with the version the caller knows the bundle by, such as
// the policy version row it was loaded from.
//
// The bundle is compiled once, under restricted capabilities, and the
// decision query prepared; Decide only evaluates. Test files are compiled
// too, so that a forbidden builtin cannot hide in them.
func NewNamed(version string, files map[string][]byte) (*Engine, error) {
	return newEngine(version, files, currentSettings().Evaluator)
}

// newEngine is NewNamed with the evaluator given rather than configured.
func newEngine(version string, files map[string][]byte, evaluator string) (*Engine, error) {
	b, err := parseBundle(files)
	if err != nil {
		return nil, err
	}
	caps := restrictedCapabilities()
	compiler := ast.NewCompiler().
		WithCapabilities(caps).
		WithDefaultRegoVersion(ast.RegoV1).
		WithStrict(true)
	if compiler.Compile(b.modules); compiler.Failed() {
		return nil, fmt.Errorf("compile bundle %s: %w", version, locatedErrors(compiler.Errors))
	}
	// Without this check a bundle missing the rule would compile fine and
	// then send every submission to POLICY_ERROR.
	if len(compiler.GetRulesForVirtualDocument(ast.MustParseRef(decisionQuery))) == 0 {
		return nil, fmt.Errorf("compile bundle %s: no rule defines %s", version, decisionQuery)
	}
	query, err := prepareOPA(compiler, b, caps)
	if err != nil {
		return nil, fmt.Errorf("prepare bundle %s: %w", version, err)
	}
	var program *vm.Program
	var planErr error
	if evaluator == EvaluatorPlan {
		if program, planErr = planBundle(files, caps, b.data); planErr != nil {
			reportFallback(Fallback{Reason: FallbackNotPlanned, Version: version, Err: planErr})
		}
	}
	return &Engine{query: query, program: program, planErr: planErr, compiler: compiler, hash: bundleHash(files),
		version: version, timeout: DefaultTimeout, qaSampleRate: qaSampleRate(b.data)}, nil
}

// Evaluator names what makes the engine's decisions: EvaluatorPlan
// (package vm, with OPA's evaluator asked again on any error) or
// EvaluatorOPA.
func (e *Engine) Evaluator() string {
	if e.program != nil {
		return EvaluatorPlan
	}
	return EvaluatorOPA
}

// EvaluatorNote says why OPA's evaluator decides for a bundle the plan
// machine could have run: it was configured so, or the bundle could not be
// planned. It is empty when the plan machine decides.
func (e *Engine) EvaluatorNote() string {
	switch {
	case e.program != nil:
		return ""
	case e.planErr == nil:
		return "the process is configured to use OPA's evaluator"
	}
	return fmt.Sprintf("OPA's evaluator decides because the bundle could not be planned: %v", e.planErr)
}

// qaSampleRate reads data.trustgate.qa.sample_rate: the share of automatic
// approvals that get a QA look after going live. Missing or out of range
// reads as 0 (no sampling) rather than failing the bundle.
func qaSampleRate(data map[string]any) float64 {
	tg, _ := data["trustgate"].(map[string]any)
	qa, _ := tg["qa"].(map[string]any)
	var rate float64
	switch v := qa["sample_rate"].(type) {
	case float64:
		rate = v
	case interface{ Float64() (float64, error) }:
		rate, _ = v.Float64()
	}
	if rate < 0 || rate > 1 {
		return 0
	}
	return rate
}

// QASampleRate is the bundle's share of automatic approvals sampled for QA.
func (e *Engine) QASampleRate() float64 { return e.qaSampleRate }

// WithTimeout returns a copy of the engine whose evaluations are bounded by
// d instead of DefaultTimeout. The compiled bundle is shared.
func (e *Engine) WithTimeout(d time.Duration) *Engine {
	c := *e
	c.timeout = d
	return &c
}

// Hash is the SHA-256 (hex) over the bundle's sorted paths and contents.
func (e *Engine) Hash() string { return e.hash }

// Version names the bundle in decisions and logs.
func (e *Engine) Version() string { return e.version }

// Decide evaluates the bundle on in. It fails closed: when the policy errors,
// runs past the engine's timeout, is undefined or returns something
// malformed, the decision is a senior review with reason POLICY_ERROR
// carrying the error, never an approval.
func (e *Engine) Decide(ctx context.Context, in Input) Decision {
	d, err := e.decide(ctx, in)
	if err != nil {
		return policyError(e.version, err)
	}
	return d
}

// ErrTimeout marks an evaluation that ran past the engine's timeout: a
// policy that loops, or one far too slow for the input.
var ErrTimeout = errors.New("policy evaluation timed out")

// Evaluate is Decide that also returns the error behind a fail-closed
// decision, for callers that must tell a policy error (a simulation stops on
// a draft that loops) from a decision.
func (e *Engine) Evaluate(ctx context.Context, in Input) (Decision, error) {
	d, err := e.decide(ctx, in)
	if err != nil {
		return policyError(e.version, err), err
	}
	return d, nil
}

// checkCall refuses an evaluation before either evaluator starts.
func checkCall(ctx context.Context, in Input) error {
	// Every expiry check compares with Now; a zero clock would make every
	// verification and waiver look valid.
	if in.Now.IsZero() {
		return errors.New("input.now is not set")
	}
	// OPA notices cancellation only in long evaluations; checking here keeps
	// a cancelled caller from receiving a decision it did not wait for.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	return nil
}

func (e *Engine) evaluate(ctx context.Context, in Input, opts ...rego.EvalOption) (Decision, error) {
	if err := checkCall(ctx, in); err != nil {
		return Decision{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	// OPA would start a goroutine per evaluation to watch the context; a
	// callback registered on the context does the same without one.
	stopper := topdown.NewCancel()
	defer context.AfterFunc(ctx, stopper.Cancel)()

	if e.program != nil && len(opts) == 0 {
		return e.evaluatePlan(ctx, in, stopper)
	}
	return e.evaluateOPA(ctx, in, stopper, opts...)
}

// decide is evaluate with the plan machine held to OPA's evaluator: when
// the plan machine fails on an input, OPA's evaluator is asked again and its
// answer, a decision or an error, is the one returned. The plan machine is a
// second implementation of Rego inside a gate that fails closed; where it
// errs and OPA would not (a body OPA never evaluates, say), the decision
// must be OPA's, not POLICY_ERROR.
func (e *Engine) decide(ctx context.Context, in Input) (Decision, error) {
	if err := checkCall(ctx, in); err != nil {
		return Decision{}, err
	}
	d, err := e.evaluate(ctx, in)
	if err == nil || e.program == nil || !retryWithOPA(ctx, err) {
		return d, err
	}
	od, oerr := e.evaluate(ctx, in, rego.EvalEarlyExit(true))
	reportFallback(Fallback{Reason: FallbackPlanError, Version: e.version, InputHash: InputHash(in), Err: err, OPAErr: oerr})
	return od, oerr
}
