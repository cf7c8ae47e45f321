package vm

import (
	"fmt"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The operations on values that statements do: looking up, measuring,
// inserting, merging documents, and with's replacement of a path.

// upsert returns root with value at path, copying each object on the way so
// that the original stays as it was for the code after the with block.
func upsert(root Value, path []Value, value Value) Value {
	if len(path) == 0 {
		return value
	}
	var obj *Object
	if o, ok := root.(*Object); ok {
		obj = o.copy()
	} else {
		obj = &Object{}
	}
	obj.Insert(path[0], upsert(obj.Get(path[0]), path[1:], value))
	return obj
}

// dot looks key up in v: an object's value, an array's element, or the
// key itself when a set holds it.
func dot(v Value, key Value) Value {
	if key == nil {
		return nil
	}
	switch c := v.(type) {
	case *Object:
		return c.Get(key)
	case *Array:
		var i int
		switch n := key.(type) {
		case Int:
			i = int(n)
		case Num:
			x, ok := ast.Number(n).Int()
			if !ok {
				return nil
			}
			i = x
		default:
			return nil
		}
		if i < 0 || i >= len(c.elems) {
			return nil
		}
		return c.elems[i]
	case *Set:
		if c.Contains(key) {
			return key
		}
	}
	return nil
}

func length(v Value) (int, bool) {
	switch c := v.(type) {
	case *Array:
		return len(c.elems), true
	case *Object:
		return len(c.keys), true
	case *Set:
		return len(c.elems), true
	case String:
		return utf8.RuneCountInString(string(c)), true
	}
	return 0, false
}

func insert(s *objectInsertStmt, locals []Value) error {
	obj, ok := locals[s.object].(*Object)
	if !ok {
		return fmt.Errorf("insert into %T, not an object", locals[s.object])
	}
	k, v := read(s.key, locals), read(s.value, locals)
	if s.once {
		if old := obj.Get(k); old != nil && !equal(old, v) {
			return conflict(s.loc, fmt.Sprintf("object keys must be unique: conflicting values %v and %v for key %v", ToAST(old), ToAST(v), ToAST(k)))
		}
	}
	obj.Insert(k, v)
	return nil
}

// merge combines the values of a document defined in pieces (base data and
// rules under one path): objects merge key by key, recursively, and the
// first value wins anywhere else.
func merge(a, b Value) Value {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	ao, ok1 := a.(*Object)
	bo, ok2 := b.(*Object)
	if !ok1 || !ok2 {
		return a
	}
	out := ao.copy()
	for i, k := range bo.keys {
		if av := out.Get(k); av != nil {
			out.Insert(k, merge(av, bo.vals[i]))
			continue
		}
		out.Insert(k, bo.vals[i])
	}
	return out
}

func conflict(loc *ast.Location, msg string) error {
	return &topdown.Error{Code: topdown.ConflictErr, Message: msg, Location: loc}
}
