package scan

import (
	"fmt"
	"path"
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
		case ext == ".json":
			s.contentJSON(e)
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
	return parser.ParseFile(nil, "", src, 0, parser.WithDisableSourceMaps)
}

// jsFile is the analysis of one script. Its maps and lists are reused from
// script to script (jsScratch): a package has hundreds of scripts and most
// leave them nearly empty.
type jsFile struct {
	s        *state
	e        *entry
	t        *text
	env      *jsEnv
	hexIdent map[string]int // obfuscator-style identifiers, offset first seen
	escaped  int            // string literals written entirely as \x escapes
	firstEsc int
	// later holds the nodes whose meaning depends on the file's bindings
	// (calls, member accesses), resolved once the walk has seen them all.
	later []ast.Node
}

// jsScratch is what one scan reuses across its scripts.
type jsScratch struct {
	file jsFile
	lits []lexLiteral
}

func (s *state) jsFile(e *entry, t *text) *jsFile {
	if s.js == nil {
		s.js = &jsScratch{file: jsFile{env: newJSEnv(), hexIdent: map[string]int{}}}
	}
	f := &s.js.file
	f.s, f.e, f.t = s, e, t
	f.env.reset()
	clear(f.hexIdent)
	f.escaped, f.firstEsc = 0, 0
	return f
}

// analyzeScript runs the CODE rules on one script. A script without any
// of the names the syntax rules look for (codeTokens) is only read for its
// string literals, lexically; the parser, a third of the whole scan's
// time, runs on the others and on any script the lexical read is unsure of.
func (s *state) analyzeScript(e *entry) {
	t := newText(e.data)
	src := stripModuleSyntax(e.data)
	f := s.jsFile(e, t)
	if !needsSyntax(src) {
		if lits, ok := scanLiterals(src, s.js.lits[:0]); ok {
			// The CODE rules need no tree here, the flow analysis may:
			// such a script can pass personal data along (a page calling
			// the app's request wrapper names no platform object).
			if flowNeeds(e, src) {
				if prog, err := parseJS(src); err == nil {
					s.flowAdd(e, t, prog)
				}
			}
			s.js.lits = lits
			for _, l := range lits {
				if l.raw == "" {
					f.templateText(l.off, l.value)
				} else {
					f.stringLiteral(l.off, l.value, l.raw)
				}
			}
			f.finish()
			return
		}
	}
	prog, err := parseJS(src)
	if err != nil {
		s.dynamicAPI = true
		s.add(ruleCodeUnparsed, parseErrorHit(e, t, err))
		return
	}
	if flowNeeds(e, src) {
		s.flowAdd(e, t, prog)
	}
	// One walk records the bindings and checks what needs none; the nodes
	// that need them wait in later, since a name can be used above its
	// declaration and folding needs the whole file's constants.
	walkJS(prog, f.visit)
	for i, n := range f.later {
		f.resolve(n)
		f.later[i] = nil // let the tree go once the file is done
	}
	f.later = f.later[:0]
	f.finish()
	s.noteScript(e, prog)
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
	return f.atOffset(int(idx)-1, match)
}

func (f *jsFile) atOffset(off int, match string) hit {
	line, col := f.t.position(off)
	return hit{file: f.e.name, line: line, column: col, snippet: f.t.line(line), match: match}
}

// visit is called for every node in walk order. Bindings are recorded and
// literals checked at once; calls and member accesses, which may name a
// binding declared further down, are kept for resolve.
func (f *jsFile) visit(n ast.Node) {
	switch n := n.(type) {
	case *ast.Binding, *ast.AssignExpression, *ast.UnaryExpression:
		f.env.record(n)
	case *ast.CallExpression, *ast.NewExpression:
		f.later = append(f.later, n)
	case *ast.DotExpression:
		// Only a name can be (or stand for) a platform object.
		if _, ok := n.Left.(*ast.Identifier); ok {
			f.later = append(f.later, n)
		}
	case *ast.BracketExpression:
		if _, ok := n.Left.(*ast.Identifier); ok {
			f.later = append(f.later, n)
		}
	case *ast.Identifier:
		f.identifier(n.Name.String(), int(n.Idx)-1)
	case *ast.StringLiteral:
		f.stringLiteral(int(n.Idx)-1, n.Value.String(), n.Literal)
	case *ast.TemplateLiteral:
		for _, el := range n.Elements {
			f.templateText(int(el.Idx)-1, el.Parsed.String())
		}
	}
}

// resolve checks a node kept by visit, now that every binding is known.
func (f *jsFile) resolve(n ast.Node) {
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
	}
}
