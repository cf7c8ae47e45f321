package vm

import (
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestNativeBuiltinsAgreeWithOPA calls each of the machine's own builtins
// and OPA's on the same operands, of every kind, and wants the same result
// whenever the machine's answers at all.
func TestNativeBuiltinsAgreeWithOPA(t *testing.T) {
	t.Parallel()
	scalars := []string{`null`, `true`, `false`, `0`, `1`, `1.0`, `-2`, `2.5`, `1e3`, `12345678901234567890`,
		`""`, `"a"`, `"B"`, `"Héllo"`, `"2026-01-02T03:04:05Z"`, `"2026-01-02T03:04:05.5+08:00"`, `"9999-01-01T00:00:00Z"`, `"yesterday"`}
	composites := []string{`[]`, `[1, "a"]`, `["a", "b"]`, `[1.0, 2]`, `{}`, `{"a": 1, "b": [2]}`, `{1: "x"}`,
		`set()`, `{"a", "b"}`, `{1, 2.0}`, `["a", ["b"]]`, `{"real_name": {"status": "verified"}}`,
		`[3, 1, 2.5]`, `{"b": {"x": 1, "y": {"z": 2}}, "a": 1}`, `{"b": {"y": {"w": 3}, "x": "s"}, "c": {}}`, `{"a": {"x": 1}}`,
		`[1, 1.0]`, `[1.0, 1, 0]`, `[2.50, 2.5]`}
	all := append(append([]string{}, scalars...), composites...)
	operands := map[int][][]string{1: {}, 2: {}, 3: {}}
	for _, a := range all {
		operands[1] = append(operands[1], []string{a})
		for _, b := range all {
			operands[2] = append(operands[2], []string{a, b})
		}
	}
	for _, a := range []string{`{"a": 1, "b": [2]}`, `{"real_name": {"status": "verified"}}`, `[1]`, `"s"`} {
		for _, path := range []string{`"a"`, `"b"`, `["b", 0]`, `["real_name", "status"]`, `["real_name", "x"]`, `[]`, `1`} {
			operands[3] = append(operands[3], []string{a, path, `"default"`})
		}
	}
	// sprintf's own shapes: formats with strings, integers and others.
	for _, args := range []string{`["x", 1]`, `[1.5]`, `[{"a": 1}]`, `[12345678901234567890]`, `[]`, `["a"]`} {
		for _, f := range []string{`"%s-%v"`, `"%d"`, `"%v"`, `"%s"`} {
			operands[2] = append(operands[2], []string{f, args})
		}
	}
	for name, fast := range native {
		decl, ok := ast.BuiltinMap[name]
		if !ok {
			t.Fatalf("%s is not an OPA builtin", name)
		}
		opa := topdown.GetBuiltin(name)
		for _, ops := range operands[len(decl.Decl.FuncArgs().Args)] {
			terms := make([]*ast.Term, len(ops))
			vals := make([]Value, len(ops))
			for i, o := range ops {
				terms[i] = ast.MustParseTerm(o)
				v, err := FromAST(terms[i].Value)
				if err != nil {
					t.Fatal(err)
				}
				vals[i] = v
			}
			got, ok := fast(vals)
			if !ok {
				continue
			}
			var want *ast.Term
			err := opa(topdown.BuiltinContext{}, append(terms, ast.VarTerm("out")), func(t *ast.Term) error { want = t; return nil })
			if err != nil {
				t.Errorf("%s%v: the machine answers %v, OPA fails: %v", name, ops, ToAST(got), err)
				continue
			}
			// Equal numbers written apart (1 and 1.0) compare equal; which
			// one a builtin returns shows in the decision, so it must be
			// OPA's.
			if want == nil || ast.Compare(want.Value, ToAST(got)) != 0 || numberText(want.Value) != numberText(ToAST(got)) {
				t.Errorf("%s%v: the machine answers %v, OPA %v", name, ops, ToAST(got), want)
			}
		}
	}
}

// numberText is a number's text, and "" for any other value.
func numberText(v ast.Value) string {
	if n, ok := v.(ast.Number); ok {
		return string(n)
	}
	return ""
}

// Values convert to OPA's and back unchanged, and compare as OPA's do.
func TestValuesCompareAsOPAs(t *testing.T) {
	t.Parallel()
	terms := []string{`null`, `false`, `true`, `-1`, `0`, `1`, `1.0`, `1.5`, `1e3`, `12345678901234567890`, `""`, `"a"`, `"b"`,
		`[]`, `[1]`, `[1, 2]`, `["a"]`, `{}`, `{"a": 1}`, `{"a": 2}`, `{"b": 1}`, `{"a": 1, "b": 1}`, `{1: 1}`,
		`set()`, `{1}`, `{1, 2}`, `{2, 1.0}`, `{1, 3}`, `{"a"}`, `{[1], {"x": set()}}`, `{[1.0], {"x": set()}}`, `[1.0, 2]`, `{"a": 1.0, "b": 1}`}
	var vals []Value
	for _, s := range terms {
		v, err := FromAST(ast.MustParseTerm(s).Value)
		if err != nil {
			t.Fatal(err)
		}
		if back := ToAST(v); ast.Compare(back, ast.MustParseTerm(s).Value) != 0 {
			t.Errorf("%s came back as %v", s, back)
		}
		vals = append(vals, v)
	}
	for i, a := range vals {
		for j, b := range vals {
			want := ast.Compare(ast.MustParseTerm(terms[i]).Value, ast.MustParseTerm(terms[j]).Value)
			if got := Compare(a, b); sign(got) != sign(want) {
				t.Errorf("compare(%s, %s) = %d, OPA says %d", terms[i], terms[j], got, want)
			}
			if equal(a, b) != (want == 0) {
				t.Errorf("equal(%s, %s) = %v, OPA compares them %d", terms[i], terms[j], equal(a, b), want)
			}
			if want == 0 && hash(a) != hash(b) {
				t.Errorf("%s and %s are equal but hash apart", terms[i], terms[j])
			}
		}
	}
}

func sign(i int) int {
	switch {
	case i < 0:
		return -1
	case i > 0:
		return 1
	}
	return 0
}

var sprintfFormats = []string{"", "plain", "%s", "%v", "%d", "%%", "100%", "%s at %s:%v needs %d", "%q", "%5d", "%-s", "a%", "%s %s", "%v%v%v",
	"%v %v %v %v %v %v %v %v %v %v", "%%%s%%", "%s%d%v", "%z", "%"}

func sprintfArgs() [][]Value {
	ten := make([]Value, 10)
	for i := range ten {
		ten[i] = Int(-1 << (6 * i))
	}
	argLists := [][]Value{{}, {String("x")}, {Int(7)}, {String("a"), String("b")}, {String("a"), Int(-3)},
		{Int(1), String("b"), Int(2)}, {String("p"), String("f.js"), Int(12), Int(3)}, {Num("1.5")}, {Bool(true)}, ten}
	return argLists
}

func TestSimpleSprintfIsFmts(t *testing.T) {
	t.Parallel()
	for _, f := range sprintfFormats {
		for _, args := range sprintfArgs() {
			got, ok := simpleSprintf(f, args)
			if !ok {
				continue
			}
			goArgs := make([]any, len(args))
			for i, a := range args {
				switch v := a.(type) {
				case String:
					goArgs[i] = string(v)
				case Int:
					goArgs[i] = int64(v)
				default:
					t.Fatalf("simpleSprintf(%q, %v) formatted a %T", f, args, a)
				}
			}
			if want := fmt.Sprintf(f, goArgs...); got != want {
				t.Errorf("simpleSprintf(%q, %v) = %q, fmt says %q", f, args, got, want)
			}
		}
	}
}

// A set past a few elements finds them by hash; objects whose keys swap
// values hash alike, so this set's index has chains of collisions to walk.
func TestSetsKeepEachElementOnceThroughCollisions(t *testing.T) {
	t.Parallel()
	s := NewSet()
	var want []Value
	for range 2 {
		for i := range 6 {
			for j := range 6 {
				v := NewObject([]Value{String("k"), String("j")}, []Value{Int(i), Int(j)})
				if !s.Contains(v) {
					want = append(want, v)
				}
				s.Add(v)
			}
		}
		s.Add(Int(1))
		s.Add(Num("1.0"))
	}
	want = append(want, Int(1))
	if s.Len() != len(want) {
		t.Fatalf("the set holds %d elements, want %d", s.Len(), len(want))
	}
	for _, v := range want {
		if !s.Contains(v) {
			t.Errorf("the set lost %v", ToAST(v))
		}
	}
	if s.Contains(NewObject([]Value{String("k"), String("j")}, []Value{Int(6), Int(0)})) {
		t.Error("the set holds an object never added")
	}
}
