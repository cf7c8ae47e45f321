package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// decisionQuery is the one document a bundle must define.
const decisionQuery = "data.trustgate.submission.decision"

// Engine decides on submissions with one compiled bundle. It is safe for
// concurrent use: the prepared query is read-only once built.
type Engine struct {
	query   rego.PreparedEvalQuery
	hash    string
	version string
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
	query, err := rego.New(
		rego.Query(decisionQuery),
		rego.Compiler(compiler),
		rego.Store(b.store()),
		rego.Capabilities(caps),
		// A builtin error (a malformed time, say) must surface as an error
		// and fail closed, not quietly make a reject rule undefined.
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("prepare bundle %s: %w", version, err)
	}
	return &Engine{query: query, hash: bundleHash(files), version: version}, nil
}

// Hash is the SHA-256 (hex) over the bundle's sorted paths and contents.
func (e *Engine) Hash() string { return e.hash }

// Version names the bundle in decisions and logs.
func (e *Engine) Version() string { return e.version }

// Decide evaluates the bundle on in. It fails closed: when the policy errors,
// is undefined or returns something malformed, the decision is a senior
// review with reason POLICY_ERROR carrying the error, never an approval.
func (e *Engine) Decide(ctx context.Context, in Input) Decision {
	d, err := e.evaluate(ctx, in)
	if err != nil {
		return policyError(e.version, err)
	}
	return d
}

func (e *Engine) evaluate(ctx context.Context, in Input) (Decision, error) {
	// Every expiry check compares with Now; a zero clock would make every
	// verification and waiver look valid.
	if in.Now.IsZero() {
		return Decision{}, errors.New("input.now is not set")
	}
	// OPA notices cancellation only in long evaluations; checking here keeps
	// a cancelled caller from receiving a decision it did not wait for.
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(in.value()))
	if err != nil {
		return Decision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	switch {
	case len(rs) == 0 || len(rs[0].Expressions) == 0:
		return Decision{}, fmt.Errorf("%s is undefined for this input", decisionQuery)
	case len(rs) > 1:
		return Decision{}, fmt.Errorf("%s has %d results, want 1", decisionQuery, len(rs))
	}
	return parseDecision(rs[0].Expressions[0].Value)
}
