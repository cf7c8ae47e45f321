package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"trustgate/internal/store"
	"trustgate/policies"

	"trustgate/workflows"
)

// maxCachedEngines bounds the compiled bundles a process keeps; a handful
// of versions are in use at any time (the active one, the one before it for
// replays, drafts being simulated).
const maxCachedEngines = 16

// StoredPolicies is the policy versions in the database, compiled on first
// use and kept by version and hash. Current asks the database which version
// is active on every call (one indexed row), so an activation reaches every
// worker with its next decision, without restarts or messages.
type StoredPolicies struct {
	Store *store.Store

	mu      sync.Mutex
	engines map[string]*policies.Engine // by version ID and hash
	loading sync.Mutex                  // one compile at a time per process
}

// NewStoredPolicies returns a provider over st. If no version is active
// yet, the bundle shipped in the binary becomes the first one, named
// "default-" and the start of its hash.
func NewStoredPolicies(ctx context.Context, st *store.Store) (*StoredPolicies, error) {
	def, err := policies.NewDefault()
	if err != nil {
		return nil, fmt.Errorf("load default policy: %w", err)
	}
	if _, err := st.EnsureActivePolicy(ctx, def.Version(), policies.DefaultFiles(), def.Hash()); err != nil {
		return nil, err
	}
	p := &StoredPolicies{Store: st, engines: map[string]*policies.Engine{}}
	p.keep(def)
	return p, nil
}

func engineKey(id, hash string) string { return id + "@" + hash }

func (p *StoredPolicies) cached(id, hash string) *policies.Engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engines[engineKey(id, hash)]
}

func (p *StoredPolicies) keep(e *policies.Engine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.engines) >= maxCachedEngines {
		clear(p.engines) // rare; the engines in use compile again on demand
	}
	p.engines[engineKey(e.Version(), e.Hash())] = e
}

// Current returns the engine of the active version.
func (p *StoredPolicies) Current(ctx context.Context) (*policies.Engine, error) {
	id, hash, err := p.Store.ActivePolicy(ctx)
	if err != nil {
		return nil, err
	}
	return p.Engine(ctx, id, hash)
}

// Engine returns the compiled bundle of a version with this hash.
func (p *StoredPolicies) Engine(ctx context.Context, id, hash string) (*policies.Engine, error) {
	if e := p.cached(id, hash); e != nil {
		return e, nil
	}
	p.loading.Lock()
	defer p.loading.Unlock()
	if e := p.cached(id, hash); e != nil {
		return e, nil // compiled while this call waited
	}
	v, err := p.Store.GetPolicy(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Hash != hash {
		return nil, fmt.Errorf("policy %s changed from %s to %s while loading it", id, short(hash), short(v.Hash))
	}
	e, err := policies.NewNamed(id, v.FilesBytes())
	if err != nil {
		return nil, fmt.Errorf("compile policy %s: %w", id, err)
	}
	p.keep(e)
	return e, nil
}

// Lookup returns the engine of a bundle hash for replaying a decision it
// made, loading it from the database when this process has not yet.
func (p *StoredPolicies) Lookup(hash string) *policies.Engine {
	p.mu.Lock()
	for key, e := range p.engines {
		if strings.HasSuffix(key, "@"+hash) {
			p.mu.Unlock()
			return e
		}
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := p.Store.PolicyByHash(ctx, hash)
	if err != nil {
		return nil
	}
	e, err := p.Engine(ctx, v.ID, hash)
	if err != nil {
		return nil
	}
	return e
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// SimulatePolicy re-evaluates the recorded decisions the job selects under
// its policy version and stores the impact. A draft that does not compile,
// loops or changed since the job was asked for ends the job failed with that
// error; a database hiccup is returned for Temporal to retry.
func (a *Activities) SimulatePolicy(ctx context.Context, in workflows.SimulateInput) (workflows.SimulationSummary, error) {
	job, err := a.Store.GetSimulation(ctx, in.SimulationID)
	if err != nil {
		return workflows.SimulationSummary{}, a.permanent(err)
	}
	if job.State != "running" {
		return workflows.SimulationSummary{State: job.State}, nil // a retry after it finished
	}
	impact, err := a.simulate(ctx, job, func(total, done int) {
		activity.RecordHeartbeat(ctx, done)
		// Progress is advisory: a lost update is corrected by the next one.
		_ = a.Store.SimulationProgress(ctx, job.ID, total, done)
	})
	var failed *simulationError
	switch {
	case errors.As(err, &failed):
		if err := a.Store.FinishSimulation(ctx, job.ID, nil, failed.Error()); err != nil {
			return workflows.SimulationSummary{}, err
		}
		return workflows.SimulationSummary{State: "failed", Error: failed.Error()}, nil
	case err != nil:
		return workflows.SimulationSummary{}, err
	}
	if err := a.Store.FinishSimulation(ctx, job.ID, impact, ""); err != nil {
		return workflows.SimulationSummary{}, err
	}
	return workflows.SimulationSummary{State: "succeeded", Evaluated: impact.Evaluated, Changed: impact.Changed}, nil
}

// simulationError is a simulation's own failure, as opposed to one of the
// database or of the worker.
type simulationError struct{ msg string }

func (e *simulationError) Error() string { return e.msg }

// simulate reads the job's decisions from the store and evaluates them.
func (a *Activities) simulate(ctx context.Context, job store.PolicySimulation, progress func(total, done int)) (*policies.Impact, error) {
	v, err := a.Store.GetPolicy(ctx, job.PolicyID)
	if err != nil {
		return nil, err
	}
	if v.Hash != job.PolicyHash {
		return nil, &simulationError{fmt.Sprintf("policy %s changed since the simulation was asked for; simulate it again", v.ID)}
	}
	engine, err := policies.NewNamed(v.ID, v.FilesBytes())
	if err != nil {
		return nil, &simulationError{"the policy does not compile: " + err.Error()}
	}
	total, err := a.Store.CountDecisions(ctx, job.Params)
	if err != nil {
		return nil, err
	}
	progress(total, 0)
	impact, err := policies.Simulate(ctx, engine.WithTimeout(policies.SimulationTimeout),
		func(yield func(policies.Recorded) error) error {
			return a.Store.EachDecision(ctx, job.Params, func(d store.RecordedDecision) error {
				return yield(policies.Recorded{DecisionID: d.ID, SubmissionID: d.SubmissionID, Input: d.Input, Output: d.Output})
			})
		},
		func(done int) { progress(total, done) })
	switch {
	case errors.Is(err, policies.ErrTimeout):
		return nil, &simulationError{err.Error()}
	case errors.Is(err, policies.ErrBadRecord):
		return nil, &simulationError{err.Error()}
	}
	return impact, err
}

// AbandonSimulation marks a simulation failed after its activity ran out of
// retries, so that nobody polls it forever.
func (a *Activities) AbandonSimulation(ctx context.Context, in workflows.AbandonSimulationInput) error {
	return a.Store.FinishSimulation(ctx, in.SimulationID, nil, in.Error)
}
