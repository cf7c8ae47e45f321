-- +goose Up
-- A submission keeps what its developer declared about personal data (the
-- privacy declaration, validated at intake, and the privacy policy text),
-- and what the scan saw of personal data (its flows, replaced by each
-- scan). All three are policy input; NULL is "not given" for the first two
-- and "not scanned yet" for flows. The existing trigger on submissions
-- already notifies a change of any of them.
ALTER TABLE submissions
    ADD COLUMN privacy jsonb CHECK (privacy IS NULL OR jsonb_typeof(privacy) = 'object'),
    ADD COLUMN privacy_policy text CHECK (privacy_policy IS NULL OR octet_length(privacy_policy) <= 262144),
    ADD COLUMN flows jsonb CHECK (flows IS NULL OR jsonb_typeof(flows) = 'array');

-- +goose Down
ALTER TABLE submissions DROP COLUMN flows, DROP COLUMN privacy_policy, DROP COLUMN privacy;
