package vm

import "unsafe"

// Converting a string to an interface copies the string's header into an
// allocation of its own. Input conversion boxes several strings per finding
// and decoding a few per reason: Boxes boxes many with one allocation, and
// GoString reuses the machine's box.
//
// An interface holding a value that is not a pointer is a type word and a
// pointer to an immutable copy of the value; here the pointer goes into a
// slice of copies made once, which nothing writes afterwards. The type word
// is set by an ordinary conversion of the empty string (or of zero), so
// only the data word is written by hand. TestBoxedStringsAreStrings holds the values to
// ordinary ones, across a garbage collection.

type eface struct{ typ, data unsafe.Pointer }

// Boxes boxes strings and integers into copies it made room for at once.
// Once its room is used up it boxes as a conversion does.
type Boxes struct {
	strs  []String
	ints  []Int
	nints int // the room to make for integers
}

// NewBoxes makes room for the given numbers of strings and integers, with
// one allocation each; the integers' only once one needs it.
func NewBoxes(strings, ints int) Boxes {
	return Boxes{strs: make([]String, 0, strings), nints: ints}
}

// String is s as a value. Its copy is appended within the room made, which
// never moves the copies already handed out.
func (b *Boxes) String(s string) Value {
	if s == "" || len(b.strs) == cap(b.strs) {
		return String(s)
	}
	b.strs = append(b.strs, String(s))
	var v Value = String("")
	(*eface)(unsafe.Pointer(&v)).data = unsafe.Pointer(&b.strs[len(b.strs)-1])
	return v
}

// Int is n as a value; an integer past 255 takes an allocation of its own
// when converted.
func (b *Boxes) Int(n int64) Value {
	if n >= 0 && n < 256 {
		return Int(n)
	}
	if b.ints == nil {
		b.ints = make([]Int, 0, b.nints)
	}
	if len(b.ints) == cap(b.ints) {
		return Int(n)
	}
	b.ints = append(b.ints, Int(n))
	var v Value = Int(0)
	(*eface)(unsafe.Pointer(&v)).data = unsafe.Pointer(&b.ints[len(b.ints)-1])
	return v
}

// GoString is v as a Go string in an interface (any(string(s))), sharing
// v's copy of the string header rather than making one; ok is false when v
// is not a String.
func GoString(v Value) (s any, ok bool) {
	str, ok := v.(String)
	if !ok {
		return nil, false
	}
	s = ""
	if str != "" {
		// String's underlying type is string: the two share a layout.
		(*eface)(unsafe.Pointer(&s)).data = (*eface)(unsafe.Pointer(&v)).data
	}
	return s, true
}

// Records returns len(vals)/len(keys) objects of keys, the i-th holding the
// i-th run of len(keys) values, built with one allocation: the findings of
// an input are objects of one shape. keys are shared, and must have no spare
// capacity, so that an insert into one object copies them first.
func Records(keys []Value, vals []Value) []Value {
	var r RecordStore
	return r.Make(keys, vals)
}

// RecordStore makes the objects of Records in storage it keeps, for a
// caller that knows when they are no longer used and builds the next ones
// there: a decision's input is converted and done with in one call.
type RecordStore struct {
	objs []Object
	out  []Value
}

// Make is Records in the store's storage, grown as needed. The objects made
// before are overwritten: nothing may use them any more.
func (r *RecordStore) Make(keys []Value, vals []Value) []Value {
	if len(keys) == 0 {
		return nil
	}
	n := len(vals) / len(keys)
	if cap(r.objs) < n {
		r.objs, r.out = make([]Object, n), make([]Value, n)
	}
	objs, out := r.objs[:n], r.out[:n:n]
	for i := range objs {
		objs[i] = Object{
			keys: keys[:len(keys):len(keys)],
			vals: vals[i*len(keys) : (i+1)*len(keys) : (i+1)*len(keys)],
		}
		out[i] = &objs[i]
	}
	return out
}

// Clear drops what the objects made hold, so that a store kept for later
// keeps no input alive.
func (r *RecordStore) Clear() {
	clear(r.objs[:cap(r.objs)])
	clear(r.out[:cap(r.out)])
}
