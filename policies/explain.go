package policies

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// decisionPackage is the package whose rules an explanation lists.
var decisionPackage = ast.MustParseRef("data.trustgate.submission")

// FiredRule is a rule of the decision package whose body succeeded in one
// evaluation: the rule's name (its head reference, such as reject_reasons
// or credit_threshold) and where its body is.
type FiredRule struct {
	Rule string `json:"rule"`
	File string `json:"file"`
	Line int    `json:"line"`
}

func (r FiredRule) String() string { return fmt.Sprintf("%s:%d %s", r.File, r.Line, r.Rule) }

// Explain decides like Decide and also lists the rules of package
// trustgate.submission that fired, as "file:line rule" in file and line
// order, each rule body once however often it succeeded. Replays use it to
// show why a recorded input got its decision.
//
// It traces the whole evaluation and is many times slower than Decide; it
// is for people, not for the pipeline. When evaluation fails the decision is
// Decide's fail-closed one and the error says why.
func (e *Engine) Explain(ctx context.Context, in Input) (Decision, []string, error) {
	d, fired, err := e.ExplainRules(ctx, in)
	lines := make([]string, len(fired))
	for i, r := range fired {
		lines[i] = r.String()
	}
	return d, lines, err
}

// ExplainRules is Explain with the fired rules as values.
func (e *Engine) ExplainRules(ctx context.Context, in Input) (Decision, []FiredRule, error) {
	tracer := topdown.NewBufferTracer()
	d, err := e.evaluate(ctx, in,
		rego.EvalQueryTracer(tracer),
		// Early exit skips rule bodies once a complete rule has a value;
		// an explanation should show every body that holds.
		rego.EvalEarlyExit(false),
	)
	if err != nil {
		return policyError(e.version, err), nil, err
	}
	return d, firedRules(*tracer), nil
}

// firedRules keeps the Exit events of rules in the decision package: an
// Exit is traced when a rule body has succeeded and produced a value.
func firedRules(events []*topdown.Event) []FiredRule {
	seen := map[FiredRule]bool{}
	var fired []FiredRule
	for _, ev := range events {
		if ev.Op != topdown.ExitOp {
			continue
		}
		rule, ok := ev.Node.(*ast.Rule)
		if !ok || rule.Module == nil || !rule.Module.Package.Path.Equal(decisionPackage) || rule.Location == nil {
			continue
		}
		r := FiredRule{Rule: ruleName(rule), File: rule.Location.File, Line: rule.Location.Row}
		if !seen[r] {
			seen[r] = true
			fired = append(fired, r)
		}
	}
	slices.SortFunc(fired, func(a, b FiredRule) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return fired
}

// ruleName is the rule's head reference without the data.package prefix.
func ruleName(rule *ast.Rule) string {
	return rule.Head.Ref().String()
}
