-- +goose Up
-- A finding keeps what it rests on, as the scanner reported it: for a
-- CONTENT finding the category, the matched terms, the normalised text and
-- the block's score; later families add their own evidence. The score is a
-- column of its own because the decision reads it for every finding.
ALTER TABLE findings
    ADD COLUMN score integer NOT NULL DEFAULT 0 CHECK (score >= 0),
    ADD COLUMN evidence jsonb;

-- +goose Down
ALTER TABLE findings DROP COLUMN evidence, DROP COLUMN score;
