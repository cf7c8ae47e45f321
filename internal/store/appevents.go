package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"trustgate/internal/submission"
)

// AppEvent is one entry of an app's history.
type AppEvent struct {
	ID           int64           `json:"id"`
	Kind         string          `json:"kind"`
	SubmissionID *string         `json:"submission_id,omitempty"`
	Detail       json.RawMessage `json:"detail"`
	At           time.Time       `json:"at"`
}

// AppEvents returns a page of an app's history, oldest first: at most
// limit events after the event with ID after (0: from the start).
func (s *Store) AppEvents(ctx context.Context, appID string, after int64, limit int) ([]AppEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, submission_id, detail, at FROM app_events
		WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3`, appID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("events of app %s: %w", appID, err)
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AppEvent])
	if err != nil {
		return nil, fmt.Errorf("events of app %s: %w", appID, err)
	}
	return events, nil
}

// addAppEvent appends to an app's history; a dedupe key makes a retried
// write land once.
func addAppEvent(ctx context.Context, tx pgx.Tx, appID, kind string, submissionID *string, detail any, dedupe string) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encode app event: %w", err)
	}
	var key *string
	if dedupe != "" {
		key = &dedupe
	}
	var developerID string
	err = tx.QueryRow(ctx, `INSERT INTO app_events (app_id, kind, submission_id, detail, dedupe_key)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING (SELECT developer_id FROM apps WHERE id = $1)`, appID, kind, submissionID, b, key).Scan(&developerID)
	if err == pgx.ErrNoRows {
		return nil // written by an earlier attempt, and notified then
	}
	if err != nil {
		return fmt.Errorf("app event %s for %s: %w", kind, appID, err)
	}
	// The webhook goes to the developer: who acted is shown by role.
	return enqueueEvent(ctx, tx, developerID, submissionID, &appID, "app."+kind, map[string]any{"app_id": appID, "detail": submission.ForDeveloper(b)})
}

// SuspendApp takes an app down with the reasons its developer will see. A
// dedupe key makes a retried suspension write one history entry.
// The workflow that suspended the app, if any, is kept with the suspension:
// an appeal of a takedown goes to it.
func (s *Store) SuspendApp(ctx context.Context, appID string, submissionID *string, reasons json.RawMessage, by, workflowID, dedupe string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		detail := map[string]any{"reasons": reasons, "by": by}
		if workflowID != "" {
			detail["workflow_id"] = workflowID
		}
		b, _ := json.Marshal(detail)
		tag, err := tx.Exec(ctx, `UPDATE apps SET status = 'suspended', suspension = $2 WHERE id = $1`, appID, b)
		if err != nil {
			return fmt.Errorf("suspend app %s: %w", appID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("suspend app %s: %w", appID, ErrNotFound)
		}
		return addAppEvent(ctx, tx, appID, "suspended", submissionID, detail, dedupe)
	})
}

// ReinstateApp makes a suspended app live again (an upheld appeal).
func (s *Store) ReinstateApp(ctx context.Context, appID string, detail any, dedupe string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE apps SET status = 'live', suspension = NULL
			WHERE id = $1 AND live_submission_id IS NOT NULL`, appID)
		if err != nil {
			return fmt.Errorf("reinstate app %s: %w", appID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("reinstate app %s: %w", appID, ErrNotFound)
		}
		return addAppEvent(ctx, tx, appID, "reinstated", nil, detail, dedupe)
	})
}

// Suspension is why an app is suspended and which workflow did it.
type Suspension struct {
	Reasons    json.RawMessage `json:"reasons"`
	By         string          `json:"by"`
	WorkflowID string          `json:"workflow_id,omitempty"`
}

// SuspensionOf returns an app's current suspension, or ErrNotFound when it
// is not suspended.
func (s *Store) SuspensionOf(ctx context.Context, appID string) (Suspension, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT suspension FROM apps WHERE id = $1 AND status = 'suspended'`, appID).Scan(&raw)
	if err != nil {
		return Suspension{}, notFound(err, "suspension of "+appID)
	}
	var sus Suspension
	if err := json.Unmarshal(raw, &sus); err != nil {
		return Suspension{}, fmt.Errorf("decode suspension of %s: %w", appID, err)
	}
	return sus, nil
}
