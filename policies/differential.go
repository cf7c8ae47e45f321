package policies

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// The plan machine is a second implementation of Rego inside a gate that
// fails closed, so a draft is run through both it and OPA's own evaluator on
// recorded inputs before it may decide, and a sample of live decisions is
// run through both again (shadow.go). This file holds the comparison both
// use.

// DifferentialInputs is how many recorded decisions a draft is compared on
// before it is validated or activated: the newest ones.
const DifferentialInputs = 1000

// MaxDivergences bounds the divergences a report lists; Diverged counts all.
const MaxDivergences = 100

// Evaluators is the pair a differential check compares: the plan machine,
// which makes decisions, and OPA's evaluator, which defines what they must
// be. Each answers as Evaluate does, with its error.
type Evaluators struct {
	Plan func(context.Context, Input) (Decision, error)
	OPA  func(context.Context, Input) (Decision, error)
}

// Evaluators returns the engine's two evaluators, each alone: the plan
// machine without any fallback to OPA, and OPA's evaluator. ok is false
// when the bundle could not be planned, so that OPA's evaluator decides and
// there is nothing to compare.
func (e *Engine) Evaluators() (ev Evaluators, ok bool) {
	if e.program == nil {
		return Evaluators{}, false
	}
	return Evaluators{Plan: e.evaluatePlanAlone, OPA: e.evaluateOPAAlone}, true
}

// Divergence is one recorded input on which the two evaluators decide
// differently. Rule names the part of the decision that differs: "error",
// "outcome", "reason CODE", "queue", "priority", "approvals_required" or
// "sla_hours"; Plan and OPA say what each evaluator made of it.
type Divergence struct {
	DecisionID   int64  `json:"decision_id,omitempty"`
	SubmissionID string `json:"submission_id,omitempty"`
	Rule         string `json:"rule"`
	Plan         string `json:"plan"`
	OPA          string `json:"opa"`
}

func (d Divergence) String() string {
	return fmt.Sprintf("decision %d of submission %s: %s: plan machine %s, OPA %s", d.DecisionID, d.SubmissionID, d.Rule, d.Plan, d.OPA)
}

// DifferentialReport is the outcome of comparing the evaluators on recorded
// inputs.
type DifferentialReport struct {
	// Compared counts the recorded inputs both evaluators decided on.
	Compared int `json:"compared"`
	// Diverged counts the inputs on which they differ; Divergences lists
	// the first parts that differ, newest input first, up to MaxDivergences.
	Diverged    int          `json:"diverged"`
	Divergences []Divergence `json:"divergences"`
	Truncated   bool         `json:"truncated,omitempty"`
}

// OK says the evaluators agreed on every input.
func (r DifferentialReport) OK() bool { return r.Diverged == 0 }

// CompareEvaluators runs both evaluators on every recorded input each
// yields, in parallel, and reports where they differ. A recorded input that
// does not decode stops the comparison with ErrBadRecord, as in a
// simulation: a log that cannot be read proves nothing.
func CompareEvaluators(ctx context.Context, ev Evaluators, each func(yield func(Recorded) error) error) (DifferentialReport, error) {
	r := DifferentialReport{Divergences: []Divergence{}}
	err := forEachRecorded(ctx, each, func(ctx context.Context, rec Recorded) ([]Divergence, error) {
		var in Input
		if err := json.Unmarshal(rec.Input, &in); err != nil {
			return nil, fmt.Errorf("decision %d of %s: input: %w: %w", rec.DecisionID, rec.SubmissionID, ErrBadRecord, err)
		}
		diff := CompareDecisions(ev.Plan(ctx, in))(ev.OPA(ctx, in))
		for i := range diff {
			diff[i].DecisionID, diff[i].SubmissionID = rec.DecisionID, rec.SubmissionID
		}
		return diff, nil
	}, func(diff []Divergence) {
		r.Compared++
		if len(diff) > 0 {
			r.Diverged++
			r.Divergences = append(r.Divergences, diff...)
		}
	})
	if err != nil {
		return DifferentialReport{}, err
	}
	slices.SortStableFunc(r.Divergences, func(a, b Divergence) int { return cmp.Compare(b.DecisionID, a.DecisionID) })
	if len(r.Divergences) > MaxDivergences {
		r.Divergences, r.Truncated = r.Divergences[:MaxDivergences], true
	}
	return r, nil
}

// CompareDecisions lists the parts in which the plan machine's answer
// differs from OPA's, none when they agree. Both failing is agreement: the
// decision fails closed either way, and the two word their errors
// differently. It is curried so that both evaluators' answers pass straight
// in: CompareDecisions(plan(ctx, in))(opa(ctx, in)).
func CompareDecisions(plan Decision, planErr error) func(opa Decision, opaErr error) []Divergence {
	return func(opa Decision, opaErr error) []Divergence {
		switch {
		case planErr != nil && opaErr != nil:
			return nil
		case planErr != nil:
			return []Divergence{{Rule: "error", Plan: "fails: " + planErr.Error(), OPA: "decides " + opa.Outcome}}
		case opaErr != nil:
			return []Divergence{{Rule: "error", Plan: "decides " + plan.Outcome, OPA: "fails: " + opaErr.Error()}}
		}
		var out []Divergence
		field := func(rule string, p, o any) {
			if p != o {
				out = append(out, Divergence{Rule: rule, Plan: fmt.Sprint(p), OPA: fmt.Sprint(o)})
			}
		}
		field("outcome", plan.Outcome, opa.Outcome)
		field("queue", plan.Queue, opa.Queue)
		field("priority", plan.Priority, opa.Priority)
		field("approvals_required", plan.ApprovalsRequired, opa.ApprovalsRequired)
		field("sla_hours", plan.SLAHours, opa.SLAHours)
		return append(out, compareReasons(plan.Reasons, opa.Reasons)...)
	}
}

// compareReasons compares reasons by code: one only one evaluator gives,
// or one both give with different message, evidence or remediation. The
// order of reasons is not compared; both evaluators sort them, and a
// developer reads them as a set.
func compareReasons(plan, opa []Reason) []Divergence {
	byCode := func(rs []Reason) map[string][]Reason {
		m := map[string][]Reason{}
		for _, r := range rs {
			m[r.Code] = append(m[r.Code], r)
		}
		return m
	}
	p, o := byCode(plan), byCode(opa)
	codes := make([]string, 0, len(p)+len(o))
	for c := range p {
		codes = append(codes, c)
	}
	for c := range o {
		if _, ok := p[c]; !ok {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	var out []Divergence
	for _, c := range codes {
		if reasonsEqual(p[c], o[c]) {
			continue
		}
		out = append(out, Divergence{Rule: "reason " + c, Plan: describeReasons(p[c]), OPA: describeReasons(o[c])})
	}
	return out
}

// reasonsEqual compares as the decision log stores them: through JSON, so
// that a number the plan machine holds as json.Number and one OPA gives as
// another type of the same value are equal.
func reasonsEqual(a, b []Reason) bool {
	if len(a) != len(b) {
		return false
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return reflect.DeepEqual(a, b)
	}
	var va, vb any
	if json.Unmarshal(ja, &va) != nil || json.Unmarshal(jb, &vb) != nil {
		return string(ja) == string(jb)
	}
	return reflect.DeepEqual(va, vb)
}

func describeReasons(rs []Reason) string {
	if len(rs) == 0 {
		return "gives no such reason"
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return fmt.Sprintf("%d reasons", len(rs))
	}
	return "gives " + truncate(b)
}
