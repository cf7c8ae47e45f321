package vm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Program is a prepared plan. It is read-only once built and safe for
// concurrent use; each evaluation takes a machine of its own.
type Program struct {
	plan    []*block
	nlocals int
	funcs   []*function
	byPath  map[string]*function
	data    Value
	// caps go to every builtin OPA's code answers for, as OPA's evaluator
	// hands the compiler's capabilities to its builtins.
	caps *ast.Capabilities
	// builtins are the names of the builtins the plan calls, sorted.
	builtins []string
	pool     sync.Pool
}

// Builtins names the builtins the plan calls, sorted.
func (p *Program) Builtins() []string { return slices.Clone(p.builtins) }

// New prepares the plan named planName in p (rego names a query's plan
// "eval"), over the data document data, for a bundle compiled under caps.
//
// caps are required: the builtins that reach a host (json.match_schema's
// remote $ref, http.send, net.lookup_ip_addr) read the hosts they may reach
// from them, and nil capabilities allow every host. A plan run without them
// would fetch what OPA's evaluator of the same bundle refuses.
func New(p *ir.Policy, planName string, data ast.Value, caps *ast.Capabilities) (*Program, error) {
	if caps == nil {
		return nil, errors.New("prepare plan: no capabilities; nil would allow the builtins every host")
	}
	prog, err := prepare(p, planName)
	if err != nil {
		return nil, fmt.Errorf("prepare plan: %w", err)
	}
	prog.caps = caps
	if prog.data, err = FromAST(data); err != nil {
		return nil, fmt.Errorf("prepare plan: data: %w", err)
	}
	freeze(prog.data)
	return prog, nil
}

// ErrCancelled is returned when cancel fires during an evaluation.
var ErrCancelled = errors.New("evaluation cancelled")

// Eval runs the plan on input and returns its result set: one object per
// result, from the query's variables to their values. cancel, when not nil,
// stops a long evaluation; a builtin's error ends the evaluation with that
// error, as OPA's evaluator does with strict builtin errors.
func (p *Program) Eval(ctx context.Context, input Value, cancel topdown.Cancel) (*Set, error) {
	m := p.machine(ctx, cancel)
	rs, sound, err := m.eval(input)
	p.release(m, sound, false)
	return rs, err
}

// EvalThen is Eval for a caller that is done with the result set when use
// returns: the machine then builds the next evaluation's objects and arrays
// in the memory this one's took, where Eval must leave that memory to the
// results. use must keep no value of the set, nor any part of one. An
// evaluation's error is returned without calling use.
func (p *Program) EvalThen(ctx context.Context, input Value, cancel topdown.Cancel, use func(*Set) error) error {
	m := p.machine(ctx, cancel)
	rs, sound, err := m.eval(input)
	if err == nil {
		err = use(rs)
	}
	p.release(m, sound, true)
	return err
}

func (p *Program) machine(ctx context.Context, cancel topdown.Cancel) *machine {
	m, _ := p.pool.Get().(*machine)
	if m == nil {
		m = &machine{}
		m.onOutput = func(t *ast.Term) error {
			if m.out == nil {
				m.out = t
			}
			return nil
		}
	}
	m.prog, m.cancel, m.results = p, cancel, NewSet()
	m.bctx = topdown.BuiltinContext{Context: ctx, Cancel: cancel, Capabilities: p.caps}
	if len(m.memo) == 0 {
		m.memo = append(m.memo, make([]Value, len(p.funcs)))
	}
	return m
}

// release puts a machine back for another evaluation, unless its last one
// panicked; reuse says whether it may build in the memory of the last one.
func (p *Program) release(m *machine, sound, reuse bool) {
	if sound {
		m.reset(reuse)
		p.pool.Put(m)
	}
}

// eval runs the plan; a machine that is not sound afterwards must not be
// used again.
func (m *machine) eval(input Value) (rs *Set, sound bool, err error) {
	defer func() {
		// A plan that breaks an assumption of this machine (a local read
		// before it is set, say) must fail the evaluation, not the process.
		if r := recover(); r != nil {
			rs, sound, err = nil, false, fmt.Errorf("evaluate plan: %v", r)
		}
	}()
	p := m.prog
	locals := m.frame(p.nlocals)
	locals[ir.Input], locals[ir.Data] = input, p.data
	for _, b := range p.plan {
		s, err := m.wrapped(b, locals)
		if err != nil {
			return nil, true, err
		}
		if s == returned {
			break
		}
	}
	return m.results, true, nil
}

// Single is the value of a query's one result, as rego's plans give it: a
// set of one object that binds the query's one variable. It is nil when
// the query is undefined (no result).
func Single(rs *Set) (Value, error) {
	switch rs.Len() {
	case 0:
		return nil, nil
	case 1:
		if obj, ok := rs.elems[0].(*Object); ok && obj.Len() == 1 {
			return obj.vals[0], nil
		}
		return nil, fmt.Errorf("malformed result %v", ToAST(rs))
	}
	return nil, fmt.Errorf("%d results, want 1", rs.Len())
}

// Control signals of run: a statement list either falls through, returns
// from its function, or breaks out of the index-th enclosing block, counted
// from the innermost (0), as BreakStmt and a failing statement do.
const (
	next     = -1
	returned = -2
)

// undefinedMemo marks a rule memoized as undefined.
type undefinedMemo struct{}

type machine struct {
	prog     *Program
	cancel   topdown.Cancel
	results  *Set
	stack    []Value
	sp       int
	ret      Value
	memo     [][]Value // a frame per enclosing with statement
	bctx     topdown.BuiltinContext
	args     []Value
	spread   Array       // a builtin's last operand, for a call with spread
	terms    []*ast.Term // a builtin's operands, for OPA's builtins
	out      *ast.Term
	onOutput func(*ast.Term) error
	steps    int
	slab     slab
}

// reset readies the machine for another evaluation; reuse says that the
// last one's results are done with, so that its memory may be built in.
func (m *machine) reset(reuse bool) {
	clear(m.stack[:m.sp])
	m.sp, m.ret, m.out, m.results, m.prog, m.cancel = 0, nil, nil, nil, nil, nil
	m.memo = m.memo[:1]
	clear(m.memo[0])
	clear(m.args)
	clear(m.spread.elems)
	clear(m.terms)
	m.bctx = topdown.BuiltinContext{}
	if reuse {
		m.slab.rewind()
	} else {
		m.slab.reset()
	}
}

// frame returns n fresh locals on the machine's stack; release gives them
// back. Functions do not recurse in Rego, so the stack stays shallow.
func (m *machine) frame(n int) []Value {
	if m.sp+n > len(m.stack) {
		grown := make([]Value, max(2*len(m.stack), m.sp+n, 256))
		copy(grown, m.stack[:m.sp])
		m.stack = grown
	}
	f := m.stack[m.sp : m.sp+n : m.sp+n]
	m.sp += n
	return f
}

func (m *machine) release(n int) {
	clear(m.stack[m.sp-n : m.sp])
	m.sp -= n
}

// wrapped runs a block that is a block of its own: breaking out of it with
// index 0 continues after it.
func (m *machine) wrapped(b *block, locals []Value) (int, error) {
	s, err := m.run(b.stmts, locals)
	switch {
	case err != nil:
		return 0, err
	case s == next || s == 0:
		return next, nil
	case s == returned:
		return returned, nil
	}
	return s - 1, nil
}

func read(o operand, locals []Value) Value {
	if o.konst != nil {
		return o.konst
	}
	return locals[o.local]
}

// tick counts loop steps and looks at the cancel flag now and then, which
// bounds a draft that multiplies loops until the engine's timeout.
func (m *machine) tick() error {
	m.steps++
	if m.steps&63 == 0 && m.cancel != nil && m.cancel.Cancelled() {
		return ErrCancelled
	}
	return nil
}

// run executes stmts in order. A statement that is undefined breaks out of
// the innermost block (signal 0).
func (m *machine) run(stmts []any, locals []Value) (int, error) {
	for _, st := range stmts {
		switch s := st.(type) {
		case dotStmt:
			if s.src.konst != nil {
				return 0, nil
			}
			src := locals[s.src.local]
			if src == nil {
				return 0, nil
			}
			v := dot(src, read(s.key, locals))
			if v == nil {
				return 0, nil
			}
			locals[s.dst] = v
		case equalStmt:
			a, b := read(s.a, locals), read(s.b, locals)
			if a == nil || b == nil || !equal(a, b) {
				return 0, nil
			}
		case notEqualStmt:
			a, b := read(s.a, locals), read(s.b, locals)
			if a == nil || b == nil || equal(a, b) {
				return 0, nil
			}
		case assignStmt:
			locals[s.dst] = read(s.src, locals)
		case *callStmt:
			v, err := m.call(s, locals)
			if err != nil {
				return 0, err
			}
			if v == nil {
				if s.bi != nil && s.bi.void {
					continue
				}
				return 0, nil
			}
			if s.test {
				if b, ok := v.(Bool); ok && !bool(b) {
					return 0, nil
				}
				continue
			}
			locals[s.result] = v
		case *scanStmt:
			sig, err := m.scan(s, locals)
			if err != nil || sig != next {
				return sig, err
			}
		case *blockStmt:
			for _, b := range s.blocks {
				sig, err := m.wrapped(b, locals)
				if err != nil || sig != next {
					return sig, err
				}
			}
		case breakStmt:
			return s.index, nil
		case returnStmt:
			m.ret = locals[s.src]
			return returned, nil
		case isDefinedStmt:
			if locals[s.src] == nil {
				return 0, nil
			}
		case isUndefinedStmt:
			if locals[s.src] != nil {
				return 0, nil
			}
		case resetLocalStmt:
			locals[s.dst] = nil
		case constStmt:
			locals[s.dst] = s.value
		case *objectLiteral:
			// The literal's keys and their order are shared by every object
			// it makes: the keys have no spare capacity, so an insert copies
			// them first, and an insert replaces the order, never edits it.
			vals := m.slab.values(len(s.keys))
			for i, k := range s.keys {
				if vals[i] = read(s.values[i], locals); vals[i] == nil {
					return 0, fmt.Errorf("object literal: value of %v is undefined", k)
				}
			}
			o := m.slab.object()
			o.keys, o.vals, o.sorted = s.keys, vals, s.order
			locals[s.dst] = o
		case *arrayLiteral:
			elems := m.slab.values(len(s.values))
			for i, o := range s.values {
				if elems[i] = read(o, locals); elems[i] == nil {
					return 0, fmt.Errorf("array literal: element %d is undefined", i)
				}
			}
			a := m.slab.array()
			a.elems = elems
			locals[s.dst] = a
		case makeObjectStmt:
			locals[s.dst] = m.slab.object()
		case makeArrayStmt:
			a := m.slab.array()
			a.elems = make([]Value, 0, s.capacity)
			locals[s.dst] = a
		case makeSetStmt:
			locals[s.dst] = NewSet()
		case *objectInsertStmt:
			if err := insert(s, locals); err != nil {
				return 0, err
			}
		case arrayAppendStmt:
			arr, ok := locals[s.array].(*Array)
			if !ok {
				return 0, fmt.Errorf("append to %T, not an array", locals[s.array])
			}
			// In place, as OPA's WebAssembly appends: the array is the
			// machine's own, made by its MakeArrayStmt.
			arr.elems = append(arr.elems, read(s.value, locals))
		case setAddStmt:
			set, ok := locals[s.set].(*Set)
			if !ok {
				return 0, fmt.Errorf("add to %T, not a set", locals[s.set])
			}
			set.Add(read(s.value, locals))
		case notStmt:
			sig, err := m.run(s.block.stmts, locals)
			switch {
			case err != nil:
				return 0, err
			case sig == next:
				return 0, nil // the negated body held
			case sig == returned:
				return returned, nil
			case sig > 0:
				return sig - 1, nil
			}
		case lenStmt:
			n, ok := length(read(s.src, locals))
			if !ok {
				return 0, nil
			}
			locals[s.dst] = Int(n)
		case isObjectStmt:
			if _, ok := read(s.src, locals).(*Object); !ok || s.src.konst != nil {
				return 0, nil
			}
		case isArrayStmt:
			if _, ok := read(s.src, locals).(*Array); !ok || s.src.konst != nil {
				return 0, nil
			}
		case isSetStmt:
			if _, ok := read(s.src, locals).(*Set); !ok || s.src.konst != nil {
				return 0, nil
			}
		case *assignOnceStmt:
			v := read(s.src, locals)
			if old := locals[s.dst]; old != nil && !equal(old, v) {
				return 0, conflict(s.loc, fmt.Sprintf("complete rules must not produce multiple outputs: conflicting values %v and %v", ToAST(old), ToAST(v)))
			}
			locals[s.dst] = v
		case objectMergeStmt:
			locals[s.dst] = merge(locals[s.a], locals[s.b])
		case resultAddStmt:
			m.results.Add(locals[s.value])
		case *withStmt:
			sig, err := m.with(s, locals)
			if err != nil || sig != next {
				return sig, err
			}
		case *callDynamicStmt:
			sig, err := m.callDynamic(s, locals)
			if err != nil || sig != next {
				return sig, err
			}
		default:
			return 0, fmt.Errorf("unprepared statement %T", st)
		}
	}
	return next, nil
}

// scan runs the body once per element. Like OPA's WebAssembly, a scan is
// two blocks deep: index 0 from the body goes on to the next element, 1
// ends the scan. Objects and sets go in OPA's order.
func (m *machine) scan(s *scanStmt, locals []Value) (int, error) {
	switch c := locals[s.src].(type) {
	case *Array:
		for i := 0; i < len(c.elems); i++ {
			sig, stop, err := m.scanBody(s, locals, Int(i), c.elems[i])
			if stop || err != nil {
				return sig, err
			}
		}
	case *Object:
		for _, i := range c.order() {
			sig, stop, err := m.scanBody(s, locals, c.keys[i], c.vals[i])
			if stop || err != nil {
				return sig, err
			}
		}
	case *Set:
		for _, e := range c.Sorted() {
			sig, stop, err := m.scanBody(s, locals, e, e)
			if stop || err != nil {
				return sig, err
			}
		}
	}
	return next, nil
}

// scanBody runs the body of s for one element; stop ends the scan with sig.
func (m *machine) scanBody(s *scanStmt, locals []Value, k, v Value) (sig int, stop bool, err error) {
	if err := m.tick(); err != nil {
		return 0, true, err
	}
	locals[s.key], locals[s.value] = k, v
	sig, err = m.run(s.block.stmts, locals)
	switch {
	case err != nil:
		return 0, true, err
	case sig == next || sig == 0:
		return next, false, nil
	case sig == returned:
		return returned, true, nil
	case sig == 1:
		return next, true, nil
	}
	return sig - 2, true, nil
}

// call runs a planned function or a builtin; nil is undefined.
func (m *machine) call(s *callStmt, locals []Value) (Value, error) {
	if s.bi != nil {
		return m.builtin(s.bi, s.args, s.spread, locals)
	}
	fn := s.fn
	memo := m.memo[len(m.memo)-1]
	if fn.memo {
		if v := memo[fn.index]; v != nil {
			if _, undefined := v.(undefinedMemo); undefined {
				return nil, nil
			}
			return v, nil
		}
	}
	frame := m.frame(fn.nlocals)
	for i, p := range fn.params {
		if i < len(s.args) {
			frame[p] = read(s.args[i], locals)
		}
	}
	v, err := m.body(fn, frame)
	m.release(fn.nlocals)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.name, err)
	}
	if fn.memo {
		if v == nil {
			memo[fn.index] = undefinedMemo{}
		} else {
			memo[fn.index] = v
		}
	}
	return v, nil
}

// body runs a function's blocks: each but the last is a block of its own;
// the last runs at the function's level and ends with its return.
func (m *machine) body(fn *function, frame []Value) (Value, error) {
	if err := m.tick(); err != nil {
		return nil, err
	}
	last := len(fn.blocks) - 1
	for i, b := range fn.blocks {
		var sig int
		var err error
		if i < last {
			sig, err = m.wrapped(b, frame)
		} else {
			sig, err = m.run(b.stmts, frame)
		}
		if err != nil {
			return nil, err
		}
		if sig == returned {
			v := m.ret
			m.ret = nil
			return v, nil
		}
		if sig != next {
			return nil, nil
		}
	}
	return nil, nil
}

// builtin calls the machine's own version of a builtin when it has one for
// these operands, and otherwise OPA's, on OPA's values.
func (m *machine) builtin(bi *builtin, args, spread []operand, locals []Value) (Value, error) {
	if spread != nil {
		// The literal is built first, as it was planned to be.
		m.spread.elems = m.spread.elems[:0]
		for i, o := range spread {
			v := read(o, locals)
			if v == nil {
				return nil, fmt.Errorf("array literal: element %d is undefined", i)
			}
			m.spread.elems = append(m.spread.elems, v)
		}
	}
	m.args = m.args[:0]
	for _, a := range args {
		v := read(a, locals)
		if v == nil {
			return nil, nil
		}
		m.args = append(m.args, v)
	}
	if spread != nil {
		m.args = append(m.args, &m.spread)
	}
	if bi.format != nil {
		if arr, ok := m.args[1].(*Array); ok {
			if out, ok := bi.format.apply(arr.elems); ok {
				return String(out), nil
			}
		}
	}
	if bi.fast != nil {
		if v, ok := bi.fast(m.args); ok {
			return v, nil
		}
	}
	// The operands end with the output, as OPA's evaluator passes them.
	m.terms = m.terms[:0]
	for _, a := range m.args {
		m.terms = append(m.terms, ast.NewTerm(ToAST(a)))
	}
	m.terms = append(m.terms, outputVar)
	m.out = nil
	m.bctx.Location = bi.loc
	if bi.relation {
		return m.relation(bi)
	}
	err := bi.f(m.bctx, m.terms, m.onOutput)
	if err != nil {
		var halt topdown.Halt
		if errors.As(err, &halt) {
			return nil, halt.Err
		}
		return nil, err
	}
	out := m.out
	m.out = nil
	if out == nil {
		return nil, nil
	}
	return FromAST(out.Value)
}

var outputVar = ast.VarTerm("__vm_out__")

// relation calls a builtin that yields many results, such as walk, and
// returns all of them as one array, in the order OPA's builtin yields them:
// the plan scans that array as OPA's WebAssembly scans what its builtin
// returns. Keeping only the first result would drop all but one path of a
// walk.
func (m *machine) relation(bi *builtin) (Value, error) {
	var out []Value
	err := bi.f(m.bctx, m.terms, func(t *ast.Term) error {
		v, err := FromAST(t.Value)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		var halt topdown.Halt
		if errors.As(err, &halt) {
			return nil, halt.Err
		}
		return nil, err
	}
	return &Array{elems: out}, nil
}

// with runs its block with a local (input or data) replaced, or a path in
// it upserted, and nothing memoized outside it seen or kept.
func (m *machine) with(s *withStmt, locals []Value) (int, error) {
	saved := locals[s.local]
	locals[s.local] = upsert(saved, s.path, read(s.value, locals))
	m.memo = append(m.memo, make([]Value, len(m.prog.funcs)))
	sig, err := m.run(s.block.stmts, locals)
	m.memo = m.memo[:len(m.memo)-1]
	locals[s.local] = saved
	switch {
	case err != nil:
		return 0, err
	case sig == next:
		return next, nil
	case sig == 0:
		return 0, nil
	case sig == returned:
		return returned, nil
	}
	return sig - 1, nil
}

// callDynamic calls the rule a data reference computed at run time names. A
// path no rule has breaks out (the plan then looks in base data); a rule
// that is undefined breaks three blocks further, as OPA's WebAssembly does.
func (m *machine) callDynamic(s *callDynamicStmt, locals []Value) (int, error) {
	var key strings.Builder
	for i, p := range s.path {
		str, ok := read(p, locals).(String)
		if !ok {
			return 0, nil
		}
		if i > 0 {
			key.WriteByte(0)
		}
		key.WriteString(string(str))
	}
	fn, ok := m.prog.byPath[key.String()]
	if !ok {
		return 0, nil
	}
	args := make([]operand, len(s.args))
	for i, a := range s.args {
		args[i] = operand{local: a}
	}
	v, err := m.call(&callStmt{fn: fn, args: args}, locals)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 3, nil
	}
	locals[s.result] = v
	return next, nil
}
