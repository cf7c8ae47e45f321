-- +goose Up
-- Policy approvals move out of a column of policy_versions, which the
-- application updates as a version goes through its states, into a table
-- of their own that the application may only append to (see Migrate's
-- grants), like the audit log and the decision log: an approval once given
-- stays given, with who gave it for which bundle hash and when.
CREATE TABLE policy_approvals (
    id          bigserial PRIMARY KEY,
    policy_id   text NOT NULL REFERENCES policy_versions (id),
    approved_by text NOT NULL,
    hash        text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    approved_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_approvals_policy_idx ON policy_approvals (policy_id, id);
INSERT INTO policy_approvals (policy_id, approved_by, hash, approved_at)
SELECT p.id, a.value->>'by', a.value->>'hash', (a.value->>'at')::timestamptz
FROM policy_versions p, jsonb_array_elements(p.approvals) WITH ORDINALITY AS a (value, n)
ORDER BY p.id, a.n;
-- The old column stays for this release, so that the previous version keeps
-- running while the migration job runs (docs/deploy.md); nothing of this
-- version reads or writes it, and a later release drops it.
COMMENT ON COLUMN policy_versions.approvals IS 'replaced by policy_approvals; read by no current version';

-- +goose Down
COMMENT ON COLUMN policy_versions.approvals IS NULL;
UPDATE policy_versions p SET approvals = a.list FROM (
    SELECT policy_id, jsonb_agg(jsonb_build_object('by', approved_by, 'hash', hash, 'at', approved_at) ORDER BY id) AS list
    FROM policy_approvals GROUP BY policy_id) a
WHERE a.policy_id = p.id;
DROP TABLE policy_approvals;
