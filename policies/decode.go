package policies

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"trustgate/policies/vm"
)

// The decision is read straight from the plan machine's value rather than
// through encoding/json: the round trip (value, Go maps, JSON, struct) cost
// about a tenth of a decision with many reasons, and reading the value lets
// the reasons be sorted with Rego's own ordering of their evidence. OPA's
// evaluator answers in OPA's values, which are converted (vm.FromAST) and
// read here too, so both evaluators' decisions go through one decoder.
//
// The reader is strict: a bundle is data written by people, and a typo in
// "outcome" or a reason without a code must not become an approval further
// down.

// decodeDecision turns the policy's output into a Decision, its reasons
// sorted by code, then evidence, so that the output is byte-stable whatever
// order the policy produced them in; the decision log and policy simulation
// compare on it.
func decodeDecision(v vm.Value) (Decision, error) {
	d, err := readDecision(v)
	if err == nil {
		err = d.validate()
	}
	if err != nil {
		return Decision{}, fmt.Errorf("malformed decision %s: %w", truncate([]byte(vm.ToAST(v).String())), err)
	}
	return d, nil
}

func readDecision(v vm.Value) (Decision, error) {
	obj, ok := v.(*vm.Object)
	if !ok {
		return Decision{}, fmt.Errorf("the decision is %s, not an object", ast.ValueName(vm.ToAST(v)))
	}
	r := fields{obj: obj}
	d := Decision{
		Outcome:           r.str(vm.String("outcome")),
		Queue:             r.str(vm.String("queue")),
		Priority:          r.str(vm.String("priority")),
		ApprovalsRequired: r.int(vm.String("approvals_required")),
		SLAHours:          r.int(vm.String("sla_hours")),
	}
	var err error
	d.Reasons, err = readReasons(r.get(vm.String("reasons")))
	return d, errors.Join(r.err, err)
}

type sortableReason struct {
	reason          Reason
	evidence, whole vm.Value
}

func readReasons(v vm.Value) ([]Reason, error) {
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
	sorted := make([]sortableReason, 0, len(items))
	for i, item := range items {
		obj, ok := item.(*vm.Object)
		if !ok {
			return nil, fmt.Errorf("reason %d is %s, not an object", i, ast.ValueName(vm.ToAST(item)))
		}
		r := fields{obj: obj}
		s := sortableReason{
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
				s.reason.Evidence = vm.ToGo(evObj).(map[string]any)
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
	slices.SortFunc(sorted, func(a, b sortableReason) int {
		if c := strings.Compare(a.reason.Code, b.reason.Code); c != 0 {
			return c
		}
		if c := compareValues(a.evidence, b.evidence); c != 0 {
			return c
		}
		return compareValues(a.whole, b.whole)
	})
	reasons := make([]Reason, len(sorted))
	for i, s := range sorted {
		reasons[i] = s.reason
	}
	return reasons, nil
}

func compareValues(a, b vm.Value) int {
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

// fields reads optional typed fields of an object and keeps the first
// error.
type fields struct {
	obj *vm.Object
	err error
}

// Keys are values, not strings: callers pass constants, which become values
// without an allocation, where a string converted here would take one per
// field of every reason.
func (f *fields) get(key vm.Value) vm.Value { return f.obj.Get(key) }

func (f *fields) str(key vm.Value) string {
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

func (f *fields) int(key vm.Value) int {
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

func (f *fields) fail(key vm.Value, want string, got vm.Value) {
	if f.err == nil {
		f.err = fmt.Errorf("%s is %s, not %s", key, vm.ToAST(got), want)
	}
}
