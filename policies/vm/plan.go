// Package vm evaluates the plans that OPA's planner makes of a Rego query:
// the same intermediate representation that OPA compiles to WebAssembly.
//
// OPA's tree-walking evaluator spends most of a decision unifying terms and
// managing bindings. A plan has done that work ahead of time: it is a list of
// plain statements over numbered locals (look up a key, compare, loop, call a
// builtin). The machine runs it on values of its own (value.go), which cost
// less to build and look up than OPA's, with its own versions of the
// builtins a decision calls per finding (native.go) and OPA's builtins for
// the rest. Semantics follow OPA's WebAssembly compiler statement for
// statement; the tests compare results, values and builtins with OPA's.
//
// Preparing a plan resolves its statements (prepare.go) and drops the
// bookkeeping the planner writes around them, copies of locals and tests of
// results, where that cannot change a result (copies.go). An evaluation
// takes the objects and arrays its literals build from chunks of its own
// (alloc.go).
package vm

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
)

// target names the rego target whose only job is to hand over the plan.
const target = "trustgate-plan"

type planSlot struct{}

// capture is a rego target plugin. rego plans the query for it with the
// planner OPA uses for WebAssembly; capture keeps the plan and refuses to be
// evaluated, because the Program built from the plan does that.
type capture struct{}

func (capture) IsTarget(t string) bool { return t == target }

func (capture) PrepareForEval(ctx context.Context, p *ir.Policy, _ ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	slot, ok := ctx.Value(planSlot{}).(**ir.Policy)
	if !ok {
		return nil, errors.New("the plan target is only for vm.Plan")
	}
	*slot = p
	return refuse{}, nil
}

type refuse struct{}

func (refuse) Eval(context.Context, *rego.EvalContext, ast.Value) (ast.Value, error) {
	return nil, errors.New("evaluate the plan with vm.Program")
}

func init() { rego.RegisterPlugin(target, capture{}) }

// Plan plans query over the modules compiler holds. compiler must be a
// compiler of its own, already compiled: planning switches it to the mode
// that skips the tree evaluator's indices, so it must not be shared with a
// query evaluated the usual way.
func Plan(ctx context.Context, query string, compiler *ast.Compiler) (*ir.Policy, error) {
	var p *ir.Policy
	ctx = context.WithValue(ctx, planSlot{}, &p)
	_, err := rego.New(
		rego.Query(query),
		rego.Compiler(compiler),
		rego.Target(target),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", query, err)
	}
	if p == nil {
		return nil, fmt.Errorf("plan %s: the planner produced nothing", query)
	}
	return p, nil
}
