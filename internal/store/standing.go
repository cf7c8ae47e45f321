package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Standing is a change of a developer's standing from the identity and
// credit provider; nil fields stay as they are.
type Standing struct {
	AsOf               time.Time
	Kind               *string
	RealNameStatus     *string
	RealNameVerifiedAt *time.Time
	RealNameExpiresAt  *time.Time
	CreditScore        *int
	Qualifications     []string // nil: unchanged
	RiskFlags          []string // nil: unchanged
	Blacklisted        *bool
	// IfMatch, when set, is asked about the developer as it is, under the
	// row lock; false leaves everything unchanged with ErrPrecondition.
	IfMatch func(current Developer) bool
}

// ApplyStanding applies a standing change unless a newer one was applied
// already, and audits it in the same transaction. applied is false for an
// older update; current is true when the developer's standing is this
// update's (applied now, or by an earlier delivery of the same update), so
// a retry can finish what the first delivery started.
func (s *Store) ApplyStanding(ctx context.Context, id string, st Standing, audit AuditEntry) (after Developer, applied, current bool, err error) {
	var before Developer
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var asOf *time.Time
		before, err = scanDeveloper(tx.QueryRow(ctx, `SELECT `+developerColumns+` FROM developers WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "developer "+id)
		}
		if st.IfMatch != nil && !st.IfMatch(before) {
			return fmt.Errorf("standing of %s: %w", id, ErrPrecondition)
		}
		if err := tx.QueryRow(ctx, `SELECT standing_as_of FROM developers WHERE id = $1`, id).Scan(&asOf); err != nil {
			return fmt.Errorf("read standing of %s: %w", id, err)
		}
		if asOf != nil && !st.AsOf.After(*asOf) {
			after, current = before, st.AsOf.Equal(*asOf)
			return nil // an older or repeated update: ignored
		}
		after, err = scanDeveloper(tx.QueryRow(ctx, `
			UPDATE developers SET
				kind = COALESCE($2, kind),
				real_name_status = COALESCE($3, real_name_status),
				real_name_verified_at = COALESCE($4, real_name_verified_at),
				real_name_expires_at = COALESCE($5, real_name_expires_at),
				credit_score = COALESCE($6, credit_score),
				qualifications = COALESCE($7, qualifications),
				risk_flags = COALESCE($8, risk_flags),
				blacklisted = COALESCE($9, blacklisted),
				standing_as_of = $10, updated_at = now()
			WHERE id = $1 RETURNING `+developerColumns,
			id, st.Kind, st.RealNameStatus, st.RealNameVerifiedAt, st.RealNameExpiresAt, st.CreditScore,
			st.Qualifications, st.RiskFlags, st.Blacklisted, st.AsOf))
		if err != nil {
			return fmt.Errorf("apply standing of %s: %w", id, err)
		}
		applied, current = true, true
		audit.ObjectID = id
		return insertAudit(ctx, tx, audit, before, after)
	})
	return after, applied, current, err
}

// LiveApps returns a developer's live apps.
func (s *Store) LiveApps(ctx context.Context, developerID string) ([]App, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appColumns+` FROM apps WHERE developer_id = $1 AND status = 'live'
		AND live_submission_id IS NOT NULL ORDER BY id`, developerID)
	if err != nil {
		return nil, fmt.Errorf("live apps of %s: %w", developerID, err)
	}
	apps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (App, error) { return scanApp(r) })
	if err != nil {
		return nil, fmt.Errorf("live apps of %s: %w", developerID, err)
	}
	return apps, nil
}

// AddAppEvent appends to an app's history outside any other change.
func (s *Store) AddAppEvent(ctx context.Context, appID, kind string, submissionID *string, detail any, dedupe string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		return addAppEvent(ctx, tx, appID, kind, submissionID, detail, dedupe)
	})
}

// AuditEntry is one state-changing action.
type AuditEntry struct {
	ID        int64           `json:"id"`
	Actor     string          `json:"actor"`
	Role      string          `json:"role"`
	Action    string          `json:"action"`
	ObjectID  string          `json:"object_id"`
	RequestID string          `json:"request_id"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	At        time.Time       `json:"at"`
}

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry, before, after any) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return insertAudit(ctx, tx, e, before, after) })
}

const auditInsert = `INSERT INTO audit_log (actor, role, action, object_id, request_id, before, after)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

// insertAudit audits inside the transaction that makes the change, so no
// change goes unaudited.
func insertAudit(ctx context.Context, tx pgx.Tx, e AuditEntry, before, after any) error {
	b, err := json.Marshal(before)
	if err != nil {
		return fmt.Errorf("encode audit: %w", err)
	}
	a, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("encode audit: %w", err)
	}
	if _, err := tx.Exec(ctx, auditInsert, e.Actor, e.Role, e.Action, e.ObjectID, e.RequestID, b, a); err != nil {
		return fmt.Errorf("audit %s on %s: %w", e.Action, e.ObjectID, err)
	}
	return nil
}

// AuditOf returns the audit entries of one object, oldest first.
func (s *Store) AuditOf(ctx context.Context, objectID string) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, actor, role, action, object_id, request_id, before, after, at
		FROM audit_log WHERE object_id = $1 ORDER BY id`, objectID)
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", objectID, err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", objectID, err)
	}
	return entries, nil
}

// DecisionRecord is one entry of the decision log.
type DecisionRecord struct {
	ID            int64           `json:"id"`
	Attempt       int             `json:"attempt"`
	PolicyVersion string          `json:"policy_version"`
	PolicyHash    string          `json:"policy_hash"`
	Input         json.RawMessage `json:"input"`
	Output        json.RawMessage `json:"output"`
	CreatedAt     time.Time       `json:"created_at"`
	// WaivedBy names the waivers that changed this decision.
	WaivedBy []string `json:"waived_by"`
}

// Decisions returns a submission's policy evaluations, oldest first.
func (s *Store) Decisions(ctx context.Context, submissionID string) ([]DecisionRecord, error) {
	return s.DecisionsPage(ctx, submissionID, 0, 0)
}

// DecisionsPage returns at most limit (0: all) of a submission's policy
// evaluations after the one with ID after, oldest first.
func (s *Store) DecisionsPage(ctx context.Context, submissionID string, after int64, limit int) ([]DecisionRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, attempt, policy_version, policy_hash, input, output, created_at, waived_by
		FROM decisions WHERE submission_id = $1 AND id > $2 ORDER BY id LIMIT NULLIF($3, 0)`, submissionID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", submissionID, err)
	}
	recs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DecisionRecord])
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", submissionID, err)
	}
	return recs, nil
}

// AuditFilter selects audit entries; empty fields match all.
type AuditFilter struct {
	Actor, Action, ObjectID string
	Since, Until            *time.Time
	Before                  int64 // cursor: entries with a smaller ID
	Limit                   int
}

// SearchAudit lists audit entries newest first.
func (s *Store) SearchAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, actor, role, action, object_id, request_id, before, after, at
		FROM audit_log
		WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR object_id = $3)
			AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
			AND ($6 = 0 OR id < $6)
		ORDER BY id DESC LIMIT $7`, f.Actor, f.Action, f.ObjectID, f.Since, f.Until, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	return entries, nil
}
