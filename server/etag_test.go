package server

import "testing"

func TestIfMatch(t *testing.T) {
	t.Parallel()
	tag := etagOf(map[string]int{"credit_score": 700})
	cases := []struct {
		name, header string
		want         bool
	}{
		{"the current tag matches", tag, true},
		{"any tag of a list may match", `"stale", ` + tag, true},
		{"a star matches whatever exists", "*", true},
		{"a stale tag does not match", `"stale"`, false},
		{"a weak tag never matches", "W/" + tag, false},
		{"the tag of another object does not match", etagOf(map[string]int{"credit_score": 701}), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := ifMatch(c.header, tag); got != c.want {
				t.Fatalf("ifMatch(%q, %q) = %v, want %v", c.header, tag, got, c.want)
			}
		})
	}
}
