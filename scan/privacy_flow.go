package scan

import (
	"sort"

	"github.com/dop251/goja/ast"
)

// The flow analysis follows personal data from the platform interfaces
// that yield it to the ones that hand it over, over the syntax trees the
// CODE rules already parsed, across every module of the package. It is an
// abstract interpretation that runs each module's code once per pass, in
// a few passes, with every function's parameters, return value, page data,
// global data and storage keys holding the union of what ever reached
// them. That is context-insensitive and order-insensitive (cheap, and it
// over-approximates), except where it must not be: a value tested, counted
// or negated is no longer the data, and a constant is never data.
const (
	flowPasses    = 4
	maxFlowDepth  = 400  // nesting the interpreter follows
	maxOrigins    = 8    // sources one value carries
	maxFlowSteps  = 12   // places one origin records
	maxFlows      = 1000 // flows one package reports
	maxFlowEvals  = 4_000_000
	maxFlowFnVals = 8
	maxPropDepth  = 4
	maxProps      = 64
)

// origin is one source a value carries, and where it went on the way.
type origin struct {
	src   int // index into flowEngine.sources
	steps []FlowStep
}

type taint []origin

// union returns t with o's origins added. It never writes into t's
// array: values share taints, and an append in place would change a taint
// some other value holds.
func (t taint) union(o taint) taint {
	if len(t) == 0 {
		return o
	}
	t = t[:len(t):len(t)]
	for _, x := range o {
		found := false
		for _, y := range t {
			if y.src == x.src {
				found = true
				break
			}
		}
		if !found && len(t) < maxOrigins {
			t = append(t, x)
		}
	}
	return t
}

// via returns t with a step appended to every origin, unless the origin
// already ends there.
func (t taint) via(st FlowStep) taint {
	if len(t) == 0 || st.File == "" {
		return t
	}
	out := make(taint, len(t))
	for i, o := range t {
		if n := len(o.steps); len(o.steps) < maxFlowSteps && (n == 0 || o.steps[n-1] != st) {
			o.steps = append(o.steps[:n:n], st)
		}
		out[i] = o
	}
	return out
}

// val is what the interpreter knows about a value: the personal data in it,
// the functions it may be, the module it was required from, an object
// literal's properties, a constant string (whole or its start), and
// whether it is a handler's event or the page itself.
type val struct {
	t     taint
	fns   []*fnInfo
	mod   string
	props map[string]*val
	str   string
	strOK bool // str is known: whole if whole, else its start
	whole bool
	event string // the handler's name when this is its event argument
	this  bool
	// socket is the URL host and scheme of the SocketTask connectSocket
	// returned ("host|scheme"), so that task.send is a sink to it.
	socket string
}

func (v *val) merge(o *val) bool { return v.mergeDepth(o, 0) }

// mergeDepth merges o into v and reports whether v learnt anything.
// Properties merge a few levels deep only: objects can hold themselves
// (a.self = a), and hostile code can nest them without end.
func (v *val) mergeDepth(o *val, depth int) bool {
	if o == nil || o == v {
		return false
	}
	wasEmpty := v.empty() && !v.strOK
	changed := false
	if n := len(v.t); len(o.t) > 0 {
		v.t = v.t.union(o.t)
		changed = len(v.t) != n
	}
	for _, f := range o.fns {
		if len(v.fns) < maxFlowFnVals && !containsFn(v.fns, f) {
			v.fns = append(v.fns, f)
			changed = true
		}
	}
	if v.mod == "" && o.mod != "" {
		v.mod, changed = o.mod, true
	}
	if o.props != nil && depth < maxPropDepth {
		if v.props == nil {
			v.props = map[string]*val{}
			changed = true
		}
		for k, p := range o.props {
			if v.props[k] == nil {
				if len(v.props) >= maxProps {
					continue
				}
				v.props[k] = &val{}
				changed = true
			}
			if v.props[k].mergeDepth(p, depth+1) {
				changed = true
			}
		}
	}
	switch {
	case o.strOK && !v.strOK && wasEmpty:
		v.str, v.strOK, v.whole = o.str, true, o.whole
		changed = true
	case o.strOK && v.strOK && (o.str != v.str || o.whole != v.whole):
		if p := commonPrefix(v.str, o.str); p != v.str || v.whole {
			v.str, v.whole = p, false
			changed = true
		}
	}
	if v.event == "" && o.event != "" {
		v.event, changed = o.event, true
	}
	if o.this && !v.this {
		v.this, changed = true, true
	}
	if v.socket == "" && o.socket != "" {
		v.socket, changed = o.socket, true
	}
	return changed
}

// into merges v into a place that lasts from pass to pass (a variable, a
// parameter, page or global data, storage, exports) and notes whether the
// analysis learnt something, which decides whether another pass is needed.
func (g *flowEngine) into(dst, v *val) {
	if dst.merge(v) {
		g.changed = true
	}
}

func (v *val) empty() bool {
	return len(v.t) == 0 && len(v.fns) == 0 && v.mod == "" && v.props == nil && v.event == "" && !v.this && v.socket == ""
}

func containsFn(list []*fnInfo, f *fnInfo) bool {
	for _, g := range list {
		if g == f {
			return true
		}
	}
	return false
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}

// fnInfo is one function of the package: its scope, its parameters'
// values as every caller passed them, and what it returns.
type fnInfo struct {
	scope   *flowScope
	params  []string // "" for a pattern, bound through targets
	targets []ast.BindingTarget
	ret     val
	handler string // its name as a page or component method
	file    *flowFile
	line    int
}

type flowScope struct {
	parent *flowScope
	decls  map[string]*val
}

func (s *flowScope) lookup(name string) *val {
	for sc := s; sc != nil; sc = sc.parent {
		if v, ok := sc.decls[name]; ok {
			return v
		}
	}
	return nil
}

// flowFile is one module of the package as the analysis reads it.
type flowFile struct {
	name    string // as findings name it
	rel     string // relative to the project root, for require
	prog    *ast.Program
	t       *text
	scope   *flowScope
	exports *val
	methods map[string]*val // this.x of a page or component
	data    map[string]*val // this.data, as setData writes it
	es      *esModule       // its import and export declarations, if any
}

type sourceKey struct {
	api, kind, file string
	line            int
}

type flowKey struct {
	src       int
	api, file string
	line      int
}

// flowEngine holds the whole package's analysis.
type flowEngine struct {
	files    []*flowFile
	byRel    map[string]*flowFile
	fns      map[ast.Node]*fnInfo
	sources  []FlowSource
	srcIndex map[sourceKey]int
	global   map[string]*val // getApp().globalData
	storage  map[string]*val
	handlers map[string]string // handler name -> kind, from templates
	sockets  map[string]string // host -> scheme of every connectSocket
	// templates are the pages' templates that hold a web-view, by path
	// from the project root.
	templates map[string]*pageTemplate
	flows     map[flowKey]Flow
	evals     int
	pass      int
	changed   bool // some lasting value grew in this pass
	// per evaluation
	cur   *flowFile
	fn    *fnInfo
	depth int
}

func newFlowEngine() *flowEngine {
	return &flowEngine{
		byRel: map[string]*flowFile{}, fns: map[ast.Node]*fnInfo{}, srcIndex: map[sourceKey]int{},
		global: map[string]*val{}, storage: map[string]*val{}, handlers: map[string]string{}, sockets: map[string]string{},
		templates: map[string]*pageTemplate{}, flows: map[flowKey]Flow{},
	}
}

// addFile takes one parsed module. rel is its path from the project root.
func (g *flowEngine) addFile(name, rel string, prog *ast.Program, t *text, es *esModule) {
	f := &flowFile{name: name, rel: rel, prog: prog, t: t, es: es, exports: &val{props: map[string]*val{}},
		methods: map[string]*val{}, data: map[string]*val{}}
	f.scope = &flowScope{decls: map[string]*val{}}
	g.files = append(g.files, f)
	g.byRel[rel] = f
}

// run interprets every module a few times and returns the flows found,
// sorted.
func (g *flowEngine) run() []Flow {
	sort.Slice(g.files, func(i, j int) bool { return g.files[i].rel < g.files[j].rel })
	// Values only grow, so a pass that teaches nothing new is the last
	// one needed: it saw every flow, with every endpoint resolvable.
	for g.pass = 0; g.pass < flowPasses; g.pass++ {
		g.changed = false
		for _, f := range g.files {
			g.cur, g.fn, g.depth = f, nil, 0
			declareStmts(f.scope, f.prog.Body)
			g.bindImports(f)
			g.stmts(f.scope, f.prog.Body)
			g.bindExports(f)
		}
		if !g.changed {
			break
		}
	}
	// The pages' data is complete now: what reached a key a web-view
	// binds leaves with the page it opens.
	g.webViewSinks()
	out := make([]Flow, 0, len(g.flows))
	for _, fl := range g.flows {
		out = append(out, fl)
	}
	sortFlows(out)
	return out
}

func sortFlows(fs []Flow) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		switch {
		case a.Source.File != b.Source.File:
			return a.Source.File < b.Source.File
		case a.Source.Line != b.Source.Line:
			return a.Source.Line < b.Source.Line
		case a.Source.API != b.Source.API:
			return a.Source.API < b.Source.API
		case a.Sink.File != b.Sink.File:
			return a.Sink.File < b.Sink.File
		case a.Sink.Line != b.Sink.Line:
			return a.Sink.Line < b.Sink.Line
		}
		return a.Sink.API < b.Sink.API
	})
}

func (g *flowEngine) line(idx int) int {
	l, _ := g.cur.t.position(idx - 1)
	return l
}

func (g *flowEngine) step(idx int) FlowStep {
	return FlowStep{File: g.cur.name, Line: g.line(idx)}
}

// source returns the taint of one source occurrence.
func (g *flowEngine) source(api, kind string, idx int) taint {
	k := sourceKey{api: api, kind: kind, file: g.cur.name, line: g.line(idx)}
	i, ok := g.srcIndex[k]
	if !ok {
		i = len(g.sources)
		g.changed = true
		g.sources = append(g.sources, FlowSource{API: api, Kind: kind, File: k.file, Line: k.line})
		g.srcIndex[k] = i
	}
	return taint{{src: i}}
}

// sink records a flow for every origin that reaches a sink.
func (g *flowEngine) sink(api string, idx int, t taint, endpoint, scheme string) {
	g.sinkAt(api, g.cur.name, g.line(idx), t, endpoint, scheme)
}

// sinkAt records a flow for every origin that reaches a sink at a file's
// line.
func (g *flowEngine) sinkAt(api, file string, line int, t taint, endpoint, scheme string) {
	for _, o := range t {
		k := flowKey{src: o.src, api: api, file: file, line: line}
		_, seen := g.flows[k]
		if !seen && len(g.flows) >= maxFlows {
			continue
		}
		if !seen {
			g.changed = true
		}
		src := g.sources[o.src]
		// The source's and the sink's own places are not steps between.
		steps := o.steps
		for len(steps) > 0 && steps[0] == (FlowStep{File: src.File, Line: src.Line}) {
			steps = steps[1:]
		}
		for n := len(steps); n > 0 && steps[n-1] == (FlowStep{File: k.file, Line: k.line}); n = len(steps) {
			steps = steps[:n-1]
		}
		g.flows[k] = Flow{
			Source: src,
			Sink:   FlowSink{API: api, File: k.file, Line: k.line, Endpoint: endpoint, Scheme: scheme},
			Steps:  append([]FlowStep{}, steps...),
		}
	}
}

// --- declarations ---

// declareStmts binds the names a function body declares (var, let, const,
// function, class) in its scope, without entering nested functions.
func declareStmts(sc *flowScope, list []ast.Statement) {
	for _, s := range list {
		declareStmt(sc, s, 0)
	}
}

func declareStmt(sc *flowScope, s ast.Statement, d int) {
	if d > 64 {
		return
	}
	d++
	switch s := s.(type) {
	case *ast.VariableStatement:
		for _, b := range s.List {
			declareTarget(sc, b.Target)
		}
	case *ast.LexicalDeclaration:
		for _, b := range s.List {
			declareTarget(sc, b.Target)
		}
	case *ast.FunctionDeclaration:
		if s.Function != nil && s.Function.Name != nil {
			declareName(sc, s.Function.Name.Name.String())
		}
	case *ast.ClassDeclaration:
		if s.Class != nil && s.Class.Name != nil {
			declareName(sc, s.Class.Name.Name.String())
		}
	case *ast.BlockStatement:
		for _, x := range s.List {
			declareStmt(sc, x, d)
		}
	case *ast.IfStatement:
		declareStmt(sc, s.Consequent, d)
		if s.Alternate != nil {
			declareStmt(sc, s.Alternate, d)
		}
	case *ast.ForStatement:
		if in, ok := s.Initializer.(*ast.ForLoopInitializerVarDeclList); ok {
			for _, b := range in.List {
				declareTarget(sc, b.Target)
			}
		}
		if in, ok := s.Initializer.(*ast.ForLoopInitializerLexicalDecl); ok {
			for _, b := range in.LexicalDeclaration.List {
				declareTarget(sc, b.Target)
			}
		}
		declareStmt(sc, s.Body, d)
	case *ast.ForInStatement:
		declareInto(sc, s.Into)
		declareStmt(sc, s.Body, d)
	case *ast.ForOfStatement:
		declareInto(sc, s.Into)
		declareStmt(sc, s.Body, d)
	case *ast.WhileStatement:
		declareStmt(sc, s.Body, d)
	case *ast.DoWhileStatement:
		declareStmt(sc, s.Body, d)
	case *ast.TryStatement:
		declareStmt(sc, s.Body, d)
		if s.Catch != nil {
			declareTarget(sc, s.Catch.Parameter)
			declareStmt(sc, s.Catch.Body, d)
		}
		if s.Finally != nil {
			declareStmt(sc, s.Finally, d)
		}
	case *ast.SwitchStatement:
		for _, c := range s.Body {
			for _, x := range c.Consequent {
				declareStmt(sc, x, d)
			}
		}
	case *ast.LabelledStatement:
		declareStmt(sc, s.Statement, d)
	}
}

func declareInto(sc *flowScope, into ast.ForInto) {
	switch in := into.(type) {
	case *ast.ForIntoVar:
		declareTarget(sc, in.Binding.Target)
	case *ast.ForDeclaration:
		declareTarget(sc, in.Target)
	}
}

func declareName(sc *flowScope, name string) {
	if _, ok := sc.decls[name]; !ok {
		sc.decls[name] = &val{}
	}
}

func declareTarget(sc *flowScope, t ast.BindingTarget) { declareTargetDepth(sc, t, 0) }

func declareTargetDepth(sc *flowScope, t ast.BindingTarget, d int) {
	if d > maxPropDepth*4 {
		return
	}
	d++
	switch t := t.(type) {
	case *ast.Identifier:
		declareName(sc, t.Name.String())
	case *ast.ObjectPattern:
		for _, p := range t.Properties {
			switch p := p.(type) {
			case *ast.PropertyShort:
				declareName(sc, p.Name.Name.String())
			case *ast.PropertyKeyed:
				if tgt, ok := p.Value.(ast.BindingTarget); ok {
					declareTargetDepth(sc, tgt, d)
				}
			}
		}
		if id, ok := t.Rest.(*ast.Identifier); ok {
			declareName(sc, id.Name.String())
		}
	case *ast.ArrayPattern:
		for _, e := range t.Elements {
			if tgt, ok := e.(ast.BindingTarget); ok {
				declareTargetDepth(sc, tgt, d)
			}
		}
	}
}

// variable returns the storage of a name as seen from sc: its declaring
// scope's, else the module's (an implicit global).
func (g *flowEngine) variable(sc *flowScope, name string) *val {
	if v := sc.lookup(name); v != nil {
		return v
	}
	if v, ok := g.cur.scope.decls[name]; ok && v != nil {
		return v
	}
	if platformObjects[name] || name == "require" || name == "module" || name == "exports" || name == "getApp" {
		return nil
	}
	v := &val{}
	g.cur.scope.decls[name] = v
	return v
}

// bind assigns v to a binding target.
func (g *flowEngine) bind(sc *flowScope, t ast.BindingTarget, v *val) {
	if !g.budget() {
		return
	}
	g.depth++
	g.bind1(sc, t, v)
	g.depth--
}

func (g *flowEngine) bind1(sc *flowScope, t ast.BindingTarget, v *val) {
	switch t := t.(type) {
	case *ast.Identifier:
		if dst := g.variable(sc, t.Name.String()); dst != nil {
			g.into(dst, v)
		}
	case *ast.ObjectPattern:
		for _, p := range t.Properties {
			switch p := p.(type) {
			case *ast.PropertyShort:
				g.bind(sc, &p.Name, g.member(v, p.Name.Name.String()))
			case *ast.PropertyKeyed:
				key := propKey(p.Key)
				if tgt, ok := p.Value.(ast.BindingTarget); ok {
					g.bind(sc, tgt, g.member(v, key))
				}
			}
		}
		if t.Rest != nil {
			if tgt, ok := t.Rest.(ast.BindingTarget); ok {
				g.bind(sc, tgt, &val{t: v.t})
			}
		}
	case *ast.ArrayPattern:
		for _, e := range t.Elements {
			if tgt, ok := e.(ast.BindingTarget); ok {
				g.bind(sc, tgt, &val{t: v.t})
			}
		}
	}
}

func propKey(k ast.Expression) string {
	switch k := k.(type) {
	case *ast.StringLiteral:
		return k.Value.String()
	case *ast.Identifier:
		return k.Name.String()
	}
	return ""
}

// member is the value of v.name: a property known by name (an object
// literal, a module's exports, the page's data), else the whole value's
// data, since properties of personal data are personal data.
func (g *flowEngine) member(v *val, name string) *val {
	if v == nil {
		return noVal
	}
	if v.mod != "" {
		if f := g.byRel[v.mod]; f != nil {
			if p := f.exports.props[name]; p != nil {
				return p
			}
			return &val{}
		}
	}
	if v.this {
		if name == "data" {
			out := &val{props: g.cur.data}
			for _, d := range g.cur.data {
				out.t = out.t.union(d.t)
			}
			return out
		}
		if m := g.cur.methods[name]; m != nil {
			return m
		}
		return &val{}
	}
	if v.props != nil {
		if p := v.props[name]; p != nil {
			return p
		}
	}
	if len(v.t) == 0 {
		return noVal
	}
	return &val{t: v.t}
}
