package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Waiver exempts one app from one scan rule until ExpiresAt, once a second
// compliance user approved it.
type Waiver struct {
	ID          string     `json:"id"`
	AppID       string     `json:"app_id"`
	RuleID      string     `json:"rule_id"`
	Reason      string     `json:"reason"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RequestedBy string     `json:"requested_by"`
	ApprovedBy  *string    `json:"approved_by,omitempty"`
	ApprovedAt  *time.Time `json:"approved_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// State is pending (awaiting its second approval), active or expired at now.
func (w Waiver) State(now time.Time) string {
	switch {
	case !w.ExpiresAt.After(now):
		return "expired"
	case w.ApprovedAt == nil:
		return "pending"
	default:
		return "active"
	}
}

const waiverColumns = `id, app_id, rule_id, reason, expires_at, requested_by, approved_by, approved_at, created_at`

func scanWaivers(rows pgx.Rows) ([]Waiver, error) {
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Waiver])
}

// CreateWaiver stores a waiver request and audits it.
func (s *Store) CreateWaiver(ctx context.Context, w Waiver, by AuditEntry) (Waiver, error) {
	w.ID, w.RequestedBy = NewID("wvr_"), by.Actor
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM apps WHERE id = $1)`, w.AppID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return refuse(RefusedContent, "unknown-app", "there is no app %s", w.AppID)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO waivers (id, app_id, rule_id, reason, expires_at, requested_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
			w.ID, w.AppID, w.RuleID, w.Reason, w.ExpiresAt, w.RequestedBy).Scan(&w.CreatedAt); err != nil {
			return err
		}
		by.Action, by.ObjectID = "waiver.request", w.ID
		return insertAudit(ctx, tx, by, nil, w)
	})
	if err != nil {
		return Waiver{}, fmt.Errorf("create waiver: %w", err)
	}
	return w, nil
}

// ApproveWaiver gives a pending waiver its second approval, from someone
// other than who asked for it.
func (s *Store) ApproveWaiver(ctx context.Context, id string, by AuditEntry) (Waiver, error) {
	var w Waiver
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+waiverColumns+` FROM waivers WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		ws, err := scanWaivers(rows)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			return fmt.Errorf("waiver %s: %w", id, ErrNotFound)
		}
		w = ws[0]
		switch {
		case w.ApprovedAt != nil:
			return refuse(RefusedState, "waiver-approved", "waiver %s was approved already by %s", id, *w.ApprovedBy)
		case !w.ExpiresAt.After(time.Now()):
			return refuse(RefusedState, "waiver-expired", "waiver %s expired at %s", id, w.ExpiresAt.Format(time.RFC3339))
		case w.RequestedBy == by.Actor:
			return refuse(RefusedWho, "four-eyes", "%s asked for waiver %s; another compliance user must approve it", by.Actor, id)
		}
		if err := tx.QueryRow(ctx, `UPDATE waivers SET approved_by = $2, approved_at = now() WHERE id = $1
			RETURNING approved_by, approved_at`, id, by.Actor).Scan(&w.ApprovedBy, &w.ApprovedAt); err != nil {
			return err
		}
		by.Action, by.ObjectID = "waiver.approve", id
		return insertAudit(ctx, tx, by, map[string]string{"state": "pending"}, w)
	})
	if err != nil {
		return Waiver{}, fmt.Errorf("approve waiver %s: %w", id, err)
	}
	return w, nil
}

// ListWaivers lists waivers newest first, of one app when appID is set.
func (s *Store) ListWaivers(ctx context.Context, appID, before string, limit int) ([]Waiver, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+waiverColumns+` FROM waivers
		WHERE ($1 = '' OR app_id = $1) AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, appID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list waivers: %w", err)
	}
	ws, err := scanWaivers(rows)
	if err != nil {
		return nil, fmt.Errorf("list waivers: %w", err)
	}
	return ws, nil
}

// ActiveWaivers are an app's approved waivers still running at now: the
// ones a decision at now takes into account.
func (s *Store) ActiveWaivers(ctx context.Context, appID string, now time.Time) ([]Waiver, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+waiverColumns+` FROM waivers
		WHERE app_id = $1 AND approved_at IS NOT NULL AND approved_at <= $2 AND expires_at > $2 ORDER BY id`, appID, now)
	if err != nil {
		return nil, fmt.Errorf("waivers of %s: %w", appID, err)
	}
	ws, err := scanWaivers(rows)
	if err != nil {
		return nil, fmt.Errorf("waivers of %s: %w", appID, err)
	}
	return ws, nil
}
