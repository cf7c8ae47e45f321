package scan

import "github.com/dop251/goja/ast"

// walkJS calls visit for n and every node below it, depth first, parents
// before children. The parser's AST has no visitor of its own; a type switch
// is both faster than reflection and explicit about what is reached. Nodes
// it does not know (a newer parser adding types) are visited but not
// descended into, which loses findings rather than crashing.
//
// Depth is bounded: the parser accepts deeply nested input, and a hostile
// file of a million "[" must not exhaust the stack here.
func walkJS(n ast.Node, visit func(ast.Node)) {
	w := jsWalker{visit: visit}
	w.node(n, 0)
}

const maxWalkDepth = 2000

type jsWalker struct {
	visit func(ast.Node)
}

func (w *jsWalker) exprs(list []ast.Expression, d int) {
	for _, e := range list {
		w.node(e, d)
	}
}

func (w *jsWalker) stmts(list []ast.Statement, d int) {
	for _, s := range list {
		w.node(s, d)
	}
}

func (w *jsWalker) bindings(list []*ast.Binding, d int) {
	for _, b := range list {
		w.node(b, d)
	}
}

//nolint:gocyclo // one case per node type reads better than any split
func (w *jsWalker) node(n ast.Node, d int) {
	if isNilNode(n) || d > maxWalkDepth {
		return
	}
	w.visit(n)
	d++
	switch n := n.(type) {
	case *ast.Program:
		w.stmts(n.Body, d)
	case *ast.Binding:
		w.node(n.Target, d)
		w.node(n.Initializer, d)
	case *ast.YieldExpression:
		w.node(n.Argument, d)
	case *ast.AwaitExpression:
		w.node(n.Argument, d)
	case *ast.ArrayLiteral:
		w.exprs(n.Value, d)
	case *ast.ArrayPattern:
		w.exprs(n.Elements, d)
		w.node(n.Rest, d)
	case *ast.AssignExpression:
		w.node(n.Left, d)
		w.node(n.Right, d)
	case *ast.BinaryExpression:
		w.node(n.Left, d)
		w.node(n.Right, d)
	case *ast.BracketExpression:
		w.node(n.Left, d)
		w.node(n.Member, d)
	case *ast.CallExpression:
		w.node(n.Callee, d)
		w.exprs(n.ArgumentList, d)
	case *ast.ConditionalExpression:
		w.node(n.Test, d)
		w.node(n.Consequent, d)
		w.node(n.Alternate, d)
	case *ast.DotExpression:
		w.node(n.Left, d)
	case *ast.PrivateDotExpression:
		w.node(n.Left, d)
	case *ast.OptionalChain:
		w.node(n.Expression, d)
	case *ast.Optional:
		w.node(n.Expression, d)
	case *ast.FunctionLiteral:
		w.params(n.ParameterList, d)
		w.node(n.Body, d)
	case *ast.ClassLiteral:
		w.node(n.SuperClass, d)
		for _, el := range n.Body {
			w.node(el, d)
		}
	case *ast.ExpressionBody:
		w.node(n.Expression, d)
	case *ast.ArrowFunctionLiteral:
		w.params(n.ParameterList, d)
		w.node(n.Body, d)
	case *ast.NewExpression:
		w.node(n.Callee, d)
		w.exprs(n.ArgumentList, d)
	case *ast.ObjectLiteral:
		for _, p := range n.Value {
			w.node(p, d)
		}
	case *ast.ObjectPattern:
		for _, p := range n.Properties {
			w.node(p, d)
		}
		w.node(n.Rest, d)
	case *ast.PropertyShort:
		w.node(n.Initializer, d)
	case *ast.PropertyKeyed:
		w.node(n.Key, d)
		w.node(n.Value, d)
	case *ast.SpreadElement:
		w.node(n.Expression, d)
	case *ast.SequenceExpression:
		w.exprs(n.Sequence, d)
	case *ast.TemplateLiteral:
		w.node(n.Tag, d)
		w.exprs(n.Expressions, d)
	case *ast.UnaryExpression:
		w.node(n.Operand, d)
	case *ast.BlockStatement:
		w.stmts(n.List, d)
	case *ast.CaseStatement:
		w.node(n.Test, d)
		w.stmts(n.Consequent, d)
	case *ast.CatchStatement:
		w.node(n.Parameter, d)
		w.node(n.Body, d)
	case *ast.DoWhileStatement:
		w.node(n.Test, d)
		w.node(n.Body, d)
	case *ast.ExpressionStatement:
		w.node(n.Expression, d)
	case *ast.ForInStatement:
		w.node(n.Into, d)
		w.node(n.Source, d)
		w.node(n.Body, d)
	case *ast.ForOfStatement:
		w.node(n.Into, d)
		w.node(n.Source, d)
		w.node(n.Body, d)
	case *ast.ForStatement:
		w.node(n.Initializer, d)
		w.node(n.Test, d)
		w.node(n.Update, d)
		w.node(n.Body, d)
	case *ast.IfStatement:
		w.node(n.Test, d)
		w.node(n.Consequent, d)
		w.node(n.Alternate, d)
	case *ast.LabelledStatement:
		w.node(n.Statement, d)
	case *ast.ReturnStatement:
		w.node(n.Argument, d)
	case *ast.SwitchStatement:
		w.node(n.Discriminant, d)
		for _, c := range n.Body {
			w.node(c, d)
		}
	case *ast.ThrowStatement:
		w.node(n.Argument, d)
	case *ast.TryStatement:
		w.node(n.Body, d)
		w.node(n.Catch, d)
		w.node(n.Finally, d)
	case *ast.VariableStatement:
		w.bindings(n.List, d)
	case *ast.LexicalDeclaration:
		w.bindings(n.List, d)
	case *ast.WhileStatement:
		w.node(n.Test, d)
		w.node(n.Body, d)
	case *ast.WithStatement:
		w.node(n.Object, d)
		w.node(n.Body, d)
	case *ast.FunctionDeclaration:
		w.node(n.Function, d)
	case *ast.ClassDeclaration:
		w.node(n.Class, d)
	case *ast.FieldDefinition:
		w.node(n.Key, d)
		w.node(n.Initializer, d)
	case *ast.MethodDefinition:
		w.node(n.Key, d)
		w.node(n.Body, d)
	case *ast.ClassStaticBlock:
		w.node(n.Block, d)
	case *ast.ForLoopInitializerExpression:
		w.node(n.Expression, d)
	case *ast.ForLoopInitializerVarDeclList:
		w.bindings(n.List, d)
	case *ast.ForLoopInitializerLexicalDecl:
		w.bindings(n.LexicalDeclaration.List, d)
	case *ast.ForIntoVar:
		w.node(n.Binding, d)
	case *ast.ForDeclaration:
		w.node(n.Target, d)
	case *ast.ForIntoExpression:
		w.node(n.Expression, d)
	}
}

func (w *jsWalker) params(p *ast.ParameterList, d int) {
	if p == nil {
		return
	}
	w.bindings(p.List, d)
	w.node(p.Rest, d)
}

// isNilNode catches both a nil interface and a typed nil pointer stored in
// one, which the AST uses for absent optional parts.
func isNilNode(n ast.Node) bool {
	if n == nil {
		return true
	}
	switch v := n.(type) {
	case *ast.BlockStatement:
		return v == nil
	case *ast.CatchStatement:
		return v == nil
	case *ast.FunctionLiteral:
		return v == nil
	case *ast.ClassLiteral:
		return v == nil
	case *ast.Binding:
		return v == nil
	case *ast.Identifier:
		return v == nil
	case *ast.CaseStatement:
		return v == nil
	case *ast.ParameterList:
		return v == nil
	}
	return false
}
