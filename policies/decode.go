package policies

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The decision is read straight from OPA's value rather than through
// encoding/json. The round trip (OPA value, Go maps, JSON, struct) cost about
// a tenth of a decision with many reasons, and reading the value lets the
// reasons be sorted with OPA's own ordering of their evidence.
//
// The reader is strict for the same reason the JSON decoder was: a bundle is
// data written by people, and a typo in "outcome" or a reason without a code
// must not become an approval further down.

// decodeDecision turns the policy's output into a Decision, its reasons
// sorted by code, then evidence, so that the output is byte-stable whatever
// order the policy produced them in; the decision log and policy simulation
// compare on it.
func decodeDecision(v ast.Value) (Decision, error) {
	d, err := readDecision(v)
	if err == nil {
		err = d.validate()
	}
	if err != nil {
		return Decision{}, fmt.Errorf("malformed decision %s: %w", truncate([]byte(v.String())), err)
	}
	return d, nil
}

func readDecision(v ast.Value) (Decision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("the decision is %s, not an object", ast.ValueName(v))
	}
	r := fields{obj: obj}
	d := Decision{
		Outcome:           r.str("outcome"),
		Queue:             r.str("queue"),
		Priority:          r.str("priority"),
		ApprovalsRequired: r.int("approvals_required"),
		SLAHours:          r.int("sla_hours"),
	}
	var err error
	d.Reasons, err = readReasons(r.get("reasons"))
	return d, errors.Join(r.err, err)
}

// sortableReason keeps the evidence as OPA's value for ordering.
type sortableReason struct {
	reason   Reason
	evidence ast.Value
	whole    ast.Value
}

func readReasons(t *ast.Term) ([]Reason, error) {
	var items []*ast.Term
	switch v := valueOf(t).(type) {
	case nil:
	case *ast.Array:
		items = make([]*ast.Term, 0, v.Len())
		v.Foreach(func(t *ast.Term) { items = append(items, t) })
	case ast.Set:
		items = v.Slice()
	default:
		return nil, fmt.Errorf("reasons is %s, not an array or a set", ast.ValueName(v))
	}
	sorted := make([]sortableReason, 0, len(items))
	for i, item := range items {
		obj, ok := item.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("reason %d is %s, not an object", i, ast.ValueName(item.Value))
		}
		r := fields{obj: obj}
		s := sortableReason{
			reason: Reason{Code: r.str("code"), Message: r.str("message"), Remediation: r.str("remediation")},
			whole:  obj,
		}
		if ev := r.get("evidence"); ev != nil {
			evObj, ok := ev.Value.(ast.Object)
			if !ok {
				return nil, fmt.Errorf("reason %d: evidence is %s, not an object", i, ast.ValueName(ev.Value))
			}
			s.evidence = evObj
			if evObj.Len() > 0 {
				s.reason.Evidence = toGo(evObj).(map[string]any)
			}
		}
		if r.err != nil {
			return nil, fmt.Errorf("reason %d: %w", i, r.err)
		}
		sorted = append(sorted, s)
	}
	slices.SortStableFunc(sorted, func(a, b sortableReason) int {
		return cmp.Or(
			strings.Compare(a.reason.Code, b.reason.Code),
			compareValues(a.evidence, b.evidence),
			compareValues(a.whole, b.whole),
		)
	})
	reasons := make([]Reason, len(sorted))
	for i, s := range sorted {
		reasons[i] = s.reason
	}
	return reasons, nil
}

func compareValues(a, b ast.Value) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return ast.Compare(a, b)
}

func valueOf(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}

// fields reads optional typed fields of an object and keeps the first error.
type fields struct {
	obj ast.Object
	err error
}

// get looks a key up; the key terms are built once, since OPA does not
// intern these strings and each lookup would allocate one.
func (f *fields) get(key string) *ast.Term { return f.obj.Get(decisionKeys[key]) }

var decisionKeys = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, k := range []string{"outcome", "queue", "priority", "approvals_required", "sla_hours", "reasons", "code", "message", "remediation", "evidence"} {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

func (f *fields) str(key string) string {
	v := valueOf(f.get(key))
	if v == nil {
		return ""
	}
	s, ok := v.(ast.String)
	if !ok {
		f.fail(key, "a string", v)
	}
	return string(s)
}

func (f *fields) int(key string) int {
	v := valueOf(f.get(key))
	if v == nil {
		return 0
	}
	n, ok := v.(ast.Number)
	if !ok {
		f.fail(key, "an integer", v)
		return 0
	}
	i, ok := n.Int()
	if !ok {
		f.fail(key, "an integer", v)
	}
	return i
}

func (f *fields) fail(key, want string, got ast.Value) {
	if f.err == nil {
		f.err = fmt.Errorf("%s is %s, not %s", key, got, want)
	}
}

// toGo converts an OPA value to what encoding/json would have produced:
// float64 numbers, maps and slices, sets as slices.
func toGo(v ast.Value) any {
	switch v := v.(type) {
	case ast.Null:
		return nil
	case ast.Boolean:
		return bool(v)
	case ast.String:
		return string(v)
	case ast.Number:
		f, err := json.Number(v).Float64()
		if err != nil {
			return string(v)
		}
		return f
	case *ast.Array:
		out := make([]any, 0, v.Len())
		v.Foreach(func(t *ast.Term) { out = append(out, toGo(t.Value)) })
		return out
	case ast.Set:
		out := make([]any, 0, v.Len())
		for _, t := range v.Slice() {
			out = append(out, toGo(t.Value))
		}
		return out
	case ast.Object:
		out := make(map[string]any, v.Len())
		v.Foreach(func(k, val *ast.Term) {
			key, ok := k.Value.(ast.String)
			if !ok {
				// JSON keys are strings; OPA writes other keys as their text.
				out[k.Value.String()] = toGo(val.Value)
				return
			}
			out[string(key)] = toGo(val.Value)
		})
		return out
	default:
		return v.String()
	}
}
