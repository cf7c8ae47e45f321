package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"trustgate/policies/vm"
)

// OPA's own (tree-walking) evaluator defines what a decision must be: it
// explains decisions, runs the bundle's Rego tests (tester.go), decides
// where the plan machine fails or cannot run a bundle, and checks the plan
// machine's decisions (differential.go, shadow.go). It is given the plan
// machine's input and its answer is read by the plan machine's decoder, so
// the two evaluators differ only in how they run Rego. The differential
// tests of this package and of package vm are the gate an OPA upgrade must
// pass.

// prepareOPA prepares the decision query for OPA's evaluator.
func prepareOPA(compiler *ast.Compiler, b *parsedBundle, caps *ast.Capabilities) (rego.PreparedEvalQuery, error) {
	return rego.New(
		rego.Query(decisionQuery),
		rego.Compiler(compiler),
		rego.Store(b.store()),
		rego.Capabilities(caps),
		// A builtin error (a malformed time, say) must surface as an error
		// and fail closed, not quietly make a reject rule undefined.
		rego.StrictBuiltinErrors(true),
		// The result stays an OPA value, converted once to the plan
		// machine's for the decoder, rather than made into Go maps.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
	).PrepareForEval(context.Background())
}

func (e *Engine) evaluateOPA(ctx context.Context, in Input, stopper topdown.Cancel, opts ...rego.EvalOption) (Decision, error) {
	opts = append(opts,
		rego.EvalParsedInput(in.opaInput()),
		rego.EvalExternalCancel(stopper),
		// Nobody reads per-evaluation metrics; the default collects them.
		rego.EvalMetrics(metrics.NoOp()),
	)
	rs, err := e.query.Eval(ctx, opts...)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Decision{}, fmt.Errorf("evaluate %s: %w after %s: %w", decisionQuery, ErrTimeout, e.timeout, err)
		}
		return Decision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	switch {
	case len(rs) == 0 || len(rs[0].Expressions) == 0:
		return Decision{}, fmt.Errorf("%s is undefined for this input", decisionQuery)
	case len(rs) > 1:
		return Decision{}, fmt.Errorf("%s has %d results, want 1", decisionQuery, len(rs))
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return Decision{}, fmt.Errorf("%s: result is %T, not an OPA value", decisionQuery, rs[0].Expressions[0].Value)
	}
	dv, err := vm.FromAST(v)
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", decisionQuery, err)
	}
	return decodeDecision(dv)
}

// evaluateOPAAlone decides with OPA's evaluator: any evaluation option sends
// evaluate there, and early exit is its default, as in a decision.
func (e *Engine) evaluateOPAAlone(ctx context.Context, in Input) (Decision, error) {
	return e.evaluate(ctx, in, rego.EvalEarlyExit(true))
}
