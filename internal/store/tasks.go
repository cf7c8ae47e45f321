package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Task is the read model of one review task; the workflow that owns the
// task writes every change of it here.
type Task struct {
	ID                string          `json:"id"`
	SubmissionID      string          `json:"submission_id"`
	WorkflowID        string          `json:"-"`
	Kind              string          `json:"kind"`
	Queue             string          `json:"queue"`
	State             string          `json:"state"`
	Assignee          *string         `json:"assignee"`
	Priority          string          `json:"priority"`
	DueAt             time.Time       `json:"due_at"`
	ClaimExpiresAt    *time.Time      `json:"claim_expires_at,omitempty"`
	Reasons           json.RawMessage `json:"reasons"`
	Approvals         []string        `json:"approvals"`
	ApprovalsRequired int             `json:"approvals_required"`
	Excluded          []string        `json:"-"`
	DevOrg            string          `json:"-"`
	Escalated         bool            `json:"escalated"`
	Outcome           *string         `json:"outcome,omitempty"`
	DecidedBy         *string         `json:"decided_by,omitempty"`
	DecidedAt         *time.Time      `json:"decided_at,omitempty"`
	Comment           string          `json:"comment,omitempty"`
	ReasonCodes       []string        `json:"reason_codes,omitempty"`
	Version           int64           `json:"-"`
	CreatedAt         time.Time       `json:"created_at"`
}

const taskColumns = `id, submission_id, workflow_id, kind, queue, state, assignee, priority, due_at, claim_expires_at,
	reasons, approvals, approvals_required, excluded, dev_org, escalated, outcome, decided_by, decided_at,
	comment, reason_codes, version, created_at`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.SubmissionID, &t.WorkflowID, &t.Kind, &t.Queue, &t.State, &t.Assignee, &t.Priority, &t.DueAt,
		&t.ClaimExpiresAt, &t.Reasons, &t.Approvals, &t.ApprovalsRequired, &t.Excluded, &t.DevOrg, &t.Escalated,
		&t.Outcome, &t.DecidedBy, &t.DecidedAt, &t.Comment, &t.ReasonCodes, &t.Version, &t.CreatedAt)
	return t, err
}

// SaveTask writes a task unless a newer version of it is already stored:
// activities may run late or twice, the workflow's version counter decides.
// written says whether this call changed the row.
func (s *Store) SaveTask(ctx context.Context, t Task) (written bool, err error) {
	reasons := t.Reasons
	if reasons == nil {
		reasons = json.RawMessage("[]")
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO review_tasks (id, submission_id, kind, queue, state, assignee, priority, due_at, claim_expires_at,
			reasons, approvals, approvals_required, excluded, dev_org, escalated, outcome, decided_by, decided_at,
			comment, reason_codes, version, workflow_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (id) DO UPDATE SET queue = EXCLUDED.queue, state = EXCLUDED.state, assignee = EXCLUDED.assignee,
			priority = EXCLUDED.priority, due_at = EXCLUDED.due_at, claim_expires_at = EXCLUDED.claim_expires_at,
			approvals = EXCLUDED.approvals, excluded = EXCLUDED.excluded, escalated = EXCLUDED.escalated,
			outcome = EXCLUDED.outcome, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at,
			comment = EXCLUDED.comment, reason_codes = EXCLUDED.reason_codes, version = EXCLUDED.version,
			updated_at = now()
		WHERE review_tasks.version < EXCLUDED.version`,
		t.ID, t.SubmissionID, t.Kind, t.Queue, t.State, t.Assignee, t.Priority, t.DueAt, t.ClaimExpiresAt,
		reasons, nonNil(t.Approvals), t.ApprovalsRequired, nonNil(t.Excluded), t.DevOrg, t.Escalated, t.Outcome,
		t.DecidedBy, t.DecidedAt, t.Comment, nonNil(t.ReasonCodes), t.Version, t.WorkflowID)
	if err != nil {
		return false, fmt.Errorf("save task %s: %w", t.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// GetTask returns one task.
func (s *Store) GetTask(ctx context.Context, id string) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM review_tasks WHERE id = $1`, id))
	if err != nil {
		return Task{}, notFound(err, "get task "+id)
	}
	return t, nil
}

// TasksOf returns a submission's tasks, oldest first.
func (s *Store) TasksOf(ctx context.Context, submissionID string) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM review_tasks WHERE submission_id = $1 ORDER BY created_at, id`, submissionID)
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", submissionID, err)
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", submissionID, err)
	}
	return tasks, nil
}

// TaskFilter selects tasks of a queue listing.
type TaskFilter struct {
	Queues      []string // queues the caller may see
	States      []string // default: open and claimed
	Assignee    string
	ExcludeOrgs []string // organisations the caller must not review
	Offset      int
	Limit       int
}

// priorityRank orders high before normal before low.
const priorityRank = `array_position(ARRAY['high','normal','low'], priority)`

// ListTasks lists tasks by priority, then due time: the order reviewers
// should work them in.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	states := f.States
	if len(states) == 0 {
		states = []string{"open", "claimed"}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM review_tasks
		WHERE queue = ANY($1) AND state = ANY($2) AND ($3 = '' OR assignee = $3) AND NOT (dev_org = ANY($4))
		ORDER BY `+priorityRank+`, due_at, id OFFSET $5 LIMIT $6`,
		f.Queues, states, f.Assignee, nonNil(f.ExcludeOrgs), f.Offset, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}

// QueueEstimate is where an undecided task stands in its queue.
type QueueEstimate struct {
	Queue          string
	Position       int     // open tasks ahead of it
	DecisionsPerHr float64 // of that queue over the last 24 h, at least one
}

// EstimateQueue places a submission's undecided task in its queue: tasks
// ahead are those with a higher priority, or the same priority and an
// earlier due time. ok is false when it has no undecided task.
func (s *Store) EstimateQueue(ctx context.Context, submissionID string) (q QueueEstimate, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `
		WITH mine AS (
			SELECT queue, `+priorityRank+` AS rank, due_at, id FROM review_tasks
			WHERE submission_id = $1 AND state IN ('open', 'claimed')
			ORDER BY created_at DESC LIMIT 1)
		SELECT mine.queue,
			(SELECT count(*) FROM review_tasks t WHERE t.queue = mine.queue AND t.state IN ('open', 'claimed')
				AND t.id <> mine.id
				AND (`+priorityRank+` < mine.rank OR (`+priorityRank+` = mine.rank AND (t.due_at, t.id) < (mine.due_at, mine.id)))),
			GREATEST(1.0, (SELECT count(*) FROM review_tasks t WHERE t.queue = mine.queue AND t.state = 'decided'
				AND t.decided_at > now() - interval '24 hours')::float8 / 24.0)
		FROM mine`, submissionID).Scan(&q.Queue, &q.Position, &q.DecisionsPerHr)
	if err == pgx.ErrNoRows {
		return q, false, nil
	}
	if err != nil {
		return q, false, fmt.Errorf("queue estimate of %s: %w", submissionID, err)
	}
	return q, true, nil
}

// SubmissionsByState counts submissions in each state.
func (s *Store) SubmissionsByState(ctx context.Context) (map[string]int, error) {
	return s.countBy(ctx, `SELECT state, count(*) FROM submissions GROUP BY state`)
}

// QueueDepth counts open and claimed tasks in each queue.
func (s *Store) QueueDepth(ctx context.Context) (map[string]int, error) {
	return s.countBy(ctx, `SELECT queue, count(*) FROM review_tasks WHERE state IN ('open', 'claimed') GROUP BY queue`)
}

func (s *Store) countBy(ctx context.Context, query string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}
