package scan

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// Code meant to hide what it calls builds names at run time from pieces:
// wx['req'+'uestPayment'], a template, an array joined, a reversed string,
// character codes, base64. The folder evaluates those side-effect-free
// string expressions the way the engine would, so the rules see the name
// that will be called. It is bounded in depth and in result size, because
// the input is hostile.
const (
	maxFoldDepth = 64
	maxFoldBytes = 4096
)

// jsEnv knows, for one file, the names bound exactly once to a value the
// folder can use: constant strings and aliases of the platform objects.
type jsEnv struct {
	inits    map[string]ast.Expression // name -> its only initializer
	reassign map[string]bool           // names assigned or declared more than once
	memo     map[string]foldResult
}

type foldResult struct {
	s  string
	ok bool
}

func newJSEnv() *jsEnv {
	return &jsEnv{inits: map[string]ast.Expression{}, reassign: map[string]bool{}, memo: map[string]foldResult{}}
}

// reset empties the environment for the next file, keeping the maps.
func (env *jsEnv) reset() {
	clear(env.inits)
	clear(env.reassign)
	clear(env.memo)
}

// record notes a declaration or assignment seen while walking the program.
func (env *jsEnv) record(n ast.Node) {
	switch n := n.(type) {
	case *ast.Binding:
		id, ok := n.Target.(*ast.Identifier)
		if !ok {
			return
		}
		name := id.Name.String()
		if _, seen := env.inits[name]; seen || n.Initializer == nil {
			env.reassign[name] = true
			return
		}
		env.inits[name] = n.Initializer
	case *ast.AssignExpression:
		if id, ok := n.Left.(*ast.Identifier); ok {
			env.reassign[id.Name.String()] = true
		}
	case *ast.UnaryExpression:
		if id, ok := n.Operand.(*ast.Identifier); ok && (n.Operator == token.INCREMENT || n.Operator == token.DECREMENT) {
			env.reassign[id.Name.String()] = true
		}
	}
}

// constant returns the only initializer of name, or nil.
func (env *jsEnv) constant(name string) ast.Expression {
	if env == nil || env.reassign[name] {
		return nil
	}
	return env.inits[name]
}

// foldString evaluates e to a string if it is made only of constants.
func (env *jsEnv) foldString(e ast.Expression) (string, bool) {
	return env.fold(e, 0)
}

func (env *jsEnv) fold(e ast.Expression, depth int) (string, bool) {
	if depth > maxFoldDepth || e == nil {
		return "", false
	}
	depth++
	switch e := e.(type) {
	case *ast.StringLiteral:
		return e.Value.String(), true
	case *ast.NumberLiteral:
		if v, ok := e.Value.(int64); ok {
			return strconv.FormatInt(v, 10), true
		}
	case *ast.TemplateLiteral:
		if e.Tag != nil {
			return "", false
		}
		var sb strings.Builder
		for i, el := range e.Elements {
			sb.WriteString(el.Parsed.String())
			if i < len(e.Expressions) {
				s, ok := env.fold(e.Expressions[i], depth)
				if !ok {
					return "", false
				}
				sb.WriteString(s)
			}
			if sb.Len() > maxFoldBytes {
				return "", false
			}
		}
		return sb.String(), true
	case *ast.BinaryExpression:
		if e.Operator != token.PLUS {
			return "", false
		}
		l, ok := env.fold(e.Left, depth)
		if !ok {
			return "", false
		}
		r, ok := env.fold(e.Right, depth)
		if !ok || len(l)+len(r) > maxFoldBytes || (isNumberLit(e.Left) && isNumberLit(e.Right)) {
			return "", false
		}
		return l + r, true
	case *ast.Identifier:
		return env.foldName(e.Name.String(), depth)
	case *ast.SequenceExpression:
		if len(e.Sequence) > 0 {
			return env.fold(e.Sequence[len(e.Sequence)-1], depth)
		}
	case *ast.CallExpression:
		return env.foldCall(e, depth)
	}
	return "", false
}

func isNumberLit(e ast.Expression) bool {
	_, ok := e.(*ast.NumberLiteral)
	return ok
}

// foldName folds a constant binding once per file; the memo also stops a
// cycle such as "var a = b, b = a".
func (env *jsEnv) foldName(name string, depth int) (string, bool) {
	if r, ok := env.memo[name]; ok {
		return r.s, r.ok
	}
	init := env.constant(name)
	if init == nil {
		return "", false
	}
	env.memo[name] = foldResult{}
	s, ok := env.fold(init, depth)
	env.memo[name] = foldResult{s, ok}
	return s, ok
}

// foldCall handles the string methods obfuscators use to assemble names.
func (env *jsEnv) foldCall(c *ast.CallExpression, depth int) (string, bool) {
	switch callee := c.Callee.(type) {
	case *ast.Identifier:
		if callee.Name == "atob" && len(c.ArgumentList) == 1 {
			s, ok := env.fold(c.ArgumentList[0], depth)
			if !ok {
				return "", false
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil || !utf8.Valid(b) {
				return "", false
			}
			return string(b), true
		}
	case *ast.DotExpression:
		method := callee.Identifier.Name.String()
		switch method {
		case "join":
			parts, ok := env.foldArray(callee.Left, depth)
			if !ok {
				return "", false
			}
			sep := ","
			if len(c.ArgumentList) > 0 {
				if sep, ok = env.fold(c.ArgumentList[0], depth); !ok {
					return "", false
				}
			}
			out := strings.Join(parts, sep)
			return out, len(out) <= maxFoldBytes
		case "concat":
			s, ok := env.fold(callee.Left, depth)
			if !ok {
				return "", false
			}
			for _, a := range c.ArgumentList {
				p, ok := env.fold(a, depth)
				if !ok || len(s)+len(p) > maxFoldBytes {
					return "", false
				}
				s += p
			}
			return s, true
		case "fromCharCode":
			if id, ok := callee.Left.(*ast.Identifier); !ok || id.Name != "String" {
				return "", false
			}
			var sb strings.Builder
			for _, a := range c.ArgumentList {
				n, ok := a.(*ast.NumberLiteral)
				if !ok {
					return "", false
				}
				v, ok := n.Value.(int64)
				if !ok || v < 0 || v > 0x10FFFF {
					return "", false
				}
				sb.WriteRune(rune(v))
			}
			return sb.String(), true
		case "toLowerCase", "toUpperCase", "trim":
			s, ok := env.fold(callee.Left, depth)
			if !ok {
				return "", false
			}
			switch method {
			case "toLowerCase":
				return strings.ToLower(s), true
			case "toUpperCase":
				return strings.ToUpper(s), true
			}
			return strings.TrimSpace(s), true
		}
	}
	return "", false
}

// foldArray folds an array literal of constants, a constant split, and a
// reversal of either.
func (env *jsEnv) foldArray(e ast.Expression, depth int) ([]string, bool) {
	if depth > maxFoldDepth {
		return nil, false
	}
	depth++
	switch e := e.(type) {
	case *ast.ArrayLiteral:
		out := make([]string, 0, len(e.Value))
		total := 0
		for _, v := range e.Value {
			s, ok := env.fold(v, depth)
			total += len(s)
			if !ok || total > maxFoldBytes {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	case *ast.Identifier:
		if init := env.constant(e.Name.String()); init != nil {
			return env.foldArray(init, depth)
		}
	case *ast.CallExpression:
		dot, ok := e.Callee.(*ast.DotExpression)
		if !ok {
			return nil, false
		}
		switch dot.Identifier.Name {
		case "reverse":
			parts, ok := env.foldArray(dot.Left, depth)
			if !ok {
				return nil, false
			}
			out := make([]string, len(parts))
			for i, p := range parts {
				out[len(parts)-1-i] = p
			}
			return out, true
		case "split":
			s, ok := env.fold(dot.Left, depth)
			if !ok || len(e.ArgumentList) != 1 {
				return nil, false
			}
			sep, ok := env.fold(e.ArgumentList[0], depth)
			if !ok {
				return nil, false
			}
			if sep == "" {
				// JavaScript splits into UTF-16 units; runes are the same
				// for every name worth hiding.
				return strings.Split(s, ""), true
			}
			return strings.Split(s, sep), true
		}
	}
	return nil, false
}

// foldPrefix returns the constant start of a string built by concatenation,
// such as the base URL in 'https://api.example.com/' + path.
func (env *jsEnv) foldPrefix(e ast.Expression) (string, bool) {
	if s, ok := env.foldString(e); ok {
		return s, true
	}
	switch e := e.(type) {
	case *ast.BinaryExpression:
		if e.Operator == token.PLUS {
			return env.foldPrefix(e.Left)
		}
	case *ast.TemplateLiteral:
		if e.Tag == nil && len(e.Elements) > 0 && e.Elements[0].Parsed != "" {
			return e.Elements[0].Parsed.String(), true
		}
	}
	return "", false
}
