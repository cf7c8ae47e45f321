package vm

import "maps"

// The planner binds every intermediate value to a local of its own and then
// copies it to the local its variable lives in: a third of the statements a
// decision ran were such copies. elideCopies has the statement that makes a
// value write it where the copy would have put it, and drops the copy, when
// that cannot be told apart:
//
//   - the copy reads a local that only the statement just before it
//     defines, and that nothing but the copy reads, in the function's block
//     (a rule body, say) they are in; and no later block of the function
//     can read that local before defining it itself, so that none sees
//     the value the block left there (the planner numbers the locals of
//     each rule body alike); and
//   - that statement reads its operands before it writes, writes nothing
//     else, and writes only when it succeeds (when it fails, the block is
//     left and the copy would not have run either).
//
// A scan that defines its key or value for a body starting with copies of
// them writes them to the copies' locals instead, under the same rule.
//
// Likewise, a call whose result only the next statement reads, to test that
// it is not false (as the planner writes every expression that calls a
// builtin or a function: x != y is neq(x, y) and then that test), becomes
// one statement that makes the call and the test and keeps nothing.
//
// And an array literal that only the next statement reads, as the last
// operand of sprintf, is not built: the call reads its elements into an
// array the machine reuses. sprintf keeps nothing of its operands, and
// OPA's version, when the machine's declines, gets a copy in OPA's values.
//
// Inputs, data, parameters and the return local are never renamed, and a
// function with a statement this file does not know is left as it is.

// elideCopies rewrites blocks, the blocks of one function or of the plan.
func elideCopies(blocks []*block, protected ...int) {
	keep := map[int]bool{0: true, 1: true}
	for _, p := range protected {
		keep[p] = true
	}
	uses := make([]*usage, len(blocks))
	for i, b := range blocks {
		uses[i] = &usage{reads: map[int]int{}, defs: map[int]int{}, exposed: map[int]bool{}, scope: map[int]bool{}, protected: keep}
		if !uses[i].count(b) {
			return
		}
	}
	for i, b := range blocks {
		uses[i].later = uses[i+1:]
		uses[i].elide(b)
	}
}

// usage is what one block of a function does with each local.
type usage struct {
	reads, defs map[int]int
	// exposed holds the locals the block may read before it writes them,
	// which may see what an earlier block left there: those read where no
	// statement before them, in their list or an enclosing one, always
	// writes them (or leaves the block).
	exposed   map[int]bool
	scope     map[int]bool // written for sure at the statement being counted
	protected map[int]bool
	later     []*usage // the blocks that run after this one
}

func (u *usage) read(ops ...operand) {
	for _, o := range ops {
		if o.konst == nil {
			u.readLocals(o.local)
		}
	}
}

func (u *usage) readLocals(ls ...int) {
	for _, l := range ls {
		if !u.scope[l] {
			u.exposed[l] = true
		}
		u.reads[l]++
	}
}

// def counts a definition of l; writes says that the statement writes l
// whenever it does not leave the block, so that what follows it reads what
// it wrote.
func (u *usage) def(l int, writes bool) {
	if writes {
		u.scope[l] = true
	}
	u.defs[l]++
}

// nested counts a block inside the one being counted: what it writes is
// written for sure only inside it, as are the locals given (a scan's key
// and value).
func (u *usage) nested(b *block, written ...int) bool {
	outer := u.scope
	u.scope = maps.Clone(outer)
	for _, l := range written {
		u.scope[l] = true
	}
	ok := u.count(b)
	u.scope = outer
	return ok
}

// count tallies each local's reads and definitions in b and the blocks in
// it; false means a statement it does not know.
func (u *usage) count(b *block) bool {
	for _, st := range b.stmts {
		switch s := st.(type) {
		case returnStmt:
			u.readLocals(s.src)
		case *callStmt:
			u.read(s.args...)
			u.def(s.result, s.bi == nil || !s.bi.void)
		case *callDynamicStmt:
			u.readLocals(s.args...)
			u.read(s.path...)
			u.def(s.result, true)
		case *blockStmt:
			for _, inner := range s.blocks {
				if !u.nested(inner) {
					return false
				}
			}
		case breakStmt:
		case *withStmt:
			u.readLocals(s.local)
			u.def(s.local, false)
			u.protected[s.local] = true
			u.read(s.value)
			if !u.nested(s.block) {
				return false
			}
		case assignStmt:
			u.read(s.src)
			u.def(s.dst, true)
		case *assignOnceStmt:
			u.read(s.src)
			u.readLocals(s.dst)
			u.def(s.dst, true)
		case *scanStmt:
			u.readLocals(s.src)
			u.def(s.key, false)
			u.def(s.value, false)
			if !u.nested(s.block, s.key, s.value) {
				return false
			}
		case notStmt:
			if !u.nested(s.block) {
				return false
			}
		case dotStmt:
			u.read(s.src, s.key)
			u.def(s.dst, true)
		case lenStmt:
			u.read(s.src)
			u.def(s.dst, true)
		case equalStmt:
			u.read(s.a, s.b)
		case notEqualStmt:
			u.read(s.a, s.b)
		case constStmt:
			u.def(s.dst, true)
		case makeArrayStmt:
			u.def(s.dst, true)
		case makeObjectStmt:
			u.def(s.dst, true)
		case makeSetStmt:
			u.def(s.dst, true)
		case isArrayStmt:
			u.read(s.src)
		case isObjectStmt:
			u.read(s.src)
		case isSetStmt:
			u.read(s.src)
		case isDefinedStmt:
			u.readLocals(s.src)
		case isUndefinedStmt:
			u.readLocals(s.src)
		case resetLocalStmt:
			u.def(s.dst, true)
		case arrayAppendStmt:
			u.read(s.value)
			u.readLocals(s.array)
		case *objectInsertStmt:
			u.read(s.key, s.value)
			u.readLocals(s.object)
		case objectMergeStmt:
			u.readLocals(s.a, s.b)
			u.def(s.dst, true)
		case setAddStmt:
			u.read(s.value)
			u.readLocals(s.set)
		case resultAddStmt:
			u.readLocals(s.value)
		case *objectLiteral:
			u.read(s.values...)
			u.def(s.dst, true)
		case *arrayLiteral:
			u.read(s.values...)
			u.def(s.dst, true)
		default:
			return false
		}
	}
	return true
}

// private reports whether local l is made by one statement and read by one
// copy in this block, and seen by no later block, and so may be renamed.
func (u *usage) private(l int) bool {
	if u.protected[l] || u.defs[l] != 1 || u.reads[l] != 1 {
		return false
	}
	for _, v := range u.later {
		if v.exposed[l] {
			return false
		}
	}
	return true
}

// copyOf is the local that st copies from, when st is a copy of a local.
func copyOf(st any) (src, dst int, ok bool) {
	c, isCopy := st.(assignStmt)
	if !isCopy || c.src.konst != nil || c.src.local == c.dst {
		return 0, 0, false
	}
	return c.src.local, c.dst, true
}

// spreadable returns prev when it is an array literal that c, a call of
// sprintf, takes as its last operand.
func spreadable(c *callStmt, prev any) (*arrayLiteral, bool) {
	lit, ok := prev.(*arrayLiteral)
	if !ok || c.bi == nil || c.bi.name != "sprintf" || c.spread != nil || c.test || len(c.args) != 2 {
		return nil, false
	}
	last := c.args[len(c.args)-1]
	if last.konst != nil || last.local != lit.dst {
		return nil, false
	}
	return lit, true
}

// testOf is the local that st tests is not false, when st is that test.
func testOf(st any) (int, bool) {
	t, ok := st.(notEqualStmt)
	if !ok || t.a.konst != nil || t.b.konst != Value(Bool(false)) {
		return 0, false
	}
	return t.a.local, true
}

func (u *usage) elide(b *block) {
	out := b.stmts[:0]
	for _, st := range b.stmts {
		if l, ok := testOf(st); ok && len(out) > 0 && u.private(l) {
			if c, ok := out[len(out)-1].(*callStmt); ok && c.result == l && !c.test && (c.bi == nil || !c.bi.void) {
				tested := *c
				tested.test = true
				out[len(out)-1] = &tested
				u.defs[l], u.reads[l] = 0, 0
				continue
			}
		}
		if c, ok := st.(*callStmt); ok && len(out) > 0 {
			if spread, ok := spreadable(c, out[len(out)-1]); ok && u.private(spread.dst) {
				fused := *c
				fused.args, fused.spread = c.args[:len(c.args)-1:len(c.args)-1], spread.values
				out[len(out)-1] = &fused
				u.defs[spread.dst], u.reads[spread.dst] = 0, 0
				continue
			}
		}
		if src, dst, ok := copyOf(st); ok && len(out) > 0 && u.private(src) {
			if renamed, ok := redirect(out[len(out)-1], src, dst); ok {
				out[len(out)-1] = renamed
				u.defs[src], u.reads[src] = 0, 0
				continue
			}
		}
		out = append(out, st)
	}
	clear(b.stmts[len(out):])
	b.stmts = out
	for _, st := range b.stmts {
		switch s := st.(type) {
		case *blockStmt:
			for _, inner := range s.blocks {
				u.elide(inner)
			}
		case *withStmt:
			u.elide(s.block)
		case notStmt:
			u.elide(s.block)
		case *scanStmt:
			u.elideScanCopies(s)
			u.elide(s.block)
		}
	}
}

// elideScanCopies has s write its key and value where the copies at the
// start of its body would put them. Only the leading copies are looked at:
// the scan writes both before the body runs, as those copies do.
func (u *usage) elideScanCopies(s *scanStmt) {
	body := s.block.stmts
	n := 0
	for ; n < len(body); n++ {
		src, dst, ok := copyOf(body[n])
		if !ok || !u.private(src) || (src != s.key && src != s.value) || dst == s.key || dst == s.value {
			break
		}
		if src == s.key {
			s.key = dst
		} else {
			s.value = dst
		}
		u.defs[src], u.reads[src] = 0, 0
	}
	if n > 0 {
		s.block.stmts = append(body[:0:0], body[n:]...)
	}
}

// redirect returns st writing to dst instead of src, when st is a statement
// that defines src alone, after reading its operands, and only on success.
func redirect(st any, src, dst int) (any, bool) {
	switch s := st.(type) {
	case *callStmt:
		// A void builtin succeeds without writing its result, where the
		// copy would have written undefined.
		if s.result != src || s.test || s.bi != nil && s.bi.void {
			return nil, false
		}
		c := *s
		c.result = dst
		return &c, true
	case *callDynamicStmt:
		if s.result != src {
			return nil, false
		}
		c := *s
		c.result = dst
		return &c, true
	case assignStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case dotStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case lenStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case constStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case makeArrayStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case makeObjectStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case makeSetStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case objectMergeStmt:
		if s.dst == src {
			s.dst = dst
			return s, true
		}
	case *objectLiteral:
		if s.dst == src {
			c := *s
			c.dst = dst
			return &c, true
		}
	case *arrayLiteral:
		if s.dst == src {
			c := *s
			c.dst = dst
			return &c, true
		}
	}
	return nil, false
}
