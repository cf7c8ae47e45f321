package scan

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/dop251/goja/ast"
	jsfile "github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
)

// scriptExts are the files the CODE rules parse: page and library scripts,
// and the view-layer scripts of each platform (.wxs on WeChat, .sjs on
// Alipay), which are a subset of the same language.
var scriptExts = map[string]bool{".js": true, ".mjs": true, ".cjs": true, ".wxs": true, ".sjs": true}

// apiUse is one place a platform interface is reached, kept until every
// script is read so it can be held against what app.json declares.
type apiUse struct {
	object string // "wx" or "my"
	name   string
	h      hit
}

// checkCode runs the CODE rules over every script of the mini-program,
// vendored libraries included: they ship to users like the app's own code.
func checkCode(s *state) {
	for _, e := range s.arch.files {
		if !e.read || !strings.HasPrefix(e.clean, s.root) || junk(e.clean) {
			continue
		}
		switch ext := strings.ToLower(path.Ext(e.clean)); {
		case scriptExts[ext]:
			s.analyzeScript(e)
		case ext == ".wxml" || ext == ".axml":
			s.checkWebViews(e)
		}
	}
	s.checkPrivacy()
}

// parseJS parses a script or module. The parser is third-party code fed
// hostile input, so a panic in it becomes a parse error for that file.
func parseJS(src []byte) (prog *ast.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("parser failed: %v", r)
		}
	}()
	return parser.ParseFile(nil, "", stripModuleSyntax(src), 0, parser.WithDisableSourceMaps)
}

// jsFile is the analysis of one script.
type jsFile struct {
	s        *state
	e        *entry
	t        *text
	env      *jsEnv
	hexIdent map[string]jsfile.Idx // obfuscator-style identifiers, first seen
	escaped  int                   // string literals written entirely as \x escapes
	firstEsc jsfile.Idx
}

func (s *state) analyzeScript(e *entry) {
	t := newText(e.data)
	prog, err := parseJS(e.data)
	if err != nil {
		s.dynamicAPI = true
		s.add(ruleCodeUnparsed, parseErrorHit(e, t, err))
		return
	}
	f := &jsFile{s: s, e: e, t: t, env: newJSEnv(), hexIdent: map[string]jsfile.Idx{}}
	// Bindings are collected first: a name can be used above its
	// declaration, and folding needs the whole file's constants.
	walkJS(prog, f.env.record)
	walkJS(prog, f.visit)
	f.finish()
}

// parseErrorHit places a syntax error; the parser counts lines as we do,
// and the module rewrite keeps every offset.
func parseErrorHit(e *entry, t *text, err error) hit {
	h := hit{file: e.name, detail: err.Error(), match: "unparsed"}
	var list parser.ErrorList
	if el, ok := err.(parser.ErrorList); ok {
		list = el
	}
	if len(list) > 0 {
		h.line, h.column = list[0].Position.Line, list[0].Position.Column
		h.snippet = t.line(h.line)
		h.detail = list[0].Message
	}
	return h
}

func (f *jsFile) at(idx jsfile.Idx, match string) hit {
	line, col := f.t.position(int(idx) - 1)
	return hit{file: f.e.name, line: line, column: col, snippet: f.t.line(line), match: match}
}

func (f *jsFile) visit(n ast.Node) {
	switch n := n.(type) {
	case *ast.CallExpression:
		f.call(n)
	case *ast.NewExpression:
		if name, ok := f.globalName(n.Callee); ok && name == "Function" {
			f.s.add(ruleCodeFunction, f.at(n.Idx0(), "new Function"))
		}
	case *ast.DotExpression:
		if obj, ok := f.platformObject(n.Left); ok {
			f.useAPI(obj, n.Identifier.Name.String(), f.at(n.Identifier.Idx, ""))
		}
	case *ast.BracketExpression:
		f.bracket(n)
	case *ast.Identifier:
		name := n.Name.String()
		if isHexIdent(name) {
			if _, seen := f.hexIdent[name]; !seen && len(f.hexIdent) < 1000 {
				f.hexIdent[name] = n.Idx
			}
		}
	case *ast.StringLiteral:
		f.literal(n)
	case *ast.TemplateLiteral:
		for _, el := range n.Elements {
			f.s.contentText(f.e, f.t, int(el.Idx)-1, el.Parsed.String())
		}
	}
}

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

// literal feeds a string to the content lexicon and the entropy and
// encoding checks.
func (f *jsFile) literal(n *ast.StringLiteral) {
	v := n.Value.String()
	f.s.contentText(f.e, f.t, int(n.Idx)-1, v)
	for _, mark := range obfuscatorMarks {
		if strings.Contains(v, mark) {
			f.s.add(ruleCodeObfuscated, withDetail(f.at(n.Idx, mark), "marker "+mark))
		}
	}
	if len(n.Literal) >= 16 && fullyHexEscaped(n.Literal) {
		if f.escaped == 0 {
			f.firstEsc = n.Idx
		}
		f.escaped++
	}
	if len(v) >= minEntropyLen && !strings.HasPrefix(v, "data:") {
		if e := shannon(v); e >= minEntropy {
			h := f.at(n.Idx, "")
			h.snippet = printable(v, 60)
			h.detail = fmt.Sprintf("%d characters, %.2f bits per character", len(v), e)
			f.s.add(ruleCodeEntropy, h)
		}
	}
}

// finish reports obfuscation, which only shows in the whole file.
func (f *jsFile) finish() {
	if len(f.hexIdent) >= minHexIdents {
		first := jsfile.Idx(1 << 62)
		for _, idx := range f.hexIdent {
			first = min(first, idx)
		}
		h := f.at(first, "hex identifiers")
		h.detail = fmt.Sprintf("%d identifiers like _0x1a2b", len(f.hexIdent))
		f.s.add(ruleCodeObfuscated, h)
	}
	if f.escaped >= minEscapedLiterals {
		h := f.at(f.firstEsc, "escaped strings")
		h.detail = fmt.Sprintf("%d string literals written only as \\x escapes", f.escaped)
		f.s.add(ruleCodeObfuscated, h)
	}
}

// Obfuscation thresholds: one or two such names or strings happen in
// honest code (a generated id, an escaped binary marker); tens of them are
// the output of an obfuscator.
const (
	minHexIdents       = 8
	minEscapedLiterals = 10
	minEntropyLen      = 256
	minEntropy         = 5.5
)

var hexIdentRE = regexp.MustCompile(`^_0x[0-9a-fA-F]{4,}$`)

func isHexIdent(name string) bool {
	return strings.HasPrefix(name, "_0x") && hexIdentRE.MatchString(name)
}

// fullyHexEscaped reports a quoted literal made only of \xNN escapes.
func fullyHexEscaped(lit string) bool {
	body := lit[1 : len(lit)-1]
	if len(body) < 8 || len(body)%4 != 0 {
		return false
	}
	for i := 0; i < len(body); i += 4 {
		if body[i] != '\\' || body[i+1] != 'x' {
			return false
		}
	}
	return true
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

// obfuscatorMarks are strings that commercial obfuscators popular with
// mini-program developers leave in their output.
var obfuscatorMarks = []string{"jsjiami.com", "sojson.v4", "sojson.v5"}
