package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// FuzzPlanAgreesWithOPA generates Rego modules and inputs from the
// fuzzer's bytes, from a grammar of what compliance writes in a bundle
// (complete, partial set and partial object rules, defaults, else, functions,
// comprehensions, some ... in, every, not, membership, arithmetic on small
// and big numbers, and string, number, object and array builtins, runtime
// errors included), and requires the plan machine to answer as OPA's
// evaluator does: the same value, or both an error.
//
// Left out of the grammar: walk and max/min of equal numbers of different
// forms, which are known divergences being fixed in the machine itself.
// An error of the plan machine where OPA's evaluator answers is accepted
// (planErrorsFallBack): the engine evaluates again with OPA's evaluator
// when the plan machine errors, so the decision is OPA's either way. The
// other way round, or two different answers, is a failure.
func FuzzPlanAgreesWithOPA(f *testing.F) {
	for _, seed := range []string{
		"", "\x00\x01\x02\x03", "\x05\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0",
		"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6", "\x03\x07\x0b\x0f\x13\x17\x1b\x1f\x23\x27\x2b\x2f\x33",
		strings.Repeat("\x11\x42\x83", 20), strings.Repeat("\x01\x09", 40),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g := &gen{b: b}
		module, input := g.module(), g.input()
		prog, opa, ok := buildFuzz(module)
		if !ok {
			return // the generated module does not compile: nothing to compare
		}
		in := ast.MustParseTerm(input).Value
		want, wantErr := opa(in)
		got, gotErr := evalFuzz(prog, in)
		if errors.Is(wantErr, context.DeadlineExceeded) || errors.Is(gotErr, context.DeadlineExceeded) {
			return
		}
		switch {
		case wantErr != nil && gotErr != nil:
		case gotErr != nil && planErrorsFallBack:
		case (wantErr != nil) != (gotErr != nil):
			t.Fatalf("module:\n%s\ninput: %s\nOPA:  %v (error %v)\nplan: %v (error %v)", module, input, want, wantErr, got, gotErr)
		case (want == nil) != (got == nil) || (want != nil && ast.Compare(want, got) != 0):
			t.Fatalf("module:\n%s\ninput: %s\nOPA:  %v\nplan: %v", module, input, want, got)
		}
	})
}

// planErrorsFallBack accepts an error of the plan machine where OPA's
// evaluator answers: the engine falls back to OPA's evaluator then.
const planErrorsFallBack = true

// buildFuzz compiles module for both evaluators, as build does, and says
// whether it compiled.
func buildFuzz(module string) (*Program, func(ast.Value) (ast.Value, error), bool) {
	compile := func() *ast.Compiler {
		m, err := ast.ParseModuleWithOpts("p.rego", module, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil
		}
		c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
		if c.Compile(map[string]*ast.Module{"p.rego": m}); c.Failed() {
			return nil
		}
		return c
	}
	c := compile()
	if c == nil {
		return nil, nil, false
	}
	ctx := context.Background()
	pq, err := rego.New(rego.Query("data.t"), rego.Compiler(c), rego.Store(inmem.New()),
		rego.StrictBuiltinErrors(true),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, nil, false
	}
	plan, err := Plan(ctx, "data.t", compile())
	if err != nil {
		return nil, nil, false
	}
	prog, err := New(plan, "eval", ast.NewObject(), ast.CapabilitiesForThisVersion())
	if err != nil {
		return nil, nil, false
	}
	return prog, func(input ast.Value) (ast.Value, error) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
		if err != nil || len(rs) == 0 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		return rs[0].Expressions[0].Value.(ast.Value), nil
	}, true
}

func evalFuzz(p *Program, input ast.Value) (ast.Value, error) {
	in, err := FromAST(input)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rs, err := p.Eval(ctx, in, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	v, err := Single(rs)
	if err != nil || v == nil {
		return nil, err
	}
	return ToAST(v), nil
}

// gen turns bytes into Rego: each choice takes the next byte, and when the
// bytes run out every choice is the first, so that any input ends.
type gen struct {
	b     []byte
	i     int
	depth int
	funcs int
	// vars are the variables bound so far in the body being written.
	vars []string
	next int
}

func (g *gen) pick(n int) int {
	if g.i >= len(g.b) {
		return 0
	}
	c := int(g.b[g.i])
	g.i++
	return c % n
}

func (g *gen) of(xs ...string) string { return xs[g.pick(len(xs))] }

func (g *gen) fresh() string {
	g.next++
	return fmt.Sprintf("v%d", g.next)
}

func (g *gen) module() string {
	var sb strings.Builder
	sb.WriteString("package t\n\n")
	// Functions first, so that rules may call them.
	for i := range g.pick(3) {
		g.vars = []string{"x"}
		fmt.Fprintf(&sb, "f%d(x) := %s if {\n%s}", i, g.expr(), g.body())
		if g.pick(2) == 0 {
			fmt.Fprintf(&sb, " else := %s", g.scalar())
		}
		sb.WriteString("\n\n")
		g.funcs = i + 1
	}
	for i := range 1 + g.pick(4) {
		g.vars = nil
		name := fmt.Sprintf("r%d", i)
		switch g.pick(4) {
		case 0: // complete, maybe with a default and an else
			body := g.body()
			value := g.expr()
			if g.pick(2) == 0 {
				fmt.Fprintf(&sb, "default %s := %s\n", name, g.scalar())
			}
			fmt.Fprintf(&sb, "%s := %s if {\n%s}", name, value, body)
			if g.pick(2) == 0 {
				g.vars = nil
				fmt.Fprintf(&sb, " else := %s if {\n%s}", g.scalar(), g.body())
			}
			sb.WriteString("\n\n")
		case 1: // partial set, one or two bodies
			for range 1 + g.pick(2) {
				g.vars = nil
				body := g.body()
				fmt.Fprintf(&sb, "%s contains %s if {\n%s}\n\n", name, g.expr(), body)
			}
		case 2: // partial object; keys are strings, so two bodies rarely conflict
			body := g.body()
			fmt.Fprintf(&sb, "%s[%s] := %s if {\n%s}\n\n", name, g.keyExpr(), g.expr(), body)
		default: // a boolean rule
			fmt.Fprintf(&sb, "%s if {\n%s}\n\n", name, g.body())
		}
	}
	return sb.String()
}

func (g *gen) body() string {
	var sb strings.Builder
	for range 1 + g.pick(3) {
		sb.WriteString("\t" + g.literal() + "\n")
	}
	return sb.String()
}

func (g *gen) literal() string {
	switch g.pick(10) {
	case 0:
		v := g.fresh()
		l := fmt.Sprintf("some %s in %s", v, g.collection())
		g.vars = append(g.vars, v)
		return l
	case 1:
		k, v := g.fresh(), g.fresh()
		l := fmt.Sprintf("some %s, %s in %s", k, v, g.collection())
		g.vars = append(g.vars, k, v)
		return l
	case 2:
		v := g.fresh()
		l := fmt.Sprintf("%s := %s", v, g.expr())
		g.vars = append(g.vars, v)
		return l
	case 3:
		return "not " + g.compare()
	case 4:
		v := g.fresh()
		saved := g.vars
		g.vars = append(g.vars[:len(g.vars):len(g.vars)], v)
		l := fmt.Sprintf("every %s in %s { %s }", v, g.collection(), g.compare())
		g.vars = saved
		return l
	case 5:
		return fmt.Sprintf("%s in %s", g.expr(), g.collection())
	case 6:
		return g.of("input.flag", "not input.flag", "not input.missing")
	default:
		return g.compare()
	}
}

func (g *gen) keyExpr() string { return g.str() }

func (g *gen) scalar() string {
	return g.of("0", "1", "-3", "2.5", "0.1", "1e3", "12345678901234567890123456789", "-0", `"x"`, `""`, `"ABC def"`,
		"true", "false", "null", "[]", "{}", `[1, "a"]`, `{"k": 1}`)
}

// The expressions are typed, so that most generated modules pass OPA's
// type checker: numbers, strings, collections, or anything. Input, and the
// variables bound from it, are untyped and fit everywhere.

func (g *gen) deep() bool { return g.depth > 2 }

func (g *gen) enter() func() {
	g.depth++
	return func() { g.depth-- }
}

func (g *gen) variable(otherwise string) string {
	if len(g.vars) > 0 && g.pick(2) == 0 {
		return g.vars[g.pick(len(g.vars))]
	}
	return otherwise
}

func (g *gen) num() string {
	leaf := g.of("0", "1", "-3", "2.5", "0.1", "1e3", "12345678901234567890123456789", "-0", "input.a", "input.n",
		"input.z", "input.big", "input.xs[0]", "input.obj.a")
	if g.deep() {
		return g.variable(leaf)
	}
	defer g.enter()()
	switch g.pick(8) {
	case 0, 1:
		return g.variable(leaf)
	case 2, 3:
		return fmt.Sprintf("(%s %s %s)", g.num(), g.of("+", "-", "*", "/", "%"), g.num())
	case 4:
		return fmt.Sprintf("count(%s)", g.coll())
	case 5:
		return fmt.Sprintf("%s(%s)", g.of("sum", "product"), g.of("input.xs", "[1, 2.5, -3]", "[]", "input.nested[0]"))
	case 6:
		return fmt.Sprintf("%s(%s)", g.of("abs", "round", "ceil", "floor"), g.num())
	default:
		if g.funcs > 0 {
			return fmt.Sprintf("f%d(%s)", g.pick(g.funcs), g.anyExpr())
		}
		return fmt.Sprintf("to_number(%s)", g.of(`"12"`, `"1.5"`, `"x"`, "input.s", "input.a"))
	}
}

func (g *gen) str() string {
	leaf := g.of(`"x"`, `""`, `"ABC def"`, `"a,b"`, "input.s", "input.words[0]", "input.obj.b")
	if g.deep() {
		return g.variable(leaf)
	}
	defer g.enter()()
	switch g.pick(10) {
	case 0, 1:
		return g.variable(leaf)
	case 2:
		return fmt.Sprintf("concat(%s, %s)", g.of(`","`, `""`), g.of("input.words", `["a", "b"]`, "[]", `split(input.s, ",")`))
	case 3:
		return fmt.Sprintf(`sprintf(%s, [%s])`, g.of(`"%v"`, `"%d"`, `"%s"`, `"%.2f"`, `"%x"`), g.anyExpr())
	case 4:
		return fmt.Sprintf("%s(%s)", g.of("upper", "lower", "trim_space", "strings.reverse"), g.str())
	case 5:
		return fmt.Sprintf("substring(%s, %s, %s)", g.str(), g.of("0", "1", "-1", "input.n"), g.of("2", "-1", "0", "100"))
	case 6:
		return fmt.Sprintf("replace(%s, %s, %s)", g.str(), g.of(`"a"`, `""`), g.of(`"b"`, `""`))
	case 7:
		return fmt.Sprintf("format_int(%s, %s)", g.num(), g.of("10", "16", "2"))
	case 8:
		return fmt.Sprintf("%s(%s)", g.of("json.marshal", "type_name"), g.anyExpr())
	default:
		return fmt.Sprintf("trim(%s, %s)", g.str(), g.of(`" "`, `"a"`))
	}
}

func (g *gen) coll() string {
	leaf := g.of("input.xs", "input.obj", "input.words", "input.nested", "[1, 2, 3]", `{"a": 1, "b": "x"}`, `{1, "a", 2.5}`, "[]")
	if g.deep() {
		return leaf
	}
	defer g.enter()()
	switch g.pick(12) {
	case 0, 1, 2:
		return leaf
	case 3, 4:
		return g.comprehension()
	case 5:
		return fmt.Sprintf("object.%s", g.of("keys(input.obj)", `union(input.obj, {"a": 2})`, `remove(input.obj, ["a"])`,
			`get(input.obj, "b", [])`))
	case 6:
		return fmt.Sprintf("array.concat(%s, %s)", g.of("input.xs", "[1]"), g.of("input.words", "[]"))
	case 7:
		return fmt.Sprintf("array.slice(%s, %s, %s)", g.of("input.xs", "[1, 2, 3]"), g.of("0", "1", "-1", "input.n"), g.of("2", "0", "10"))
	case 8:
		return fmt.Sprintf("sort(%s)", g.of("input.xs", "input.words", `[3, 1, "a"]`))
	case 9:
		return fmt.Sprintf("split(%s, %s)", g.str(), g.of(`","`, `""`, `" "`))
	case 10:
		return fmt.Sprintf("%s(%s, %s)", g.of("union", "intersection"), g.of(`{1, 2}`, `{"a"}`), g.of(`{2, 3}`, "{x | some x in input.xs}"))
	default:
		return fmt.Sprintf("array.reverse(%s)", g.of("input.xs", "[1, 2]"))
	}
}

func (g *gen) anyExpr() string {
	switch g.pick(6) {
	case 0:
		return g.num()
	case 1:
		return g.str()
	case 2:
		return g.coll()
	case 3:
		return g.variable(g.scalar())
	case 4:
		if g.deep() {
			return g.scalar()
		}
		defer g.enter()()
		return fmt.Sprintf(`{"k": %s, %s: %s}`, g.anyExpr(), g.of(`"j"`, "input.s", "1"), g.anyExpr())
	default:
		return g.of("input.missing", "input.flag", "input.nested[1]", "input.obj[input.s]", "input.words[_]",
			`regex.match("^a", input.s)`, `contains(input.s, "a")`, `startswith(input.s, "A")`, "is_number(input.a)")
	}
}

func (g *gen) expr() string { return g.anyExpr() }

func (g *gen) compare() string {
	switch g.pick(3) {
	case 0:
		return fmt.Sprintf("%s %s %s", g.num(), g.of("==", "!=", "<", "<=", ">", ">="), g.num())
	case 1:
		return fmt.Sprintf("%s %s %s", g.str(), g.of("==", "!=", "<", ">="), g.str())
	default:
		return fmt.Sprintf("%s %s %s", g.anyExpr(), g.of("==", "!="), g.anyExpr())
	}
}

func (g *gen) collection() string { return g.coll() }

func (g *gen) comprehension() string {
	saved := g.vars
	defer func() { g.vars = saved }()
	k, v := g.fresh(), g.fresh()
	src := g.coll()
	g.vars = append(g.vars[:len(g.vars):len(g.vars)], k, v)
	cond := ""
	if g.pick(2) == 0 {
		cond = "; " + g.compare()
	}
	switch g.pick(3) {
	case 0:
		return fmt.Sprintf("[%s | some %s, %s in %s%s]", g.anyExpr(), k, v, src, cond)
	case 1:
		return fmt.Sprintf("{%s | some %s, %s in %s%s}", g.anyExpr(), k, v, src, cond)
	default:
		return fmt.Sprintf("{sprintf(\"%%v\", [%s]): %s | some %s, %s in %s%s}", k, g.anyExpr(), k, v, src, cond)
	}
}

// input makes the document the module reads: numbers small, fractional and
// beyond float64, a zero to divide by, strings, and nested collections.
// Its objects never repeat a key: OPA's parser keeps both entries of a
// repeated key, its evaluator reads the last and the plan machine the first,
// and no decision input can have one (they are encoded from Go structs).
func (g *gen) input() string {
	num := func() string {
		return g.of("0", "1", "2", "-7", "3.5", "0.1", "1e308", "123456789012345678901234567890", "-0.0", "1.0")
	}
	str := func() string { return g.of(`"a"`, `"b"`, `"A b,c"`, `""`, `"1"`, `"x,y"`, `"banned"`, `"ünï"`) }
	elem := func() string {
		if g.pick(3) == 0 {
			return str()
		}
		return num()
	}
	list := func(f func() string) string {
		var xs []string
		for range g.pick(5) {
			xs = append(xs, f())
		}
		return "[" + strings.Join(xs, ", ") + "]"
	}
	return fmt.Sprintf(`{"a": %s, "n": %s, "z": %s, "big": %s, "s": %s, "flag": %s, "xs": %s, "words": %s, "obj": {"a": %s, "b": %s, %s: %s}, "nested": [%s, {"k": %s}]}`,
		num(), num(), g.of("0", "1", "0.0"), g.of("1e400", "123456789012345678901234567890", "9007199254740993"), str(),
		g.of("true", "false"), list(elem), list(str), elem(), elem(), g.of(`"c"`, `"A b,c"`, `""`), elem(), list(num), elem())
}
