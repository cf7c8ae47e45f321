package scan

import (
	"math"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// The token stream a code fingerprint is cut from: the syntax tree written
// out depth first, parents before children, one token per node, in a form
// that the usual ways of disguising copied code do not change.
//
//   - Names the code binds (variables, parameters, functions) become one
//     placeholder, so renaming and a minifier's short names change nothing.
//     Property names, object keys and the platform's globals (wx, Page,
//     Component, getApp...) keep their text: a minifier cannot rename them,
//     and they are most of what tells two programs apart.
//   - Layout, comments, braces, semicolons and statement boundaries leave no
//     token, so reformatting and one-statement blocks written without braces
//     are the same; var, let and const are one kind of binding, declared
//     together or one by one.
//   - A minifier's rewrites read as what they stand for: a["b"] as a.b, !0
//     and !1 as true and false, void 0 as undefined, a comma sequence as its
//     parts, "a && b()" as a statement as "if (a) b()", a conditional
//     expression as an if, an arrow function as a function and its
//     expression body as a return, a method as a function-valued key.
//   - The "use strict" directive a build adds leaves no token.
//   - String literals keep their text up to fingerStringText bytes (event
//     names, keys, enum values) and only their role beyond (messages shown
//     to users, URLs), which a copier rewrites cheaply. Numbers keep their
//     value, not their spelling.

// fingerStringText is the longest string literal whose text is part of the
// token stream; longer ones count as "a string". Measured on the real
// component libraries (docs/linking.md): keeping short strings keeps
// unrelated components apart without letting rewritten messages hide a
// copy.
const fingerStringText = 24

// fingerGlobals are names that keep their text: the platforms' objects and
// constructors and the language's own globals. A minifier never renames
// them, and a local variable of the same name is rare.
var fingerGlobals = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{
		"wx", "my", "swan", "tt", "qq", "Page", "Component", "App", "Behavior", "getApp",
		"getCurrentPages", "require", "module", "exports", "requirePlugin", "console", "Math",
		"JSON", "Object", "Array", "String", "Number", "Boolean", "Promise", "Date", "RegExp",
		"Error", "TypeError", "Symbol", "Map", "Set", "WeakMap", "parseInt", "parseFloat",
		"isNaN", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "encodeURIComponent",
		"decodeURIComponent", "arguments", "undefined", "NaN", "Infinity",
	} {
		m[n] = true
	}
	return m
}()

// fnv64 is FNV-1a over a tag byte and text: small, fixed for all time and
// fast on the short strings tokens are.
func fnv64(tag byte, s string) uint64 {
	h := uint64(14695981039346656037)
	h ^= uint64(tag)
	h *= 1099511628211
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Token tags keep, say, the key "if" apart from the keyword.
const (
	tagKeyword = 'k'
	tagName    = 'n' // a global's name
	tagProp    = 'p' // a property name or object key
	tagString  = 's'
	tagNumber  = 'd'
	tagRegexp  = 'r'
	tagAssign  = '='
	tagPostfix = 'x'
)

// tokenEmitter writes one script's syntax tree as tokens.
type tokenEmitter struct {
	toks []uint64
	// skip holds nodes already written by their parent (a bracket's string
	// member, a key, the 0 of !0), which the walk reaches after it.
	skip map[ast.Node]bool
	// stmtLogic is the && or || expression that is a whole statement, read
	// as an if.
	stmtLogic ast.Node
	// bounds are the indexes in toks where a statement starts: shingles
	// do not cross them (shingles).
	bounds []int
	// ends are where the statements the walk is inside end in the source,
	// innermost last: the tokens after a statement, back in the one
	// around it, start a run of their own too.
	ends []int
	// units are expressions that stand for statements (the parts of a
	// comma sequence, the branches of "a && b()" or "c ? x() : y()" as a
	// statement), so they start a statement as what they stand for does.
	units map[ast.Node]bool
}

func (t *tokenEmitter) kw(s string)   { t.toks = append(t.toks, fnv64(tagKeyword, s)) }
func (t *tokenEmitter) prop(s string) { t.toks = append(t.toks, fnv64(tagProp, s)) }

func (t *tokenEmitter) str(s string) {
	if len(s) > fingerStringText {
		t.kw("string")
		return
	}
	t.toks = append(t.toks, fnv64(tagString, s))
}

// emit writes prog's tokens after those already held.
func (t *tokenEmitter) emit(prog *ast.Program) {
	if t.skip == nil {
		t.skip, t.units = map[ast.Node]bool{}, map[ast.Node]bool{}
	}
	clear(t.skip)
	clear(t.units)
	t.bounds = t.bounds[:0]
	t.ends = t.ends[:0]
	t.stmtLogic = nil
	walkJS(prog, t.visit)
}

// propKey writes a non-computed key and marks it written; a computed key is
// left to the walk.
func (t *tokenEmitter) propKey(key ast.Expression, computed bool) {
	if computed {
		t.kw("[key]")
		return
	}
	switch k := key.(type) {
	case *ast.StringLiteral:
		t.prop(k.Value.String())
	case *ast.Identifier:
		t.prop(k.Name.String())
	case *ast.NumberLiteral:
		t.prop(k.Literal)
	default:
		return
	}
	t.skip[key] = true
}

//nolint:gocyclo // one case per node type reads better than any split
func (t *tokenEmitter) visit(n ast.Node) {
	left := false
	for len(t.ends) > 0 && int(n.Idx0()) >= t.ends[len(t.ends)-1] {
		t.ends = t.ends[:len(t.ends)-1]
		left = true
	}
	if t.skip[n] {
		if left {
			t.bounds = append(t.bounds, len(t.toks))
		}
		return
	}
	if t.startsStatement(n) {
		t.bounds = append(t.bounds, len(t.toks))
		t.ends = append(t.ends, int(n.Idx1()))
	} else if left {
		t.bounds = append(t.bounds, len(t.toks))
	}
	switch n := n.(type) {
	case *ast.Identifier:
		if name := n.Name.String(); fingerGlobals[name] {
			t.toks = append(t.toks, fnv64(tagName, name))
		} else {
			t.kw("id")
		}
	case *ast.PrivateIdentifier:
		t.kw("id")
	case *ast.ThisExpression:
		t.kw("this")
	case *ast.SuperExpression:
		t.kw("super")
	case *ast.NullLiteral:
		t.kw("null")
	case *ast.BooleanLiteral:
		t.kw(n.Literal)
	case *ast.StringLiteral:
		t.str(n.Value.String())
	case *ast.NumberLiteral:
		t.number(n)
	case *ast.RegExpLiteral:
		t.toks = append(t.toks, fnv64(tagRegexp, n.Pattern+"/"+n.Flags))
	case *ast.TemplateLiteral:
		if n.Tag != nil {
			t.kw("tagged")
		}
		t.kw("template")
		for _, el := range n.Elements {
			t.str(el.Parsed.String())
		}
	case *ast.DotExpression:
		t.kw(".")
		t.prop(n.Identifier.Name.String())
	case *ast.PrivateDotExpression:
		t.kw(".")
		t.kw("#")
	case *ast.BracketExpression:
		t.kw(".")
		if s, ok := n.Member.(*ast.StringLiteral); ok {
			t.prop(s.Value.String())
			t.skip[s] = true
		} else {
			t.kw("[]")
		}
	case *ast.CallExpression:
		t.kw("call")
	case *ast.NewExpression:
		t.kw("new")
	case *ast.OptionalChain, *ast.Optional:
		t.kw("?.")
	case *ast.FunctionLiteral, *ast.ArrowFunctionLiteral:
		t.kw("function")
	case *ast.ExpressionBody:
		t.kw("return")
	case *ast.ClassLiteral:
		t.kw("class")
	case *ast.ArrayLiteral, *ast.ArrayPattern:
		t.kw("[")
	case *ast.ObjectLiteral, *ast.ObjectPattern:
		t.kw("{")
	case *ast.PropertyShort:
		t.prop(n.Name.Name.String())
		t.kw("id")
	case *ast.PropertyKeyed:
		if n.Kind == ast.PropertyKindGet || n.Kind == ast.PropertyKindSet {
			t.kw(string(n.Kind))
		}
		t.propKey(n.Key, n.Computed)
	case *ast.MethodDefinition:
		if n.Kind == ast.PropertyKindGet || n.Kind == ast.PropertyKindSet {
			t.kw(string(n.Kind))
		}
		t.propKey(n.Key, n.Computed)
	case *ast.FieldDefinition:
		t.kw("field")
		t.propKey(n.Key, n.Computed)
	case *ast.SpreadElement:
		t.kw("...")
	case *ast.Binding:
		t.kw("bind")
	case *ast.AssignExpression:
		t.toks = append(t.toks, fnv64(tagAssign, n.Operator.String()))
	case *ast.BinaryExpression:
		t.binary(n)
	case *ast.UnaryExpression:
		t.unary(n)
	case *ast.ConditionalExpression, *ast.IfStatement:
		t.kw("if")
	case *ast.ExpressionStatement:
		if lit, ok := n.Expression.(*ast.StringLiteral); ok && lit.Value == "use strict" {
			// The build adds the directive to every module it wraps.
			t.skip[lit] = true
			return
		}
		switch e := n.Expression.(type) {
		case *ast.BinaryExpression:
			if e.Operator == token.LOGICAL_AND || e.Operator == token.LOGICAL_OR {
				t.stmtLogic = e
				t.units[e.Right] = true
			}
		case *ast.ConditionalExpression:
			t.units[e.Consequent], t.units[e.Alternate] = true, true
		case *ast.SequenceExpression:
			for _, x := range e.Sequence {
				t.units[x] = true
			}
		}
	case *ast.YieldExpression:
		t.kw("yield")
	case *ast.AwaitExpression:
		t.kw("await")
	case *ast.ReturnStatement:
		t.kw("return")
	case *ast.ThrowStatement:
		t.kw("throw")
	case *ast.TryStatement:
		t.kw("try")
	case *ast.CatchStatement:
		t.kw("catch")
	case *ast.ForStatement:
		t.kw("for")
	case *ast.ForInStatement:
		t.kw("for-in")
	case *ast.ForOfStatement:
		t.kw("for-of")
	case *ast.WhileStatement, *ast.DoWhileStatement:
		t.kw("while")
	case *ast.SwitchStatement:
		t.kw("switch")
	case *ast.CaseStatement:
		t.kw("case")
	case *ast.BranchStatement:
		t.kw(n.Token.String())
	case *ast.WithStatement:
		t.kw("with")
	case *ast.DebuggerStatement:
		t.kw("debugger")
	}
}

// number writes a number by value, so 1e3 and 1000 are one token.
func (t *tokenEmitter) number(n *ast.NumberLiteral) {
	var bits uint64
	switch v := n.Value.(type) {
	case int64:
		bits = math.Float64bits(float64(v))
	case float64:
		bits = math.Float64bits(v)
	default:
		t.toks = append(t.toks, fnv64(tagNumber, n.Literal))
		return
	}
	h := fnv64(tagNumber, "")
	for i := range 8 {
		h = (h ^ (bits >> (8 * i) & 0xff)) * 1099511628211
	}
	t.toks = append(t.toks, h)
}

func (t *tokenEmitter) binary(n *ast.BinaryExpression) {
	if ast.Node(n) == t.stmtLogic {
		// "a && b()" is "if (a) b()"; "a || b()" is "if (!a) b()".
		t.kw("if")
		if n.Operator == token.LOGICAL_OR {
			t.kw("!")
		}
		return
	}
	t.kw(n.Operator.String())
}

func (t *tokenEmitter) unary(n *ast.UnaryExpression) {
	if num, ok := n.Operand.(*ast.NumberLiteral); ok {
		switch {
		case n.Operator == token.NOT && (num.Literal == "0" || num.Literal == "1"):
			t.skip[num] = true
			if num.Literal == "0" {
				t.kw("true")
			} else {
				t.kw("false")
			}
			return
		case n.Operator == token.VOID:
			t.skip[num] = true
			t.toks = append(t.toks, fnv64(tagName, "undefined"))
			return
		}
	}
	if n.Postfix {
		t.toks = append(t.toks, fnv64(tagPostfix, n.Operator.String()))
		return
	}
	t.kw(n.Operator.String())
}

// startsStatement reports whether n starts a statement of the stream:
// every statement but blocks and declarations (each binding starts one, so
// "var a, b" is "var a; var b"), an arrow function's expression body (a
// return), and the expressions that stand for statements (units).
func (t *tokenEmitter) startsStatement(n ast.Node) bool {
	switch n.(type) {
	case *ast.BlockStatement, *ast.EmptyStatement, *ast.VariableStatement, *ast.LexicalDeclaration:
		return false
	case ast.Statement, *ast.Binding, *ast.ExpressionBody:
		return true
	}
	return t.units[n]
}
