package scan

import (
	"path"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// The interpreter: statements run in order, every branch taken, every
// function body run where it is written, with what its callers passed so
// far. Work and depth are bounded, because the input is hostile.

func (g *flowEngine) budget() bool {
	g.evals++
	return g.evals < maxFlowEvals && g.depth < maxFlowDepth
}

func (g *flowEngine) stmts(sc *flowScope, list []ast.Statement) {
	for _, s := range list {
		g.stmt(sc, s)
	}
}

func (g *flowEngine) stmt(sc *flowScope, s ast.Statement) {
	if s == nil || !g.budget() {
		return
	}
	g.depth++
	g.stmt1(sc, s)
	g.depth--
}

//nolint:gocyclo // one case per statement type
func (g *flowEngine) stmt1(sc *flowScope, s ast.Statement) {
	switch s := s.(type) {
	case *ast.ExpressionStatement:
		g.expr(sc, s.Expression)
	case *ast.VariableStatement:
		g.bindings(sc, s.List)
	case *ast.LexicalDeclaration:
		g.bindings(sc, s.List)
	case *ast.FunctionDeclaration:
		if s.Function != nil {
			v := g.function(sc, s.Function, "")
			if s.Function.Name != nil {
				g.bind(sc, s.Function.Name, v)
			}
		}
	case *ast.ClassDeclaration:
		if s.Class != nil {
			g.class(sc, s.Class)
		}
	case *ast.BlockStatement:
		if s != nil {
			g.stmts(sc, s.List)
		}
	case *ast.IfStatement:
		g.expr(sc, s.Test)
		g.stmt(sc, s.Consequent)
		g.stmt(sc, s.Alternate)
	case *ast.ForStatement:
		switch in := s.Initializer.(type) {
		case *ast.ForLoopInitializerExpression:
			g.expr(sc, in.Expression)
		case *ast.ForLoopInitializerVarDeclList:
			g.bindings(sc, in.List)
		case *ast.ForLoopInitializerLexicalDecl:
			g.bindings(sc, in.LexicalDeclaration.List)
		}
		g.expr(sc, s.Test)
		g.expr(sc, s.Update)
		g.stmt(sc, s.Body)
	case *ast.ForInStatement:
		g.expr(sc, s.Source) // keys are not the data
		g.stmt(sc, s.Body)
	case *ast.ForOfStatement:
		v := g.expr(sc, s.Source)
		g.forInto(sc, s.Into, &val{t: v.t})
		g.stmt(sc, s.Body)
	case *ast.WhileStatement:
		g.expr(sc, s.Test)
		g.stmt(sc, s.Body)
	case *ast.DoWhileStatement:
		g.stmt(sc, s.Body)
		g.expr(sc, s.Test)
	case *ast.ReturnStatement:
		v := g.expr(sc, s.Argument)
		if g.fn != nil {
			g.into(&g.fn.ret, v)
		}
	case *ast.TryStatement:
		g.stmt(sc, s.Body)
		if s.Catch != nil {
			g.stmt(sc, s.Catch.Body)
		}
		if s.Finally != nil {
			g.stmt(sc, s.Finally)
		}
	case *ast.SwitchStatement:
		g.expr(sc, s.Discriminant)
		for _, c := range s.Body {
			g.expr(sc, c.Test)
			g.stmts(sc, c.Consequent)
		}
	case *ast.LabelledStatement:
		g.stmt(sc, s.Statement)
	case *ast.ThrowStatement:
		g.expr(sc, s.Argument)
	case *ast.WithStatement:
		g.expr(sc, s.Object)
		g.stmt(sc, s.Body)
	}
}

func (g *flowEngine) forInto(sc *flowScope, into ast.ForInto, v *val) {
	switch in := into.(type) {
	case *ast.ForIntoVar:
		g.bind(sc, in.Binding.Target, v)
	case *ast.ForDeclaration:
		g.bind(sc, in.Target, v)
	case *ast.ForIntoExpression:
		g.assign(sc, in.Expression, v)
	}
}

func (g *flowEngine) bindings(sc *flowScope, list []*ast.Binding) {
	for _, b := range list {
		if b == nil || b.Initializer == nil {
			continue
		}
		g.bind(sc, b.Target, g.expr(sc, b.Initializer))
	}
}

// function runs a function's body in its own scope and returns it as a
// value. The body runs on every pass with the parameters as callers have
// set them so far.
func (g *flowEngine) function(sc *flowScope, lit ast.Node, handler string) *val {
	fi := g.fns[lit]
	var params *ast.ParameterList
	var body ast.Node
	switch f := lit.(type) {
	case *ast.FunctionLiteral:
		params, body = f.ParameterList, f.Body
	case *ast.ArrowFunctionLiteral:
		params, body = f.ParameterList, f.Body
	default:
		return &val{}
	}
	if fi == nil {
		fi = &fnInfo{scope: &flowScope{parent: sc, decls: map[string]*val{}}, file: g.cur, line: g.line(int(lit.Idx0()))}
		if params != nil {
			for _, p := range params.List {
				declareTarget(fi.scope, p.Target)
				fi.targets = append(fi.targets, p.Target)
				if id, ok := p.Target.(*ast.Identifier); ok {
					fi.params = append(fi.params, id.Name.String())
				} else {
					fi.params = append(fi.params, "")
				}
			}
		}
		if b, ok := body.(*ast.BlockStatement); ok && b != nil {
			declareStmts(fi.scope, b.List)
		}
		g.fns[lit] = fi
	}
	if handler != "" && fi.handler == "" {
		fi.handler = handler
		g.changed = true
		if len(fi.params) > 0 && fi.params[0] != "" {
			fi.scope.decls[fi.params[0]].event = handler
		}
	}
	if params != nil {
		for _, p := range params.List {
			if p.Initializer != nil {
				g.bind(fi.scope, p.Target, g.expr(fi.scope, p.Initializer))
			}
		}
		if p, ok := params.Rest.(ast.BindingTarget); ok {
			declareTarget(fi.scope, p)
		}
	}
	if g.budget() {
		outer := g.fn
		g.fn = fi
		g.depth++
		switch b := body.(type) {
		case *ast.BlockStatement:
			if b != nil {
				g.stmts(fi.scope, b.List)
			}
		case *ast.ExpressionBody:
			g.into(&fi.ret, g.expr(fi.scope, b.Expression))
		}
		g.depth--
		g.fn = outer
	}
	return &val{fns: []*fnInfo{fi}}
}

func (g *flowEngine) class(sc *flowScope, c *ast.ClassLiteral) *val {
	for _, el := range c.Body {
		if m, ok := el.(*ast.MethodDefinition); ok && m.Body != nil {
			g.function(sc, m.Body, "")
		}
	}
	return &val{}
}

// call passes the arguments to every function the callee may be and
// returns what they return.
func (g *flowEngine) callFns(fns []*fnInfo, args []*val, idx int) *val {
	out := &val{}
	st := g.step(idx)
	for _, fi := range fns {
		for i, a := range args {
			if i >= len(fi.params) || a == nil {
				continue
			}
			in := *a
			in.t = a.t.via(st)
			if fi.params[i] == "" {
				g.bind(fi.scope, fi.targets[i], &in)
				continue
			}
			if dst := fi.scope.decls[fi.params[i]]; dst != nil {
				g.into(dst, &in)
			}
		}
		ret := fi.ret
		out.merge(&val{t: ret.t.via(st), fns: ret.fns, mod: ret.mod, props: ret.props, str: ret.str, strOK: ret.strOK, whole: ret.whole})
	}
	return out
}

// assign stores v where an assignment's left side points.
func (g *flowEngine) assign(sc *flowScope, left ast.Expression, v *val) {
	switch l := left.(type) {
	case *ast.Identifier:
		if dst := g.variable(sc, l.Name.String()); dst != nil {
			g.into(dst, v)
		}
	case *ast.DotExpression:
		g.assignMember(sc, l.Left, l.Identifier.Name.String(), v, int(l.Idx0()))
	case *ast.BracketExpression:
		key := ""
		if s, ok := l.Member.(*ast.StringLiteral); ok {
			key = s.Value.String()
		}
		g.assignMember(sc, l.Left, key, v, int(l.Idx0()))
	case *ast.ObjectPattern, *ast.ArrayPattern:
		g.bind(sc, l.(ast.BindingTarget), v)
	}
}

func (g *flowEngine) assignMember(sc *flowScope, obj ast.Expression, key string, v *val, idx int) {
	// module.exports = ..., module.exports.x = ..., exports.x = ...
	if isName(obj, "module") && key == "exports" {
		g.into(g.cur.exports, v)
		return
	}
	if isName(obj, "exports") || isModuleExports(obj) {
		g.exportProp(key, v)
		return
	}
	// x.globalData.k = v
	if d, ok := obj.(*ast.DotExpression); ok && d.Identifier.Name == "globalData" {
		g.into(g.globalVal(key), &val{t: v.t.via(g.step(idx)), str: v.str, strOK: v.strOK, whole: v.whole})
		return
	}
	base := g.expr(sc, obj)
	if base.this {
		g.into(g.dataVal("this."+key), v)
		return
	}
	if base.props != nil && key != "" {
		if base.props[key] == nil {
			base.props[key] = &val{}
		}
		g.into(base.props[key], v)
	}
	// The object now holds the data: a later read of any property sees it.
	if id, ok := obj.(*ast.Identifier); ok {
		if dst := g.variable(sc, id.Name.String()); dst != nil {
			g.into(dst, &val{t: v.t})
		}
	}
}

func (g *flowEngine) exportProp(key string, v *val) {
	if key == "" {
		return
	}
	p := g.cur.exports.props[key]
	if p == nil {
		p = &val{}
		g.cur.exports.props[key] = p
	}
	g.into(p, v)
}

func (g *flowEngine) globalVal(key string) *val {
	v := g.global[key]
	if v == nil {
		v = &val{}
		g.global[key] = v
	}
	return v
}

func (g *flowEngine) dataVal(key string) *val {
	v := g.cur.data[key]
	if v == nil {
		v = &val{}
		g.cur.data[key] = v
	}
	return v
}

func isName(e ast.Expression, name string) bool {
	id, ok := e.(*ast.Identifier)
	return ok && id.Name.String() == name
}

func isModuleExports(e ast.Expression) bool {
	d, ok := e.(*ast.DotExpression)
	return ok && d.Identifier.Name == "exports" && isName(d.Left, "module")
}

// expr evaluates an expression. What it returns is read, never changed:
// the values without anything to know are one shared value.
func (g *flowEngine) expr(sc *flowScope, e ast.Expression) *val {
	if e == nil || isNilNode(e) || !g.budget() {
		return noVal
	}
	g.depth++
	v := g.expr1(sc, e)
	g.depth--
	return v
}

// noVal and thisVal are shared: nothing known, and the page itself.
var (
	noVal   = &val{}
	thisVal = &val{this: true}
)

//nolint:gocyclo // one case per expression type
func (g *flowEngine) expr1(sc *flowScope, e ast.Expression) *val {
	switch e := e.(type) {
	case *ast.StringLiteral:
		return &val{str: e.Value.String(), strOK: true, whole: true}
	case *ast.TemplateLiteral:
		return g.template(sc, e)
	case *ast.Identifier:
		name := e.Name.String()
		if v := sc.lookup(name); v != nil {
			return v
		}
		if v := g.cur.scope.decls[name]; v != nil {
			return v
		}
		return noVal
	case *ast.ThisExpression:
		return thisVal
	case *ast.FunctionLiteral:
		return g.function(sc, e, "")
	case *ast.ArrowFunctionLiteral:
		return g.function(sc, e, "")
	case *ast.ClassLiteral:
		return g.class(sc, e)
	case *ast.AssignExpression:
		v := g.expr(sc, e.Right)
		if e.Operator == token.ASSIGN {
			g.assign(sc, e.Left, v)
			return v
		}
		l := g.expr(sc, e.Left)
		out := &val{t: l.t.union(v.t)}
		g.assign(sc, e.Left, out)
		return out
	case *ast.BinaryExpression:
		l, r := g.expr(sc, e.Left), g.expr(sc, e.Right)
		switch e.Operator {
		case token.PLUS:
			out := &val{t: l.t.union(r.t)}
			if l.strOK {
				out.str, out.strOK = l.str, true
				if l.whole && r.strOK {
					out.str, out.whole = l.str+r.str, r.whole
				}
			}
			return out
		case token.LOGICAL_OR, token.LOGICAL_AND, token.COALESCE:
			out := &val{}
			out.merge(l)
			out.merge(r)
			return out
		case token.MINUS, token.MULTIPLY, token.SLASH, token.REMAINDER, token.EXPONENT:
			return &val{t: l.t.union(r.t)}
		}
		// Comparisons, instanceof, in, bit tests: a yes or no, not the data.
		return noVal
	case *ast.UnaryExpression:
		v := g.expr(sc, e.Operand)
		switch e.Operator {
		case token.NOT, token.TYPEOF, token.DELETE, token.VOID:
			return noVal
		}
		return &val{t: v.t}
	case *ast.ConditionalExpression:
		g.expr(sc, e.Test)
		out := &val{}
		out.merge(g.expr(sc, e.Consequent))
		out.merge(g.expr(sc, e.Alternate))
		return out
	case *ast.SequenceExpression:
		var last *val
		for _, x := range e.Sequence {
			last = g.expr(sc, x)
		}
		if last == nil {
			return &val{}
		}
		return last
	case *ast.AwaitExpression:
		return g.expr(sc, e.Argument)
	case *ast.YieldExpression:
		return g.expr(sc, e.Argument)
	case *ast.SpreadElement:
		return g.expr(sc, e.Expression)
	case *ast.ArrayLiteral:
		out := &val{}
		for _, x := range e.Value {
			out.t = out.t.union(g.expr(sc, x).t)
		}
		return out
	case *ast.ObjectLiteral:
		return g.object(sc, e, false)
	case *ast.DotExpression:
		return g.dot(sc, e)
	case *ast.BracketExpression:
		base := g.expr(sc, e.Left)
		m := g.expr(sc, e.Member)
		if m.strOK && m.whole {
			return g.member(base, m.str)
		}
		return &val{t: base.t}
	case *ast.OptionalChain:
		return g.expr(sc, e.Expression)
	case *ast.Optional:
		return g.expr(sc, e.Expression)
	case *ast.CallExpression:
		return g.call(sc, e)
	case *ast.NewExpression:
		out := &val{}
		for _, a := range e.ArgumentList {
			out.t = out.t.union(g.expr(sc, a).t)
		}
		return out
	}
	return noVal
}

func (g *flowEngine) template(sc *flowScope, e *ast.TemplateLiteral) *val {
	out := &val{strOK: true, whole: true}
	for i, el := range e.Elements {
		if out.whole {
			out.str += el.Parsed.String()
		}
		if i < len(e.Expressions) {
			v := g.expr(sc, e.Expressions[i])
			out.t = out.t.union(v.t)
			if out.whole {
				if v.strOK {
					out.str += v.str
					out.whole = v.whole
				} else {
					out.whole = false
				}
			}
		}
	}
	if e.Tag != nil {
		g.expr(sc, e.Tag)
		return &val{t: out.t}
	}
	return out
}

// object evaluates an object literal, keeping its properties by name.
// Methods of a page or component (page) are event handlers by name.
func (g *flowEngine) object(sc *flowScope, o *ast.ObjectLiteral, page bool) *val {
	out := &val{props: map[string]*val{}}
	for _, p := range o.Value {
		switch p := p.(type) {
		case *ast.PropertyKeyed:
			key := ""
			if !p.Computed {
				key = propKey(p.Key)
			} else {
				g.expr(sc, p.Key)
			}
			var v *val
			switch fn := p.Value.(type) {
			case *ast.FunctionLiteral:
				if page {
					v = g.function(sc, fn, key)
				}
			case *ast.ArrowFunctionLiteral:
				if page {
					v = g.function(sc, fn, key)
				}
			case *ast.ObjectLiteral:
				if page && (key == "methods" || key == "pageLifetimes" || key == "lifetimes") {
					v = g.object(sc, fn, true)
				}
			}
			if v == nil {
				v = g.expr(sc, p.Value)
			}
			out.t = out.t.union(v.t)
			if key != "" {
				out.props[key] = v
			}
		case *ast.PropertyShort:
			v := g.expr(sc, &p.Name)
			out.t = out.t.union(v.t)
			out.props[p.Name.Name.String()] = v
		case *ast.SpreadElement:
			v := g.expr(sc, p.Expression)
			out.t = out.t.union(v.t)
		}
	}
	return out
}

// dot reads a property: the page's data, global data, an event's detail,
// a module's export, else the object's own data.
func (g *flowEngine) dot(sc *flowScope, e *ast.DotExpression) *val {
	name := e.Identifier.Name.String()
	if inner, ok := e.Left.(*ast.DotExpression); ok && inner.Identifier.Name == "globalData" {
		return g.globalVal(name)
	}
	if name == "length" {
		g.expr(sc, e.Left)
		return noVal
	}
	// this.data.x
	if inner, ok := e.Left.(*ast.DotExpression); ok && inner.Identifier.Name == "data" {
		if b := g.expr(sc, inner.Left); b.this {
			return g.dataVal(name)
		}
	}
	// e.detail and e.detail.x in an event handler: what the user gave.
	if inner, ok := e.Left.(*ast.DotExpression); ok && inner.Identifier.Name == "detail" {
		if b := g.expr(sc, inner.Left); b.event != "" {
			return &val{t: g.source(b.event, g.inputKind(b.event, name), int(e.Idx0()))}
		}
	}
	base := g.expr(sc, e.Left)
	if base.event != "" {
		if name == "detail" {
			return &val{t: g.source(base.event, g.inputKind(base.event, ""), int(e.Idx0()))}
		}
		return noVal
	}
	if base.this && name != "data" {
		if v := g.cur.data["this."+name]; v != nil {
			return v
		}
	}
	return g.member(base, name)
}

// inputKind is the kind of data a handler's event detail holds.
func (g *flowEngine) inputKind(handler, prop string) string {
	if k := g.handlers[handler]; k != "" {
		return k
	}
	switch prop {
	case "avatarUrl":
		return "photo"
	case "userInfo", "rawData":
		return "user_info"
	case "encryptedData", "iv", "code", "cloudID":
		if strings.Contains(strings.ToLower(handler), "phone") {
			return "phone"
		}
	}
	return "input"
}

// call evaluates a call: platform interfaces by the vocabulary, require,
// setData, then and the app's own functions.
func (g *flowEngine) call(sc *flowScope, c *ast.CallExpression) *val {
	idx := int(c.Idx0())
	if d, ok := c.Callee.(*ast.DotExpression); ok {
		if id, ok := d.Left.(*ast.Identifier); ok && platformObjects[id.Name.String()] && sc.lookup(id.Name.String()) == nil && g.cur.scope.decls[id.Name.String()] == nil {
			return g.platformCall(sc, id.Name.String(), d.Identifier.Name.String(), c)
		}
		method := d.Identifier.Name.String()
		switch method {
		case "setData":
			base := g.expr(sc, d.Left)
			if base.this && len(c.ArgumentList) > 0 {
				if o, ok := c.ArgumentList[0].(*ast.ObjectLiteral); ok {
					v := g.object(sc, o, false)
					st := g.step(idx)
					for k, p := range v.props {
						g.into(g.dataVal(k), &val{t: p.t.via(st), str: p.str, strOK: p.strOK, whole: p.whole})
					}
				} else {
					g.expr(sc, c.ArgumentList[0])
				}
				for _, a := range c.ArgumentList[1:] {
					g.expr(sc, a)
				}
				return &val{}
			}
		case "then", "catch", "finally":
			base := g.expr(sc, d.Left)
			out := &val{t: base.t}
			for _, a := range c.ArgumentList {
				fv := g.expr(sc, a)
				out.merge(g.callFns(fv.fns, []*val{{t: base.t}}, idx))
			}
			return out
		}
	}
	if isName(c.Callee, "require") && len(c.ArgumentList) > 0 {
		if s, ok := c.ArgumentList[0].(*ast.StringLiteral); ok {
			return &val{mod: g.resolve(s.Value.String())}
		}
	}
	if id, ok := c.Callee.(*ast.Identifier); ok && (id.Name == "Page" || id.Name == "Component" || id.Name == "App" || id.Name == "Behavior") && sc.lookup(id.Name.String()) == nil {
		if len(c.ArgumentList) > 0 {
			if o, ok := c.ArgumentList[0].(*ast.ObjectLiteral); ok {
				g.pageObject(sc, o)
				return &val{}
			}
		}
	}
	callee := g.expr(sc, c.Callee)
	args := make([]*val, len(c.ArgumentList))
	for i, a := range c.ArgumentList {
		args[i] = g.expr(sc, a)
	}
	if d, ok := c.Callee.(*ast.DotExpression); ok && d.Identifier.Name == "send" {
		if task := g.expr(sc, d.Left); task.socket != "" {
			g.socketSend(task, args, idx)
			return noVal
		}
	}
	if len(callee.fns) > 0 {
		return g.callFns(callee.fns, args, idx)
	}
	// A function nobody wrote here (a builtin, a library's): what goes in
	// comes out, and callbacks get what the receiver holds (forEach, map).
	t := callee.t
	for _, a := range args {
		t = t.union(a.t)
	}
	if d, ok := c.Callee.(*ast.DotExpression); ok {
		var base *val
		for _, a := range args {
			if len(a.fns) > 0 {
				if base == nil {
					base = g.expr(sc, d.Left)
				}
				g.callFns(a.fns, []*val{{t: base.t}}, idx)
			}
		}
	}
	if len(t) == 0 {
		return noVal
	}
	return &val{t: t}
}

// pageObject evaluates the object given to Page, Component or App: its
// methods are the page's this.x, and event handlers by name.
func (g *flowEngine) pageObject(sc *flowScope, o *ast.ObjectLiteral) {
	// Register methods before running them so that this.x resolves on the
	// first pass too.
	v := g.object(sc, o, true)
	for k, p := range v.props {
		if len(p.fns) > 0 {
			g.cur.methods[k] = p
		}
		if k == "methods" && p.props != nil {
			for mk, mp := range p.props {
				if len(mp.fns) > 0 {
					g.cur.methods[mk] = mp
				}
			}
		}
		if k == "data" || k == "globalData" {
			continue
		}
	}
}

// resolve turns a require specifier into a module path from the root.
func (g *flowEngine) resolve(spec string) string {
	var p string
	if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") {
		p = path.Join(path.Dir(g.cur.rel), spec)
	} else {
		p = path.Clean(strings.TrimPrefix(spec, "/"))
	}
	for _, cand := range []string{p, p + ".js", p + "/index.js"} {
		if g.byRel[cand] != nil {
			return cand
		}
	}
	return p
}
