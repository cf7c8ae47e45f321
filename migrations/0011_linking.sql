-- +goose Up
-- Risk control across accounts: what links a package to others (its code's
-- fingerprint and the indicators it carries) and what links a developer to
-- others (keyed hashes of their identity), each indexed so that "who else"
-- is a few index probes, never a scan of every package.

-- One row per fingerprinted submission. minhash is the 128 values of the
-- MinHash signature, 4 bytes each little-endian (512 bytes: smaller than
-- int4[] and read without parsing). bands holds the 32 LSH band hashes
-- (store.BandHashes: each hashes its band number with its 4 values, so one
-- column serves every band); two packages are candidates when they share
-- one. developer_id and app_id are copied from the submission so that a
-- lookup needs no join.
CREATE TABLE link_fingerprints (
    submission_id text PRIMARY KEY REFERENCES submissions (id),
    developer_id  text NOT NULL REFERENCES developers (id),
    app_id        text NOT NULL REFERENCES apps (id),
    minhash       bytea NOT NULL CHECK (length(minhash) = 512),
    bands         bigint[] NOT NULL CHECK (cardinality(bands) = 32),
    shingles      integer NOT NULL CHECK (shingles >= 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Measured against a table of one row per band with a b-tree on the hash:
-- the GIN index and the array take 2.1 kB per package against 3.5 kB, and
-- both answer well within the lookup's budget (docs/linking.md).
-- fastupdate off: a pending list would make every lookup scan it.
CREATE INDEX link_fingerprints_bands_idx ON link_fingerprints USING gin (bands) WITH (fastupdate = off);

-- The per-file signatures of a fingerprinted submission, kept apart from
-- link_fingerprints so that the rows the band lookup reads stay small: they
-- are read only to show a reviewer the pairs of most similar files of two
-- linked packages. files is the JSON of []scan.FileFingerprint.
CREATE TABLE link_fingerprint_files (
    submission_id text PRIMARY KEY REFERENCES link_fingerprints (submission_id) ON DELETE CASCADE,
    files         jsonb NOT NULL CHECK (jsonb_typeof(files) = 'array')
);

-- What a package shares with others: hosts, web-view domains, merchant and
-- app IDs found in code, SHA-256 of secrets (never the secret) and assets.
-- Looked up by value_hash (SHA-256 of the value), a fixed-width key; value
-- is kept to show a reviewer what is shared.
CREATE TABLE link_indicators (
    submission_id text NOT NULL REFERENCES submissions (id),
    developer_id  text NOT NULL REFERENCES developers (id),
    app_id        text NOT NULL REFERENCES apps (id),
    kind          text NOT NULL CHECK (kind IN
        ('host', 'webview_domain', 'secret_sha256', 'merchant_id', 'app_id', 'asset_sha256')),
    value_hash    bytea NOT NULL CHECK (length(value_hash) = 32),
    value         text NOT NULL CHECK (length(value) BETWEEN 1 AND 512),
    PRIMARY KEY (submission_id, kind, value_hash)
);
CREATE INDEX link_indicators_value_idx ON link_indicators (kind, value_hash);

-- Keyed hashes (HMAC-SHA256, internal/linkkey) of a developer's identity
-- document number, phone and settlement account. The plain values are never
-- stored: with the key, the same value gives the same hash, so a second
-- account with the same phone is found; without it, a hash says nothing.
CREATE TABLE link_identity (
    developer_id text NOT NULL REFERENCES developers (id),
    kind         text NOT NULL CHECK (kind IN ('id_document', 'phone', 'settlement_account')),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (developer_id, kind, hash)
);
CREATE INDEX link_identity_hash_idx ON link_identity (kind, hash);

-- +goose Down
DROP TABLE link_identity;
DROP TABLE link_indicators;
DROP TABLE link_fingerprint_files;
DROP TABLE link_fingerprints;
