package vm

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value is a Rego value as the machine holds it, one of:
//
//	Null, Bool, Int (an integer written as one), Num (any other number, as
//	written), String, *Array, *Object, *Set
//
// OPA's own values hash every string and build a hash map for every object
// when they are made; a decision makes several objects per finding and looks
// each up a few times, so that is where its time went. These are plain
// slices, compared the way OPA compares its values (ast.Compare), and turned
// into OPA's values only to call a builtin the machine has no version of.
type Value any

type (
	// Null is Rego's null.
	Null struct{}
	// Bool is a boolean.
	Bool bool
	// Int is a number written as an integer that fits 64 bits.
	Int int64
	// Num is any other number, kept as written, as OPA keeps it.
	Num string
	// String is a string.
	String string
	// Array is an array; the machine appends to the one it builds.
	Array struct{ elems []Value }
	// Object keeps its keys in insertion order and sorts them only to
	// iterate or compare, as OPA's objects do.
	//
	// The key order is held by pointer, which keeps an object (of which an
	// input has one per finding) to 64 bytes; it is never written through,
	// so objects may share one, as the objects of one literal do.
	Object struct {
		keys, vals []Value
		sorted     *[]int           // key order for iteration, nil until needed
		byHash     map[uint64][]int // key index, once there are more than a few keys
	}
	// Set keeps its elements once each; past a few, found by hash. The
	// index maps a hash to its last element plus one, and same points each
	// element to the one before it with the same hash (or -1), so that
	// adding an element grows two slices and a map, not a slice per hash.
	Set struct {
		elems  []Value
		byHash map[uint64]int
		same   []int
		sorted []Value
	}
)

// NewArray returns an array of elems, which it keeps.
func NewArray(elems ...Value) *Array { return &Array{elems: elems} }

// NewObject returns an object with the given keys and values, which it
// keeps; keys must be distinct.
func NewObject(keys, vals []Value) *Object { return &Object{keys: keys, vals: vals} }

// NewSet returns an empty set.
func NewSet() *Set { return &Set{} }

// Len is the number of elements.
func (a *Array) Len() int { return len(a.elems) }

// Elem is the i-th element.
func (a *Array) Elem(i int) Value { return a.elems[i] }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// small is how many keys or elements are searched one by one; past it a
// hash index is kept. Findings and reasons are objects of a handful of keys.
const small = 8

// Get is the value of key, or nil.
func (o *Object) Get(key Value) Value {
	if i := o.find(key); i >= 0 {
		return o.vals[i]
	}
	return nil
}

func (o *Object) find(key Value) int {
	if len(o.keys) > small {
		o.index()
		for _, i := range o.byHash[hash(key)] {
			if equal(o.keys[i], key) {
				return i
			}
		}
		return -1
	}
	if s, ok := key.(String); ok {
		for i, k := range o.keys {
			if ks, ok := k.(String); ok && ks == s {
				return i
			}
		}
		return -1
	}
	for i, k := range o.keys {
		if equal(k, key) {
			return i
		}
	}
	return -1
}

func (o *Object) index() {
	if o.byHash != nil {
		return
	}
	o.byHash = make(map[uint64][]int, len(o.keys))
	for i, k := range o.keys {
		h := hash(k)
		o.byHash[h] = append(o.byHash[h], i)
	}
}

// Insert sets key to val.
func (o *Object) Insert(key, val Value) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = val
		return
	}
	o.keys, o.vals, o.sorted = append(o.keys, key), append(o.vals, val), nil
	if o.byHash != nil {
		h := hash(key)
		o.byHash[h] = append(o.byHash[h], len(o.keys)-1)
	}
}

// Foreach calls f for each key and value in key order.
func (o *Object) Foreach(f func(k, v Value)) {
	for _, i := range o.order() {
		f(o.keys[i], o.vals[i])
	}
}

func (o *Object) order() []int {
	if o.sorted == nil || len(*o.sorted) != len(o.keys) {
		o.sorted = sortKeys(o.keys)
	}
	return *o.sorted
}

func sortKeys(keys []Value) *[]int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return compare(keys[a], keys[b]) })
	return &idx
}

func (o *Object) copy() *Object {
	return &Object{keys: slices.Clone(o.keys), vals: slices.Clone(o.vals)}
}

// Keys are the keys in OPA's order.
func (o *Object) Keys() []Value {
	out := make([]Value, len(o.keys))
	for i, j := range o.order() {
		out[i] = o.keys[j]
	}
	return out
}

// Len is the number of elements.
func (s *Set) Len() int { return len(s.elems) }

// Add adds v unless the set holds it.
func (s *Set) Add(v Value) {
	if len(s.elems) < small {
		if !s.containsSmall(v) {
			s.elems, s.sorted = append(s.elems, v), nil
		}
		return
	}
	s.index()
	h := hash(v)
	if s.find(h, v) {
		return
	}
	s.elems, s.sorted = append(s.elems, v), nil
	s.same = append(s.same, s.byHash[h]-1)
	s.byHash[h] = len(s.elems)
}

// Contains reports whether the set holds v.
func (s *Set) Contains(v Value) bool {
	if len(s.elems) <= small {
		return s.containsSmall(v)
	}
	s.index()
	return s.find(hash(v), v)
}

func (s *Set) containsSmall(v Value) bool {
	for _, e := range s.elems {
		if equal(e, v) {
			return true
		}
	}
	return false
}

func (s *Set) find(h uint64, v Value) bool {
	for i := s.byHash[h] - 1; i >= 0; i = s.same[i] {
		if equal(s.elems[i], v) {
			return true
		}
	}
	return false
}

// index builds the hash index once the set is past a few elements.
func (s *Set) index() {
	if s.byHash != nil {
		return
	}
	s.byHash = make(map[uint64]int, 2*len(s.elems))
	s.same = make([]int, len(s.elems), 2*len(s.elems))
	for i, e := range s.elems {
		h := hash(e)
		s.same[i] = s.byHash[h] - 1
		s.byHash[h] = i + 1
	}
}

// Elems is the elements in the order they were added, which is all a caller
// that sorts them its own way needs; do not change it.
func (s *Set) Elems() []Value { return s.elems }

// Sorted is the elements in OPA's order; do not change it.
func (s *Set) Sorted() []Value {
	if s.sorted == nil || len(s.sorted) != len(s.elems) {
		s.sorted = slices.Clone(s.elems)
		slices.SortFunc(s.sorted, compare)
	}
	return s.sorted
}

// freeze builds, ahead of time, every index and order that reading v would
// otherwise build on first use. The data document is read by concurrent
// evaluations, which must then find nothing left to write.
func freeze(v Value) {
	switch x := v.(type) {
	case *Array:
		for _, e := range x.elems {
			freeze(e)
		}
	case *Object:
		x.order()
		x.index()
		for i := range x.keys {
			freeze(x.keys[i])
			freeze(x.vals[i])
		}
	case *Set:
		x.Sorted()
		x.Contains(Null{}) // builds the hash index of a large set
		for _, e := range x.elems {
			freeze(e)
		}
	}
}

// sortOrder ranks the kinds of value as ast.Compare does.
func sortOrder(v Value) int {
	switch v.(type) {
	case Null:
		return 0
	case Bool:
		return 1
	case Int, Num:
		return 2
	case String:
		return 3
	case *Array:
		return 6
	case *Object:
		return 7
	case *Set:
		return 8
	}
	panic(fmt.Sprintf("vm: not a value: %T", v))
}

// equal is compare(a, b) == 0, found without ordering anything: sets (which
// compare sorts) by looking each element up, and any collection by its
// length first. A decision tests its sets of reasons against the empty set.
func equal(a, b Value) bool {
	switch x := a.(type) {
	case String:
		y, ok := b.(String)
		return ok && x == y
	case *Array:
		y, ok := b.(*Array)
		if !ok || len(x.elems) != len(y.elems) {
			return false
		}
		for i := range x.elems {
			if !equal(x.elems[i], y.elems[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		// Equal objects have the same keys in the same order.
		ak, bk := x.order(), y.order()
		for i := range ak {
			if !equal(x.keys[ak[i]], y.keys[bk[i]]) || !equal(x.vals[ak[i]], y.vals[bk[i]]) {
				return false
			}
		}
		return true
	case *Set:
		y, ok := b.(*Set)
		if !ok || len(x.elems) != len(y.elems) {
			return false
		}
		// A set holds each element once, so with as many elements, each of
		// x's in y makes the two the same.
		for _, e := range x.elems {
			if !y.Contains(e) {
				return false
			}
		}
		return true
	}
	return compare(a, b) == 0
}

// Compare orders values as ast.Compare orders OPA's.
func Compare(a, b Value) int { return compare(a, b) }

func compare(a, b Value) int {
	switch x := a.(type) {
	case String:
		if y, ok := b.(String); ok {
			return cmp.Compare(x, y)
		}
	case Int:
		if y, ok := b.(Int); ok {
			return cmp.Compare(x, y)
		}
	}
	if oa, ob := sortOrder(a), sortOrder(b); oa != ob {
		return cmp.Compare(oa, ob)
	}
	switch x := a.(type) {
	case Null:
		return 0
	case Bool:
		y := b.(Bool)
		switch {
		case x == y:
			return 0
		case !bool(x):
			return -1
		}
		return 1
	case Int, Num:
		return ast.NumberCompare(number(a), number(b))
	case *Array:
		return slices.CompareFunc(x.elems, b.(*Array).elems, compare)
	case *Object:
		y := b.(*Object)
		ak, bk := x.order(), y.order()
		for i := range min(len(ak), len(bk)) {
			if c := compare(x.keys[ak[i]], y.keys[bk[i]]); c != 0 {
				return c
			}
			if c := compare(x.vals[ak[i]], y.vals[bk[i]]); c != 0 {
				return c
			}
		}
		return len(ak) - len(bk)
	case *Set:
		return slices.CompareFunc(x.Sorted(), b.(*Set).Sorted(), compare)
	}
	panic(fmt.Sprintf("vm: not a value: %T", a))
}

func number(v Value) ast.Number {
	if i, ok := v.(Int); ok {
		return ast.Number(strconv.FormatInt(int64(i), 10))
	}
	return ast.Number(v.(Num))
}

var seed = maphash.MakeSeed()

// hash is equal for values that compare equal: numbers hash by their
// float64 value, so 1 and 1.0 meet; objects and sets sum their parts, so
// order does not matter.
func hash(v Value) uint64 {
	switch x := v.(type) {
	case String:
		return maphash.String(seed, string(x))
	case Int:
		return math.Float64bits(float64(x)) * 0x9E3779B97F4A7C15
	case Num:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0x51ED27
		}
		return math.Float64bits(f) * 0x9E3779B97F4A7C15
	case Bool:
		if x {
			return 1
		}
		return 2
	case Null:
		return 3
	case *Array:
		h := uint64(0xA55)
		for _, e := range x.elems {
			h = h*31 + hash(e)
		}
		return h
	case *Object:
		h := uint64(0x0B7)
		for i, k := range x.keys {
			h += hash(k)*7 + hash(x.vals[i])
		}
		return h
	case *Set:
		h := uint64(0x5E7)
		for _, e := range x.elems {
			h += hash(e)
		}
		return h
	}
	return 0
}

// parseNumber keeps an integer as Int and any other number as written.
func parseNumber(s string) Value {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
		return Int(i)
	}
	return Num(s)
}
