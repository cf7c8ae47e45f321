-- +goose Up
-- Policy versions: compliance edits the Rego bundle as versions that go
-- draft → approved → active → retired. A version keeps its files (path →
-- text), the hash of the bundle they make, who wrote and edited it, and the
-- last validation and test reports with the hash they were made on: a report
-- of an older hash does not count for the current content.
CREATE TABLE policy_versions (
    id           text PRIMARY KEY,
    state        text NOT NULL CHECK (state IN ('draft', 'approved', 'active', 'retired')),
    files        jsonb NOT NULL CHECK (jsonb_typeof(files) = 'object'),
    hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    parent_id    text REFERENCES policy_versions (id),
    author       text NOT NULL,
    editors      text[] NOT NULL DEFAULT '{}',
    validation   jsonb,
    test_report  jsonb,
    approvals    jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    retired_at   timestamptz
);
-- Exactly one version decides: at most one active row, and activation
-- retires the previous one in the same transaction.
CREATE UNIQUE INDEX policy_versions_one_active_idx ON policy_versions ((true)) WHERE state = 'active';
CREATE INDEX policy_versions_hash_idx ON policy_versions (hash);

-- A simulation re-evaluates recorded decision inputs under a version; it runs
-- as a workflow (ID = simulation ID) and reports progress and its result here.
CREATE TABLE policy_simulations (
    id           text PRIMARY KEY,
    policy_id    text NOT NULL REFERENCES policy_versions (id),
    policy_hash  text NOT NULL,
    requested_by text NOT NULL,
    params       jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed')),
    total        integer NOT NULL DEFAULT 0,
    done         integer NOT NULL DEFAULT 0,
    report       jsonb,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX policy_simulations_policy_idx ON policy_simulations (policy_id, policy_hash) WHERE state = 'succeeded';

-- Simulations read the newest decisions, or those of a time range.
CREATE INDEX decisions_created_idx ON decisions (created_at, id);
-- The waivers that changed a decision (empty when none did).
ALTER TABLE decisions ADD COLUMN waived_by text[] NOT NULL DEFAULT '{}';

-- A waiver exempts one app from one rule until it expires, once a second
-- compliance user approved it. An expired waiver stays as history.
CREATE TABLE waivers (
    id           text PRIMARY KEY,
    app_id       text NOT NULL REFERENCES apps (id),
    rule_id      text NOT NULL CHECK (rule_id ~ '^[A-Z][A-Z0-9_-]{0,63}$'),
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    expires_at   timestamptz NOT NULL,
    requested_by text NOT NULL,
    approved_by  text,
    approved_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE INDEX waivers_app_idx ON waivers (app_id, expires_at) WHERE approved_at IS NOT NULL;

-- +goose Down
DROP TABLE waivers;
ALTER TABLE decisions DROP COLUMN waived_by;
DROP INDEX decisions_created_idx;
DROP TABLE policy_simulations;
DROP TABLE policy_versions;
