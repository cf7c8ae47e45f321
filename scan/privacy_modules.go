package scan

import (
	"bytes"
	"regexp"
	"strings"
)

// ES module syntax is rewritten away before parsing (stripModuleSyntax),
// which drops the names an import binds and an export declares. The flow
// analysis needs them to follow data across modules written with import
// and export, so it reads them from the original text: the rewrite keeps
// every offset, and these forms are the ones mini-program code uses.
var (
	importDefaultRE = regexp.MustCompile(`^import\s+([A-Za-z_$][\w$]*)\s*(?:,\s*\{([^}]*)\})?\s*from\s*['"]([^'"\n]+)['"]`)
	importNamedRE   = regexp.MustCompile(`^import\s*\{([^}]*)\}\s*from\s*['"]([^'"\n]+)['"]`)
	importStarRE    = regexp.MustCompile(`^import\s*\*\s*as\s+([A-Za-z_$][\w$]*)\s*from\s*['"]([^'"\n]+)['"]`)
	exportDeclRE    = regexp.MustCompile(`^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)`)
	exportListRE    = regexp.MustCompile(`^export\s*\{([^}]*)\}\s*(?:;|\n|$)`)
)

// esImport is one name an import binds: local is bound to the module's
// export name, or to the whole module when name is "*", and to its
// default export when name is "default".
type esImport struct {
	local, name, spec string
}

// esModule is what a module's import and export declarations say.
type esModule struct {
	imports []esImport
	exports map[string]string // exported name -> local name
}

const maxModuleDecls = 256

func readESModule(src []byte) *esModule {
	var m *esModule
	for _, word := range []string{"import", "export"} {
		for from, n := 0, 0; n < maxModuleDecls; n++ {
			i := bytes.Index(src[from:], []byte(word))
			if i < 0 {
				break
			}
			i += from
			from = i + len(word)
			if !declarationStart(src, i) {
				continue
			}
			if m == nil {
				m = &esModule{exports: map[string]string{}}
			}
			m.read(string(src[i:min(len(src), i+512)]))
		}
	}
	if m == nil || len(m.imports) == 0 && len(m.exports) == 0 {
		return nil
	}
	return m
}

// declarationStart reports whether the keyword at i starts a statement:
// at the start of the text or of a line, or after ; or } (a build puts
// "use strict"; before the first line).
func declarationStart(src []byte, i int) bool {
	j := i - 1
	for j >= 0 && (src[j] == ' ' || src[j] == '\t') {
		j--
	}
	return j < 0 || src[j] == '\n' || src[j] == '\r' || src[j] == ';' || src[j] == '}'
}

// read takes one declaration from the text starting at its keyword.
func (m *esModule) read(s string) {
	named := func(list, spec string) {
		for _, part := range strings.Split(list, ",") {
			name, local, ok := strings.Cut(strings.TrimSpace(part), " as ")
			name = strings.TrimSpace(name)
			if !ok {
				local = name
			}
			if local = strings.TrimSpace(local); local != "" && len(m.imports) < maxModuleDecls {
				m.imports = append(m.imports, esImport{local: local, name: name, spec: spec})
			}
		}
	}
	if g := importDefaultRE.FindStringSubmatch(s); g != nil {
		m.imports = append(m.imports, esImport{local: g[1], name: "default", spec: g[3]})
		if g[2] != "" {
			named(g[2], g[3])
		}
	}
	if g := importNamedRE.FindStringSubmatch(s); g != nil {
		named(g[1], g[2])
	}
	if g := importStarRE.FindStringSubmatch(s); g != nil {
		m.imports = append(m.imports, esImport{local: g[1], name: "*", spec: g[2]})
	}
	if g := exportDeclRE.FindStringSubmatch(s); g != nil {
		m.exports[g[1]] = g[1]
	}
	if g := exportListRE.FindStringSubmatch(s); g != nil {
		for _, part := range strings.Split(g[1], ",") {
			local, name, ok := strings.Cut(strings.TrimSpace(part), " as ")
			local = strings.TrimSpace(local)
			if !ok {
				name = local
			}
			if name = strings.TrimSpace(name); name != "" {
				m.exports[name] = local
			}
		}
	}
}

// bindImports binds a module's imported names before its code runs.
func (g *flowEngine) bindImports(f *flowFile) {
	if f.es == nil {
		return
	}
	for _, im := range f.es.imports {
		mod := &val{mod: g.resolve(im.spec)}
		var v *val
		switch im.name {
		case "*":
			v = mod
		case "default":
			// export default X is rewritten to exports.deflt = X; a
			// CommonJS module's default is its module.exports.
			v = g.member(mod, "deflt")
			if v.empty() {
				v = mod
			}
		default:
			v = g.member(mod, im.name)
		}
		if dst := g.variable(f.scope, im.local); dst != nil {
			g.into(dst, v)
		}
	}
}

// bindExports publishes a module's exported declarations once its code
// has run.
func (g *flowEngine) bindExports(f *flowFile) {
	if f.es == nil {
		return
	}
	for name, local := range f.es.exports {
		if v := f.scope.decls[local]; v != nil {
			g.exportProp(name, v)
		}
	}
}
