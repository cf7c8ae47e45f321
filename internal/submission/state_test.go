package submission

import "testing"

func TestTransitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		from, to State
		ok       bool
	}{
		{"a new submission starts scanning", Received, Scanning, true},
		{"a scanned submission is evaluated", Scanning, Evaluating, true},
		{"an evaluation can approve directly", Evaluating, Approved, true},
		{"review ends in rejection", InReview, Rejected, true},
		{"repeating a transition is harmless", Scanning, Scanning, true},
		{"an approval is never reopened", Approved, InReview, false},
		{"a rejection cannot become an approval without appeal", Rejected, Approved, false},
		{"a withdrawn submission stays withdrawn", Withdrawn, Scanning, false},
		{"scanning cannot skip evaluation", Scanning, Approved, false},
		{"an operator retry resumes a failed submission", Failed, Scanning, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := CanMove(c.from, c.to); got != c.ok {
				t.Fatalf("CanMove(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
			}
		})
	}
}

func TestFinalStates(t *testing.T) {
	t.Parallel()
	for _, s := range All {
		if !s.Valid() {
			t.Fatalf("%s is listed but not valid", s)
		}
	}
	for _, s := range []State{Approved, Rejected, Withdrawn, Failed} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
	for _, s := range []State{Received, Scanning, Evaluating, InReview, Appealed} {
		if s.Final() {
			t.Errorf("%s should not be final", s)
		}
	}
	if State("bogus").Valid() {
		t.Fatal("unknown state reported valid")
	}
}
