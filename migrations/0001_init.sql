-- +goose Up
CREATE TABLE developers (
    id                    text PRIMARY KEY,
    name                  text NOT NULL UNIQUE,
    org_id                text NOT NULL,
    kind                  text NOT NULL CHECK (kind IN ('individual', 'enterprise')),
    real_name_status      text NOT NULL DEFAULT 'none'
        CHECK (real_name_status IN ('verified', 'pending', 'none', 'rejected', 'expired')),
    real_name_verified_at timestamptz,
    real_name_expires_at  timestamptz,
    credit_score          integer NOT NULL DEFAULT 0 CHECK (credit_score BETWEEN 0 AND 1000),
    qualifications        text[] NOT NULL DEFAULT '{}',
    risk_flags            text[] NOT NULL DEFAULT '{}',
    blacklisted           boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE apps (
    id                 text PRIMARY KEY,
    developer_id       text NOT NULL REFERENCES developers (id),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    category           text NOT NULL CHECK (length(category) BETWEEN 1 AND 50),
    platform           text NOT NULL CHECK (platform IN ('wechat', 'alipay')),
    domains            text[] NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'live', 'suspended')),
    live_submission_id text,
    live_version       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (developer_id, name)
);

CREATE TABLE submissions (
    id             text PRIMARY KEY,
    app_id         text NOT NULL REFERENCES apps (id),
    developer_id   text NOT NULL REFERENCES developers (id),
    version        text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
    notes          text NOT NULL DEFAULT '',
    package_sha256 text NOT NULL CHECK (package_sha256 ~ '^[0-9a-f]{64}$'),
    package_bytes  bigint NOT NULL CHECK (package_bytes > 0),
    state          text NOT NULL DEFAULT 'received' CHECK (state IN
        ('received', 'scanning', 'evaluating', 'in_review', 'approved', 'rejected',
         'withdrawn', 'appealed', 'failed')),
    outcome        text CHECK (outcome IN ('approve', 'reject', 'review')),
    reasons        jsonb NOT NULL DEFAULT '[]',
    policy_version text,
    policy_hash    text,
    failure        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz
);
CREATE INDEX submissions_developer_idx ON submissions (developer_id, id DESC);
CREATE INDEX submissions_app_idx ON submissions (app_id, id DESC);

ALTER TABLE apps ADD FOREIGN KEY (live_submission_id) REFERENCES submissions (id);

-- The timeline: one row per state change. seq is the workflow's step number,
-- so an activity retried after a crash writes the same row, not a second one.
CREATE TABLE submission_events (
    submission_id text NOT NULL REFERENCES submissions (id),
    seq           integer NOT NULL,
    state         text NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}',
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, seq)
);

-- Findings are keyed by fingerprint, so re-running a scan leaves the same set.
CREATE TABLE findings (
    submission_id text NOT NULL REFERENCES submissions (id),
    fingerprint   text NOT NULL,
    rule_id       text NOT NULL,
    severity      text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    file          text NOT NULL DEFAULT '',
    line          integer NOT NULL DEFAULT 0,
    col           integer NOT NULL DEFAULT 0,
    snippet       text NOT NULL DEFAULT '',
    message       text NOT NULL,
    remediation   text NOT NULL DEFAULT '',
    PRIMARY KEY (submission_id, fingerprint)
);

-- The decision log: the full input and output of every policy evaluation and
-- the bundle that made it, so any decision can be replayed and explained.
CREATE TABLE decisions (
    id             bigserial PRIMARY KEY,
    submission_id  text NOT NULL REFERENCES submissions (id),
    attempt        integer NOT NULL DEFAULT 1,
    policy_version text NOT NULL,
    policy_hash    text NOT NULL,
    input          jsonb NOT NULL,
    output         jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (submission_id, attempt)
);

CREATE TABLE tokens (
    hash          bytea PRIMARY KEY,
    role          text NOT NULL CHECK (role IN
        ('developer', 'reviewer', 'senior_reviewer', 'compliance', 'identity', 'admin')),
    subject       text NOT NULL,
    developer_id  text REFERENCES developers (id),
    conflict_orgs text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    CHECK ((role = 'developer') = (developer_id IS NOT NULL))
);

-- Idempotency keys are scoped to the developer and kept 24 h; request_hash
-- tells a true retry from a different upload reusing the key.
CREATE TABLE idempotency_keys (
    developer_id  text NOT NULL REFERENCES developers (id),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  text NOT NULL,
    submission_id text NOT NULL REFERENCES submissions (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (developer_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE tokens;
DROP TABLE decisions;
DROP TABLE findings;
DROP TABLE submission_events;
ALTER TABLE apps DROP COLUMN live_submission_id;
DROP TABLE submissions;
DROP TABLE apps;
DROP TABLE developers;
