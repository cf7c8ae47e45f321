package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"trustgate/policies/vm"
)

// The plan machine (package vm) makes the decisions: it runs OPA's plan of
// the decision query several times faster than OPA's evaluator, which
// stands in for it on any error (Engine.decide) and checks it
// (engine_opa.go).

// planBundle plans the decision query for package vm. It compiles the
// bundle once more, because planning changes a compiler's mode and the
// compiler of the tree evaluator must stay as it is.
func planBundle(files map[string][]byte, caps *ast.Capabilities, data map[string]any) (*vm.Program, error) {
	b, err := parseBundle(files)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithDefaultRegoVersion(ast.RegoV1).WithStrict(true)
	if compiler.Compile(b.modules); compiler.Failed() {
		return nil, fmt.Errorf("compile bundle for planning: %w", locatedErrors(compiler.Errors))
	}
	plan, err := vm.Plan(context.Background(), decisionQuery, compiler)
	if err != nil {
		return nil, err
	}
	dataValue, err := ast.InterfaceToValue(data)
	if err != nil {
		return nil, fmt.Errorf("bundle data: %w", err)
	}
	program, err := vm.New(plan, "eval", dataValue, caps)
	if err != nil {
		return nil, err
	}
	if name := planUnproven(program.Builtins()); name != "" {
		return nil, &UnprovenBuiltinError{Builtin: name}
	}
	return program, nil
}

func (e *Engine) evaluatePlan(ctx context.Context, in Input, stopper topdown.Cancel) (Decision, error) {
	// The scratch goes back once the decision is decoded: deferred calls
	// run after the returned decision is made.
	scratch := planScratches.Get().(*planScratch)
	defer func() {
		scratch.release()
		planScratches.Put(scratch)
	}()
	// The decision is decoded while the machine still holds the plan's
	// result: the machine reuses the memory of its values afterwards.
	var d Decision
	var decodeErr error
	err := e.program.EvalThen(ctx, in.planInputIn(scratch), stopper, func(rs *vm.Set) error {
		d, decodeErr = decidePlanResult(rs)
		return nil
	})
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Decision{}, fmt.Errorf("evaluate %s: %w after %s: %w", decisionQuery, ErrTimeout, e.timeout, err)
		}
		return Decision{}, fmt.Errorf("evaluate %s: %w", decisionQuery, err)
	}
	return d, decodeErr
}

// evaluatePlanAlone decides with the plan machine and nothing else, under
// the engine's timeout: what the plan machine says is what is compared.
func (e *Engine) evaluatePlanAlone(ctx context.Context, in Input) (Decision, error) {
	if in.Now.IsZero() {
		return Decision{}, errors.New("input.now is not set")
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	stopper := topdown.NewCancel()
	defer context.AfterFunc(ctx, stopper.Cancel)()
	return e.evaluatePlan(ctx, in, stopper)
}

func decidePlanResult(rs *vm.Set) (Decision, error) {
	v, err := vm.Single(rs)
	switch {
	case err != nil:
		return Decision{}, fmt.Errorf("%s: %w", decisionQuery, err)
	case v == nil:
		return Decision{}, fmt.Errorf("%s is undefined for this input", decisionQuery)
	}
	return decodeDecision(v)
}

// planUnproven is the first builtin the plan calls that the plan machine
// is not proven on (vm.Proven), or "".
func planUnproven(builtins []string) string {
	for _, name := range builtins {
		if !vm.Proven(name) {
			return name
		}
	}
	return ""
}

// UnprovenBuiltinError is the planning error of a bundle whose plan calls a
// builtin the plan machine is not proven on.
type UnprovenBuiltinError struct{ Builtin string }

func (e *UnprovenBuiltinError) Error() string {
	return fmt.Sprintf("the plan calls %s, which the plan machine is not proven on", e.Builtin)
}
