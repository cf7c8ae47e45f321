package scan

import (
	"fmt"
	"strings"

	"github.com/dop251/goja/ast"
)

// What the scripts call: dynamic code, platform interfaces reached by name
// or through aliases and built names, and the endpoints they are given.

// codeGlobals are the globals whose calls the CODE rules report (call and
// resolve). The token gate reads the same table: a script that never names
// one of them cannot raise those rules.
var codeGlobals = map[string]bool{"eval": true, "Function": true, "setTimeout": true, "setInterval": true}

// globalName returns the name of a global reached directly or through
// window, globalThis, self or global, and through "(0, eval)".
func (f *jsFile) globalName(e ast.Expression) (string, bool) {
	switch e := e.(type) {
	case *ast.Identifier:
		name := e.Name.String()
		if f.env.constant(name) != nil {
			return "", false // a local of that name, not the global
		}
		return name, true
	case *ast.DotExpression:
		if id, ok := e.Left.(*ast.Identifier); ok {
			switch id.Name {
			case "window", "globalThis", "self", "global":
				return e.Identifier.Name.String(), true
			}
		}
	case *ast.SequenceExpression:
		if len(e.Sequence) > 0 {
			return f.globalName(e.Sequence[len(e.Sequence)-1])
		}
	}
	return "", false
}

func (f *jsFile) call(c *ast.CallExpression) {
	if name, ok := f.globalName(c.Callee); ok {
		switch name {
		case "eval":
			f.s.add(ruleCodeEval, f.at(c.Idx0(), "eval"))
			if len(c.ArgumentList) > 0 && isPacker(c.ArgumentList[0]) {
				f.s.add(ruleCodePacked, f.at(c.Idx0(), "packer"))
			}
		case "Function":
			f.s.add(ruleCodeFunction, f.at(c.Idx0(), "Function"))
		case "setTimeout", "setInterval":
			if len(c.ArgumentList) > 0 {
				if _, ok := f.env.foldString(c.ArgumentList[0]); ok {
					f.s.add(ruleCodeStringTimer, f.at(c.Idx0(), name))
				}
			}
		}
	}
	obj, name, ok := f.apiMember(c.Callee)
	if !ok || len(c.ArgumentList) == 0 {
		return
	}
	if key, ok := endpointAPIs[name]; ok {
		if v := objectValue(c.ArgumentList[0], key); v != nil {
			f.endpoint(obj+"."+name, v)
		}
	}
}

// apiMember resolves wx.name, wx['name'] and their folded forms.
func (f *jsFile) apiMember(e ast.Expression) (string, string, bool) {
	switch e := e.(type) {
	case *ast.DotExpression:
		if obj, ok := f.platformObject(e.Left); ok {
			return obj, e.Identifier.Name.String(), true
		}
	case *ast.BracketExpression:
		if obj, ok := f.platformObject(e.Left); ok {
			if name, ok := f.env.foldString(e.Member); ok {
				return obj, name, true
			}
		}
	}
	return "", "", false
}

// platformObject reports whether e is wx or my, directly or through a
// name bound once to one of them. A file that declares its own "my" (a
// common variable name) is not talking to Alipay through it.
func (f *jsFile) platformObject(e ast.Expression) (string, bool) {
	for range 8 {
		id, ok := e.(*ast.Identifier)
		if !ok {
			return "", false
		}
		name := id.Name.String()
		init := f.env.constant(name)
		if init == nil {
			_, declared := f.env.inits[name]
			return name, platformObjects[name] && !declared && !f.env.reassign[name]
		}
		e = init
	}
	return "", false
}

// bracket reports platform APIs reached by a computed name.
func (f *jsFile) bracket(b *ast.BracketExpression) {
	obj, ok := f.platformObject(b.Left)
	if !ok {
		return
	}
	if lit, ok := b.Member.(*ast.StringLiteral); ok {
		f.useAPI(obj, lit.Value.String(), f.at(lit.Idx, ""))
		return
	}
	h := f.at(b.Member.Idx0(), "")
	name, ok := f.env.foldString(b.Member)
	if !ok {
		f.s.dynamicAPI = true
		f.s.add(ruleCodeDynamicAPI, h)
		return
	}
	h.detail = fmt.Sprintf("%s[...] resolves to %s.%s", obj, obj, printable(name, 60))
	h.match = name
	f.s.add(ruleCodeHiddenAPI, h)
	h.detail, h.match = "", ""
	f.useAPI(obj, name, h)
}

// useAPI records a use of a platform interface: payments are reported at
// once, privacy-sensitive ones once app.json is known.
func (f *jsFile) useAPI(obj, name string, h hit) {
	call := obj + "." + name
	if paymentAPIs[name] {
		f.s.add(ruleCodePayment, withMatch(withDetail(h, call), call))
	}
	if kind, ok := sensitiveAPIs[name]; ok {
		f.s.add(ruleCodeSensitive, withMatch(withDetail(h, call+" ("+kind+")"), call))
		f.s.apiUses = append(f.s.apiUses, apiUse{object: obj, name: name, h: withMatch(h, call)})
	}
}

func withMatch(h hit, match string) hit {
	h.match = match
	return h
}

// objectValue returns the value of key in an object literal argument.
func objectValue(e ast.Expression, key string) ast.Expression {
	obj, ok := e.(*ast.ObjectLiteral)
	if !ok {
		return nil
	}
	for _, p := range obj.Value {
		switch p := p.(type) {
		case *ast.PropertyKeyed:
			if p.Computed {
				continue
			}
			switch k := p.Key.(type) {
			case *ast.StringLiteral:
				if k.Value.String() == key {
					return p.Value
				}
			case *ast.Identifier:
				if k.Name.String() == key {
					return p.Value
				}
			}
		case *ast.PropertyShort:
			if p.Name.Name.String() == key {
				return &p.Name
			}
		}
	}
	return nil
}

func (f *jsFile) endpoint(api string, v ast.Expression) {
	prefix, ok := f.env.foldPrefix(v)
	if !ok {
		return
	}
	h := f.at(v.Idx0(), "")
	f.s.checkEndpoint(api, prefix, h)
}

// isPacker recognises Dean Edwards' packer and its clones, which wrap the
// whole script in eval(function(p,a,c,k,e,d){...}(...)).
func isPacker(arg ast.Expression) bool {
	call, ok := arg.(*ast.CallExpression)
	if !ok {
		return false
	}
	fn, ok := call.Callee.(*ast.FunctionLiteral)
	if !ok || fn.ParameterList == nil || len(fn.ParameterList.List) != 6 {
		return false
	}
	var names strings.Builder
	for _, b := range fn.ParameterList.List {
		id, ok := b.Target.(*ast.Identifier)
		if !ok {
			return false
		}
		names.WriteString(id.Name.String())
	}
	n := names.String()
	return n == "packer" || n == "packed"
}
