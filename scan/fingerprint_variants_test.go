package scan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/dop251/goja/ast"
	"github.com/stretchr/testify/require"

	"trustgate/internal/npmlibs"
)

// The variants the fingerprint must see through, made from real code: each
// component of the real libraries taken as an app's own code, then renamed,
// reformatted, minified, moved and edited by the transformations below,
// which work on the real syntax tree and token stream and are checked to
// still parse.

// component is one component of a real library: the files of its folder.
type component struct {
	name     string // library spec and folder
	platform Platform
	files    map[string]string // by name inside the folder
}

// realComponents returns every folder of the real libraries that declares
// a component, with the files directly in it.
func realComponents(tb testing.TB) []component {
	tb.Helper()
	var out []component
	for i, app := range npmApps(tb) {
		lib := libraryFolder(i)
		dirs := map[string]map[string]string{}
		for name, body := range app.files {
			if !strings.HasPrefix(name, lib+"/") {
				continue
			}
			dir, base := path.Split(strings.TrimPrefix(name, lib+"/"))
			if dirs[dir] == nil {
				dirs[dir] = map[string]string{}
			}
			dirs[dir][base] = body
		}
		for _, dir := range sortedKeys(dirs) {
			files := dirs[dir]
			isComponent := false
			for name, body := range files {
				if path.Ext(name) == ".json" && strings.Contains(body, `"component"`) {
					isComponent = true
				}
			}
			if isComponent {
				out = append(out, component{name: app.name + " " + dir, platform: app.platform, files: files})
			}
		}
	}
	require.NotEmpty(tb, out)
	return out
}

// componentApp is a skeleton app holding c's files as its own component
// under dir, plus extra files.
func componentApp(c component, dir string, extra map[string]string) map[string]string {
	files := map[string]string{
		"app.json":               `{"pages":["pages/index/index"]}`,
		"app.js":                 "App({})",
		"pages/index/index.js":   "Page({ data: { title: 'Hello' } })",
		"pages/index/index.json": `{"usingComponents":{"c":"/` + dir + `/index"}}`,
	}
	if c.platform == PlatformAlipay {
		files["mini.project.json"] = `{"format":2,"compileType":"mini"}`
		files["pages/index/index.axml"] = `<c>{{title}}</c>`
	} else {
		files["project.config.json"] = `{"compileType":"miniprogram"}`
		files["pages/index/index.wxml"] = `<c>{{title}}</c>`
	}
	for name, body := range c.files {
		files[dir+"/"+name] = body
	}
	for name, body := range extra {
		files[name] = body
	}
	return files
}

func appFingerprint(tb testing.TB, files map[string]string, p Platform) CodeFingerprint {
	tb.Helper()
	zip, err := zipFilesErr(files)
	require.NoError(tb, err)
	opts := npmScanOptions(p)
	opts.SkipSecrets = true
	rep, err := Scan(tb.Context(), bytesReader(zip), int64(len(zip)), opts)
	require.NoError(tb, err)
	return rep.Fingerprint
}

// mapScripts applies fn to every script of c, failing the test if a
// result does not parse: a variant the platform would refuse proves
// nothing.
func mapScripts(tb testing.TB, c component, fn func(src string) string) component {
	tb.Helper()
	out := component{name: c.name, platform: c.platform, files: map[string]string{}}
	for _, name := range sortedKeys(c.files) { // in order: fn may draw random numbers
		body := c.files[name]
		if fingerprintExts[path.Ext(name)] {
			v := fn(body)
			_, err := parseJS(stripModuleSyntax([]byte(v)))
			require.NoError(tb, err, "variant of %s %s does not parse:\n%s", c.name, name, v)
			body = v
		}
		out.files[name] = body
	}
	return out
}

// renameLocals gives every name the script binds a new name from fresh,
// everywhere it is used, leaving property names and keys alone as a
// renaming tool or a minifier does.
func renameLocals(tb testing.TB, src string, fresh func(i int) string) string {
	stripped := stripModuleSyntax([]byte(src))
	prog, err := parseJS(stripped)
	require.NoError(tb, err)
	declared := map[string]bool{}
	keys := map[ast.Node]bool{}
	walkJS(prog, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.Binding:
			if id, ok := n.Target.(*ast.Identifier); ok {
				declared[id.Name.String()] = true
			}
		case *ast.FunctionLiteral:
			if n.Name != nil {
				declared[n.Name.Name.String()] = true
			}
		case *ast.PropertyKeyed:
			if !n.Computed {
				keys[n.Key] = true
			}
		case *ast.MethodDefinition:
			if !n.Computed {
				keys[n.Key] = true
			}
		case *ast.FieldDefinition:
			if !n.Computed {
				keys[n.Key] = true
			}
		}
	})
	names := sortedKeys(declared)
	newName := map[string]string{}
	for i, n := range names {
		if !fingerGlobals[n] {
			newName[n] = fresh(i)
		}
	}
	type edit struct {
		at   int
		old  string
		name string
	}
	var edits []edit
	walkJS(prog, func(n ast.Node) {
		id, ok := n.(*ast.Identifier)
		if !ok || keys[n] {
			return
		}
		name := id.Name.String()
		at := int(id.Idx) - 1
		if nn, ok := newName[name]; ok && at >= 0 && strings.HasPrefix(src[at:], name) {
			edits = append(edits, edit{at, name, nn})
		}
	})
	sort.Slice(edits, func(i, j int) bool { return edits[i].at < edits[j].at })
	var sb strings.Builder
	last := 0
	for _, e := range edits {
		if e.at < last {
			continue
		}
		sb.WriteString(src[last:e.at])
		sb.WriteString(e.name)
		last = e.at + len(e.old)
	}
	sb.WriteString(src[last:])
	return sb.String()
}

// jsToken is one token of a script with the blank and comments before it.
type jsToken struct {
	text    string
	kind    tokKind
	newline bool // a line break before it
}

func jsTokens(src string) []jsToken {
	lx := lexer{src: []byte(src)}
	var out []jsToken
	prevEnd := 0
	for {
		start, end, kind := lx.next()
		if kind == tokEOF {
			return out
		}
		out = append(out, jsToken{text: src[start:end], kind: kind, newline: strings.ContainsAny(src[prevEnd:start], "\n\u2028\u2029")})
		prevEnd = end
	}
}

func wordLike(k tokKind) bool { return k == tokIdent || k == tokNumber }

// reformat lays the tokens out again: comments dropped, spaces added and
// removed between tokens where that changes no meaning, indentation and
// blank lines changed. Line breaks stay where they were, because automatic
// semicolon insertion depends on them.
func reformat(rng *rand.Rand, src string) string {
	var sb strings.Builder
	toks := jsTokens(src)
	for i, t := range toks {
		switch {
		case i == 0:
		case t.newline:
			sb.WriteString(strings.Repeat("\n", 1+rng.IntN(2)) + strings.Repeat("\t", rng.IntN(4)))
		case wordLike(t.kind) && wordLike(toks[i-1].kind):
			sb.WriteString(strings.Repeat(" ", 1+rng.IntN(3)))
		case t.text == "." || toks[i-1].text == ".":
			// ".5" is one number to the parser but two tokens here.
		case t.kind != tokPunct || toks[i-1].kind != tokPunct:
			sb.WriteString(strings.Repeat(" ", rng.IntN(2)))
		}
		sb.WriteString(t.text)
	}
	return sb.String()
}

// minify does what minifiers do that the tokens show: short names for
// locals, no blanks, true and false as !0 and !1, undefined as void 0 and
// some property accesses as brackets. Line breaks that end a statement
// without a semicolon are kept.
func minify(tb testing.TB, rng *rand.Rand, src string) string {
	src = renameLocals(tb, src, func(i int) string { return "_" + strconvBase36(i) })
	toks := jsTokens(src)
	var sb strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		prev := jsToken{kind: tokPunct, text: ";"}
		if i > 0 {
			prev = toks[i-1]
		}
		afterDot := prev.text == "."
		if i > 0 {
			switch {
			case t.newline && !strings.Contains(";{,", prev.text):
				sb.WriteString("\n")
			case wordLike(t.kind) && wordLike(prev.kind):
				sb.WriteString(" ")
			}
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		switch {
		case t.kind == tokIdent && !afterDot && next != ":" && (t.text == "true" || t.text == "false"):
			if wordLike(prev.kind) {
				sb.WriteString(" ")
			}
			sb.WriteString(map[string]string{"true": "!0", "false": "!1"}[t.text])
		case t.kind == tokIdent && !afterDot && next != ":" && t.text == "undefined":
			sb.WriteString("void 0")
		case t.text == "." && i+1 < len(toks) && toks[i+1].kind == tokIdent && prev.text != "." && next != "." &&
			prev.kind != tokNumber && !(i >= 2 && toks[i-2].text == "?") && rng.IntN(3) == 0:
			sb.WriteString(`["` + next + `"]`)
			i++
		default:
			sb.WriteString(t.text)
		}
	}
	return sb.String()
}

func strconvBase36(i int) string { return strings.ToLower(fmt.Sprintf("%x", i)) }

// statementSpans returns the byte spans of the leaf statements of a
// script: statements in a block or the script's body that hold no further
// statement list, so that removing one removes one statement.
func statementSpans(tb testing.TB, src string) [][2]int {
	prog, err := parseJS(stripModuleSyntax([]byte(src)))
	require.NoError(tb, err)
	var spans [][2]int
	add := func(list []ast.Statement) {
		for _, s := range list {
			switch s.(type) {
			case *ast.ExpressionStatement, *ast.VariableStatement, *ast.LexicalDeclaration, *ast.ReturnStatement:
				spans = append(spans, balanceParens(src, int(s.Idx0())-1, stmtEnd(s)))
			}
		}
	}
	walkJS(prog, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.Program:
			add(n.Body)
		case *ast.BlockStatement:
			add(n.List)
		}
	})
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	// Keep the innermost: a span holding another is not a leaf.
	var leaves [][2]int
	for i, s := range spans {
		if i+1 < len(spans) && spans[i+1][0] < s[1] {
			continue
		}
		leaves = append(leaves, s)
	}
	return leaves
}

// stmtEnd is the offset just past statement s. The parser's own end of a
// statement stops before the "()" of a "new Date()" that ends it, so the
// end is taken over every node inside, such a new expression ending at
// its right parenthesis.
func stmtEnd(s ast.Statement) int {
	end := int(s.Idx1())
	walkJS(s, func(n ast.Node) {
		end = max(end, int(n.Idx1()))
		if ne, ok := n.(*ast.NewExpression); ok && ne.RightParenthesis > 0 {
			end = max(end, int(ne.RightParenthesis)+1)
		}
	})
	return end - 1
}

// balanceParens widens a statement's span over the parentheses around its
// first or last expression, which the parser leaves out of the
// expression's own span.
func balanceParens(src string, start, end int) [2]int {
	if start < 0 || end > len(src) || start > end {
		return [2]int{start, end}
	}
	open, unopened := 0, 0
	for _, t := range jsTokens(src[start:end]) {
		switch t.text {
		case "(":
			open++
		case ")":
			if open > 0 {
				open--
			} else {
				unopened++
			}
		}
	}
	for ; unopened > 0; unopened-- {
		i := len(strings.TrimRight(src[:start], " \t\r\n"))
		if i == 0 || src[i-1] != '(' {
			break
		}
		start = i - 1
	}
	for ; open > 0; open-- {
		i := end + len(src[end:]) - len(strings.TrimLeft(src[end:], " \t\r\n"))
		if i >= len(src) || src[i] != ')' {
			break
		}
		end = i + 1
	}
	return [2]int{start, end}
}

// editStats is what an edit changed, in lexical tokens of the scripts.
type editStats struct {
	tokens, removed, added int
}

func (e editStats) share(n int) float64 { return float64(n) / float64(e.tokens) }

// leafStatement is one leaf statement of one script of a component.
type leafStatement struct {
	file   string
	span   [2]int
	tokens int
}

// editKind is what an edit does with the statements it picks.
type editKind int

const (
	editRemove  editKind = iota // each picked statement removed
	editAdd                     // a donor statement added after each picked one
	editReplace                 // every other one removed, the rest replaced by donor statements
)

// editCode edits share of a component's code, measured in lexical tokens
// over all its scripts: whole leaf statements are picked at random until
// their tokens reach share of the total (the last one the smallest that
// reaches it, so the edit is never less than share), and then removed,
// each followed by a donor statement of about the same number of tokens,
// or, in the order picked, every other one removed and the rest replaced
// by a donor statement of about the same size (share taken out, about half
// as much put in). A donor statement that does not fit where it lands (a
// return outside a function) makes it draw again, and then try the next
// donor.
func editCode(tb testing.TB, rng *rand.Rand, c component, donors []string, share float64, kind editKind) (component, editStats) {
	tb.Helper()
	var (
		v  component
		st editStats
	)
	for _, donor := range donors {
		for range 20 {
			var ok bool
			v, st, ok = editCodeOnce(tb, rng, c, donor, share, kind)
			if ok {
				return v, st
			}
		}
	}
	tb.Fatalf("no edit of %s parses", c.name)
	return v, st
}

func editCodeOnce(tb testing.TB, rng *rand.Rand, c component, donor string, share float64, kind editKind) (component, editStats, bool) {
	var (
		st    editStats
		stmts []leafStatement
	)
	for _, name := range sortedKeys(c.files) {
		if !fingerprintExts[path.Ext(name)] {
			continue
		}
		src := c.files[name]
		st.tokens += len(jsTokens(src))
		for _, s := range statementSpans(tb, src) {
			if s[0] < 0 || s[1] > len(src) {
				continue
			}
			stmts = append(stmts, leafStatement{name, s, len(jsTokens(src[s[0]:s[1]]))})
		}
	}
	var donors []leafStatement
	for _, s := range statementSpans(tb, donor) {
		if s[0] < 0 || s[1] > len(donor) {
			continue
		}
		donors = append(donors, leafStatement{"", s, len(jsTokens(donor[s[0]:s[1]]))})
	}
	target := int(math.Ceil(share * float64(st.tokens)))
	var picked []leafStatement
	got := 0 // tokens picked
	taken := map[int]bool{}
	for _, i := range rng.Perm(len(stmts)) {
		if got+stmts[i].tokens <= target {
			picked = append(picked, stmts[i])
			taken[i] = true
			got += stmts[i].tokens
		}
	}
	if got < target {
		last := -1
		for i, s := range stmts {
			if !taken[i] && (last < 0 || s.tokens < stmts[last].tokens) {
				last = i
			}
		}
		// Unless that one statement is most of the code (a data table):
		// then the edit stays under share, and says so in its stats.
		if last >= 0 && got+stmts[last].tokens <= 2*target {
			picked = append(picked, stmts[last])
			got += stmts[last].tokens
		}
	}
	if kind != editAdd {
		st.removed = got
	}
	replace := map[leafStatement]string{}
	for k, s := range picked {
		if kind == editRemove || (kind == editReplace && k%2 == 0) || len(donors) == 0 {
			continue
		}
		// One of the three donor statements closest in size.
		sort.SliceStable(donors, func(i, j int) bool {
			return abs(donors[i].tokens-s.tokens) < abs(donors[j].tokens-s.tokens)
		})
		d := donors[rng.IntN(min(3, len(donors)))]
		replace[s] = strings.TrimRight(donor[d.span[0]:d.span[1]], ";") + ";"
		st.added += d.tokens
	}
	out := component{name: c.name, platform: c.platform, files: map[string]string{}}
	for name, body := range c.files {
		out.files[name] = body
	}
	for _, name := range sortedKeys(c.files) {
		var mine []leafStatement
		for _, s := range picked {
			if s.file == name {
				mine = append(mine, s)
			}
		}
		if len(mine) == 0 {
			continue
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].span[0] < mine[j].span[0] })
		src := c.files[name]
		var sb strings.Builder
		last := 0
		for _, s := range mine {
			sb.WriteString(src[last:s.span[0]])
			if kind == editAdd {
				sb.WriteString(src[s.span[0]:s.span[1]] + ";" + replace[s])
			} else {
				sb.WriteString(";" + replace[s])
			}
			last = s.span[1]
		}
		sb.WriteString(src[last:])
		if _, err := parseJS(stripModuleSyntax([]byte(sb.String()))); err != nil {
			return out, st, false
		}
		out.files[name] = sb.String()
	}
	return out, st, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// distribution summarises measured similarities for the report.
type distribution []float64

func (d distribution) quantile(p float64) float64 {
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	return s[int(p*float64(len(s)-1))]
}

func (d distribution) String() string {
	if len(d) == 0 {
		return "no samples"
	}
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1))] }
	return fmt.Sprintf("n=%d min=%.3f p5=%.3f median=%.3f max=%.3f", len(s), s[0], q(0.05), q(0.5), s[len(s)-1])
}

// libraryFolder is where the i-th library is vendored in its app.
func libraryFolder(i int) string { return npmlibs.Libraries[i].VendorAs }
