package vm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
	"github.com/stretchr/testify/require"
)

// The cases cover each kind of IR statement the planner emits: rules
// complete and partial, else chains, functions, comprehensions, negation,
// every, with, iteration over each collection, base and virtual data, and
// dynamic references. Each is evaluated by the plan and by OPA's own
// evaluator, and the two must agree on the result or both fail.
var cases = []struct {
	name, module, data, query string
	inputs                    []string
}{
	{"complete and partial rules", `package t
p := input.a + 1
q contains y if { some y in input.xs; y > 1 }
r[k] := v if { some k, v in input.obj; v != "skip" }
default d := "none"
d := "set" if input.flag
`, `{}`, "data.t", []string{`{"a": 1, "xs": [1, 2, 3], "obj": {"b": "x", "a": "skip", "c": "y"}, "flag": true}`, `{"xs": []}`, `{}`}},
	{"else chains and functions", `package t
grade := "high" if { input.score >= 700 } else := "mid" if { input.score >= 600 } else := "low"
f(x) := y if { y := x * 2; y > 4 } else := 0
g(x, y) := sprintf("%v-%v", [x, y])
out := [f(n) | some n in input.ns]
s := g(input.a, input.b)
`, `{}`, "data.t", []string{`{"score": 720, "ns": [1, 2, 3], "a": "x", "b": 1}`, `{"score": 650, "ns": []}`, `{"score": 1}`, `{}`}},
	{"negation, every and membership", `package t
allowed if { not input.blocked; every r in input.roles { r in {"a", "b"} } }
missing contains q if { some q in data.required; not q in input.held }
has_any if "x" in input.tags
`, `{"required": ["m", "n", "o"]}`, "data.t", []string{`{"roles": ["a", "b"], "held": ["n"], "tags": ["x"]}`, `{"blocked": true, "roles": ["c"]}`, `{"roles": ["c"]}`, `{}`}},
	{"comprehensions of each kind", `package t
arr := [x | some x in input.xs; x != 2]
set := {x | some x in input.xs}
obj := {k: count(v) | some k, v in input.groups}
nested := [[i, j] | some i in input.xs; some j in input.xs; i < j]
by_sev := {s: [f.id | some f in input.findings; f.sev == s] | some s in {"high", "low"}}
`, `{}`, "data.t", []string{`{"xs": [3, 1, 2, 2], "groups": {"a": [1], "b": [1, 2]}, "findings": [{"id": 1, "sev": "high"}, {"id": 2, "sev": "low"}, {"id": 3, "sev": "high"}]}`, `{}`}},
	{"with replaces input and data", `package t
limit := data.cfg.limit
over if input.n > limit
over_with_input if { over with input as {"n": 100} }
over_with_data if { over with data.cfg.limit as 1 }
inner := x if { x := limit with data.cfg.limit as 7 }
after := limit
`, `{"cfg": {"limit": 10, "other": true}}`, "data.t", []string{`{"n": 5}`, `{"n": 50}`}},
	{"base data beside rules and dynamic references", `package t.rules
a := 1
b := input.b
`, `{"t": {"base": {"x": 1}}, "names": ["a", "b", "c"]}`, "data.t", []string{`{"b": 2}`, `{}`}},
	{"dynamic lookup of a rule by name", `package t
rules.a := 1
rules.b := input.b
picked := [v | some n in data.names; v := data.t.rules[n]]
`, `{"names": ["a", "b", "c"]}`, "data.t.picked", []string{`{"b": 2}`, `{}`}},
	{"objects, sets and strings in lookups", `package t
v1 := input.obj[input.key]
v2 := input.arr[input.i]
v3 := {"a", "b"}["a"]
n := count(input.s)
sorted := sort(input.arr)
low := lower(input.s)
`, `{}`, "data.t", []string{`{"obj": {"k": 1}, "key": "k", "arr": [3, 1], "i": 1, "s": "Héllo"}`, `{"arr": [], "i": 5, "s": ""}`, `{}`}},
	{"conflicting complete rule", `package t
p := x if { some x in input.xs }
`, `{}`, "data.t.p", []string{`{"xs": [1]}`, `{"xs": [1, 2]}`, `{"xs": []}`}},
	{"conflicting object keys", `package t
o[k] := v if { some k, v in input.pairs }
o2 := {p[0]: p[1] | some p in input.list}
`, `{}`, "data.t.o", []string{`{"pairs": {"a": 1}}`, `{}`}},
	// Each value the planner copies to a variable's local is written there
	// directly, and sprintf's operands are handed over unbuilt (copies.go);
	// these bind, rebind and reread variables across loops, else chains,
	// negation and with, and format values fmt and OPA format apart, so that
	// a statement rewritten wrongly changes a result.
	{"variables copied across loops, else chains and with", `package t
f(x) := y if { y := x; y > 1 } else := z if { z := x; z < 0 } else := 0
fs := [f(x) | some x in input.xs]
pairs contains [k2, v2] if { some k, v in input.obj; k2 := k; v2 := v; v2 != "skip" }
chain := [a, b, c] if { a := input.a; b := a; c := b; c == a }
last := [w | some v in input.xs; w := v; w > 1; u := w; u < 3]
neg if { x := input.a; not x == 2; y := x; y > 0 }
swapped := [b, a] if { a := input.a; b := count(input.xs); c := a; d := b; c != d }
inner := v if { v := chain with input.a as 7 }
outer := chain
obj := {k: v | some i, x in input.xs; k := sprintf("%d", [i]); v := x}
multi contains x if { some v in input.xs; x := v; x > 1 }
multi contains y if { some v in input.xs; y := v * 10; y < 0 }
multi contains z if { z := input.a; z2 := z; z2 == 1 }
multi contains s if { some v in input.xs; s := sprintf("%v!", [v]); v == 3 }
mixed := sprintf("%v and %v, %s", [input.f, input.a, "s"])
missing := sprintf("%v", [input.nothing])
`, `{}`, "data.t", []string{`{"a": 1, "f": 2.5, "xs": [3, 1, 2, -1], "obj": {"b": "x", "a": "skip", "c": "y"}}`, `{"a": 2, "f": {"o": [1]}, "xs": []}`, `{}`}},
	// walk is OPA's one builtin that yields many results: each must reach
	// the body, not only the first.
	{"walk yields every path and value", `package t
vals := [v | walk(input.obj, [_, v])]
paths := {p | walk(input.obj, [p, _])}
banned if { walk(input, [_, v]); v == "banned" }
pairs := [x | walk(input.obj, x)]
any_walk if walk(input.obj)
`, `{}`, "data.t", []string{`{"obj": {"a": 2}}`, `{"obj": {"a": [1, {"b": "banned"}], "c": set()}, "x": "banned"}`, `{"obj": []}`, `{}`}},
	{"max keeps OPA's one of equal maxima", `package t
m := max(input.xs)
n := min(input.xs)
`, `{}`, "data.t", []string{`{"xs": [1, 1.0]}`, `{"xs": [2.0, 2]}`}},
	// The builtins policies call beside the ones above, each on operands
	// that work and on ones that fail (proven.go lists them all).
	{"arithmetic, string, object and array builtins", `package t
arith := [input.a - input.b, input.a / input.b, input.a % input.b, abs(input.b), round(input.f), ceil(input.f), floor(input.f), sum(input.xs), product(input.xs)]
strs := [upper(input.s), trim_space(input.s), split(input.s, ","), replace(input.s, ",", ";"), substring(input.s, 1, 2), trim(input.s, " ,"), format_int(input.a, 16), to_number(input.n)]
tests := [contains(input.s, ","), startswith(input.s, "a"), endswith(input.s, "b"), is_number(input.a), is_string(input.s), is_array(input.xs), is_object(input.o), is_boolean(input.t), is_null(input.z), is_set(input.xs), input.a <= input.b, input.a == input.b]
objs := [object.get(input.o, "k", 0), object.get(input.o, ["p", "q"], "none"), object.keys(input.o), object.union(input.o, {"k": 9}), object.remove(input.o, ["k"]), object.filter(input.o, ["k"])]
arrs := [array.concat(input.xs, [9]), array.slice(input.xs, 1, 2), array.reverse(input.xs), concat("-", input.ss), count(input.xs), sort(input.xs), {1} | {2}, {input.a, 2} & {2}, {input.a, 2} - {2}]
`, `{}`, "data.t", []string{
		`{"a": 7, "b": 2, "f": 2.5, "xs": [3, 1, 2], "s": " a,b ", "n": "12", "o": {"k": 1, "p": {"q": "r"}}, "t": true, "z": null, "ss": ["x", "y"]}`,
		`{"a": 7, "b": 0, "f": 2.5, "xs": [3, 1, 2], "s": "ab", "n": "12", "o": {}, "t": true, "z": null, "ss": ["x"]}`,
		`{"a": 7, "b": 2, "f": 2.5, "xs": [3, 1, 2], "s": "ab", "n": "twelve", "o": {}, "t": true, "z": null, "ss": []}`,
		`{"a": 7.5, "b": 2, "f": -0.5, "xs": [], "s": "", "n": "1e400", "o": {}, "t": 1, "z": 0, "ss": [1]}`,
	}},
	// The builtins that could reach a host or a file, on schemas and keys
	// that stay local (the engine's tests run them with remote ones).
	{"schema and token builtins", `package t
matched := json.match_schema(input.doc, {"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}})
verified := json.verify_schema(input.schema)
rs := io.jwt.verify_rs256(input.token, input.cert)
`, `{}`, "data.t", []string{
		`{"doc": {"a": "x"}, "schema": {"type": "string"}, "token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "cert": "{\"keys\": []}"}`,
		`{"doc": {"a": 1}, "schema": {"type": 5}, "token": "not a token", "cert": "x"}`,
		`{"doc": "text", "schema": "{", "token": 1, "cert": 2}`,
	}},
	{"builtin errors are errors", `package t
t := time.parse_rfc3339_ns(input.when)
`, `{}`, "data.t.t", []string{`{"when": "2026-01-01T00:00:00Z"}`, `{"when": "yesterday"}`, `{"when": 5}`}},
}

func TestPlanAgreesWithOPA(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			prog, topdownEval := build(t, c.module, c.data, c.query)
			for _, raw := range c.inputs {
				input := ast.MustParseTerm(raw).Value
				want, wantErr := topdownEval(input)
				got, gotErr := evalValue(prog, input)
				if (wantErr != nil) != (gotErr != nil) {
					t.Fatalf("input %s: OPA says %v (err %v), the plan %v (err %v)", raw, want, wantErr, got, gotErr)
				}
				if wantErr != nil {
					continue
				}
				if (want == nil) != (got == nil) || (want != nil && ast.Compare(want, got) != 0) {
					t.Errorf("input %s:\nOPA  %v\nplan %v", raw, want, got)
				}
			}
		})
	}
}

// build compiles module for both evaluators: the plan, and a function
// that asks OPA's evaluator (strict builtin errors, as the engine runs it).
func build(t testing.TB, module, data, query string) (*Program, func(ast.Value) (ast.Value, error)) {
	t.Helper()
	mods := map[string]string{"p.rego": module}
	compile := func() *ast.Compiler {
		c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
		parsed := map[string]*ast.Module{}
		for name, src := range mods {
			m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			parsed[name] = m
		}
		if c.Compile(parsed); c.Failed() {
			t.Fatal(c.Errors)
		}
		return c
	}
	var doc map[string]any
	if err := util.UnmarshalJSON([]byte(data), &doc); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pq, err := rego.New(rego.Query(query), rego.Compiler(compile()), rego.Store(inmem.NewFromObject(doc)),
		rego.StrictBuiltinErrors(true),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Plan(ctx, query, compile())
	if err != nil {
		t.Fatal(err)
	}
	dataValue, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := New(plan, "eval", dataValue, ast.CapabilitiesForThisVersion())
	if err != nil {
		t.Fatal(err)
	}
	return prog, func(input ast.Value) (ast.Value, error) {
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
		if err != nil || len(rs) == 0 {
			return nil, err
		}
		return rs[0].Expressions[0].Value.(ast.Value), nil
	}
}

// evalValue is the plan's single result, or nil when the query is undefined.
func evalValue(p *Program, input ast.Value) (ast.Value, error) {
	in, err := FromAST(input)
	if err != nil {
		return nil, err
	}
	rs, err := p.Eval(context.Background(), in, nil)
	if err != nil {
		return nil, err
	}
	v, err := Single(rs)
	if err != nil || v == nil {
		return nil, err
	}
	return ToAST(v), nil
}

func TestCancelStopsALongEvaluation(t *testing.T) {
	t.Parallel()
	prog, _ := build(t, `package t
n := count([1 | some a in input.xs; some b in input.xs; some c in input.xs; a+b+c > 0])
`, `{}`, "data.t.n")
	xs := make([]string, 400)
	for i := range xs {
		xs[i] = fmt.Sprint(i + 1)
	}
	input := ast.MustParseTerm(`{"xs": [` + strings.Join(xs, ",") + `]}`).Value
	cancel := topdown.NewCancel()
	time.AfterFunc(50*time.Millisecond, cancel.Cancel)
	in, err := FromAST(input)
	if err != nil {
		t.Fatal(err)
	}
	_, err = prog.Eval(context.Background(), in, cancel)
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("a cancelled evaluation of 64 million steps ended with %v, want ErrCancelled", err)
	}
}

// Concurrent evaluations share the data document and give the same results
// as one alone. (The race detector cannot tell here whether they only read
// the document: the machines' pool orders one evaluation after another for
// it. TestDataIsFrozen checks that instead.)
func TestProgramIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	var keys []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf(`"k%02d": %d`, 19-i, i))
	}
	prog, topdownEval := build(t, `package t
pairs := [[k, v] | some k, v in data.big]
picked := data.big[input.key]
`, `{"big": {`+strings.Join(keys, ", ")+`}}`, "data.t")
	input := ast.MustParseTerm(`{"key": "k07"}`).Value
	want, err := topdownEval(input)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 100 {
				got, err := evalValue(prog, input)
				if err != nil || ast.Compare(got, want) != 0 {
					errs <- fmt.Errorf("got %v, %v, want %v", got, err, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Evaluations share the data document, so New builds every index and order
// that reading it would otherwise build on first use, and an evaluation
// writes nothing to it.
func TestDataIsFrozen(t *testing.T) {
	t.Parallel()
	var keys []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf(`"k%02d": {"n": [%d, {"x": 1}]}`, 19-i, i))
	}
	prog, _ := build(t, `package t
pairs := [[k, v] | some k, v in data.big]
picked := data.big[input.key]
`, `{"big": {`+strings.Join(keys, ", ")+`}, "small": {"b": 1, "a": 2}}`, "data.t")
	var check func(v Value)
	check = func(v Value) {
		switch x := v.(type) {
		case *Array:
			for _, e := range x.elems {
				check(e)
			}
		case *Object:
			if x.sorted == nil || x.byHash == nil {
				t.Errorf("object of %d keys has no order or index built", x.Len())
			}
			for i := range x.keys {
				check(x.keys[i])
				check(x.vals[i])
			}
		}
	}
	check(prog.data)
}

// An evaluation's values do not keep another's alive: the machine takes
// its objects and arrays from chunks, and a chunk shared between
// evaluations would chain each to the one before it, so that the heap grew
// with every evaluation.
func TestEvaluationsDoNotKeepEachOtherAlive(t *testing.T) {
	prog, _ := build(t, `package t
out := [{"x": x, "pair": [x, x]} | some x in input.xs]
`, `{}`, "data.t.out")
	xs := make([]string, 50)
	for i := range xs {
		xs[i] = fmt.Sprint(i)
	}
	in, err := FromAST(ast.MustParseTerm(`{"xs": [` + strings.Join(xs, ",") + `]}`).Value)
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var s runtime.MemStats
		runtime.ReadMemStats(&s)
		return s.HeapAlloc
	}
	eval := func(n int) {
		for range n {
			if _, err := prog.Eval(context.Background(), in, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	eval(100)
	before := heap()
	// Each evaluation makes some 10 KB; chained, these would stay.
	eval(3000)
	if after := heap(); after > before+4<<20 {
		t.Errorf("the heap grew from %d to %d bytes over 3000 evaluations", before, after)
	}
}

// EvalThen builds each evaluation in the memory of the one before, once
// its results are used: results of inputs of every size, one after another
// on one program, must be what OPA's evaluator says.
func TestEvalThenReusesMemoryOnlyAfterUse(t *testing.T) {
	prog, topdownEval := build(t, `package t
list := [{"x": x, "pair": [x, sprintf("%v", [x])]} | some x in input.xs]
byKey := {sprintf("k%v", [x]): x | some x in input.xs}
`, `{}`, "data.t")
	for _, n := range []int{10, 3, 40, 0, 40, 7} {
		xs := make([]string, n)
		for i := range xs {
			xs[i] = fmt.Sprint(i * n)
		}
		input := ast.MustParseTerm(`{"xs": [` + strings.Join(xs, ",") + `]}`).Value
		want, err := topdownEval(input)
		if err != nil {
			t.Fatal(err)
		}
		in, err := FromAST(input)
		if err != nil {
			t.Fatal(err)
		}
		err = prog.EvalThen(context.Background(), in, nil, func(rs *Set) error {
			got, err := Single(rs)
			if err != nil {
				return err
			}
			if ast.Compare(ToAST(got), want) != 0 {
				t.Errorf("%d elements: the plan says %v, OPA %v", n, ToAST(got), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Every builtin proven lists is called by a plan of the differential cases,
// so that the list cannot claim more than the tests try.
func TestProvenBuiltinsAreCovered(t *testing.T) {
	t.Parallel()
	called := map[string]bool{}
	for _, c := range cases {
		prog, _ := build(t, c.module, c.data, c.query)
		for _, name := range prog.Builtins() {
			called[name] = true
		}
	}
	for name := range proven {
		if !called[name] {
			t.Errorf("%s is listed as proven, but no case of TestPlanAgreesWithOPA calls it", name)
		}
	}
	for name := range native {
		if !Proven(name) {
			t.Errorf("the machine has its own %s, which is not listed as proven", name)
		}
	}
}

// The machine hands its builtins the capabilities it was built with, as
// OPA's evaluator hands them the compiler's: with allow_net empty, a
// schema's remote $ref is refused, not fetched, in both.
func TestBuiltinsGetTheCapabilities(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"type": "string"}`))
	}))
	defer srv.Close()
	caps := ast.CapabilitiesForThisVersion()
	caps.AllowNet = []string{}
	module := `package t
m := json.match_schema({}, {"$ref": "` + srv.URL + `/s.json"})`
	parsed, err := ast.ParseModuleWithOpts("p.rego", module, ast.ParserOptions{RegoVersion: ast.RegoV1})
	require.NoError(t, err)
	compile := func() *ast.Compiler {
		c := ast.NewCompiler().WithCapabilities(caps).WithDefaultRegoVersion(ast.RegoV1)
		c.Compile(map[string]*ast.Module{"p.rego": parsed.Copy()})
		require.False(t, c.Failed(), "%v", c.Errors)
		return c
	}
	ctx := context.Background()
	plan, err := Plan(ctx, "data.t.m", compile())
	require.NoError(t, err)
	prog, err := New(plan, "eval", ast.NewObject(), caps)
	require.NoError(t, err)
	_, planErr := prog.Eval(ctx, NewObject(nil, nil), nil)
	_, opaErr := rego.New(rego.Query("data.t.m"), rego.Compiler(compile()), rego.Capabilities(caps), rego.StrictBuiltinErrors(true)).Eval(ctx)
	require.ErrorContains(t, opaErr, "remote reference loading disabled")
	require.ErrorContains(t, planErr, "remote reference loading disabled")
	require.Zero(t, hits.Load())

	_, err = New(plan, "eval", ast.NewObject(), nil)
	require.ErrorContains(t, err, "no capabilities")
}
