package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"trustgate/internal/submission"
)

// ErrKeyReused means an idempotency key came back with a different request.
var ErrKeyReused = errors.New("idempotency key reused for a different request")

// InFlightError means the same package is already being decided for the app.
type InFlightError struct{ First string }

func (e *InFlightError) Error() string {
	return "the same package is already under review for this app as " + e.First
}

// QuotaError means the developer has used their submissions of the last
// 24 hours; RetryAfter says when the oldest of them leaves the window.
type QuotaError struct {
	Limit      int
	RetryAfter time.Duration
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("at most %d submissions in 24 hours", e.Limit)
}

// Submission is one uploaded version of an app and where it stands.
type Submission struct {
	ID            string           `json:"id"`
	AppID         string           `json:"app_id"`
	DeveloperID   string           `json:"developer_id"`
	Version       string           `json:"version"`
	Notes         string           `json:"notes"`
	PackageSHA256 string           `json:"package_sha256"`
	PackageBytes  int64            `json:"package_bytes"`
	State         submission.State `json:"state"`
	Outcome       *string          `json:"outcome"`
	Reasons       json.RawMessage  `json:"reasons"`
	PolicyVersion *string          `json:"policy_version"`
	PolicyHash    *string          `json:"policy_hash"`
	Failure       *string          `json:"failure,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	DecidedAt     *time.Time       `json:"decided_at"`
}

// Event is one entry of a submission's timeline.
type Event struct {
	Seq    int              `json:"seq"`
	State  submission.State `json:"state"`
	Detail json.RawMessage  `json:"detail"`
	At     time.Time        `json:"at"`
}

// Finding is a stored scan finding.
type Finding struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Severity    string `json:"severity"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Snippet     string `json:"snippet"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	// Score is a CONTENT finding's block score for its category, 0 for
	// other rules; the decision reads it.
	Score int `json:"score"`
	// Evidence is what the finding rests on, as the scanner reported it
	// (for CONTENT: category, terms, normalised text); nil when the rule
	// reports none.
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

const submissionColumns = `id, app_id, developer_id, version, notes, package_sha256, package_bytes,
	state, outcome, reasons, policy_version, policy_hash, failure, created_at, updated_at, decided_at`

func scanSubmission(row pgx.Row) (Submission, error) {
	var s Submission
	err := row.Scan(&s.ID, &s.AppID, &s.DeveloperID, &s.Version, &s.Notes, &s.PackageSHA256,
		&s.PackageBytes, &s.State, &s.Outcome, &s.Reasons, &s.PolicyVersion, &s.PolicyHash,
		&s.Failure, &s.CreatedAt, &s.UpdatedAt, &s.DecidedAt)
	return s, err
}

// NewSubmission is what intake knows about an upload.
type NewSubmission struct {
	AppID, DeveloperID, Version, Notes string
	PackageSHA256                      string
	PackageBytes                       int64
	// IdempotencyKey, when set, makes a retry return the first submission.
	// RequestHash tells a retry from a different request under the same key.
	IdempotencyKey, RequestHash string
	// DailyQuota bounds the developer's submissions in any 24 hours; 0 is
	// no bound. A retry answered from its idempotency key does not count.
	DailyQuota int
	// Privacy is the developer's privacy declaration as validated JSON,
	// nil when none was sent; PrivacyPolicy the policy text, "" for none.
	Privacy       json.RawMessage
	PrivacyPolicy string
}

// IdempotencyWindow is how long an idempotency key is remembered.
const IdempotencyWindow = 24 * time.Hour

var errKeyTaken = errors.New("idempotency key taken")

// CreateSubmission stores a new submission in state received with its first
// timeline entry. With an idempotency key seen in the last 24 h it returns
// the submission created then (created = false), or ErrKeyReused when the
// request differs; concurrent retries with one key create one submission.
// The daily quota is counted and the row inserted in one transaction that
// holds a lock per developer, so parallel uploads cannot go past it.
func (s *Store) CreateSubmission(ctx context.Context, n NewSubmission) (sub Submission, created bool, err error) {
	if n.IdempotencyKey != "" {
		if sub, ok, err := s.byKey(ctx, n); ok || err != nil {
			return sub, false, err
		}
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if n.DailyQuota > 0 {
			if err := checkQuota(ctx, tx, n); err != nil {
				return err
			}
		}
		if n.IdempotencyKey != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE developer_id = $1 AND key = $2
				AND created_at <= now() - $3::interval`, n.DeveloperID, n.IdempotencyKey, IdempotencyWindow.String()); err != nil {
				return fmt.Errorf("expire idempotency key: %w", err)
			}
		}
		var err error
		sub, err = scanSubmission(tx.QueryRow(ctx, `
			INSERT INTO submissions (id, app_id, developer_id, version, notes, package_sha256, package_bytes, privacy, privacy_policy)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, '')) RETURNING `+submissionColumns,
			NewID("sub_"), n.AppID, n.DeveloperID, n.Version, n.Notes, n.PackageSHA256, n.PackageBytes, nullJSON(n.Privacy), n.PrivacyPolicy))
		if err != nil {
			return fmt.Errorf("insert submission: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO submission_events (submission_id, seq, state, at)
			VALUES ($1, 0, 'received', $2)`, sub.ID, sub.CreatedAt); err != nil {
			return fmt.Errorf("insert first timeline entry: %w", err)
		}
		if err := enqueueEvent(ctx, tx, sub.DeveloperID, &sub.ID, &sub.AppID, "submission.received",
			map[string]any{"submission_id": sub.ID, "app_id": sub.AppID, "version": sub.Version, "state": sub.State}); err != nil {
			return err
		}
		if n.IdempotencyKey == "" {
			return nil
		}
		// ON CONFLICT waits for a concurrent holder of the key to commit,
		// so exactly one of racing retries keeps its submission.
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (developer_id, key, request_hash, submission_id)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, n.DeveloperID, n.IdempotencyKey, n.RequestHash, sub.ID)
		if err != nil {
			return fmt.Errorf("insert idempotency key: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errKeyTaken
		}
		return nil
	})
	var quota *QuotaError
	switch {
	case err == nil:
		return sub, true, nil
	case errors.As(err, &quota):
		return Submission{}, false, err
	case errors.Is(err, errKeyTaken):
		sub, _, err = s.byKey(ctx, n)
		return sub, false, err
	case isUniqueViolation(err):
		// A racing retry with the same key can lose on the in-flight index
		// rather than on the key: its answer is still the first submission.
		if n.IdempotencyKey != "" {
			if sub, ok, kerr := s.byKey(ctx, n); ok || kerr != nil {
				return sub, false, kerr
			}
		}
		var first string
		if qerr := s.pool.QueryRow(ctx, `SELECT id FROM submissions WHERE app_id = $1 AND package_sha256 = $2
			AND state IN ('received', 'scanning', 'evaluating', 'in_review', 'appealed')`, n.AppID, n.PackageSHA256).Scan(&first); qerr == nil {
			return Submission{}, false, fmt.Errorf("create submission: %w", &InFlightError{First: first})
		}
	}
	return Submission{}, false, fmt.Errorf("create submission: %w", err)
}

// quotaLockClass keeps the quota's advisory locks apart from any other
// advisory lock keyed by a hash.
const quotaLockClass = 0x71756f74 // "quot"

// checkQuota waits for the developer's other submissions in flight to commit
// and then counts: the lock is held until tx ends, so the next upload of the
// same developer counts this one. A retry whose key committed meanwhile is
// answered from the key by the caller and does not count (errKeyTaken).
func checkQuota(ctx context.Context, tx pgx.Tx, n NewSubmission) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, quotaLockClass, n.DeveloperID); err != nil {
		return fmt.Errorf("lock quota of %s: %w", n.DeveloperID, err)
	}
	if n.IdempotencyKey != "" {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM idempotency_keys
			WHERE developer_id = $1 AND key = $2 AND created_at > now() - $3::interval)`,
			n.DeveloperID, n.IdempotencyKey, IdempotencyWindow.String()).Scan(&taken); err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		if taken {
			return errKeyTaken
		}
	}
	count, oldest, err := submissionsSince(ctx, tx, n.DeveloperID, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if count >= n.DailyQuota {
		return &QuotaError{Limit: n.DailyQuota, RetryAfter: time.Until(oldest.Add(24 * time.Hour))}
	}
	return nil
}

// byKey returns the submission an idempotency key made in the last 24 h,
// or ErrKeyReused when the key came with a different request.
func (s *Store) byKey(ctx context.Context, n NewSubmission) (Submission, bool, error) {
	var hash, id string
	err := s.pool.QueryRow(ctx, `SELECT request_hash, submission_id FROM idempotency_keys
		WHERE developer_id = $1 AND key = $2 AND created_at > now() - $3::interval`,
		n.DeveloperID, n.IdempotencyKey, IdempotencyWindow.String()).Scan(&hash, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Submission{}, false, nil
	}
	if err != nil {
		return Submission{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if hash != n.RequestHash {
		return Submission{}, false, fmt.Errorf("create submission: %w", ErrKeyReused)
	}
	sub, err := s.GetSubmission(ctx, id)
	return sub, err == nil, err
}

// SubmissionsSince counts a developer's submissions since a time, for the
// daily quota.
func (s *Store) SubmissionsSince(ctx context.Context, developerID string, since time.Time) (n int, oldest time.Time, err error) {
	return submissionsSince(ctx, s.pool, developerID, since)
}

// queryRower is a pool or a transaction.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func submissionsSince(ctx context.Context, q queryRower, developerID string, since time.Time) (n int, oldest time.Time, err error) {
	var first *time.Time
	err = q.QueryRow(ctx, `SELECT count(*), min(created_at) FROM submissions WHERE developer_id = $1 AND created_at > $2`,
		developerID, since).Scan(&n, &first)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count submissions of %s: %w", developerID, err)
	}
	if first != nil {
		oldest = *first
	}
	return n, oldest, nil
}

// GetSubmission returns one submission.
func (s *Store) GetSubmission(ctx context.Context, id string) (Submission, error) {
	sub, err := scanSubmission(s.pool.QueryRow(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE id = $1`, id))
	if err != nil {
		return Submission{}, notFound(err, "get submission "+id)
	}
	return sub, nil
}

// SubmissionDetail is a submission with its timeline and findings.
type SubmissionDetail struct {
	Submission
	Timeline []Event
	Findings []Finding
}

// GetSubmissionDetail returns a submission, its timeline and its findings
// in one round trip: it is the API's hottest read, and three queries cost
// three waits for a pooled connection and for the database.
func (s *Store) GetSubmissionDetail(ctx context.Context, id string) (SubmissionDetail, error) {
	d, _, err := s.submissionDetail(ctx, id)
	return d, err
}

// submissionDetail is GetSubmissionDetail that also says how many bytes of
// timeline and findings it read, which DetailCache counts against its bound.
func (s *Store) submissionDetail(ctx context.Context, id string) (SubmissionDetail, int, error) {
	var d SubmissionDetail
	var timeline, findings []byte
	err := s.pool.QueryRow(ctx, `SELECT `+submissionColumns+`,
		(SELECT COALESCE(json_agg(json_build_object('seq', seq, 'state', state, 'detail', detail, 'at', at) ORDER BY seq), '[]')
			FROM submission_events WHERE submission_id = s.id),
		(SELECT COALESCE(json_agg(json_build_object('fingerprint', fingerprint, 'rule_id', rule_id, 'severity', severity,
				'file', file, 'line', line, 'column', col, 'snippet', snippet, 'message', message, 'remediation', remediation,
				'score', score, 'evidence', evidence)
			ORDER BY array_position(ARRAY['critical','high','medium','low','info'], severity), file, line, col, rule_id), '[]')
			FROM findings WHERE submission_id = s.id)
		FROM submissions s WHERE id = $1`, id).Scan(&d.ID, &d.AppID, &d.DeveloperID, &d.Version, &d.Notes, &d.PackageSHA256,
		&d.PackageBytes, &d.State, &d.Outcome, &d.Reasons, &d.PolicyVersion, &d.PolicyHash,
		&d.Failure, &d.CreatedAt, &d.UpdatedAt, &d.DecidedAt, &timeline, &findings)
	if err != nil {
		return SubmissionDetail{}, 0, notFound(err, "get submission "+id)
	}
	if err := json.Unmarshal(timeline, &d.Timeline); err != nil {
		return SubmissionDetail{}, 0, fmt.Errorf("decode timeline of %s: %w", id, err)
	}
	for i := range d.Timeline {
		d.Timeline[i].At = d.Timeline[i].At.Local() // as pgx gives times, so answers read the same
	}
	if err := json.Unmarshal(findings, &d.Findings); err != nil {
		return SubmissionDetail{}, 0, fmt.Errorf("decode findings of %s: %w", id, err)
	}
	for i := range d.Findings {
		if string(d.Findings[i].Evidence) == "null" {
			d.Findings[i].Evidence = nil // as Findings reads a SQL NULL
		}
	}
	return d, 1024 + len(timeline) + len(findings) + len(d.Reasons) + len(d.Notes), nil
}

// SubmissionFilter selects submissions for a list; empty fields match all.
type SubmissionFilter struct {
	DeveloperID, AppID string
	State              submission.State
	After              string // cursor: the last ID of the previous page
	Limit              int
}

// ListSubmissions returns submissions newest first.
func (s *Store) ListSubmissions(ctx context.Context, f SubmissionFilter) ([]Submission, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM submissions
		WHERE ($1 = '' OR developer_id = $1) AND ($2 = '' OR app_id = $2) AND ($3 = '' OR state = $3)
			AND ($4 = '' OR id < $4)
		ORDER BY id DESC LIMIT $5`, f.DeveloperID, f.AppID, string(f.State), f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Submission, error) { return scanSubmission(r) })
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return subs, nil
}

// Timeline returns a submission's state changes in order.
func (s *Store) Timeline(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, state, detail, at FROM submission_events
		WHERE submission_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return events, nil
}

// Findings returns a submission's findings, most severe first.
func (s *Store) Findings(ctx context.Context, id string) ([]Finding, error) {
	rows, err := s.pool.Query(ctx, `SELECT fingerprint, rule_id, severity, file, line, col, snippet, message, remediation,
			score, evidence
		FROM findings WHERE submission_id = $1
		ORDER BY array_position(ARRAY['critical','high','medium','low','info'], severity), file, line, col, rule_id`, id)
	if err != nil {
		return nil, fmt.Errorf("findings of %s: %w", id, err)
	}
	findings, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Finding])
	if err != nil {
		return nil, fmt.Errorf("findings of %s: %w", id, err)
	}
	return findings, nil
}

// SaveFindings replaces a submission's findings with the given set, so a
// scan that runs twice leaves exactly the findings of one run.
func (s *Store) SaveFindings(ctx context.Context, id string, findings []Finding) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return saveFindings(ctx, tx, id, findings) })
}

func saveFindings(ctx context.Context, tx pgx.Tx, id string, findings []Finding) error {
	if _, err := tx.Exec(ctx, `DELETE FROM findings WHERE submission_id = $1`, id); err != nil {
		return fmt.Errorf("clear findings of %s: %w", id, err)
	}
	rows := make([][]any, 0, len(findings))
	seen := make(map[string]bool, len(findings))
	for _, f := range findings {
		if seen[f.Fingerprint] {
			continue // one row per fingerprint, by definition of the fingerprint
		}
		seen[f.Fingerprint] = true
		rows = append(rows, []any{id, f.Fingerprint, f.RuleID, f.Severity, f.File, f.Line, f.Column,
			f.Snippet, f.Message, f.Remediation, f.Score, evidence(f.Evidence)})
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"findings"},
		[]string{"submission_id", "fingerprint", "rule_id", "severity", "file", "line", "col", "snippet", "message", "remediation",
			"score", "evidence"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("store findings of %s: %w", id, err)
	}
	return nil
}

// evidence is a finding's evidence as COPY writes it: SQL NULL when there
// is none, rather than the JSON literal null.
func evidence(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}
