package vm

import (
	"runtime"
	"testing"
)

// Boxed strings and integers are Strings and Ints like any other, to a type switch, to ==, to the
// machine's compare and hash and to OPA's values, and stay so after the
// garbage collector has run and the strings they came from are gone.
func TestBoxedStringsAreStrings(t *testing.T) {
	t.Parallel()
	src := []string{"", "a", "héllo", "pages/p1/p1.js", "a"}
	b := NewBoxes(3, 2) // fewer than needed: the rest are converted
	var boxed []Value
	for _, s := range src {
		boxed = append(boxed, b.String(string(append([]byte(nil), s...))))
	}
	runtime.GC()
	for i, s := range src {
		var want Value = String(s)
		got := boxed[i]
		if str, ok := got.(String); !ok || string(str) != s {
			t.Errorf("boxed %q is %T %v", s, got, got)
		}
		if got != want || compare(got, want) != 0 || hash(got) != hash(want) {
			t.Errorf("boxed %q differs from the ordinary value", s)
		}
		if ToAST(got).String() != ToAST(want).String() {
			t.Errorf("boxed %q converts to OPA as %v", s, ToAST(got))
		}
		g, ok := GoString(got)
		runtime.GC()
		if gs, isString := g.(string); !ok || !isString || gs != s || g != any(s) {
			t.Errorf("GoString of %q is %T %v", s, g, g)
		}
	}
	ns := []int64{0, 1, 255, 256, -7, 1 << 40}
	var boxedInts []Value
	for _, n := range ns {
		boxedInts = append(boxedInts, b.Int(n))
	}
	runtime.GC()
	for i, n := range ns {
		var want Value = Int(n)
		if got := boxedInts[i]; got != want || compare(got, want) != 0 || hash(got) != hash(want) || ToAST(got).String() != ToAST(want).String() {
			t.Errorf("boxed %d is %T %v", n, got, got)
		}
	}
	if _, ok := GoString(Int(1)); ok {
		t.Error("GoString took an Int for a String")
	}
}

func TestRecordsAreObjectsOfTheirRow(t *testing.T) {
	t.Parallel()
	keys := []Value{String("b"), String("a")}
	recs := Records(keys, []Value{Int(1), Int(2), Int(3), Int(4)})
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	want := NewObject([]Value{String("a"), String("b")}, []Value{Int(4), Int(3)})
	if compare(recs[1], want) != 0 {
		t.Errorf("record 1 is %v, want %v", ToAST(recs[1]), ToAST(want))
	}
	// An insert into one record must not reach the next one's values.
	recs[0].(*Object).Insert(String("c"), Int(5))
	if compare(recs[1], want) != 0 || recs[0].(*Object).Len() != 3 {
		t.Errorf("an insert into record 0 made %v and %v", ToAST(recs[0]), ToAST(recs[1]))
	}
}
