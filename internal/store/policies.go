package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// The states of a policy version.
const (
	PolicyDraft    = "draft"
	PolicyApproved = "approved"
	PolicyActive   = "active"
	PolicyRetired  = "retired"
)

// PolicyVersion is one version of the policy bundle. Files is left empty by
// the listing; GetPolicy fills it.
type PolicyVersion struct {
	ID          string            `json:"id"`
	State       string            `json:"state"`
	Hash        string            `json:"hash"`
	ParentID    *string           `json:"parent_id,omitempty"`
	Author      string            `json:"author"`
	Editors     []string          `json:"editors"`
	Validation  json.RawMessage   `json:"validation,omitempty"`
	TestReport  json.RawMessage   `json:"test_report,omitempty"`
	Approvals   []PolicyApproval  `json:"approvals"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	ActivatedAt *time.Time        `json:"activated_at,omitempty"`
	RetiredAt   *time.Time        `json:"retired_at,omitempty"`
	Files       map[string]string `json:"files,omitempty"`
}

// PolicyApproval is one compliance user's approval of a bundle hash.
type PolicyApproval struct {
	By   string    `json:"by"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// ReportHeader is what the lifecycle reads of a validation or test report:
// the hash it was made on and whether it passed. The reports themselves are
// the policies package's, kept as JSON.
type ReportHeader struct {
	Hash     string  `json:"hash"`
	OK       bool    `json:"ok"`
	Coverage float64 `json:"coverage"`
}

// RefusalKind says why a lifecycle rule refused: because of who asks, the
// state the object is in, what it contains, or a stale precondition.
type RefusalKind int

const (
	RefusedWho RefusalKind = iota + 1
	RefusedState
	RefusedContent
	RefusedStale
)

// Refusal is a lifecycle rule that said no. Rule is stable ("four-eyes",
// "not-tested"); callers map it to an answer that names it.
type Refusal struct {
	Rule string
	Kind RefusalKind
	Msg  string
}

func (r *Refusal) Error() string { return r.Rule + ": " + r.Msg }

func refuse(kind RefusalKind, rule, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// policyColumns reads a version's approvals from their append-only table,
// oldest first, as the JSON list PolicyVersion keeps them in.
const policyColumns = `id, state, hash, parent_id, author, editors, validation, test_report,
	(SELECT coalesce(jsonb_agg(jsonb_build_object('by', a.approved_by, 'hash', a.hash, 'at', a.approved_at) ORDER BY a.id), '[]')
		FROM policy_approvals a WHERE a.policy_id = policy_versions.id),
	created_at, updated_at, activated_at, retired_at`

func scanPolicy(row pgx.Row, withFiles bool) (PolicyVersion, error) {
	var p PolicyVersion
	var approvals []byte
	dest := []any{&p.ID, &p.State, &p.Hash, &p.ParentID, &p.Author, &p.Editors, &p.Validation, &p.TestReport,
		&approvals, &p.CreatedAt, &p.UpdatedAt, &p.ActivatedAt, &p.RetiredAt}
	if withFiles {
		dest = append(dest, &p.Files)
	}
	if err := row.Scan(dest...); err != nil {
		return PolicyVersion{}, err
	}
	if err := json.Unmarshal(approvals, &p.Approvals); err != nil {
		return PolicyVersion{}, fmt.Errorf("decode approvals of %s: %w", p.ID, err)
	}
	return p, nil
}

func filesJSON(files map[string][]byte) ([]byte, error) {
	text := make(map[string]string, len(files))
	for p, c := range files {
		text[p] = string(c)
	}
	return json.Marshal(text)
}

// FilesBytes returns a version's files as the policies package takes them.
func (p PolicyVersion) FilesBytes() map[string][]byte {
	out := make(map[string][]byte, len(p.Files))
	for path, c := range p.Files {
		out[path] = []byte(c)
	}
	return out
}

// EnsureActivePolicy makes files the active version when no version is
// active yet: the bundle shipped in the binary becomes the first version of a
// new database. Processes that start together insert it once (id is derived
// from the hash). It reports whether this call inserted it.
func (s *Store) EnsureActivePolicy(ctx context.Context, id string, files map[string][]byte, hash string) (bool, error) {
	b, err := filesJSON(files)
	if err != nil {
		return false, fmt.Errorf("encode policy files: %w", err)
	}
	inserted := false
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO policy_versions (id, state, files, hash, author, activated_at)
			SELECT $1, 'active', $2, $3, 'trustgate', now()
			WHERE NOT EXISTS (SELECT 1 FROM policy_versions WHERE state = 'active')
			ON CONFLICT DO NOTHING`, id, b, hash)
		if err != nil {
			return err
		}
		if inserted = tag.RowsAffected() == 1; !inserted {
			return nil
		}
		return insertAudit(ctx, tx, AuditEntry{Actor: "trustgate", Role: "system", Action: "policy.seed", ObjectID: id},
			nil, map[string]string{"state": PolicyActive, "hash": hash})
	})
	if err != nil {
		return false, fmt.Errorf("seed policy %s: %w", id, err)
	}
	return inserted, nil
}

// ActivePolicy returns the ID and hash of the active version: one indexed
// row, cheap enough for every decision to ask.
func (s *Store) ActivePolicy(ctx context.Context) (id, hash string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT id, hash FROM policy_versions WHERE state = 'active'`).Scan(&id, &hash)
	if err != nil {
		return "", "", notFound(err, "active policy")
	}
	return id, hash, nil
}

// GetPolicy returns a version with its files.
func (s *Store) GetPolicy(ctx context.Context, id string) (PolicyVersion, error) {
	p, err := scanPolicy(s.pool.QueryRow(ctx, `SELECT `+policyColumns+`, files FROM policy_versions WHERE id = $1`, id), true)
	if err != nil {
		return PolicyVersion{}, notFound(err, "policy "+id)
	}
	return p, nil
}

// PolicyByHash returns a version with these exact contents (the oldest, when
// the same bundle was drafted twice).
func (s *Store) PolicyByHash(ctx context.Context, hash string) (PolicyVersion, error) {
	p, err := scanPolicy(s.pool.QueryRow(ctx, `SELECT `+policyColumns+`, files FROM policy_versions
		WHERE hash = $1 ORDER BY created_at LIMIT 1`, hash), true)
	if err != nil {
		return PolicyVersion{}, notFound(err, "policy with hash "+hash)
	}
	return p, nil
}

// ListPolicies lists versions newest first, without their files.
//
// IDs are time-ordered, so a page goes on after the last ID of the one
// before (before: "" for the first page).
func (s *Store) ListPolicies(ctx context.Context, before string, limit int) ([]PolicyVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+policyColumns+` FROM policy_versions
		WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	out := []PolicyVersion{}
	for rows.Next() {
		p, err := scanPolicy(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreateDraft stores a new draft and audits it.
func (s *Store) CreateDraft(ctx context.Context, files map[string][]byte, hash string, parentID *string, by AuditEntry) (PolicyVersion, error) {
	b, err := filesJSON(files)
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("encode policy files: %w", err)
	}
	id := NewID("pol_")
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO policy_versions (id, state, files, hash, parent_id, author)
			VALUES ($1, 'draft', $2, $3, $4, $5)`, id, b, hash, parentID, by.Actor); err != nil {
			return err
		}
		by.Action, by.ObjectID = "policy.draft", id
		return insertAudit(ctx, tx, by, nil, map[string]any{"hash": hash, "parent_id": parentID, "files": sortedKeys(files)})
	})
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("create policy draft: %w", err)
	}
	return s.GetPolicy(ctx, id)
}

// UpdateDraft replaces a draft's files if its hash is still ifMatch: the
// editor saw the content they changed. by becomes an editor of the draft.
func (s *Store) UpdateDraft(ctx context.Context, id, ifMatch string, files map[string][]byte, hash, changed string, by AuditEntry) (PolicyVersion, error) {
	b, err := filesJSON(files)
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("encode policy files: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var state, current string
		err := tx.QueryRow(ctx, `SELECT state, hash FROM policy_versions WHERE id = $1 FOR UPDATE`, id).Scan(&state, &current)
		if err != nil {
			return notFound(err, "policy "+id)
		}
		switch {
		case state != PolicyDraft:
			return refuse(RefusedState, "not-a-draft", "policy %s is %s; only a draft is edited (create a new draft from it)", id, state)
		case current != ifMatch:
			return refuse(RefusedStale, "stale-draft", "policy %s changed since hash %s (it is now %s); fetch it again", id, ifMatch, current)
		}
		if _, err := tx.Exec(ctx, `UPDATE policy_versions SET files = $2, hash = $3, updated_at = now(),
				editors = CASE WHEN $4 = author OR $4 = ANY (editors) THEN editors ELSE editors || $4 END
			WHERE id = $1`, id, b, hash, by.Actor); err != nil {
			return err
		}
		by.Action, by.ObjectID = "policy.edit", id
		return insertAudit(ctx, tx, by, map[string]string{"hash": current}, map[string]string{"hash": hash, "file": changed})
	})
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("edit policy %s: %w", id, err)
	}
	return s.GetPolicy(ctx, id)
}

// SavePolicyReport keeps the last validation ("validation") or test
// ("test_report") report of a version, if its hash is still the one the
// report was made on, and audits it.
func (s *Store) SavePolicyReport(ctx context.Context, id, column string, report ReportHeader, body any, by AuditEntry) error {
	if column != "validation" && column != "test_report" {
		return fmt.Errorf("save policy report: unknown report %q", column)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode policy report: %w", err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE policy_versions SET `+column+` = $3 WHERE id = $1 AND hash = $2`, id, report.Hash, b)
		if err != nil {
			return fmt.Errorf("save %s of %s: %w", column, id, err)
		}
		if tag.RowsAffected() == 0 {
			return refuse(RefusedStale, "stale-draft", "policy %s changed while it was checked; run the check again", id)
		}
		by.Action, by.ObjectID = "policy."+map[string]string{"validation": "validate", "test_report": "test"}[column], id
		return insertAudit(ctx, tx, by, nil, report)
	})
}

// ApprovePolicy approves a draft: by someone who neither wrote nor edited
// it (four eyes), after a passing test run with coverage of at least
// minCoverage and a finished simulation, both of its current hash.
func (s *Store) ApprovePolicy(ctx context.Context, id string, minCoverage float64, by AuditEntry) (PolicyVersion, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := scanPolicy(tx.QueryRow(ctx, `SELECT `+policyColumns+` FROM policy_versions WHERE id = $1 FOR UPDATE`, id), false)
		if err != nil {
			return notFound(err, "policy "+id)
		}
		if p.State != PolicyDraft {
			return refuse(RefusedState, "not-a-draft", "policy %s is %s; only a draft is approved", id, p.State)
		}
		if by.Actor == p.Author || slices.Contains(p.Editors, by.Actor) {
			return refuse(RefusedWho, "four-eyes", "%s wrote or edited policy %s; another compliance user must approve it", by.Actor, id)
		}
		var test ReportHeader
		if len(p.TestReport) > 0 {
			if err := json.Unmarshal(p.TestReport, &test); err != nil {
				return fmt.Errorf("decode test report of %s: %w", id, err)
			}
		}
		switch {
		case test.Hash != p.Hash:
			return refuse(RefusedState, "not-tested", "policy %s has no test run of its current content (hash %s); run /test", id, p.Hash)
		case !test.OK:
			return refuse(RefusedState, "not-tested", "the tests of policy %s failed; fix them and run /test again", id)
		case test.Coverage < minCoverage:
			return refuse(RefusedState, "not-tested", "the tests of policy %s cover %.1f%% of its lines, under the floor of %.0f%%", id, test.Coverage, minCoverage)
		}
		var simulated bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM policy_simulations
			WHERE policy_id = $1 AND policy_hash = $2 AND state = 'succeeded')`, id, p.Hash).Scan(&simulated); err != nil {
			return fmt.Errorf("simulations of %s: %w", id, err)
		}
		if !simulated {
			return refuse(RefusedState, "not-simulated", "policy %s has no finished simulation of its current content (hash %s); run /simulate", id, p.Hash)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO policy_approvals (policy_id, approved_by, hash) VALUES ($1, $2, $3)`,
			id, by.Actor, p.Hash); err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE policy_versions SET state = 'approved', updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		by.Action, by.ObjectID = "policy.approve", id
		return insertAudit(ctx, tx, by, map[string]string{"state": PolicyDraft}, map[string]any{
			"state": PolicyApproved, "hash": p.Hash, "author": p.Author, "editors": p.Editors, "coverage": test.Coverage})
	})
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("approve policy %s: %w", id, err)
	}
	return s.GetPolicy(ctx, id)
}

// ActivatePolicy makes an approved version, or a retired one (a rollback),
// the one that decides, and retires the version that decided until now.
func (s *Store) ActivatePolicy(ctx context.Context, id string, by AuditEntry) (activated PolicyVersion, previous string, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Activations queue behind each other here, so two at once cannot
		// both retire the same predecessor.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('trustgate.policy.activate'))`); err != nil {
			return err
		}
		var state, hash string
		if err := tx.QueryRow(ctx, `SELECT state, hash FROM policy_versions WHERE id = $1 FOR UPDATE`, id).Scan(&state, &hash); err != nil {
			return notFound(err, "policy "+id)
		}
		switch state {
		case PolicyActive:
			return refuse(RefusedState, "already-active", "policy %s is already the active version", id)
		case PolicyDraft:
			return refuse(RefusedState, "not-approved", "policy %s is a draft; it must be tested, simulated and approved first", id)
		}
		var prevHash string
		err := tx.QueryRow(ctx, `UPDATE policy_versions SET state = 'retired', retired_at = now(), updated_at = now()
			WHERE state = 'active' RETURNING id, hash`).Scan(&previous, &prevHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE policy_versions SET state = 'active', activated_at = now(), retired_at = NULL,
			updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		by.Action, by.ObjectID = "policy.activate", id
		if state == PolicyRetired {
			by.Action = "policy.rollback"
		}
		return insertAudit(ctx, tx, by, map[string]string{"active": previous, "hash": prevHash},
			map[string]string{"active": id, "hash": hash, "from_state": state})
	})
	if err != nil {
		return PolicyVersion{}, "", fmt.Errorf("activate policy %s: %w", id, err)
	}
	activated, err = s.GetPolicy(ctx, id)
	return activated, previous, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
