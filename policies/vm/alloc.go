package vm

// slab hands out the objects, arrays and value slices that literals build,
// from chunks: a decision builds a few objects and arrays per finding, and
// one allocation per chunk costs a fraction of one per value.
//
// A chunk serves one evaluation only: the machine drops its chunks when the
// evaluation ends, or, when its caller is done with the results by then
// (Program.EvalThen), clears the first and builds the next evaluation in it. A chunk is kept alive by any value in it, and its other
// slots keep what they point to alive; were a chunk shared by consecutive
// evaluations, each evaluation's values would keep the one before alive,
// and so on back. So that little of a last chunk goes unused, the first
// chunk of an evaluation is as large as the previous evaluation needed in
// all: a machine's decisions are mostly alike.
type slab struct {
	objs chunk[Object]
	arrs chunk[Array]
	vals chunk[Value]
}

func (s *slab) object() *Object { return &s.objs.take(1)[0] }

func (s *slab) array() *Array { return &s.arrs.take(1)[0] }

// values returns n zero values with no spare capacity: appending to them
// copies, and never runs into the next slot.
func (s *slab) values(n int) []Value {
	if n > bigValues {
		return make([]Value, n)
	}
	return s.vals.take(n)
}

// reset drops the chunks at the end of an evaluation.
func (s *slab) reset() {
	s.objs.reset()
	s.arrs.reset()
	s.vals.reset()
}

// rewind readies the chunks for the next evaluation when nothing refers to
// this one's values any more (Program.EvalThen): the first chunk, when it
// held all this evaluation took, is cleared and handed out again.
func (s *slab) rewind() {
	s.objs.rewind()
	s.arrs.rewind()
	s.vals.rewind()
}

const (
	minChunk = 16
	// maxFirst bounds the first chunk of an evaluation, which one
	// exceptional decision must not make large for every later one.
	maxFirst = 4096
	// bigValues is the length past which a slice is made on its own, so
	// that one large literal does not throw away most of a chunk.
	bigValues = 32
)

type chunk[T any] struct {
	free []T
	// used is how many this evaluation took, first how many the previous
	// one did.
	used, first int
	// whole is the evaluation's first chunk, all of it, for rewind.
	whole []T
}

func (c *chunk[T]) take(n int) []T {
	if n > len(c.free) {
		c.free = make([]T, max(n, minChunk, c.first-c.used, c.used/2))
		if c.whole == nil {
			c.whole = c.free
		}
	}
	v := c.free[:n:n]
	c.free = c.free[n:]
	c.used += n
	return v
}

func (c *chunk[T]) reset() {
	c.free, c.whole, c.first, c.used = nil, nil, min(c.used, maxFirst), 0
}

// rewind keeps the first chunk when the evaluation took no other, and
// otherwise drops them all, so that the next evaluation's first chunk is
// large enough to be kept in turn.
func (c *chunk[T]) rewind() {
	if c.used > len(c.whole) || len(c.whole) > maxFirst {
		c.reset()
		return
	}
	clear(c.whole[:c.used])
	c.free, c.used = c.whole, 0
}
