package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SimulationParams chooses the recorded decisions a simulation re-evaluates:
// the newest Last ones, or those made in [Since, Until).
type SimulationParams struct {
	Last  int        `json:"last,omitempty"`
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
}

// MaxSimulated bounds how many decisions one simulation reads.
const MaxSimulated = 100_000

// PolicySimulation is a simulation job: its progress and, once finished,
// its report (the policies package's Impact, as JSON) or its error.
type PolicySimulation struct {
	ID          string           `json:"id"`
	PolicyID    string           `json:"policy_id"`
	PolicyHash  string           `json:"policy_hash"`
	RequestedBy string           `json:"requested_by"`
	Params      SimulationParams `json:"params"`
	State       string           `json:"state"`
	Total       int              `json:"total"`
	Done        int              `json:"done"`
	Report      json.RawMessage  `json:"report,omitempty"`
	Error       *string          `json:"error,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	FinishedAt  *time.Time       `json:"finished_at,omitempty"`
}

// CreateSimulation records a simulation of a version's current content
// before its workflow starts, and audits the request.
func (s *Store) CreateSimulation(ctx context.Context, policyID string, params SimulationParams, by AuditEntry) (PolicySimulation, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return PolicySimulation{}, fmt.Errorf("encode simulation params: %w", err)
	}
	id := NewID("sim_")
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var hash string
		if err := tx.QueryRow(ctx, `SELECT hash FROM policy_versions WHERE id = $1`, policyID).Scan(&hash); err != nil {
			return notFound(err, "policy "+policyID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO policy_simulations (id, policy_id, policy_hash, requested_by, params)
			VALUES ($1, $2, $3, $4, $5)`, id, policyID, hash, by.Actor, p); err != nil {
			return err
		}
		by.Action, by.ObjectID = "policy.simulate", policyID
		return insertAudit(ctx, tx, by, nil, map[string]any{"simulation_id": id, "hash": hash, "params": params})
	})
	if err != nil {
		return PolicySimulation{}, fmt.Errorf("create simulation of %s: %w", policyID, err)
	}
	return s.GetSimulation(ctx, id)
}

// FailSimulation marks a simulation failed before it ran (its workflow
// could not start).
func (s *Store) FailSimulation(ctx context.Context, id, msg string) error {
	return s.FinishSimulation(ctx, id, nil, msg)
}

// GetSimulation returns a simulation job.
func (s *Store) GetSimulation(ctx context.Context, id string) (PolicySimulation, error) {
	var j PolicySimulation
	var params []byte
	err := s.pool.QueryRow(ctx, `SELECT id, policy_id, policy_hash, requested_by, params, state, total, done,
		report, error, created_at, finished_at FROM policy_simulations WHERE id = $1`, id).Scan(
		&j.ID, &j.PolicyID, &j.PolicyHash, &j.RequestedBy, &params, &j.State, &j.Total, &j.Done,
		&j.Report, &j.Error, &j.CreatedAt, &j.FinishedAt)
	if err != nil {
		return PolicySimulation{}, notFound(err, "simulation "+id)
	}
	if err := json.Unmarshal(params, &j.Params); err != nil {
		return PolicySimulation{}, fmt.Errorf("decode params of %s: %w", id, err)
	}
	return j, nil
}

// LatestSimulation returns the newest simulation of a version, if any.
func (s *Store) LatestSimulation(ctx context.Context, policyID string) (*PolicySimulation, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM policy_simulations WHERE policy_id = $1
		ORDER BY created_at DESC, id DESC LIMIT 1`, policyID).Scan(&id)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("latest simulation of %s: %w", policyID, err)
	}
	j, err := s.GetSimulation(ctx, id)
	return &j, err
}

// SimulationProgress records how far a running simulation got.
func (s *Store) SimulationProgress(ctx context.Context, id string, total, done int) error {
	_, err := s.pool.Exec(ctx, `UPDATE policy_simulations SET total = $2, done = $3 WHERE id = $1 AND state = 'running'`,
		id, total, done)
	if err != nil {
		return fmt.Errorf("progress of simulation %s: %w", id, err)
	}
	return nil
}

// FinishSimulation stores a simulation's report, or its error when msg is
// set. A finished simulation stays as it finished.
func (s *Store) FinishSimulation(ctx context.Context, id string, report any, msg string) error {
	state, body := "succeeded", []byte(nil)
	if msg != "" {
		state = "failed"
	} else {
		var err error
		if body, err = json.Marshal(report); err != nil {
			return fmt.Errorf("encode simulation report: %w", err)
		}
	}
	_, err := s.pool.Exec(ctx, `UPDATE policy_simulations SET state = $2, report = $3, error = NULLIF($4, ''),
		done = CASE WHEN $2 = 'succeeded' THEN total ELSE done END, finished_at = now()
		WHERE id = $1 AND state = 'running'`, id, state, body, msg)
	if err != nil {
		return fmt.Errorf("finish simulation %s: %w", id, err)
	}
	return nil
}

// RecordedDecision is one entry of the decision log as a simulation reads
// it: the raw input and output, decoded by the caller.
type RecordedDecision struct {
	ID           int64
	SubmissionID string
	Input        []byte
	Output       []byte
}

// CountDecisions says how many recorded decisions params select.
func (s *Store) CountDecisions(ctx context.Context, p SimulationParams) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM decisions
		WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
		ORDER BY id DESC LIMIT $3) d`, p.Since, p.Until, limitOf(p)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count decisions: %w", err)
	}
	return n, nil
}

// EachDecision streams the recorded decisions params select, newest first,
// to fn; rows are not collected, so memory stays flat however many there are.
func (s *Store) EachDecision(ctx context.Context, p SimulationParams, fn func(RecordedDecision) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, submission_id, input::text, output::text FROM decisions
		WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
		ORDER BY id DESC LIMIT $3`, p.Since, p.Until, limitOf(p))
	if err != nil {
		return fmt.Errorf("read decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d RecordedDecision
		// Scanned as raw bytes: the caller decodes the JSON once, straight
		// into its own types.
		if err := rows.Scan(&d.ID, &d.SubmissionID, &d.Input, &d.Output); err != nil {
			return fmt.Errorf("read decisions: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read decisions: %w", err)
	}
	return nil
}

func limitOf(p SimulationParams) int {
	if p.Last > 0 && p.Last < MaxSimulated {
		return p.Last
	}
	return MaxSimulated
}
