-- +goose Up
-- The read model of review tasks. The workflow owns their state; activities
-- write each change here with the workflow's version counter, so a stale
-- write (an activity retried late) never overwrites a newer one.
CREATE TABLE review_tasks (
    id                 text PRIMARY KEY,
    submission_id      text NOT NULL REFERENCES submissions (id),
    kind               text NOT NULL CHECK (kind IN ('review', 'appeal', 'qa')),
    queue              text NOT NULL CHECK (queue IN ('standard', 'senior', 'qa')),
    state              text NOT NULL CHECK (state IN ('open', 'claimed', 'decided', 'expired', 'cancelled')),
    assignee           text,
    priority           text NOT NULL DEFAULT 'normal' CHECK (priority IN ('high', 'normal', 'low')),
    due_at             timestamptz NOT NULL,
    claim_expires_at   timestamptz,
    reasons            jsonb NOT NULL DEFAULT '[]',
    approvals          text[] NOT NULL DEFAULT '{}',
    approvals_required integer NOT NULL DEFAULT 1 CHECK (approvals_required BETWEEN 1 AND 5),
    excluded           text[] NOT NULL DEFAULT '{}',
    dev_org            text NOT NULL,
    escalated          boolean NOT NULL DEFAULT false,
    outcome            text CHECK (outcome IN ('approve', 'reject')),
    decided_by         text,
    decided_at         timestamptz,
    comment            text NOT NULL DEFAULT '',
    reason_codes       text[] NOT NULL DEFAULT '{}',
    version            bigint NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_tasks_queue_idx ON review_tasks (queue, state, due_at);
CREATE INDEX review_tasks_submission_idx ON review_tasks (submission_id);

-- An app's history: went live, suspended (and why), reinstated.
CREATE TABLE app_events (
    id            bigserial PRIMARY KEY,
    app_id        text NOT NULL REFERENCES apps (id),
    kind          text NOT NULL,
    submission_id text REFERENCES submissions (id),
    detail        jsonb NOT NULL DEFAULT '{}',
    dedupe_key    text UNIQUE,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_events_app_idx ON app_events (app_id, id);

ALTER TABLE apps ADD COLUMN suspension jsonb;

-- +goose Down
ALTER TABLE apps DROP COLUMN suspension;
DROP TABLE app_events;
DROP TABLE review_tasks;
