package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// SubmissionPrivacy is what a submission holds about personal data: the
// declaration and policy text its developer sent with it, and the flows
// its last scan found.
type SubmissionPrivacy struct {
	// Declaration is the privacy declaration as validated at intake, nil
	// when the developer sent none.
	Declaration json.RawMessage
	// PolicyText is the privacy policy text, "" when none was sent.
	PolicyText string
	// Flows is the scan's list of flows (a JSON array), nil before a scan.
	Flows json.RawMessage
}

// GetSubmissionPrivacy reads a submission's declaration, policy text and
// flows.
func (s *Store) GetSubmissionPrivacy(ctx context.Context, id string) (SubmissionPrivacy, error) {
	var p SubmissionPrivacy
	var text *string
	err := s.pool.QueryRow(ctx, `SELECT privacy, privacy_policy, flows FROM submissions WHERE id = $1`, id).
		Scan(&p.Declaration, &text, &p.Flows)
	if err != nil {
		return SubmissionPrivacy{}, notFound(err, "get privacy of submission "+id)
	}
	if text != nil {
		p.PolicyText = *text
	}
	return p, nil
}

// SaveFlows replaces the flows of a submission's scan with flows (a JSON
// array), so that scanning twice leaves what one scan leaves.
func (s *Store) SaveFlows(ctx context.Context, id string, flows json.RawMessage) error {
	tag, err := s.pool.Exec(ctx, `UPDATE submissions SET flows = $2 WHERE id = $1`, id, string(flows))
	if err != nil {
		return fmt.Errorf("save flows of %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save flows of %s: %w", id, ErrNotFound)
	}
	return nil
}

// nullJSON is a JSON value for a nullable jsonb column: SQL NULL when
// there is none.
func nullJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}
