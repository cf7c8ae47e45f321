package vm

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// native holds builtins that decisions call for nearly every finding,
// written again without OPA's builtin calling convention (a context copied
// per call, an output callback, an error wrapper), which costs more than
// the comparison itself. Each does exactly what OPA's own does for the
// operands it accepts, and answers ok=false for any other operands, which
// then go to OPA's builtin: errors and rare shapes stay OPA's.
var native = map[string]func(args []*ast.Term) (*ast.Term, bool){
	"equal": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) == 0), true
	},
	"neq": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) != 0), true
	},
	"gt": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) > 0), true
	},
	"gte": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) >= 0), true
	},
	"lt": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) < 0), true
	},
	"lte": func(a []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ast.Compare(a[0].Value, a[1].Value) <= 0), true
	},
	"object.get": func(a []*ast.Term) (*ast.Term, bool) {
		obj, ok := a[0].Value.(ast.Object)
		if !ok {
			return nil, false
		}
		if _, path := a[1].Value.(*ast.Array); path {
			return nil, false
		}
		if v := obj.Get(a[1]); v != nil {
			return v, true
		}
		return a[2], true
	},
	"count": func(a []*ast.Term) (*ast.Term, bool) {
		switch c := a[0].Value.(type) {
		case *ast.Array:
			return ast.InternedTerm(c.Len()), true
		case ast.Object:
			return ast.InternedTerm(c.Len()), true
		case ast.Set:
			return ast.InternedTerm(c.Len()), true
		}
		return nil, false
	},
	"internal.member_2": func(a []*ast.Term) (*ast.Term, bool) {
		switch c := a[1].Value.(type) {
		case ast.Set:
			return ast.InternedTerm(c.Contains(a[0])), true
		case *ast.Array:
			return ast.InternedTerm(c.Until(a[0].Equal)), true
		}
		return nil, false
	},
	"lower": func(a []*ast.Term) (*ast.Term, bool) {
		s, ok := a[0].Value.(ast.String)
		if !ok {
			return nil, false
		}
		if lower := strings.ToLower(string(s)); lower != string(s) {
			return ast.StringTerm(lower), true
		}
		return a[0], true
	},
}
