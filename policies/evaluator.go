package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// The evaluators that can make an engine's decisions.
const (
	// EvaluatorPlan is package vm running OPA's plan of the bundle: the
	// default, several times faster than OPA's evaluator, held to it by
	// differential tests and by falling back to it on any error.
	EvaluatorPlan = "plan"
	// EvaluatorOPA is OPA's own (tree-walking) evaluator, for when a
	// divergence of the plan machine is suspected or a bundle needs a
	// builtin the plan machine is not proven on.
	EvaluatorOPA = "opa"
)

// Settings are the process's choices for the engines it builds.
type Settings struct {
	// Evaluator is EvaluatorPlan (also when empty) or EvaluatorOPA.
	Evaluator string
	// OnFallback, when set, is told each time OPA's evaluator answers in
	// the plan machine's place, so that the process can count it; the
	// engine logs it itself.
	OnFallback func(Fallback)
}

// Fallback is one time OPA's evaluator stood in for the plan machine.
type Fallback struct {
	// Reason is FallbackPlanError or FallbackNotPlanned.
	Reason  string
	Version string
	// InputHash names the input of a FallbackPlanError (InputHash).
	InputHash string
	// Err is the plan machine's error on the input, or why the bundle
	// could not be planned.
	Err error
	// OPAErr is OPA's error on the same input; nil when OPA decided.
	OPAErr error
}

const (
	// FallbackPlanError: the plan machine failed on one input and OPA's
	// evaluator was asked again; its answer is the decision.
	FallbackPlanError = "plan_error"
	// FallbackNotPlanned: a bundle could not be planned (or calls a
	// builtin the plan machine is not proven on) and OPA's evaluator makes
	// all its decisions.
	FallbackNotPlanned = "not_planned"
)

var settings atomic.Pointer[Settings]

// Configure sets the evaluator of the engines built from now on and the
// hook told of fallbacks. An unknown evaluator is an error and changes
// nothing.
func Configure(s Settings) error {
	switch s.Evaluator {
	case "":
		s.Evaluator = EvaluatorPlan
	case EvaluatorPlan, EvaluatorOPA:
	default:
		return fmt.Errorf("policy evaluator %q: want %q or %q", s.Evaluator, EvaluatorPlan, EvaluatorOPA)
	}
	settings.Store(&s)
	return nil
}

func currentSettings() Settings {
	if s := settings.Load(); s != nil {
		return *s
	}
	return Settings{Evaluator: EvaluatorPlan}
}

func reportFallback(f Fallback) {
	attrs := []any{"policy_version", f.Version, "reason", f.Reason, "error", f.Err}
	if f.InputHash != "" {
		attrs = append(attrs, "input_hash", f.InputHash, "opa_error", f.OPAErr)
	}
	slog.Warn("policy: OPA's evaluator decides instead of the plan machine", attrs...)
	if hook := currentSettings().OnFallback; hook != nil {
		hook(f)
	}
}

// InputHash is the hex SHA-256 of an input's JSON: it names an input in a
// log line without writing out the developer's data, and the same input
// always hashes the same.
func InputHash(in Input) string {
	b, err := json.Marshal(in)
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// retryWithOPA says whether an error of the plan machine is worth asking
// OPA's evaluator about: every error but the caller's cancellation and the
// timeout, which OPA's evaluator, slower, would only repeat.
func retryWithOPA(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, context.Canceled)
}
