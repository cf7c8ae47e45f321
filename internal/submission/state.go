// Package submission holds the one type every layer agrees on: the states a
// submission moves through and which moves are allowed. The store refuses a
// write that breaks this table, the workflow follows it, the API shows it.
package submission

// State is where a submission stands, as its developer sees it.
type State string

// The states of a submission. failed is reserved for our own faults that an
// operator can retry; a bad package is rejected, never failed.
const (
	Received   State = "received"
	Scanning   State = "scanning"
	Evaluating State = "evaluating"
	InReview   State = "in_review"
	Approved   State = "approved"
	Rejected   State = "rejected"
	Withdrawn  State = "withdrawn"
	Appealed   State = "appealed"
	Failed     State = "failed"
)

// All lists every state, in the order a submission usually passes them.
var All = []State{Received, Scanning, Evaluating, InReview, Approved, Rejected, Withdrawn, Appealed, Failed}

// from lists, for each state, the states a submission may enter it from.
// Entering the state it is already in is always allowed, so a retried
// activity that repeats a transition is harmless.
var from = map[State][]State{
	Received:   nil,
	Scanning:   {Received, Failed},
	Evaluating: {Scanning, Failed},
	InReview:   {Evaluating, Failed},
	Approved:   {Evaluating, InReview, Appealed},
	Rejected:   {Evaluating, InReview, Appealed},
	Withdrawn:  {Received, Scanning, Evaluating, InReview},
	Appealed:   {Rejected},
	Failed:     {Received, Scanning, Evaluating, InReview, Appealed},
}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool {
	_, ok := from[s]
	return ok
}

// Final reports whether no further automatic transition will follow: the
// developer can stop waiting. (Appeal re-opens a rejection on request only.)
func (s State) Final() bool {
	switch s {
	case Approved, Rejected, Withdrawn, Failed:
		return true
	}
	return false
}

// Predecessors returns the states a submission may be in to move to s,
// including s itself.
func Predecessors(s State) []State {
	return append([]State{s}, from[s]...)
}

// CanMove reports whether a submission in state a may move to state b.
func CanMove(a, b State) bool {
	for _, p := range Predecessors(b) {
		if p == a {
			return true
		}
	}
	return false
}
