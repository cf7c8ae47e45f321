package vm

import "testing"

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
