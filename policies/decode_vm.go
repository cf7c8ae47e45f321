package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"trustgate/policies/vm"
)

// decodePlanDecision is decodeDecision for the plan's result: the same
// checks, messages and order of reasons, read from the machine's values.
// TestPlanDecidesAsOPADoes holds the two to the same decisions.
func decodePlanDecision(v vm.Value) (Decision, error) {
	d, err := readPlanDecision(v)
	if err == nil {
		err = d.validate()
	}
	if err != nil {
		return Decision{}, fmt.Errorf("malformed decision %s: %w", truncate([]byte(vm.ToAST(v).String())), err)
	}
	return d, nil
}

func readPlanDecision(v vm.Value) (Decision, error) {
	obj, ok := v.(*vm.Object)
	if !ok {
		return Decision{}, fmt.Errorf("the decision is %s, not an object", ast.ValueName(vm.ToAST(v)))
	}
	r := planFields{obj: obj}
	d := Decision{
		Outcome:           r.str(vm.String("outcome")),
		Queue:             r.str(vm.String("queue")),
		Priority:          r.str(vm.String("priority")),
		ApprovalsRequired: r.int(vm.String("approvals_required")),
		SLAHours:          r.int(vm.String("sla_hours")),
	}
	var err error
	d.Reasons, err = readPlanReasons(r.get(vm.String("reasons")))
	return d, errors.Join(r.err, err)
}

type sortablePlanReason struct {
	reason          Reason
	evidence, whole vm.Value
}

func readPlanReasons(v vm.Value) ([]Reason, error) {
	var items []vm.Value
	switch v := v.(type) {
	case nil:
	case *vm.Array:
		items = make([]vm.Value, v.Len())
		for i := range items {
			items[i] = v.Elem(i)
		}
	case *vm.Set:
		// In any order: the sort below tells any two apart, since a set
		// holds no two reasons alike.
		items = v.Elems()
	default:
		return nil, fmt.Errorf("reasons is %s, not an array or a set", ast.ValueName(vm.ToAST(v)))
	}
	sorted := make([]sortablePlanReason, 0, len(items))
	for i, item := range items {
		obj, ok := item.(*vm.Object)
		if !ok {
			return nil, fmt.Errorf("reason %d is %s, not an object", i, ast.ValueName(vm.ToAST(item)))
		}
		r := planFields{obj: obj}
		s := sortablePlanReason{
			reason: Reason{Code: r.str(vm.String("code")), Message: r.str(vm.String("message")), Remediation: r.str(vm.String("remediation"))},
			whole:  obj,
		}
		if ev := r.get(vm.String("evidence")); ev != nil {
			evObj, ok := ev.(*vm.Object)
			if !ok {
				return nil, fmt.Errorf("reason %d: evidence is %s, not an object", i, ast.ValueName(vm.ToAST(ev)))
			}
			s.evidence = evObj
			if evObj.Len() > 0 {
				s.reason.Evidence = planToGo(evObj).(map[string]any)
			}
		}
		if r.err != nil {
			return nil, fmt.Errorf("reason %d: %w", i, r.err)
		}
		sorted = append(sorted, s)
	}
	// Reasons alike in code, evidence and all are the same reason, so the
	// order is total and need not be stable. Each comparison goes only as
	// far as it must: cmp.Or would compare whole reasons every time.
	slices.SortFunc(sorted, func(a, b sortablePlanReason) int {
		if c := strings.Compare(a.reason.Code, b.reason.Code); c != 0 {
			return c
		}
		if c := comparePlanValues(a.evidence, b.evidence); c != 0 {
			return c
		}
		return comparePlanValues(a.whole, b.whole)
	})
	reasons := make([]Reason, len(sorted))
	for i, s := range sorted {
		reasons[i] = s.reason
	}
	return reasons, nil
}

func comparePlanValues(a, b vm.Value) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return vm.Compare(a, b)
}

// planFields reads optional typed fields of an object and keeps the first
// error, as fields does.
type planFields struct {
	obj *vm.Object
	err error
}

// Keys are values, not strings: callers pass constants, which become values
// without an allocation, where a string converted here would take one per
// field of every reason.
func (f *planFields) get(key vm.Value) vm.Value { return f.obj.Get(key) }

func (f *planFields) str(key vm.Value) string {
	v := f.get(key)
	if v == nil {
		return ""
	}
	s, ok := v.(vm.String)
	if !ok {
		f.fail(key, "a string", v)
	}
	return string(s)
}

func (f *planFields) int(key vm.Value) int {
	switch n := f.get(key).(type) {
	case nil:
		return 0
	case vm.Int:
		return int(n)
	case vm.Num:
		i, ok := ast.Number(n).Int()
		if !ok {
			f.fail(key, "an integer", n)
		}
		return i
	default:
		f.fail(key, "an integer", n)
		return 0
	}
}

func (f *planFields) fail(key vm.Value, want string, got vm.Value) {
	if f.err == nil {
		f.err = fmt.Errorf("%s is %s, not %s", key, vm.ToAST(got), want)
	}
}

// planToGo is toGo for the machine's values.
func planToGo(val vm.Value) any {
	switch v := val.(type) {
	case vm.String:
		return string(v)
	case vm.Null:
		return nil
	case vm.Bool:
		return bool(v)
	case vm.Int:
		return float64(v)
	case vm.Num:
		f, err := json.Number(v).Float64()
		if err != nil {
			return string(v)
		}
		return f
	case *vm.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = planToGo(v.Elem(i))
		}
		return out
	case *vm.Set:
		out := make([]any, 0, v.Len())
		for _, e := range v.Sorted() {
			out = append(out, planToGo(e))
		}
		return out
	case *vm.Object:
		out := make(map[string]any, v.Len())
		v.Foreach(func(k, val vm.Value) {
			key, ok := k.(vm.String)
			if !ok {
				out[vm.ToAST(k).String()] = planToGo(val)
				return
			}
			out[string(key)] = planToGo(val)
		})
		return out
	}
	return fmt.Sprint(val)
}
