package vm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The statements below are OPA's IR statements with their operands resolved
// once: constants become terms, function names become the function or
// builtin to call. Evaluation then does no lookups by name.

// operand is a local, or a constant when konst is set.
type operand struct {
	local int
	konst Value
}

type block struct{ stmts []any }

type (
	returnStmt struct{ src int }
	callStmt   struct {
		fn     *function // a planned function, or
		bi     *builtin  // a builtin
		args   []operand
		result int
		// test, instead of keeping the result, fails when it is false:
		// the call and the test of its result the planner writes after
		// it, made one statement (copies.go).
		test bool
		// spread, when set, is the elements of an array literal that is
		// the builtin's last operand and that nothing else reads; the
		// machine hands them over in an array of its own, which the
		// builtin does not keep (copies.go).
		spread []operand
	}
	callDynamicStmt struct {
		args   []int
		path   []operand
		result int
	}
	blockStmt struct{ blocks []*block }
	breakStmt struct{ index int }
	withStmt  struct {
		local int
		path  []Value
		value operand
		block *block
	}
	assignStmt struct {
		src operand
		dst int
	}
	assignOnceStmt struct {
		src operand
		dst int
		loc *ast.Location
	}
	scanStmt struct {
		src, key, value int
		block           *block
	}
	notStmt struct{ block *block }
	dotStmt struct {
		src, key operand
		dst      int
	}
	lenStmt struct {
		src operand
		dst int
	}
	equalStmt    struct{ a, b operand }
	notEqualStmt struct{ a, b operand }
	constStmt    struct {
		value Value
		dst   int
	} // null, numbers
	makeArrayStmt   struct{ capacity, dst int }
	makeObjectStmt  struct{ dst int }
	makeSetStmt     struct{ dst int }
	isArrayStmt     struct{ src operand }
	isObjectStmt    struct{ src operand }
	isSetStmt       struct{ src operand }
	isDefinedStmt   struct{ src int }
	isUndefinedStmt struct{ src int }
	resetLocalStmt  struct{ dst int }
	arrayAppendStmt struct {
		value operand
		array int
	}
	objectInsertStmt struct {
		key, value operand
		object     int
		once       bool
		loc        *ast.Location
	}
	objectMergeStmt struct{ a, b, dst int }
	setAddStmt      struct {
		value operand
		set   int
	}
	resultAddStmt struct{ value int }
	objectLiteral struct {
		keys   []Value
		order  *[]int // of the keys, sorted once here
		values []operand
		dst    int
	}
	arrayLiteral struct {
		values []operand
		dst    int
	}
)

// function is a planned function: a rule, or a function defined in Rego.
// Rules take only input and data and are memoized per evaluation.
type function struct {
	index   int
	name    string
	params  []int
	ret     int
	blocks  []*block
	nlocals int
	memo    bool
}

type builtin struct {
	name string
	f    topdown.BuiltinFunc
	// fast, when set, answers for the operands it knows; see native.
	fast func([]Value) (Value, bool)
	void bool // returns nothing (print, trace)
	// relation yields any number of results (walk), which the plan
	// expects as one array of them to scan.
	relation bool
	loc      *ast.Location
	// format is sprintf's constant format, compiled; see format.go.
	format *format
}

type preparer struct {
	policy  *ir.Policy
	strs    []Value
	funcs   map[string]*function
	byPath  map[string]*function
	decls   map[string]*ir.BuiltinFunc
	files   []string
	nlocals int // the highest local seen in the function being prepared, plus one
}

func prepare(p *ir.Policy, planName string) (*Program, error) {
	if p.Static == nil || p.Plans == nil {
		return nil, fmt.Errorf("plan is incomplete")
	}
	pr := &preparer{policy: p, funcs: map[string]*function{}, byPath: map[string]*function{}, decls: map[string]*ir.BuiltinFunc{}}
	for _, s := range p.Static.Strings {
		pr.strs = append(pr.strs, String(s.Value))
	}
	for _, f := range p.Static.Files {
		pr.files = append(pr.files, f.Value)
	}
	var builtins []string
	for _, b := range p.Static.BuiltinFuncs {
		pr.decls[b.Name] = b
		builtins = append(builtins, b.Name)
	}
	slices.Sort(builtins)
	var funcs []*function
	if p.Funcs != nil {
		for i, f := range p.Funcs.Funcs {
			fn := &function{index: i, name: f.Name, ret: int(f.Return), memo: len(f.Params) == 2}
			for _, l := range f.Params {
				fn.params = append(fn.params, int(l))
			}
			pr.funcs[f.Name] = fn
			if f.Path != nil {
				pr.byPath[strings.Join(f.Path, "\x00")] = fn
			}
			funcs = append(funcs, fn)
		}
		// Bodies second: a body may call any function.
		for i, f := range p.Funcs.Funcs {
			fn := funcs[i]
			pr.nlocals = max(fn.ret, slicesMax(fn.params)) + 1
			for _, b := range f.Blocks {
				pb, err := pr.block(b)
				if err != nil {
					return nil, fmt.Errorf("function %s: %w", f.Name, err)
				}
				fn.blocks = append(fn.blocks, pb)
			}
			elideCopies(fn.blocks, append([]int{fn.ret}, fn.params...)...)
			fn.nlocals = pr.nlocals
		}
	}
	var plan *ir.Plan
	for _, pl := range p.Plans.Plans {
		if pl.Name == planName {
			plan = pl
		}
	}
	if plan == nil {
		return nil, fmt.Errorf("no plan named %q", planName)
	}
	prog := &Program{funcs: funcs, byPath: pr.byPath, builtins: builtins}
	pr.nlocals = int(ir.Unused)
	for _, b := range plan.Blocks {
		pb, err := pr.block(b)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", plan.Name, err)
		}
		prog.plan = append(prog.plan, pb)
	}
	elideCopies(prog.plan)
	prog.nlocals = pr.nlocals
	return prog, nil
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func (pr *preparer) local(l ir.Local) int {
	pr.nlocals = max(pr.nlocals, int(l)+1)
	return int(l)
}

func (pr *preparer) operand(o ir.Operand) (operand, error) {
	switch v := o.Value.(type) {
	case ir.Local:
		return operand{local: pr.local(v)}, nil
	case ir.Bool:
		return operand{konst: Bool(v)}, nil
	case ir.StringIndex:
		if int(v) < 0 || int(v) >= len(pr.strs) {
			return operand{}, fmt.Errorf("string constant %d out of range", v)
		}
		return operand{konst: pr.strs[v]}, nil
	}
	return operand{}, fmt.Errorf("unknown operand %T", o.Value)
}

func (pr *preparer) location(l *ir.Location) *ast.Location {
	file := ""
	if l.File >= 0 && l.File < len(pr.files) {
		file = pr.files[l.File]
	}
	return &ast.Location{File: file, Row: l.Row, Col: l.Col}
}

func (pr *preparer) block(b *ir.Block) (*block, error) {
	out := &block{stmts: make([]any, 0, len(b.Stmts))}
	for _, s := range b.Stmts {
		ps, err := pr.stmt(s)
		if err != nil {
			return nil, err
		}
		if ps != nil {
			out.stmts = append(out.stmts, ps)
		}
	}
	out.stmts = fuseLiterals(out.stmts)
	return out, nil
}

// fuseLiterals turns an object or array literal, planned as "make" and one
// insert or append per element, into one statement that builds the value
// whole. Decisions build several objects per finding, and built whole an
// object costs a fraction of the allocations of one grown key by key.
//
// The planner opens an outer literal before the inner ones that become its
// values, so several literals may be open at once. Only makes, inserts and
// appends into open literals may come between a literal's make and its
// last element; anything else closes (emits) every open literal first. A
// literal is emitted before one that takes it as a value, so each is built
// from complete parts, as it would have been in place. Object keys must be
// distinct constant strings so that the result is the same.
func fuseLiterals(stmts []any) []any {
	out := make([]any, 0, len(stmts))
	type open struct {
		obj  *objectLiteral
		arr  *arrayLiteral
		keys map[string]bool
	}
	var order []int
	opened := map[int]*open{}
	emit := func(dst int) {
		o, ok := opened[dst]
		if !ok {
			return
		}
		delete(opened, dst)
		for i, d := range order {
			if d == dst {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		switch {
		case o.obj != nil && len(o.obj.keys) == 0:
			out = append(out, makeObjectStmt{dst: dst})
		case o.obj != nil:
			o.obj.keys = slices.Clip(o.obj.keys)
			o.obj.order = sortKeys(o.obj.keys)
			out = append(out, o.obj)
		case len(o.arr.values) == 0:
			out = append(out, makeArrayStmt{dst: dst})
		default:
			out = append(out, o.arr)
		}
	}
	emitAll := func() {
		for len(order) > 0 {
			emit(order[0])
		}
	}
	// value readies v as an element: an open literal it names is emitted
	// first, complete.
	value := func(v operand) {
		if v.konst == nil {
			emit(v.local)
		}
	}
	for _, st := range stmts {
		switch s := st.(type) {
		case makeObjectStmt:
			emit(s.dst)
			opened[s.dst] = &open{obj: &objectLiteral{dst: s.dst}, keys: map[string]bool{}}
			order = append(order, s.dst)
			continue
		case makeArrayStmt:
			emit(s.dst)
			opened[s.dst] = &open{arr: &arrayLiteral{dst: s.dst}}
			order = append(order, s.dst)
			continue
		case *objectInsertStmt:
			if o, ok := opened[s.object]; ok && o.obj != nil && !s.once && s.key.konst != nil {
				if k, isStr := s.key.konst.(String); isStr && !o.keys[string(k)] &&
					(s.value.konst != nil || s.value.local != s.object) {
					value(s.value)
					o.keys[string(k)] = true
					o.obj.keys, o.obj.values = append(o.obj.keys, s.key.konst), append(o.obj.values, s.value)
					continue
				}
			}
		case arrayAppendStmt:
			if o, ok := opened[s.array]; ok && o.arr != nil && (s.value.konst != nil || s.value.local != s.array) {
				value(s.value)
				o.arr.values = append(o.arr.values, s.value)
				continue
			}
		}
		emitAll()
		out = append(out, st)
	}
	emitAll()
	return out
}

// stmt prepares one statement. Operand errors are collected in err so that
// each case stays one line per field.
func (pr *preparer) stmt(s ir.Stmt) (any, error) {
	var err error
	op := func(o ir.Operand) operand {
		v, e := pr.operand(o)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	blk := func(b *ir.Block) *block {
		v, e := pr.block(b)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	var out any
	switch s := s.(type) {
	case *ir.ReturnLocalStmt:
		out = returnStmt{src: pr.local(s.Source)}
	case *ir.CallStmt:
		c := callStmt{result: pr.local(s.Result)}
		for _, a := range s.Args {
			c.args = append(c.args, op(a))
		}
		if fn, ok := pr.funcs[s.Func]; ok {
			c.fn = fn
		} else if decl, ok := pr.decls[s.Func]; ok {
			f := topdown.GetBuiltin(s.Func)
			if f == nil {
				return nil, fmt.Errorf("builtin %s has no implementation", s.Func)
			}
			c.bi = &builtin{name: s.Func, f: f, fast: native[s.Func], void: decl.Decl.Result() == nil, loc: pr.location(&s.Location)}
			if bi, ok := ast.BuiltinMap[s.Func]; ok {
				c.bi.relation = bi.Relation
			}
			if f, ok := c.args[0].konst.(String); ok && s.Func == "sprintf" && len(c.args) == 2 {
				c.bi.format = compileFormat(string(f))
			}
		} else {
			return nil, fmt.Errorf("call to unknown function %s", s.Func)
		}
		out = &c
	case *ir.CallDynamicStmt:
		c := callDynamicStmt{result: pr.local(s.Result)}
		for _, a := range s.Args {
			c.args = append(c.args, pr.local(a))
		}
		for _, p := range s.Path {
			c.path = append(c.path, op(p))
		}
		out = &c
	case *ir.BlockStmt:
		bs := blockStmt{}
		for _, b := range s.Blocks {
			bs.blocks = append(bs.blocks, blk(b))
		}
		out = &bs
	case *ir.BreakStmt:
		out = breakStmt{index: int(s.Index)}
	case *ir.WithStmt:
		w := withStmt{local: pr.local(s.Local), value: op(s.Value), block: blk(s.Block)}
		for _, i := range s.Path {
			if i < 0 || i >= len(pr.strs) {
				return nil, fmt.Errorf("with path string %d out of range", i)
			}
			w.path = append(w.path, pr.strs[i])
		}
		out = &w
	case *ir.AssignVarStmt:
		out = assignStmt{src: op(s.Source), dst: pr.local(s.Target)}
	case *ir.AssignVarOnceStmt:
		out = &assignOnceStmt{src: op(s.Source), dst: pr.local(s.Target), loc: pr.location(&s.Location)}
	case *ir.AssignIntStmt:
		out = constStmt{value: Int(s.Value), dst: pr.local(s.Target)}
	case *ir.ScanStmt:
		out = &scanStmt{src: pr.local(s.Source), key: pr.local(s.Key), value: pr.local(s.Value), block: blk(s.Block)}
	case *ir.NopStmt:
		return nil, nil
	case *ir.NotStmt:
		out = notStmt{block: blk(s.Block)}
	case *ir.DotStmt:
		out = dotStmt{src: op(s.Source), key: op(s.Key), dst: pr.local(s.Target)}
	case *ir.LenStmt:
		out = lenStmt{src: op(s.Source), dst: pr.local(s.Target)}
	case *ir.EqualStmt:
		out = equalStmt{a: op(s.A), b: op(s.B)}
	case *ir.NotEqualStmt:
		out = notEqualStmt{a: op(s.A), b: op(s.B)}
	case *ir.MakeNullStmt:
		out = constStmt{value: Null{}, dst: pr.local(s.Target)}
	case *ir.MakeNumberIntStmt:
		out = constStmt{value: Int(s.Value), dst: pr.local(s.Target)}
	case *ir.MakeNumberRefStmt:
		if s.Index < 0 || s.Index >= len(pr.strs) {
			return nil, fmt.Errorf("number constant %d out of range", s.Index)
		}
		out = constStmt{value: parseNumber(pr.policy.Static.Strings[s.Index].Value), dst: pr.local(s.Target)}
	case *ir.MakeArrayStmt:
		out = makeArrayStmt{capacity: int(s.Capacity), dst: pr.local(s.Target)}
	case *ir.MakeObjectStmt:
		out = makeObjectStmt{dst: pr.local(s.Target)}
	case *ir.MakeSetStmt:
		out = makeSetStmt{dst: pr.local(s.Target)}
	case *ir.IsArrayStmt:
		out = isArrayStmt{src: op(s.Source)}
	case *ir.IsObjectStmt:
		out = isObjectStmt{src: op(s.Source)}
	case *ir.IsSetStmt:
		out = isSetStmt{src: op(s.Source)}
	case *ir.IsDefinedStmt:
		out = isDefinedStmt{src: pr.local(s.Source)}
	case *ir.IsUndefinedStmt:
		out = isUndefinedStmt{src: pr.local(s.Source)}
	case *ir.ResetLocalStmt:
		out = resetLocalStmt{dst: pr.local(s.Target)}
	case *ir.ArrayAppendStmt:
		out = arrayAppendStmt{value: op(s.Value), array: pr.local(s.Array)}
	case *ir.ObjectInsertStmt:
		out = &objectInsertStmt{key: op(s.Key), value: op(s.Value), object: pr.local(s.Object)}
	case *ir.ObjectInsertOnceStmt:
		out = &objectInsertStmt{key: op(s.Key), value: op(s.Value), object: pr.local(s.Object), once: true, loc: pr.location(&s.Location)}
	case *ir.ObjectMergeStmt:
		out = objectMergeStmt{a: pr.local(s.A), b: pr.local(s.B), dst: pr.local(s.Target)}
	case *ir.SetAddStmt:
		out = setAddStmt{value: op(s.Value), set: pr.local(s.Set)}
	case *ir.ResultSetAddStmt:
		out = resultAddStmt{value: pr.local(s.Value)}
	default:
		return nil, fmt.Errorf("statement %T is not supported", s)
	}
	return out, err
}
