package vm

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The times whose nanoseconds since 1970 fit an int64, as OPA bounds them.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// native holds the machine's own versions of the builtins that decisions
// call for nearly every finding. Calling OPA's means converting operands to
// OPA's values and the result back, which costs more than the builtin. Each
// does exactly what OPA's does for the operands it accepts, and answers
// ok=false for any others, which then go to OPA's builtin: errors and rare
// shapes stay OPA's. TestNativeBuiltinsAgreeWithOPA checks each against
// OPA's on a table of operands.
var native = map[string]func(args []Value) (Value, bool){
	"equal": func(a []Value) (Value, bool) { return Bool(equal(a[0], a[1])), true },
	"neq":   func(a []Value) (Value, bool) { return Bool(!equal(a[0], a[1])), true },
	"gt":    func(a []Value) (Value, bool) { return Bool(compare(a[0], a[1]) > 0), true },
	"gte":   func(a []Value) (Value, bool) { return Bool(compare(a[0], a[1]) >= 0), true },
	"lt":    func(a []Value) (Value, bool) { return Bool(compare(a[0], a[1]) < 0), true },
	"lte":   func(a []Value) (Value, bool) { return Bool(compare(a[0], a[1]) <= 0), true },
	"object.get": func(a []Value) (Value, bool) {
		obj, ok := a[0].(*Object)
		if !ok {
			return nil, false
		}
		path, isPath := a[1].(*Array)
		if !isPath {
			if v := obj.Get(a[1]); v != nil {
				return v, true
			}
			return a[2], true
		}
		// A path is followed through objects, arrays and sets alike.
		var curr Value = obj
		for _, k := range path.elems {
			if curr = dot(curr, k); curr == nil {
				return a[2], true
			}
		}
		return curr, true
	},
	"array.concat": func(a []Value) (Value, bool) {
		x, ok1 := a[0].(*Array)
		y, ok2 := a[1].(*Array)
		if !ok1 || !ok2 {
			return nil, false
		}
		elems := make([]Value, 0, len(x.elems)+len(y.elems))
		return &Array{elems: append(append(elems, x.elems...), y.elems...)}, true
	},
	"time.parse_rfc3339_ns": func(a []Value) (Value, bool) {
		s, ok := a[0].(String)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339, string(s))
		// Errors, and times whose nanoseconds overflow, are OPA's to report.
		if err != nil || t.Before(minNanoTime) || t.After(maxNanoTime) {
			return nil, false
		}
		return Int(t.UnixNano()), true
	},
	"count": func(a []Value) (Value, bool) {
		switch c := a[0].(type) {
		case *Array:
			return Int(len(c.elems)), true
		case *Object:
			return Int(len(c.keys)), true
		case *Set:
			return Int(len(c.elems)), true
		case String:
			return Int(utf8.RuneCountInString(string(c))), true
		}
		return nil, false
	},
	"internal.member_2": func(a []Value) (Value, bool) {
		switch c := a[1].(type) {
		case *Set:
			return Bool(c.Contains(a[0])), true
		case *Array:
			for _, e := range c.elems {
				if equal(e, a[0]) {
					return Bool(true), true
				}
			}
			return Bool(false), true
		case *Object:
			for _, v := range c.vals {
				if equal(v, a[0]) {
					return Bool(true), true
				}
			}
			return Bool(false), true
		}
		return Bool(false), true
	},
	"lower": func(a []Value) (Value, bool) {
		s, ok := a[0].(String)
		if !ok {
			return nil, false
		}
		// Most strings are lower-case already; the operand is then the
		// result, and boxing a copy of it would cost an allocation.
		if l := strings.ToLower(string(s)); l != string(s) {
			return String(l), true
		}
		return a[0], true
	},
	// max and object.union are called once a decision, on the data
	// document's thresholds, which would otherwise be converted to OPA's
	// values and back each time.
	"max": func(a []Value) (Value, bool) {
		var elems []Value
		// Of equal maxima (1 and 1.0) OPA's keeps the last in an array;
		// a set holds only one of them.
		last := false
		switch c := a[0].(type) {
		case *Array:
			elems, last = c.elems, true
		case *Set:
			elems = c.elems
		}
		// Not a collection, or an empty one: OPA's says what that is.
		if len(elems) == 0 {
			return nil, false
		}
		best := elems[0]
		for _, e := range elems[1:] {
			if c := compare(e, best); c > 0 || (last && c == 0) {
				best = e
			}
		}
		return best, true
	},
	"object.union": func(a []Value) (Value, bool) {
		x, ok1 := a[0].(*Object)
		y, ok2 := a[1].(*Object)
		if !ok1 || !ok2 {
			return nil, false
		}
		return union(x, y), true
	},
	"is_string": func(a []Value) (Value, bool) { _, ok := a[0].(String); return Bool(ok), true },
	"is_number": func(a []Value) (Value, bool) {
		switch a[0].(type) {
		case Int, Num:
			return Bool(true), true
		}
		return Bool(false), true
	},
	"concat": func(a []Value) (Value, bool) {
		sep, ok := a[0].(String)
		if !ok {
			return nil, false
		}
		var parts []Value
		switch c := a[1].(type) {
		case *Array:
			parts = c.elems
		case *Set:
			parts = c.Sorted()
		default:
			return nil, false
		}
		strs := make([]string, len(parts))
		for i, p := range parts {
			s, ok := p.(String)
			if !ok {
				return nil, false
			}
			strs[i] = string(s)
		}
		return String(strings.Join(strs, string(sep))), true
	},
	// sprintf formats strings and integers as OPA's does: a string as a Go
	// string, an integer as an int64. Any other argument (a float, an
	// object) is left to OPA's, which formats those its own way.
	"sprintf": func(a []Value) (Value, bool) {
		format, ok := a[0].(String)
		if !ok {
			return nil, false
		}
		arr, ok := a[1].(*Array)
		if !ok {
			return nil, false
		}
		if out, ok := simpleSprintf(string(format), arr.elems); ok {
			return String(out), true
		}
		args := make([]any, len(arr.elems))
		for i, e := range arr.elems {
			switch v := e.(type) {
			case String:
				args[i] = string(v)
			case Int:
				args[i] = int64(v)
			default:
				return nil, false
			}
		}
		return String(fmt.Sprintf(string(format), args...)), true
	},
}

// union is x with y's keys put in, y's value winning, except that where
// both values are objects they are united in turn, as OPA's object.union
// does.
func union(x, y *Object) *Object {
	out := x.copy()
	for i, k := range y.keys {
		v := y.vals[i]
		if xo, ok := out.Get(k).(*Object); ok {
			if yo, ok := v.(*Object); ok {
				v = union(xo, yo)
			}
		}
		out.Insert(k, v)
	}
	return out
}

// simpleSprintf is fmt.Sprintf for formats of plain %s, %v, %d and %% over
// strings and integers (formatted as Go strings and int64s), the messages
// policies write, at a fraction of fmt's cost: the arguments are read as
// they are, not boxed for fmt one by one, and the result is written once,
// into a buffer of its exact size. Anything else (flags, widths, a verb
// that does not fit its argument, another kind of argument, a missing or
// extra argument) is left to fmt: ok is false. A format known when the plan
// is prepared is split once (compileFormat); this is the same for a format
// made at evaluation, split on each call.
func simpleSprintf(format string, args []Value) (string, bool) {
	f := compileFormat(format)
	if f == nil {
		return "", false
	}
	return f.apply(args)
}
