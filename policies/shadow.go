package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
)

// DefaultShadowRate is the share of live decisions that OPA's evaluator
// decides again beside the plan machine.
const DefaultShadowRate = 0.01

// Shadow decides a sample of live decisions twice: with the engine, as
// always, and with OPA's evaluator on a bounded pool of goroutines beside
// it. A sampled decision on which the two differ is not trusted: it becomes
// a senior review (POLICY_ERROR), as any decision the policy could not make
// is. Because the shadow runs beside the engine and not after it, the
// sampled decision waits only for the slower of the two, and the decisions
// that are not sampled do not wait at all; when the pool is busy the sample
// is dropped rather than queued, so a burst never slows decisions down.
//
// A Shadow is safe for concurrent use.
type Shadow struct {
	rate  float64
	slots chan struct{}
	// reference re-decides a sampled input.
	reference func(context.Context, *Engine, Input) (Decision, error)
	draw      func() float64
}

// ShadowConfig configures a Shadow.
type ShadowConfig struct {
	// Rate is the share of decisions sampled, from 0 (none) to 1 (all).
	Rate float64
	// Workers bounds the shadow evaluations at once; 0 is a quarter of
	// the processors, at least one.
	Workers int
	// Reference re-decides a sampled input; nil is the engine's OPA
	// evaluator. Tests give one that disagrees.
	Reference func(context.Context, *Engine, Input) (Decision, error)
}

// What became of one decision's shadow.
const (
	// ShadowSkipped: not sampled, or the bundle is not planned (OPA's
	// evaluator decides it already).
	ShadowSkipped = "skipped"
	// ShadowDropped: sampled, but every worker of the pool was busy.
	ShadowDropped = "dropped"
	ShadowAgreed  = "agreed"
	// ShadowDiverged: the evaluators differ; the decision is POLICY_ERROR.
	ShadowDiverged = "diverged"
	// ShadowIncomplete: the caller gave up before the shadow finished.
	ShadowIncomplete = "incomplete"
)

// ShadowResult is what the shadow of one decision found. InputHash is the
// SHA-256 of the input as the decision log stores it, for logs that must
// name an input without holding it.
type ShadowResult struct {
	Outcome     string
	InputHash   string
	Divergences []Divergence
}

// NewShadow returns a shadow with its configuration.
func NewShadow(cfg ShadowConfig) *Shadow {
	workers := cfg.Workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/4)
	}
	ref := cfg.Reference
	if ref == nil {
		ref = func(ctx context.Context, e *Engine, in Input) (Decision, error) { return e.evaluateOPAAlone(ctx, in) }
	}
	return &Shadow{rate: min(max(cfg.Rate, 0), 1), slots: make(chan struct{}, workers), reference: ref, draw: rand.Float64}
}

// Rate is the share of decisions the shadow samples.
func (s *Shadow) Rate() float64 { return s.rate }

type shadowAnswer struct {
	d   Decision
	err error
}

// Decide decides on in with e as e.Decide does, and for a sampled decision
// also with the reference evaluator; a nil Shadow only decides.
func (s *Shadow) Decide(ctx context.Context, e *Engine, in Input) (Decision, ShadowResult) {
	if s == nil || e.program == nil || s.draw() >= s.rate {
		return e.Decide(ctx, in), ShadowResult{Outcome: ShadowSkipped}
	}
	res := ShadowResult{InputHash: inputHash(in)}
	var answer chan shadowAnswer
	select {
	case s.slots <- struct{}{}:
		answer = make(chan shadowAnswer, 1)
		go func() {
			defer func() { <-s.slots }()
			d, err := s.reference(ctx, e, in)
			answer <- shadowAnswer{d, err}
		}()
	default:
		res.Outcome = ShadowDropped
		return e.Decide(ctx, in), res
	}
	d, err := e.Evaluate(ctx, in)
	var ref shadowAnswer
	select {
	case ref = <-answer:
	case <-ctx.Done():
		res.Outcome = ShadowIncomplete
		return d, res
	}
	res.Divergences = CompareDecisions(d, err)(ref.d, ref.err)
	if len(res.Divergences) == 0 {
		res.Outcome = ShadowAgreed
		return d, res
	}
	res.Outcome = ShadowDiverged
	rules := make([]string, len(res.Divergences))
	for i, dv := range res.Divergences {
		rules[i] = dv.Rule
	}
	// Only the parts that differ go into the reason, not what each
	// evaluator made of them: the decision log has the input to replay.
	return policyError(e.version, fmt.Errorf("the plan machine and OPA's evaluator decide differently (%s) on input sha256:%s",
		strings.Join(rules, ", "), res.InputHash)), res
}

// inputHash is the SHA-256 of the input's JSON, as the decision log holds it.
func inputHash(in Input) string {
	b, err := json.Marshal(in)
	if err != nil {
		return "unencodable"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
