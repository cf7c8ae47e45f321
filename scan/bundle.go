package scan

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/dop251/goja/ast"
)

// A built WeChat package keeps no source files: its manifest is
// app-config.json, and every script of the main package sits in
// app-service.js (game.js for a mini-game), each wrapped as
//
//	define("pages/account/index.js", function(require, module, exports, ...){<the file as written>});
//
// with a further app-service.js or game.js at each sub-package's root. The
// scan splits these bundles back into their modules, so every rule, the
// reviewer's file browser and any later analysis see pages/account/index.js
// with its own lines, exactly as in the source form.
//
// Line mapping: a module's text is its function body, from just after the
// opening brace to just before the closing one. Line 1 of the module is the
// line of the opening brace, so as long as the build put the developer's
// file right after the brace (it does unless it transpiled the file), line
// N of the module is line N of the source file; only columns on line 1 are
// shifted, by the wrapper before the brace. The bundle itself stays a file
// with each module body blanked (newlines kept), so the code outside any
// module is still scanned, at the bundle's own lines, and nothing is
// scanned twice.
const builtManifest = "app-config.json"

// bundleNames are the files a build puts modules in.
var bundleNames = map[string]bool{"app-service.js": true, "game.js": true}

// builtRoot returns the folder holding app-config.json ("" or "name/"),
// the shallowest if there are several, and whether there is one at all.
func (a *archive) builtRoot() (string, bool) {
	best, found := "", false
	for _, e := range a.files {
		if path.Base(e.clean) != builtManifest {
			continue
		}
		dir := path.Dir(e.clean) + "/"
		if dir == "./" {
			dir = ""
		}
		if !found || strings.Count(dir, "/") < strings.Count(best, "/") || strings.Count(dir, "/") == strings.Count(best, "/") && dir < best {
			best, found = dir, true
		}
	}
	return best, found
}

// splitBundles splits every bundle of a built package into modules. A
// package without app-config.json is source, and a file that happens to be
// called game.js or app-service.js there is left alone.
func (rd *reader) splitBundles() error {
	root, built := rd.a.builtRoot()
	if !built {
		return nil
	}
	files := append([]*entry(nil), rd.a.files...)
	for _, e := range files {
		if err := rd.ctx.Err(); err != nil {
			return fmt.Errorf("split built code: %w", err)
		}
		if e.read && bundleNames[path.Base(e.clean)] && strings.HasPrefix(e.clean, root) {
			rd.splitBundle(e, root)
		}
	}
	return nil
}

// moduleDef is one define call: the module's name and its body's offsets.
type moduleDef struct {
	name       string
	at         int // offset of the call, for findings about the name
	start, end int // the body, between the braces
}

// defineCalls finds the define calls of a bundle. Defines inside another
// module's body are part of that module, not modules of their own.
func defineCalls(prog *ast.Program) []moduleDef {
	var defs []moduleDef
	walkJS(prog, func(n ast.Node) {
		call, ok := n.(*ast.CallExpression)
		if !ok || len(call.ArgumentList) < 2 {
			return
		}
		if id, ok := call.Callee.(*ast.Identifier); !ok || id.Name != "define" {
			return
		}
		name, ok := call.ArgumentList[0].(*ast.StringLiteral)
		if !ok {
			return
		}
		var body *ast.BlockStatement
		switch fn := call.ArgumentList[1].(type) {
		case *ast.FunctionLiteral:
			body = fn.Body
		case *ast.ArrowFunctionLiteral:
			body, _ = fn.Body.(*ast.BlockStatement)
		}
		if body == nil {
			return
		}
		// Idx is one past the byte offset: the body starts after "{" and
		// ends before "}".
		defs = append(defs, moduleDef{
			name: name.Value.String(), at: int(call.Idx0()) - 1,
			start: int(body.LeftBrace), end: int(body.RightBrace) - 1,
		})
	})
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].start < defs[j].start })
	out := defs[:0]
	outer := -1
	for _, d := range defs {
		if outer >= 0 && d.start < out[outer].end {
			continue
		}
		out = append(out, d)
		outer = len(out) - 1
	}
	return out
}

// splitBundle places each module of the bundle e as a file of its own. A
// bundle the parser rejects stays whole, and the CODE rules report it as
// unparsed.
func (rd *reader) splitBundle(e *entry, root string) {
	// Modules the build did not transpile keep their import and export
	// declarations, which the parser rejects; the rewrite keeps offsets.
	prog, err := parseJS(stripModuleSyntax(e.data))
	if err != nil {
		return
	}
	defs := defineCalls(prog)
	if len(defs) == 0 {
		return
	}
	// A sub-package's bundle names its modules from the package root; one
	// that names them from its own folder is placed there all the same.
	sub := strings.TrimPrefix(path.Dir(e.clean)+"/", root)
	if sub == "./" {
		sub = ""
	}
	rest := bytes.Clone(e.data)
	var t *text
	for _, d := range defs {
		if d.start < 0 || d.end < d.start || d.end > len(e.data) {
			continue
		}
		if r, detail, bad := nameProblem(d.name); bad {
			if t == nil {
				t = newText(e.data)
			}
			line, col := t.position(d.at)
			rd.findings = append(rd.findings, r.finding(hit{
				file: e.name, line: line, column: col, snippet: d.name,
				detail: "module name in a built bundle" + suffix(detail),
				match:  fmt.Sprintf("define:%d:%s", d.at, d.name),
			}))
			continue
		}
		rel := path.Clean(strings.ReplaceAll(d.name, `\`, "/"))
		if sub != "" && !strings.HasPrefix(rel, sub) {
			rel = sub + rel
		}
		body := e.data[d.start:d.end]
		// Unpacking tools leave the split files next to the bundle; the
		// same text twice is one file.
		if prev := rd.a.byPath[root+rel]; prev != nil && prev.bundle == nil && bytes.Equal(prev.data, body) {
			blank(rest[d.start:d.end])
			continue
		}
		m := rd.place(root+rel, root+rel, len(rd.a.files), uint64(len(body)), false)
		if m == nil {
			continue
		}
		m.data, m.read, m.bundle = body, true, e
		blank(rest[d.start:d.end])
	}
	e.data = rest
}

func suffix(detail string) string {
	if detail == "" {
		return ""
	}
	return ": " + detail
}

// wxmlRef is a template path as compiled template code names it:
// "./pages/index/index.wxml" in $gwx's list or __wxAppCode__'s keys.
var wxmlRef = regexp.MustCompile(`["'](?:\./|/)?([A-Za-z0-9_\-@~$.][A-Za-z0-9_\-@~$./]*\.wxml)["']`)

// compiledTemplates are the .wxml paths a built package's compiled
// template code holds (page-frame.html, page-frame.js, the bundles and the
// per-page .html files of newer builds), as clean package paths. They are
// what the build left of each template, so a page whose template is listed
// there has one.
func (s *state) compiledTemplates() map[string]bool {
	if s.templates != nil {
		return s.templates
	}
	s.templates = map[string]bool{}
	for _, e := range s.arch.files {
		if !e.read || e.bundle != nil || !strings.HasPrefix(e.clean, s.base) {
			continue
		}
		base := path.Base(e.clean)
		if !strings.HasPrefix(base, "page-frame.") && !bundleNames[base] && path.Ext(base) != ".html" {
			continue
		}
		dir := path.Dir(e.clean) + "/"
		for _, m := range wxmlRef.FindAllSubmatch(e.data, -1) {
			ref := cleanRel(string(m[1]))
			if ref == "" {
				continue
			}
			s.templates[s.base+ref] = true
			if dir != "./" && dir != s.base {
				// A sub-package's frame may name its templates from its root.
				s.templates[path.Clean(dir+ref)] = true
			}
		}
	}
	return s.templates
}

// builtTemplate reports whether the page at base (a clean package path
// without extension) has a compiled template in a built package.
func (s *state) builtTemplate(base string) bool {
	return s.compiledTemplates()[base+".wxml"] || s.exists(base+".html")
}
