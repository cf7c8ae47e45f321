package vm

// The planner binds every intermediate value to a local of its own and then
// copies it to the local its variable lives in: a third of the statements a
// decision runs are such copies. elideCopies has the statement that makes a
// value write it where the copy would have put it, and drops the copy, when
// that cannot be told apart:
//
//   - the copy reads a local that only the statement just before it
//     defines, and that nothing but the copy reads, anywhere in the
//     function; and
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
// Inputs, data, parameters and the return local are never renamed, and a
// function with a statement this file does not know is left as it is.

// elideCopies rewrites blocks, the blocks of one function or of the plan.
func elideCopies(blocks []*block, protected ...int) {
	u := usage{reads: map[int]int{}, defs: map[int]int{}, protected: map[int]bool{0: true, 1: true}}
	for _, p := range protected {
		u.protected[p] = true
	}
	for _, b := range blocks {
		if !u.count(b) {
			return
		}
	}
	for _, b := range blocks {
		u.elide(b)
	}
}

type usage struct {
	reads, defs map[int]int
	protected   map[int]bool
}

func (u *usage) read(ops ...operand) {
	for _, o := range ops {
		if o.konst == nil {
			u.reads[o.local]++
		}
	}
}

func (u *usage) readLocals(ls ...int) {
	for _, l := range ls {
		u.reads[l]++
	}
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
			u.defs[s.result]++
		case *callDynamicStmt:
			u.readLocals(s.args...)
			u.read(s.path...)
			u.defs[s.result]++
		case *blockStmt:
			for _, inner := range s.blocks {
				if !u.count(inner) {
					return false
				}
			}
		case breakStmt:
		case *withStmt:
			u.readLocals(s.local)
			u.defs[s.local]++
			u.protected[s.local] = true
			u.read(s.value)
			if !u.count(s.block) {
				return false
			}
		case assignStmt:
			u.read(s.src)
			u.defs[s.dst]++
		case *assignOnceStmt:
			u.read(s.src)
			u.readLocals(s.dst)
			u.defs[s.dst]++
		case *scanStmt:
			u.readLocals(s.src)
			u.defs[s.key]++
			u.defs[s.value]++
			if !u.count(s.block) {
				return false
			}
		case notStmt:
			if !u.count(s.block) {
				return false
			}
		case dotStmt:
			u.read(s.src, s.key)
			u.defs[s.dst]++
		case lenStmt:
			u.read(s.src)
			u.defs[s.dst]++
		case equalStmt:
			u.read(s.a, s.b)
		case notEqualStmt:
			u.read(s.a, s.b)
		case constStmt:
			u.defs[s.dst]++
		case makeArrayStmt:
			u.defs[s.dst]++
		case makeObjectStmt:
			u.defs[s.dst]++
		case makeSetStmt:
			u.defs[s.dst]++
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
			u.defs[s.dst]++
		case arrayAppendStmt:
			u.read(s.value)
			u.readLocals(s.array)
		case *objectInsertStmt:
			u.read(s.key, s.value)
			u.readLocals(s.object)
		case objectMergeStmt:
			u.readLocals(s.a, s.b)
			u.defs[s.dst]++
		case setAddStmt:
			u.read(s.value)
			u.readLocals(s.set)
		case resultAddStmt:
			u.readLocals(s.value)
		case *objectLiteral:
			u.read(s.values...)
			u.defs[s.dst]++
		case *arrayLiteral:
			u.read(s.values...)
			u.defs[s.dst]++
		default:
			return false
		}
	}
	return true
}

// private reports whether local l is made by one statement and read by one
// copy, and so may be renamed.
func (u *usage) private(l int) bool {
	return !u.protected[l] && u.defs[l] == 1 && u.reads[l] == 1
}

// copyOf is the local that st copies from, when st is a copy of a local.
func copyOf(st any) (src, dst int, ok bool) {
	c, isCopy := st.(assignStmt)
	if !isCopy || c.src.konst != nil || c.src.local == c.dst {
		return 0, 0, false
	}
	return c.src.local, c.dst, true
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
