package vm

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
