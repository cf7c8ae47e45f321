// Package wxbuild turns a WeChat mini-program source folder into the built
// packages the developer tools upload, so that tests can hold the scan of a
// built package against the scan of its source. It lays the output out as
// the tools do: app-config.json for app.json and the page configurations,
// every script of a package wrapped as define("path.js", function(...){...})
// in its app-service.js, templates compiled into $gwx code in
// page-frame.html (page-frame.js for a sub-package), one .wxapkg for the
// main package and one per sub-package. It does not transpile: each
// script's text follows its wrapper's opening brace unchanged, which is
// what keeps its lines.
package wxbuild

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ReadDir reads the regular files under dir, named relative to it.
func ReadDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read source folder %s: %w", dir, err)
	}
	return files, nil
}

// Built is a build's output: each package's files as its .wxapkg holds
// them, names without the index's leading "/".
type Built struct {
	Main map[string][]byte
	// Subs maps a sub-package's root ("packageShop") to its files, each
	// named from the package root ("packageShop/app-service.js").
	Subs map[string]map[string][]byte
}

type appJSON struct {
	Pages       []string        `json:"pages"`
	SubPackages []subPackage    `json:"subPackages"`
	Subpackages []subPackage    `json:"subpackages"`
	Window      json.RawMessage `json:"window,omitempty"`
	TabBar      json.RawMessage `json:"tabBar,omitempty"`
	Permission  json.RawMessage `json:"permission,omitempty"`
	Private     json.RawMessage `json:"requiredPrivateInfos,omitempty"`
}

type subPackage struct {
	Root  string   `json:"root"`
	Pages []string `json:"pages"`
}

// wrapperParams are the arguments the WeChat runtime gives every module.
const wrapperParams = "require, module, exports, window, document, frames, self, location, navigator, localStorage, history, Caches, screen, alert, confirm, prompt, XMLHttpRequest, WebSocket, Reporter, webkit, WeixinJSCore"

// Build compiles the source files of a mini-program.
func Build(src map[string][]byte) (Built, error) {
	var app appJSON
	if err := json.Unmarshal(src["app.json"], &app); err != nil {
		return Built{}, fmt.Errorf("build: app.json: %w", err)
	}
	subs := append(app.SubPackages, app.Subpackages...)
	owner := func(name string) string {
		for _, sp := range subs {
			if root := strings.Trim(sp.Root, "/"); strings.HasPrefix(name, root+"/") {
				return root
			}
		}
		return ""
	}
	out := Built{Main: map[string][]byte{}, Subs: map[string]map[string][]byte{}}
	scripts := map[string][]string{}
	templates := map[string][]string{}
	pageConfigs := map[string]json.RawMessage{}
	names := make([]string, 0, len(src))
	for name := range src {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		root := owner(name)
		switch ext := path.Ext(name); {
		case name == "app.json" || name == "project.config.json" || name == "project.private.config.json" || name == "sitemap.json" && root == "":
			// compiled into app-config.json or not uploaded at all
		case ext == ".js":
			scripts[root] = append(scripts[root], name)
		case ext == ".wxml":
			templates[root] = append(templates[root], name)
		case ext == ".json":
			pageConfigs[strings.TrimSuffix(name, ".json")+".html"] = src[name]
		case ext == ".wxss":
			// compiled into the frame's style code below
			templates[root] = append(templates[root], name)
		default:
			out.files(root)[name] = src[name]
		}
	}
	cfg, err := appConfig(src["app.json"], pageConfigs, app)
	if err != nil {
		return Built{}, err
	}
	out.Main["app-config.json"] = cfg
	for root, list := range scripts {
		pages := app.Pages
		bundle := "app-service.js"
		if root != "" {
			bundle = root + "/app-service.js"
			for _, sp := range subs {
				if strings.Trim(sp.Root, "/") == root {
					pages = nil
					for _, p := range sp.Pages {
						pages = append(pages, root+"/"+p)
					}
				}
			}
		}
		out.files(root)[bundle] = appService(src, list, pages, root == "")
	}
	for root, list := range templates {
		frame := "page-frame.html"
		if root != "" {
			frame = root + "/page-frame.js"
		}
		out.files(root)[frame] = pageFrame(src, list, root == "")
	}
	return out, nil
}

func (b Built) files(root string) map[string][]byte {
	if root == "" {
		return b.Main
	}
	if b.Subs[root] == nil {
		b.Subs[root] = map[string][]byte{}
	}
	return b.Subs[root]
}

// appConfig keeps what app.json declares and adds the page configurations
// under "page", as the tools do.
func appConfig(raw []byte, pages map[string]json.RawMessage, app appJSON) ([]byte, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("build: app.json: %w", err)
	}
	if len(app.Pages) > 0 {
		all["entryPagePath"], _ = json.Marshal(app.Pages[0] + ".html")
	}
	if w, ok := all["window"]; ok {
		all["global"], _ = json.Marshal(map[string]json.RawMessage{"window": w})
		delete(all, "window")
	}
	page := map[string]json.RawMessage{}
	for k, v := range pages {
		page[k] = json.RawMessage(fmt.Sprintf(`{"window":%s}`, bytes.TrimSpace(v)))
	}
	all["page"], _ = json.Marshal(page)
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("build: app-config.json: %w", err)
	}
	return b, nil
}

// appService wraps each script in a define call and requires the app and
// its pages after them, as the runtime's glue does.
func appService(src map[string][]byte, scripts, pages []string, main bool) []byte {
	var b bytes.Buffer
	b.WriteString("var __wxAppData = __wxAppData || {};\nvar __wxRoute = __wxRoute || \"\";\nvar __wxRouteBegin = __wxRouteBegin || \"\";\nvar __wxAppCode__ = __wxAppCode__ || {};\n")
	for _, name := range scripts {
		fmt.Fprintf(&b, "define(%q, function(%s){\"use strict\";", name, wrapperParams)
		b.Write(src[name])
		b.WriteString("\n});\n")
	}
	if main {
		b.WriteString("require(\"app.js\");\n")
	}
	for _, p := range pages {
		fmt.Fprintf(&b, "__wxRoute = %q;__wxRouteBegin = true;__wxAppCurrentFile__ = %q;require(%q);\n", p, p+".js", p+".js")
	}
	return b.Bytes()
}

// pageFrame compiles templates and styles into frame code that names each
// template as the $gwx code of real builds does; the markup travels as
// string data rather than as generated functions.
func pageFrame(src map[string][]byte, files []string, html bool) []byte {
	var b bytes.Buffer
	if html {
		b.WriteString("<!DOCTYPE html>\n<html><head><script>\n")
	}
	b.WriteString("var __wxAppCode__ = __wxAppCode__ || {};\nvar $gwx = function(path){ return function(){ return __wxTemplates__[path]; }; };\nvar __wxTemplates__ = {};\n")
	var refs []string
	for _, name := range files {
		body, _ := json.Marshal(string(src[name]))
		if path.Ext(name) == ".wxss" {
			fmt.Fprintf(&b, "__wxAppCode__['%s'] = [%s];\n", name, body)
			continue
		}
		refs = append(refs, fmt.Sprintf("'./%s'", name))
		fmt.Fprintf(&b, "__wxTemplates__['./%s'] = %s;\n__wxAppCode__['%s'] = $gwx('./%s');\n", name, body, name, name)
	}
	fmt.Fprintf(&b, "var x = [%s];\n", strings.Join(refs, ","))
	if html {
		b.WriteString("</script></head><body></body></html>\n")
	}
	return b.Bytes()
}

// Pack writes files as a .wxapkg: header, index, then the bodies in the
// index's (sorted) order.
func Pack(files map[string][]byte) []byte {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	indexLen := 4
	for _, name := range names {
		indexLen += 12 + len("/"+name)
	}
	var index, body bytes.Buffer
	be := func(w *bytes.Buffer, v int) { _ = binary.Write(w, binary.BigEndian, uint32(v)) }
	be(&index, len(names))
	off := 14 + indexLen
	for _, name := range names {
		stored := "/" + name
		be(&index, len(stored))
		index.WriteString(stored)
		be(&index, off)
		be(&index, len(files[name]))
		body.Write(files[name])
		off += len(files[name])
	}
	var out bytes.Buffer
	out.WriteByte(0xBE)
	be(&out, 0)
	be(&out, index.Len())
	be(&out, body.Len())
	out.WriteByte(0xED)
	out.Write(index.Bytes())
	out.Write(body.Bytes())
	return out.Bytes()
}

// Packages returns the main package and each sub-package as .wxapkg
// files, named as the developer tools name them when exporting.
func (b Built) Packages() map[string][]byte {
	out := map[string][]byte{"__APP__.wxapkg": Pack(b.Main)}
	for root, files := range b.Subs {
		out[root+".wxapkg"] = Pack(files)
	}
	return out
}

// Unpacked returns every file of every package in one tree, as an
// unpacking tool leaves a built package.
func (b Built) Unpacked() map[string][]byte {
	out := map[string][]byte{}
	for k, v := range b.Main {
		out[k] = v
	}
	for _, files := range b.Subs {
		for k, v := range files {
			out[k] = v
		}
	}
	return out
}
