package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"trustgate/internal/submission"
)

// Step moves a submission to a new state and writes the timeline entry.
// Seq is the workflow's step number: repeating a step (an activity retried
// after a crash) changes nothing.
type Step struct {
	SubmissionID string
	Seq          int
	To           submission.State
	Detail       map[string]any
	// Set with the final steps: the decision and the policy that made it.
	Outcome       string
	Reasons       json.RawMessage
	PolicyVersion string
	PolicyHash    string
	Failure       string
}

// Advance applies a step. Moving to a state the submission may not enter
// from where it is returns ErrConflict; an approval also makes the
// submission its app's live version, in the same transaction.
func (s *Store) Advance(ctx context.Context, st Step) error {
	if !st.To.Valid() {
		return fmt.Errorf("advance %s: unknown state %q", st.SubmissionID, st.To)
	}
	detail, err := json.Marshal(st.Detail)
	if err != nil || st.Detail == nil {
		detail = []byte("{}")
	}
	preds := make([]string, 0, 4)
	for _, p := range submission.Predecessors(st.To) {
		preds = append(preds, string(p))
	}
	reasons := st.Reasons
	if reasons == nil {
		reasons = json.RawMessage("[]")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var appID, version, developerID string
		err := tx.QueryRow(ctx, `
			UPDATE submissions SET state = $2, updated_at = now(),
				outcome = COALESCE(NULLIF($4, ''), outcome),
				reasons = CASE WHEN $4 = '' THEN reasons ELSE $5::jsonb END,
				policy_version = COALESCE(NULLIF($6, ''), policy_version),
				policy_hash = COALESCE(NULLIF($7, ''), policy_hash),
				failure = NULLIF($8, ''),
				decided_at = CASE WHEN $2 IN ('approved', 'rejected') THEN COALESCE(decided_at, now()) ELSE decided_at END
			WHERE id = $1 AND state = ANY($3)
			RETURNING app_id, version, developer_id`,
			st.SubmissionID, string(st.To), preds, st.Outcome, reasons, st.PolicyVersion, st.PolicyHash, st.Failure,
		).Scan(&appID, &version, &developerID)
		if err == pgx.ErrNoRows {
			cur, gerr := s.GetSubmission(ctx, st.SubmissionID)
			if gerr != nil {
				return fmt.Errorf("advance %s to %s: %w", st.SubmissionID, st.To, gerr)
			}
			return fmt.Errorf("advance %s from %s to %s: %w", st.SubmissionID, cur.State, st.To, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("advance %s to %s: %w", st.SubmissionID, st.To, err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO submission_events (submission_id, seq, state, detail)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, st.SubmissionID, st.Seq, string(st.To), detail)
		if err != nil {
			return fmt.Errorf("timeline entry for %s: %w", st.SubmissionID, err)
		}
		if tag.RowsAffected() == 1 { // a repeated step notifies nobody twice
			data := map[string]any{"submission_id": st.SubmissionID, "app_id": appID, "version": version, "state": st.To}
			if st.Outcome != "" {
				data["outcome"], data["reasons"] = st.Outcome, submission.ForDeveloper(reasons) // webhooks go to the developer
			}
			if err := enqueueEvent(ctx, tx, developerID, &st.SubmissionID, &appID, "submission."+string(st.To), data); err != nil {
				return err
			}
		}
		if st.To != submission.Approved {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE apps SET status = 'live', live_submission_id = $2, live_version = $3,
			suspension = NULL WHERE id = $1`, appID, st.SubmissionID, version); err != nil {
			return fmt.Errorf("make %s live: %w", st.SubmissionID, err)
		}
		return addAppEvent(ctx, tx, appID, "live", &st.SubmissionID, map[string]any{"version": version}, "live:"+st.SubmissionID)
	})
}

// RecordDecision appends a policy evaluation to the decision log. The
// attempt number makes a retried activity write the same row once. waivedBy
// names the waivers without which the decision would have been another.
func (s *Store) RecordDecision(ctx context.Context, submissionID string, attempt int, version, hash string, input, output any, waivedBy []string) error {
	in, err := json.Marshal(input)
	if err != nil {
		return fmt.Errorf("encode decision input: %w", err)
	}
	out, err := json.Marshal(output)
	if err != nil {
		return fmt.Errorf("encode decision output: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO decisions (submission_id, attempt, policy_version, policy_hash, input, output, waived_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (submission_id, attempt) DO NOTHING`,
		submissionID, attempt, version, hash, in, out, nonNil(waivedBy))
	if err != nil {
		return fmt.Errorf("record decision for %s: %w", submissionID, err)
	}
	return nil
}

// Note adds a timeline entry that changes no state (an escalation, a QA
// result), stamped with the submission's current state. Seq makes a retried
// note land once; added says whether this call wrote it.
func (s *Store) Note(ctx context.Context, submissionID string, seq int, detail map[string]any) (added bool, err error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return false, fmt.Errorf("encode note: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO submission_events (submission_id, seq, state, detail)
		SELECT id, $2, state, $3 FROM submissions WHERE id = $1 ON CONFLICT DO NOTHING`, submissionID, seq, b)
	if err != nil {
		return false, fmt.Errorf("note on %s: %w", submissionID, err)
	}
	return tag.RowsAffected() == 1, nil
}
