-- +goose Up
-- Deliveries are claimed with a lease in a short transaction and sent
-- after it commits, so a slow endpoint holds no lock and no connection.
-- A lease that outlives its dispatcher (a crashed process) runs out and
-- the delivery is claimed again: at least once, as the docs promise.
ALTER TABLE webhook_deliveries ADD COLUMN leased_until timestamptz;

-- The circuit breaker of each endpoint lives here, not in one process, so
-- every dispatcher skips an endpoint that keeps failing: one tarpit costs
-- one timeout per cool-down for the whole deployment, not one per process.
ALTER TABLE webhooks
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    ADD COLUMN paused_until timestamptz;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN paused_until, DROP COLUMN consecutive_failures;
ALTER TABLE webhook_deliveries DROP COLUMN leased_until;
