package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Developer is a developer account and its standing: what the identity and
// credit providers last told us about them.
type Developer struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	OrgID              string     `json:"org_id"`
	Kind               string     `json:"kind"`
	RealNameStatus     string     `json:"real_name_status"`
	RealNameVerifiedAt *time.Time `json:"real_name_verified_at,omitempty"`
	RealNameExpiresAt  *time.Time `json:"real_name_expires_at,omitempty"`
	CreditScore        int        `json:"credit_score"`
	Qualifications     []string   `json:"qualifications"`
	RiskFlags          []string   `json:"risk_flags"`
	Blacklisted        bool       `json:"blacklisted"`
}

// History is a developer's track record, part of every decision's input.
type History struct {
	Rejections90d int `json:"rejections_90d"`
	Approvals365d int `json:"approvals_365d"`
	LiveApps      int `json:"live_apps"`
	// WithdrawnSamePackage counts the developer's earlier submissions of the
	// very package being decided (same SHA-256, any app) that they withdrew:
	// withdrawing and uploading the same bytes again is how a developer
	// would try to dodge a review or a QA look.
	WithdrawnSamePackage int `json:"withdrawn_same_package"`
}

const developerColumns = `id, name, org_id, kind, real_name_status, real_name_verified_at,
	real_name_expires_at, credit_score, qualifications, risk_flags, blacklisted`

func scanDeveloper(row pgx.Row) (Developer, error) {
	var d Developer
	err := row.Scan(&d.ID, &d.Name, &d.OrgID, &d.Kind, &d.RealNameStatus, &d.RealNameVerifiedAt,
		&d.RealNameExpiresAt, &d.CreditScore, &d.Qualifications, &d.RiskFlags, &d.Blacklisted)
	return d, err
}

// UpsertDeveloper creates the developer or, when one with the same name
// exists, updates its standing; it returns the stored row. Seeding relies on
// this to be re-runnable.
func (s *Store) UpsertDeveloper(ctx context.Context, d Developer) (Developer, error) {
	if d.ID == "" {
		d.ID = NewID("dev_")
	}
	if d.OrgID == "" {
		d.OrgID = "org_" + d.ID[len("dev_"):]
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO developers (id, name, org_id, kind, real_name_status, real_name_verified_at,
			real_name_expires_at, credit_score, qualifications, risk_flags, blacklisted)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
			real_name_status = EXCLUDED.real_name_status,
			real_name_verified_at = EXCLUDED.real_name_verified_at,
			real_name_expires_at = EXCLUDED.real_name_expires_at,
			credit_score = EXCLUDED.credit_score, qualifications = EXCLUDED.qualifications,
			risk_flags = EXCLUDED.risk_flags, blacklisted = EXCLUDED.blacklisted, updated_at = now()
		RETURNING `+developerColumns,
		d.ID, d.Name, d.OrgID, d.Kind, d.RealNameStatus, d.RealNameVerifiedAt, d.RealNameExpiresAt,
		d.CreditScore, nonNil(d.Qualifications), nonNil(d.RiskFlags), d.Blacklisted)
	out, err := scanDeveloper(row)
	if err != nil {
		return Developer{}, fmt.Errorf("upsert developer %s: %w", d.Name, err)
	}
	return out, nil
}

// GetDeveloper returns one developer.
func (s *Store) GetDeveloper(ctx context.Context, id string) (Developer, error) {
	d, err := scanDeveloper(s.pool.QueryRow(ctx, `SELECT `+developerColumns+` FROM developers WHERE id = $1`, id))
	if err != nil {
		return Developer{}, notFound(err, "get developer "+id)
	}
	return d, nil
}

// DeveloperHistory counts a developer's recent outcomes as of now, and
// their earlier withdrawals of the package of submission submissionID.
func (s *Store) DeveloperHistory(ctx context.Context, id, submissionID string, now time.Time) (History, error) {
	var h History
	err := s.pool.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM submissions WHERE developer_id = $1 AND state = 'rejected'
				AND decided_at > $2::timestamptz - interval '90 days'),
			(SELECT count(*) FROM submissions WHERE developer_id = $1 AND state = 'approved'
				AND decided_at > $2::timestamptz - interval '365 days'),
			(SELECT count(*) FROM apps WHERE developer_id = $1 AND status = 'live'),
			(SELECT count(*) FROM submissions w JOIN submissions cur ON cur.id = $3
				WHERE w.developer_id = $1 AND w.state = 'withdrawn' AND w.id <> cur.id
					AND w.package_sha256 = cur.package_sha256 AND w.created_at < cur.created_at)`,
		id, now, submissionID).Scan(&h.Rejections90d, &h.Approvals365d, &h.LiveApps, &h.WithdrawnSamePackage)
	if err != nil {
		return History{}, fmt.Errorf("history of developer %s for %s: %w", id, submissionID, err)
	}
	return h, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
