package scan

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// A <web-view> opens a web page inside the mini-program: the page's URL,
// with whatever the template binds into it, goes to that page's server.
// Its src is bound to the page's data, so it is a sink the templates
// declare and setData feeds: data that reaches a data key its src names
// leaves the device when the page renders.

// webView is one <web-view> of a template.
type webView struct {
	line   int
	keys   []string // the page data keys its src names
	prefix string   // the constant start of its src, before the first binding
}

// pageTemplate is a page's template as the flow analysis reads it: where
// its findings point and the web-views it holds.
type pageTemplate struct {
	name  string
	views []webView
}

// webViewSrcRE finds a web-view's src in a template, or in compiled template
// code that carries the markup as an escaped string.
var webViewSrcRE = regexp.MustCompile(`(?is)(?:<|\\u003c)web-view\b[^>]*?\ssrc\s*=\s*(?:\\"(.*?)\\"|\\'(.*?)\\'|"(.*?)"|'(.*?)')`)

// mustacheRE is one {{ }} binding.
var mustacheRE = regexp.MustCompile(`\{\{(.*?)\}\}`)

// templateWebViews reads the web-views of a template's text. Lines are
// counted by newlines, or by "\n" escapes when the markup is an escaped
// string.
func templateWebViews(data []byte, escaped bool) []webView {
	if !bytes.Contains(bytes.ToLower(data), []byte("web-view")) {
		return nil
	}
	nl := []byte("\n")
	if escaped {
		nl = []byte(`\n`)
	}
	var out []webView
	for _, m := range webViewSrcRE.FindAllSubmatchIndex(data, 100) {
		g := firstGroup(m)
		if bytes.Contains(bytes.ToLower(data[m[0]:m[2*g]]), []byte(`\u003e`)) {
			continue // the src of a later tag, in escaped markup
		}
		src := string(data[m[2*g]:m[2*g+1]])
		first := strings.Index(src, "{{")
		if first < 0 {
			continue // a constant URL carries no data
		}
		v := webView{line: 1 + bytes.Count(data[:m[0]], nl), prefix: src[:first]}
		for _, b := range mustacheRE.FindAllStringSubmatch(src, 16) {
			v.keys = appendNew(v.keys, bindingNames(b[1])...)
		}
		if len(v.keys) > 0 {
			out = append(out, v)
		}
	}
	return out
}

// firstGroup is the number of the submatch that matched.
func firstGroup(m []int) int {
	for g := 1; 2*g+1 < len(m); g++ {
		if m[2*g] >= 0 {
			return g
		}
	}
	return 0
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, x := range list {
			if x == a {
				found = true
				break
			}
		}
		if !found {
			list = append(list, a)
		}
	}
	return list
}

// bindingNames returns the names a binding expression reads from the
// page's data: its identifiers that are not a property of something
// (b in a.b), not inside a string and not a literal word.
func bindingNames(expr string) []string {
	var out []string
	var quote byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '\\' && i+1 < len(expr) && (expr[i+1] == '"' || expr[i+1] == '\''):
			// an escaped quote of compiled template code
		case isIdentStart(c):
			j := i + 1
			for j < len(expr) && (isIdentStart(expr[j]) || expr[j] >= '0' && expr[j] <= '9') {
				j++
			}
			name := expr[i:j]
			k := i - 1
			for k >= 0 && expr[k] == ' ' {
				k--
			}
			prop := k >= 0 && expr[k] == '.'
			if !prop && !bindingWords[name] {
				out = appendNew(out, name)
			}
			i = j - 1
		case c >= '0' && c <= '9':
			for i+1 < len(expr) && (isIdentStart(expr[i+1]) || expr[i+1] >= '0' && expr[i+1] <= '9' || expr[i+1] == '.') {
				i++
			}
		}
	}
	return out
}

var bindingWords = map[string]bool{"true": true, "false": true, "null": true, "undefined": true}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// frameWebViews reads the web-views of compiled template code, each under
// the template the code names before it (its .wxml path from the package
// root), with lines counted from the start of that template's markup.
func frameWebViews(data []byte, dir string, into map[string]*pageTemplate) {
	if !bytes.Contains(bytes.ToLower(data), []byte("web-view")) {
		return
	}
	refs := wxmlRef.FindAllSubmatchIndex(data, -1)
	for i, r := range refs {
		end := len(data)
		if i+1 < len(refs) {
			end = refs[i+1][0]
		}
		views := templateWebViews(data[r[1]:end], true)
		if len(views) == 0 {
			continue
		}
		ref := cleanRel(string(data[r[2]:r[3]]))
		if ref == "" {
			continue
		}
		if dir != "." && dir != "" && !strings.HasPrefix(ref, dir+"/") {
			// A sub-package's frame may name its templates from its root.
			ref = path.Clean(dir + "/" + ref)
		}
		into[ref] = &pageTemplate{name: ref, views: views}
	}
}

// webViewSinks reports, once the pages' data is known, a flow for every
// origin that reaches a data key a page's web-view binds into its src.
func (g *flowEngine) webViewSinks() {
	for _, f := range g.files {
		if len(f.data) == 0 {
			continue
		}
		base := strings.TrimSuffix(f.rel, ".js")
		if base == f.rel {
			continue
		}
		tpl := g.templates[base+".wxml"]
		if tpl == nil {
			tpl = g.templates[base+".axml"]
		}
		if tpl == nil {
			continue
		}
		for _, v := range tpl.views {
			var data taint
			for _, k := range v.keys {
				if d := f.data[k]; d != nil {
					data = data.union(d.t)
				}
			}
			if len(data) == 0 {
				continue
			}
			endpoint, scheme := urlHost(v.prefix, false)
			if endpoint == "" && strings.TrimSpace(v.prefix) == "" {
				// src="{{url}}": the host is the data key's, when its
				// value is a URL built from a constant.
				if d := f.data[v.keys[0]]; d != nil && d.strOK {
					endpoint, scheme = urlHost(d.str, d.whole)
				}
			}
			g.sinkAt("web-view", tpl.name, v.line, data, endpoint, scheme)
		}
	}
}
