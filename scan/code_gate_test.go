package scan

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dop251/goja/ast"
	"github.com/stretchr/testify/require"
)

// parsedLiterals lists what the syntax walk gives the literal checks.
func parsedLiterals(t *testing.T, src []byte) []lexLiteral {
	t.Helper()
	prog, err := parseJS(src)
	if err != nil {
		return nil
	}
	var out []lexLiteral
	walkJS(prog, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.StringLiteral:
			out = append(out, lexLiteral{off: int(n.Idx) - 1, value: n.Value.String(), raw: n.Literal})
		case *ast.TemplateLiteral:
			for _, el := range n.Elements {
				out = append(out, lexLiteral{off: int(el.Idx) - 1, value: el.Parsed.String()})
			}
		}
	})
	return out
}

// requireLexicalReadAgrees fails when src is read lexically but not as
// the parser reads it.
func requireLexicalReadAgrees(t *testing.T, name string, src []byte) {
	t.Helper()
	lits, ok := scanLiterals(src, nil)
	if !ok {
		return
	}
	if _, err := parseJS(src); err != nil {
		// Only visibly broken scripts are refused (CODE-090 documents
		// this); others the parser rejects have no literals to compare.
		return
	}
	// Property names the parser turns into literals are the only ones
	// the lexical read leaves out, and only when no check reports them.
	var want []lexLiteral
	for _, l := range parsedLiterals(t, src) {
		if l.raw != "" && l.raw[0] != '"' && l.raw[0] != '\'' {
			require.False(t, identMayMatter([]byte(l.raw)), "%s: name %q", name, l.raw)
			continue
		}
		want = append(want, l)
	}
	require.Equal(t, want, lits, "%s", name)
}

// Every script of the fixtures and the real libraries that the lexical
// read accepts must give exactly the parser's literals; the scripts the
// gate lets through without parsing are counted so that a change making
// the gate useless shows.
func TestLexicalLiteralsMatchTheParser(t *testing.T) {
	t.Parallel()
	scripts := map[string]string{}
	require.NoError(t, filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		scripts[p] = string(b)
		return err
	}))
	for _, app := range npmApps(t) {
		for f, body := range app.files {
			scripts[app.name+"/"+f] = body
		}
	}
	lexical, gated := 0, 0
	for name, body := range scripts {
		if !scriptExts[strings.ToLower(path.Ext(name))] {
			continue
		}
		src := stripModuleSyntax([]byte(body))
		if _, ok := scanLiterals(src, nil); !ok {
			continue
		}
		lexical++
		_, err := parseJS(src)
		require.NoError(t, err, "%s: real code the lexical read accepts must parse", name)
		if !needsSyntax(src) {
			gated++
		}
		requireLexicalReadAgrees(t, name, src)
	}
	t.Logf("%d scripts read lexically as the parser reads them, %d of them without parsing", lexical, gated)
	require.Positive(t, gated)
}

func TestGateFindsTheTokensRulesNeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"plain component code needs no syntax", "Component({ data: { a: 'x' }, methods: { tap() { this.setData({ a: 1 }) } } })", false},
		{"a platform call needs it", "wx.getLocation({})", true},
		{"eval needs it", "(0, eval)('x')", true},
		{"a name set off by a Unicode space still counts", "a =\u00a0wx", true},
		{"a longer name is not the word", "const myName = evaluate(wxa)", false},
		{"hex identifiers need it", "var _0x1a2b = 1", true},
		{"an escape that could spell a name needs it", `\u0077x.request()`, true},
		{"an obfuscator mark needs it", "var s = 'jsjiami.com.v6'", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, needsSyntax([]byte(tc.src)))
		})
	}
}

// The lexical read gives up wherever it could be misled into reading
// code as a literal or a literal as code; the parser then decides.
func TestLexicalReadGivesUpWhereItCouldBeMisled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
	}{
		{"regular expression after an if condition", "if (a) /'/.x; b = 'casino'; /'/.y"},
		{"slash after an increment", "a++ / 2; b = '/'"},
		{"tagged template", "css`a ${b} c`"},
		{"do loop, whose condition the walk visits first", "do { a('x') } while (b !== 'y')"},
		{"property name holding a lexicon term", "o = { casino: 1 }"},
		{"unterminated string", "a = 'x\nb"},
		{"unpaired bracket", "f(a, [b)"},
		{"octal escape", `a = '\101'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ok := scanLiterals([]byte(tc.src), nil)
			require.False(t, ok)
		})
	}
}
