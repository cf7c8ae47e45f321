package vm

// slab hands out the objects, arrays and value slices that literals build,
// from chunks: a decision builds a few objects and arrays per finding, and
// one allocation per chunk costs a fraction of one per value.
//
// A slot is handed out once and never again, so values from one evaluation
// never share a slot with another's; a machine keeps what is left of its
// chunks for its next evaluation. A value that outlives its evaluation keeps
// its whole chunk alive, which bounds what that costs to one chunk.
type slab struct {
	objs []Object
	arrs []Array
	vals []Value
}

const (
	objChunk = 32
	arrChunk = 32
	valChunk = 256
	// bigValues is the length past which a slice is made on its own, so
	// that one large literal does not throw away most of a chunk.
	bigValues = 32
)

func (s *slab) object() *Object {
	if len(s.objs) == 0 {
		s.objs = make([]Object, objChunk)
	}
	o := &s.objs[0]
	s.objs = s.objs[1:]
	return o
}

func (s *slab) array() *Array {
	if len(s.arrs) == 0 {
		s.arrs = make([]Array, arrChunk)
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
		s.vals = make([]Value, valChunk)
	}
	v := s.vals[:n:n]
	s.vals = s.vals[n:]
	return v
}
