-- +goose Up
-- One upload of a package per app at a time: a second upload of the same
-- bytes while the first is still being decided is refused, naming the first.
CREATE UNIQUE INDEX submissions_in_flight_idx ON submissions (app_id, package_sha256)
    WHERE state IN ('received', 'scanning', 'evaluating', 'in_review', 'appealed');
CREATE INDEX submissions_developer_created_idx ON submissions (developer_id, created_at);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

-- +goose Down
DROP INDEX audit_log_at_idx;
DROP INDEX submissions_developer_created_idx;
DROP INDEX submissions_in_flight_idx;
