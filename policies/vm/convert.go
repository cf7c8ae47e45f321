package vm

import (
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The machine's values meet the rest of the program here: OPA's values for
// the tree evaluator and the builtins the machine has no version of, and
// Go's for a decision's evidence. These are the only conversions; the
// engine builds its input as the machine's values and reads every decision
// from them, whichever evaluator made it.

// FromAST converts an OPA value.
func FromAST(v ast.Value) (Value, error) {
	switch x := v.(type) {
	case ast.Null:
		return Null{}, nil
	case ast.Boolean:
		return Bool(x), nil
	case ast.Number:
		return parseNumber(string(x)), nil
	case ast.String:
		return String(x), nil
	case *ast.Array:
		elems := make([]Value, x.Len())
		for i := range elems {
			e, err := FromAST(x.Elem(i).Value)
			if err != nil {
				return nil, err
			}
			elems[i] = e
		}
		return &Array{elems: elems}, nil
	case ast.Object:
		o := &Object{keys: make([]Value, 0, x.Len()), vals: make([]Value, 0, x.Len())}
		var err error
		x.Foreach(func(k, val *ast.Term) {
			if err != nil {
				return
			}
			var kv, vv Value
			if kv, err = FromAST(k.Value); err != nil {
				return
			}
			if vv, err = FromAST(val.Value); err != nil {
				return
			}
			o.keys, o.vals = append(o.keys, kv), append(o.vals, vv)
		})
		return o, err
	case ast.Set:
		s := NewSet()
		var err error
		x.Foreach(func(t *ast.Term) {
			if err != nil {
				return
			}
			var e Value
			if e, err = FromAST(t.Value); err == nil {
				s.Add(e)
			}
		})
		return s, err
	}
	return nil, fmt.Errorf("vm: %s is not a value", ast.ValueName(v))
}

// ToAST converts a value to OPA's.
func ToAST(v Value) ast.Value {
	switch x := v.(type) {
	case Null:
		return ast.InternedNullValue
	case Bool:
		return ast.Boolean(x)
	case Int:
		return ast.InternedTerm(int(x)).Value
	case Num:
		return ast.Number(x)
	case String:
		return ast.String(x)
	case *Array:
		terms := make([]*ast.Term, len(x.elems))
		for i, e := range x.elems {
			terms[i] = ast.NewTerm(ToAST(e))
		}
		return ast.NewArray(terms...)
	case *Object:
		items := make([][2]*ast.Term, len(x.keys))
		for i, k := range x.keys {
			items[i] = [2]*ast.Term{ast.NewTerm(ToAST(k)), ast.NewTerm(ToAST(x.vals[i]))}
		}
		return ast.NewObject(items...)
	case *Set:
		terms := make([]*ast.Term, len(x.elems))
		for i, e := range x.elems {
			terms[i] = ast.NewTerm(ToAST(e))
		}
		return ast.NewSet(terms...)
	}
	panic(fmt.Sprintf("vm: not a value: %T", v))
}

// ToGo converts a value to what encoding/json would decode from its JSON:
// float64 numbers, map[string]any objects, []any arrays, and sets as arrays
// in OPA's order. An object key that is not a string becomes its Rego text,
// as OPA writes it in JSON.
func ToGo(val Value) any {
	switch v := val.(type) {
	case String:
		return string(v)
	case Null:
		return nil
	case Bool:
		return bool(v)
	case Int:
		return float64(v)
	case Num:
		f, err := json.Number(v).Float64()
		if err != nil {
			return string(v)
		}
		return f
	case *Array:
		out := make([]any, len(v.elems))
		for i, e := range v.elems {
			out[i] = ToGo(e)
		}
		return out
	case *Set:
		out := make([]any, 0, len(v.elems))
		for _, e := range v.Sorted() {
			out = append(out, ToGo(e))
		}
		return out
	case *Object:
		out := make(map[string]any, len(v.keys))
		v.Foreach(func(k, val Value) {
			key, ok := k.(String)
			if !ok {
				out[ToAST(k).String()] = ToGo(val)
				return
			}
			out[string(key)] = ToGo(val)
		})
		return out
	}
	return fmt.Sprint(val)
}
