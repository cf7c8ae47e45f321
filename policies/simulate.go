package policies

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// SimulationTimeout bounds one evaluation in a simulation. It is looser
// than DefaultTimeout because a simulation shares the machine with its own
// parallel evaluations; a draft that reaches it loops, and the simulation
// stops there with that error instead of spending it ten thousand times.
const SimulationTimeout = time.Second

// MaxChanges bounds the changed decisions an impact lists one by one; the
// matrices count them all.
const MaxChanges = 1000

// ErrBadRecord marks a recorded decision that does not decode.
var ErrBadRecord = errors.New("recorded decision does not decode")

// Recorded is one entry of the decision log to evaluate again.
type Recorded struct {
	DecisionID   int64
	SubmissionID string
	Input        []byte // the recorded Input, as JSON
	Output       []byte // the recorded Decision, as JSON
}

// Impact is what a bundle would have decided on recorded inputs, compared
// with what was decided: the report of a simulation.
type Impact struct {
	PolicyVersion string `json:"policy_version"`
	PolicyHash    string `json:"policy_hash"`
	Evaluated     int    `json:"evaluated"`
	// Changed counts decisions whose outcome or reason codes differ.
	Changed int `json:"changed"`
	// PolicyErrors counts inputs the bundle could not decide (they would go
	// to senior review as POLICY_ERROR).
	PolicyErrors int `json:"policy_errors"`
	// Matrix counts outcomes from (recorded) → to (this bundle), unchanged
	// ones included; ByKind and ByCategory break it down by developer kind
	// and app category.
	Matrix     OutcomeMatrix            `json:"matrix"`
	ByKind     map[string]OutcomeMatrix `json:"by_kind"`
	ByCategory map[string]OutcomeMatrix `json:"by_category"`
	// Changes lists changed decisions, newest first, up to MaxChanges.
	Changes          []Change `json:"changes"`
	ChangesTruncated bool     `json:"changes_truncated"`
	ElapsedMS        int64    `json:"elapsed_ms"`
}

// OutcomeMatrix counts decisions by recorded outcome, then new outcome.
type OutcomeMatrix map[string]map[string]int

func (m OutcomeMatrix) add(from, to string) {
	if m[from] == nil {
		m[from] = map[string]int{}
	}
	m[from][to]++
}

// Change is one decision that the bundle would make differently.
type Change struct {
	DecisionID   int64    `json:"decision_id"`
	SubmissionID string   `json:"submission_id"`
	Kind         string   `json:"developer_kind"`
	Category     string   `json:"app_category"`
	From         string   `json:"from"`
	To           string   `json:"to"`
	OldReasons   []Reason `json:"old_reasons"`
	NewReasons   []Reason `json:"new_reasons"`
}

// forEachRecorded runs do on every recorded decision each yields, on one
// worker per processor, and hands each result to collect, one at a time in
// the order they finish. The first error of do, or each's own, stops it and
// is returned; the ctx do is given ends with it.
func forEachRecorded[R any](ctx context.Context, each func(yield func(Recorded) error) error,
	do func(context.Context, Recorded) (R, error), collect func(R)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan Recorded, 256)
	results := make(chan R, 256)
	var workers sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		workers.Go(func() {
			for rec := range jobs {
				r, err := do(ctx, rec)
				if err != nil {
					cancel(err)
					continue // drain, so that the producer never blocks
				}
				results <- r
			}
		})
	}
	go func() { workers.Wait(); close(results) }()
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for r := range results {
			collect(r)
		}
	}()
	err := each(func(rec Recorded) error {
		select {
		case jobs <- rec:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(jobs)
	<-collected
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return err
}

type simulated struct {
	rec      Recorded
	kind     string
	category string
	old, new Decision
	failed   bool
}

// Simulate evaluates e on every decision each yields, in parallel, and
// compares with what was recorded. progress, when set, hears the number done
// every 500 decisions or 2 seconds, whichever comes first. A recorded input that does not decode is an
// error of the log and stops the simulation; so does an evaluation that
// times out (the bundle loops). Other evaluation errors count as policy errors.
func Simulate(ctx context.Context, e *Engine, each func(yield func(Recorded) error) error, progress func(done int)) (*Impact, error) {
	started := time.Now()
	im := &Impact{PolicyVersion: e.Version(), PolicyHash: e.Hash(), Matrix: OutcomeMatrix{},
		ByKind: map[string]OutcomeMatrix{}, ByCategory: map[string]OutcomeMatrix{}, Changes: []Change{}}
	reported := time.Now()
	err := forEachRecorded(ctx, each, func(ctx context.Context, rec Recorded) (simulated, error) {
		return simulateOne(ctx, e, rec)
	}, func(r simulated) {
		im.add(r)
		// By count for fast bundles, by time for slow ones: a caller that
		// heartbeats through progress must hear from it often.
		if progress != nil && (im.Evaluated%500 == 0 || time.Since(reported) > 2*time.Second) {
			progress(im.Evaluated)
			reported = time.Now()
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(im.Changes, func(a, b Change) int { return cmp.Compare(b.DecisionID, a.DecisionID) })
	if len(im.Changes) > MaxChanges {
		im.Changes, im.ChangesTruncated = im.Changes[:MaxChanges], true
	}
	im.ElapsedMS = time.Since(started).Milliseconds()
	return im, nil
}

func simulateOne(ctx context.Context, e *Engine, rec Recorded) (simulated, error) {
	var in Input
	if err := json.Unmarshal(rec.Input, &in); err != nil {
		return simulated{}, fmt.Errorf("decision %d of %s: input: %w: %w", rec.DecisionID, rec.SubmissionID, ErrBadRecord, err)
	}
	r := simulated{rec: rec, kind: in.Developer.Kind, category: in.App.Category}
	if err := json.Unmarshal(rec.Output, &r.old); err != nil {
		return simulated{}, fmt.Errorf("decision %d of %s: output: %w: %w", rec.DecisionID, rec.SubmissionID, ErrBadRecord, err)
	}
	var err error
	r.new, err = e.Evaluate(ctx, in)
	switch {
	case errors.Is(err, ErrTimeout):
		return simulated{}, fmt.Errorf("decision %d of %s: %w; does the policy loop?", rec.DecisionID, rec.SubmissionID, err)
	case ctx.Err() != nil:
		return simulated{}, context.Cause(ctx)
	}
	r.failed = err != nil
	return r, nil
}

func (im *Impact) add(r simulated) {
	im.Evaluated++
	if r.failed {
		im.PolicyErrors++
	}
	from, to := r.old.Outcome, r.new.Outcome
	im.Matrix.add(from, to)
	for _, m := range []struct {
		by  map[string]OutcomeMatrix
		key string
	}{{im.ByKind, r.kind}, {im.ByCategory, r.category}} {
		if m.by[m.key] == nil {
			m.by[m.key] = OutcomeMatrix{}
		}
		m.by[m.key].add(from, to)
	}
	if from == to && slices.Equal(reasonCodes(r.old), reasonCodes(r.new)) {
		return
	}
	im.Changed++
	// Kept beyond MaxChanges until the end, where the newest are chosen.
	if len(im.Changes) < 4*MaxChanges {
		im.Changes = append(im.Changes, Change{DecisionID: r.rec.DecisionID, SubmissionID: r.rec.SubmissionID,
			Kind: r.kind, Category: r.category, From: from, To: to, OldReasons: r.old.Reasons, NewReasons: r.new.Reasons})
	} else {
		im.ChangesTruncated = true
	}
}

func reasonCodes(d Decision) []string {
	codes := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		codes[i] = r.Code
	}
	slices.Sort(codes)
	return codes
}
