package scan

import (
	"net"
	"strings"

	"github.com/dop251/goja/ast"
)

// platformCall evaluates a call of a platform interface (wx.x, my.x) by
// the vocabulary: a source yields its kind to the call's result and to its
// success and complete callbacks; a sink reports every origin its data
// arguments carry; storage keeps data under its key for a later read.
func (g *flowEngine) platformCall(sc *flowScope, obj, name string, c *ast.CallExpression) *val {
	idx := int(c.Idx0())
	api := obj + "." + name
	args := make([]*val, len(c.ArgumentList))
	for i, a := range c.ArgumentList {
		args[i] = g.expr(sc, a)
	}
	out := &val{}
	var yield taint
	if kind, ok := privacyVocab.Sources[name]; ok {
		yield = g.source(api, kind, idx)
	}
	if privacyVocab.storageRead[name] {
		if v := g.storage[storageKey(args, name)]; v != nil {
			yield = yield.union(v.t.via(g.step(idx)))
		}
	}
	if len(yield) > 0 {
		out.t = yield
		in := []*val{{t: yield}}
		for _, a := range args {
			// onLocationChange(cb), getStorage({success}), getLocation({complete})
			g.callFns(a.fns, in, idx)
			if a.props != nil {
				for _, cb := range []string{"success", "complete"} {
					if p := a.props[cb]; p != nil {
						g.callFns(p.fns, in, idx)
					}
				}
			}
		}
	}
	def, ok := privacyVocab.Sinks[name]
	if !ok {
		return out
	}
	var data taint
	for _, key := range def.Data {
		if n := sinkArg(key); n >= 0 {
			if n < len(args) {
				data = data.union(args[n].t)
			}
			continue
		}
		if len(args) == 0 {
			continue
		}
		if args[0].props == nil {
			data = data.union(args[0].t) // options built elsewhere: all of it
			continue
		}
		if p := args[0].props[key]; p != nil {
			data = data.union(p.t)
		}
	}
	if def.Storage {
		if key := storageKey(args, name); key != "" {
			v := g.storage[key]
			if v == nil {
				v = &val{}
				g.storage[key] = v
			}
			g.into(v, &val{t: data.via(g.step(idx))})
		}
	}
	var endpoint, scheme string
	if def.URL != "" && len(args) > 0 && args[0].props != nil {
		if u := args[0].props[def.URL]; u != nil && u.strOK {
			endpoint, scheme = urlHost(u.str, u.whole)
		}
	}
	if _, known := g.sockets[endpoint]; name == "connectSocket" && endpoint != "" && !known {
		g.sockets[endpoint] = scheme
		g.changed = true
	}
	if name == "connectSocket" {
		out.socket = endpoint + "|" + scheme
	}
	if name == "sendSocketMessage" && len(g.sockets) == 1 {
		// The socket the app opened; with several, which one is unknown.
		for h, sch := range g.sockets {
			endpoint, scheme = h, sch
		}
	}
	if len(data) == 0 {
		return out
	}
	g.sink(api, idx, data, endpoint, scheme)
	return out
}

// storageKey is the constant key of a storage call, "" if unknown.
func storageKey(args []*val, name string) string {
	if len(args) == 0 {
		return ""
	}
	if strings.HasSuffix(name, "Sync") || args[0].props == nil {
		if args[0].strOK && args[0].whole {
			return args[0].str
		}
		return ""
	}
	if k := args[0].props["key"]; k != nil && k.strOK && k.whole {
		return k.str
	}
	return ""
}

// urlHost returns the host and scheme of a URL known whole or by its
// start. A start that may stop inside the host name gives no host.
func urlHost(u string, whole bool) (host, scheme string) {
	sch, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", ""
	}
	scheme = strings.ToLower(strings.TrimSpace(sch))
	if strings.HasPrefix(scheme, "ws") {
		scheme = strings.Replace(scheme, "ws", "http", 1)
	}
	if scheme != "http" && scheme != "https" {
		scheme = ""
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		if !whole {
			return "", scheme
		}
		end = len(rest)
	}
	h := rest[:end]
	if at := strings.LastIndexByte(h, '@'); at >= 0 {
		h = h[at+1:]
	}
	h = hostOnly(h)
	if h == "" || strings.ContainsAny(h, "{}$ ") {
		return "", scheme
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), scheme
	}
	return h, scheme
}

// socketSend is task.send({data}) on the SocketTask connectSocket returned.
func (g *flowEngine) socketSend(task *val, args []*val, idx int) {
	if len(args) == 0 {
		return
	}
	data := args[0].t
	if args[0].props != nil {
		data = nil
		if p := args[0].props["data"]; p != nil {
			data = p.t
		}
	}
	host, scheme, _ := strings.Cut(task.socket, "|")
	g.sink("SocketTask.send", idx, data, host, scheme)
}
