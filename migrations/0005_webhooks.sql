-- +goose Up
-- Developers' webhook endpoints. The secret signs deliveries; it is shown
-- once at creation and never again.
CREATE TABLE webhooks (
    id           text PRIMARY KEY,
    developer_id text NOT NULL REFERENCES developers (id),
    url          text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    event_types  text[] NOT NULL,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX webhooks_developer_idx ON webhooks (developer_id) WHERE deleted_at IS NULL;

-- The outbox: events are written in the same transaction as the change they
-- report, with one delivery row per subscribed endpoint.
CREATE TABLE webhook_events (
    id            bigserial PRIMARY KEY,
    public_id     text NOT NULL UNIQUE,
    developer_id  text NOT NULL REFERENCES developers (id),
    submission_id text,
    app_id        text,
    type          text NOT NULL,
    data          jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    webhook_id      text NOT NULL REFERENCES webhooks (id),
    event_id        bigint NOT NULL REFERENCES webhook_events (id),
    -- Deliveries of one endpoint for one submission (or app) go in order.
    order_key       text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, order_key, event_id) WHERE state <> 'delivered';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;
