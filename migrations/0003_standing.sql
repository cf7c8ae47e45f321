-- +goose Up
-- A developer's standing comes from the identity and credit provider; an
-- update older than the last applied one is ignored.
ALTER TABLE developers ADD COLUMN standing_as_of timestamptz;

-- Tasks are owned by a workflow: the submission's own, or a re-check of a
-- live app after its developer's standing changed.
ALTER TABLE review_tasks ADD COLUMN workflow_id text;
UPDATE review_tasks SET workflow_id = submission_id;
ALTER TABLE review_tasks ALTER COLUMN workflow_id SET NOT NULL;
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check CHECK (kind IN ('review', 'appeal', 'qa', 'recheck'));

-- The audit log: who did what to which object, when. The application role
-- may only add and read rows (see store.Migrate); nobody edits history.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    actor      text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL,
    object_id  text NOT NULL,
    request_id text NOT NULL DEFAULT '',
    before     jsonb,
    after      jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_object_idx ON audit_log (object_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);

-- +goose Down
DROP TABLE audit_log;
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check CHECK (kind IN ('review', 'appeal', 'qa'));
ALTER TABLE review_tasks DROP COLUMN workflow_id;
ALTER TABLE developers DROP COLUMN standing_as_of;
