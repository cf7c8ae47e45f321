package scan

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Hostile scripts cost the flow analysis bounded work and no panic:
// nesting past any real code, functions calling each other without end,
// objects holding themselves, and one huge file of calls. The flows that
// are there are still found where the nesting is real-sized.
func TestFlowsBoundedOnHostileScripts(t *testing.T) {
	t.Parallel()
	deepCalls := strings.Repeat("f(", 20000) + "wx.getLocation()" + strings.Repeat(")", 20000)
	deepFns := strings.Repeat("function a(x){", 3000) + "wx.request({url:'https://x.example.com',data:x})" + strings.Repeat("}", 3000)
	deepPattern := "var " + strings.Repeat("{a:", 5000) + "z" + strings.Repeat("}", 5000) + " = wx.getLocation()"
	var huge strings.Builder
	for i := range 40000 {
		huge.WriteString("var v")
		huge.WriteString(strings.Repeat("x", i%7))
		huge.WriteString(" = wx.getLocation(); wx.request({url: 'https://a.example.com', data: v});\n")
	}
	cases := map[string]string{
		"deep calls":              deepCalls,
		"deep functions":          deepFns,
		"deep pattern":            deepPattern,
		"recursion":               "function f(x, n){ return n ? g(x, n - 1) : x } function g(y, n){ return f({ y: y }, n) } wx.request({ url: 'https://a.example.com', data: f(wx.getLocation(), 3) })",
		"self-holding objects":    "var a = {}; a.a = a; a.b = { c: a }; a.b.c.a.b = wx.getLocation(); for (;;) { a = { a: a } } wx.request({ url: 'https://a.example.com', data: a.b })",
		"huge file of calls":      huge.String(),
		"module exporting itself": "module.exports = module.exports; exports.x = exports; module.exports.y = require('./a.js')",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string][]byte{
				"app.json":            []byte(`{"pages":["a"]}`),
				"project.config.json": []byte(`{}`),
				"a.js":                []byte(src),
				"a.wxml":              []byte("<view/>"),
			}
			rep := scanWith(t, files, Options{Platform: PlatformWeChat})
			require.NotNil(t, rep.Flows)
			require.LessOrEqual(t, len(rep.Flows), maxFlows)
		})
	}
	rep := scanWith(t, map[string][]byte{
		"app.json": []byte(`{"pages":["a"]}`), "project.config.json": []byte(`{}`), "a.wxml": []byte("<view/>"),
		"a.js": []byte(cases["recursion"]),
	}, Options{Platform: PlatformWeChat})
	require.Equal(t, []string{"wx.getLocation location a.js:1 -> wx.request a.js:1 https://a.example.com"}, flowKeys(rep), "recursion still carries the data")
}
