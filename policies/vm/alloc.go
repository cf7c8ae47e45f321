package vm

// slab hands out the objects, arrays and value slices that literals build,
// from chunks: a decision builds a few objects and arrays per finding, and
// one allocation per chunk costs a fraction of one per value.
//
// A chunk serves one evaluation only: the machine drops its chunks when the
// evaluation ends. A chunk is kept alive by any value in it, and its other
// slots keep what they point to alive; were a chunk shared by consecutive
// evaluations, each evaluation's values would keep the one before alive,
// and so on back. Chunks start small and double, so that a small decision
// wastes little of its last one.
type slab struct {
	objs []Object
	arrs []Array
	vals []Value
	// the sizes of the next chunks
	nobjs, narrs, nvals int
}

const (
	minChunk = 8
	maxChunk = 64
	// bigValues is the length past which a slice is made on its own, so
	// that one large literal does not throw away most of a chunk.
	bigValues = 32
)

func grow(n *int, least int) int {
	*n = min(max(2**n, least), maxChunk*least/minChunk)
	return *n
}

func (s *slab) object() *Object {
	if len(s.objs) == 0 {
		s.objs = make([]Object, grow(&s.nobjs, minChunk))
	}
	o := &s.objs[0]
	s.objs = s.objs[1:]
	return o
}

func (s *slab) array() *Array {
	if len(s.arrs) == 0 {
		s.arrs = make([]Array, grow(&s.narrs, minChunk))
	}
	a := &s.arrs[0]
	s.arrs = s.arrs[1:]
	return a
}

// values returns n zero values with no spare capacity: appending to them
// copies, and never runs into the next slot.
func (s *slab) values(n int) []Value {
	if n > bigValues {
		return make([]Value, n)
	}
	if n > len(s.vals) {
		s.vals = make([]Value, grow(&s.nvals, 4*minChunk))
	}
	v := s.vals[:n:n]
	s.vals = s.vals[n:]
	return v
}
