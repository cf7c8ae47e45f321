package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Webhook is a developer's endpoint. Secret is set only when it is created.
// PausedUntil is set while the endpoint's circuit breaker is open: after
// too many failed attempts in a row nothing is sent to it until then.
type Webhook struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	EventTypes  []string   `json:"events"`
	Secret      string     `json:"secret,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}

// CreateWebhook stores an endpoint with a new signing secret and returns it
// with the secret, the only time it is shown. A developer has at most max
// endpoints (0: no limit); past that the refusal's rule is
// "too-many-webhooks".
func (s *Store) CreateWebhook(ctx context.Context, developerID, url string, types []string, max int) (Webhook, error) {
	w := Webhook{ID: NewID("wh_"), URL: url, EventTypes: types, Secret: "whsec_" + NewSecret(24)}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// One developer's creates take turns here, so parallel ones cannot
		// each count room for one more; other developers are not held up.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('trustgate.webhooks:' || $1, 0))`, developerID); err != nil {
			return fmt.Errorf("lock webhooks of %s: %w", developerID, err)
		}
		if max > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE developer_id = $1 AND deleted_at IS NULL`,
				developerID).Scan(&n); err != nil {
				return fmt.Errorf("count webhooks of %s: %w", developerID, err)
			}
			if n >= max {
				return refuse(RefusedState, "too-many-webhooks", "at most %d webhook endpoints per developer; delete one first", max)
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO webhooks (id, developer_id, url, event_types, secret)
			VALUES ($1, $2, $3, $4, $5) RETURNING created_at`, w.ID, developerID, url, types, w.Secret).Scan(&w.CreatedAt)
	})
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a developer's endpoints, without their secrets.
func (s *Store) ListWebhooks(ctx context.Context, developerID string) ([]Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, event_types, '', created_at,
		CASE WHEN paused_until > now() THEN paused_until END FROM webhooks
		WHERE developer_id = $1 AND deleted_at IS NULL ORDER BY id`, developerID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	hooks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Webhook])
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return hooks, nil
}

// DeleteWebhook stops deliveries to a developer's endpoint.
func (s *Store) DeleteWebhook(ctx context.Context, developerID, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND developer_id = $2 AND deleted_at IS NULL`, id, developerID)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete webhook %s: %w", id, ErrNotFound)
	}
	return nil
}

// enqueueEvent writes an event and a delivery for every endpoint of the
// developer that subscribed to its type, inside the caller's transaction.
func enqueueEvent(ctx context.Context, tx pgx.Tx, developerID string, submissionID, appID *string, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO webhook_events (public_id, developer_id, submission_id, app_id, type, data)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, NewID("evt_"), developerID, submissionID, appID, typ, b).Scan(&id); err != nil {
		return fmt.Errorf("enqueue %s: %w", typ, err)
	}
	orderKey := ""
	switch {
	case submissionID != nil:
		orderKey = *submissionID
	case appID != nil:
		orderKey = *appID
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event_id, order_key)
		SELECT 'whd_' || md5(w.id || ':' || $2::bigint::text), w.id, $2::bigint, $3 FROM webhooks w
		WHERE w.developer_id = $1 AND w.deleted_at IS NULL AND ($4 = ANY(w.event_types) OR '*' = ANY(w.event_types))`,
		developerID, id, orderKey, typ)
	if err != nil {
		return fmt.Errorf("enqueue deliveries of %s: %w", typ, err)
	}
	return nil
}

// Delivery is one event due at one endpoint.
type Delivery struct {
	ID          string          `json:"id"`
	WebhookID   string          `json:"webhook_id"`
	EventID     string          `json:"event_id"`
	Type        string          `json:"type"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	LastStatus  *int            `json:"last_status,omitempty"`
	LastError   *string         `json:"last_error,omitempty"`
	DeliveredAt *time.Time      `json:"delivered_at,omitempty"`
	NextAt      time.Time       `json:"next_attempt_at"`
	CreatedAt   time.Time       `json:"created_at"`
	Data        json.RawMessage `json:"-"`
	URL         string          `json:"-"`
	Secret      string          `json:"-"`
}

const deliveryColumns = `d.id, d.webhook_id, e.public_id, e.type, d.state, d.attempts, d.last_status, d.last_error,
	d.delivered_at, d.next_attempt_at, e.created_at, e.data, w.url, w.secret`

func scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Type, &d.State, &d.Attempts, &d.LastStatus, &d.LastError,
		&d.DeliveredAt, &d.NextAt, &d.CreatedAt, &d.Data, &d.URL, &d.Secret)
	return d, err
}

// Claim says how many deliveries one claim may lease and for how long.
type Claim struct {
	// Max is the most deliveries leased at once: the free sending slots of
	// the dispatcher that claims.
	Max int
	// PerEndpoint is the most deliveries of one endpoint in flight at once,
	// across every dispatcher; an endpoint whose breaker has just closed
	// again (failures at or above BreakerFailures) gets one, as a probe.
	PerEndpoint     int
	BreakerFailures int
	// Lease is how long a claimed delivery is kept from other dispatchers:
	// longer than a send may take, so only a dispatcher that died lets its
	// deliveries go early.
	Lease time.Duration
}

// ClaimDeliveries leases due deliveries that are first in their order (no
// earlier undelivered event for the same endpoint and submission), of
// endpoints whose breaker is closed, at most c.PerEndpoint in flight per
// endpoint, and commits: the caller sends without holding a lock or a
// connection, then reports each outcome with RecordDelivery. A delivery is
// leased by one dispatcher at a time, so several processes share the work
// and each submission's events still reach an endpoint one after another.
func (s *Store) ClaimDeliveries(ctx context.Context, c Claim) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `
		WITH endpoints AS (
			-- Another dispatcher claiming for an endpoint right now has it
			-- locked; skipping it keeps the per-endpoint count honest.
			SELECT w.id, CASE WHEN w.consecutive_failures >= $3 THEN 1 ELSE $2 END AS most FROM webhooks w
			WHERE w.deleted_at IS NULL AND (w.paused_until IS NULL OR w.paused_until <= now())
				AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending'
					AND d.next_attempt_at <= now() AND (d.leased_until IS NULL OR d.leased_until <= now()))
			FOR UPDATE OF w SKIP LOCKED
		), room AS (
			SELECT en.id, en.most - (SELECT count(*) FROM webhook_deliveries l WHERE l.webhook_id = en.id
				AND l.state = 'pending' AND l.leased_until > now()) AS free
			FROM endpoints en
		), due AS (
			SELECT d.id, d.event_id, r.free,
				row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.event_id) AS nth
			FROM webhook_deliveries d JOIN room r ON r.id = d.webhook_id
			WHERE r.free > 0 AND d.state = 'pending' AND d.next_attempt_at <= now()
				AND (d.leased_until IS NULL OR d.leased_until <= now())
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id
					AND p.order_key = d.order_key AND p.event_id < d.event_id AND p.state = 'pending')
		), picked AS (
			-- Every endpoint's first delivery before any endpoint's second,
			-- so a developer with a backlog does not take all the slots.
			SELECT id FROM due WHERE nth <= free ORDER BY nth, event_id LIMIT $1
		)
		UPDATE webhook_deliveries d SET leased_until = now() + $4::bigint * interval '1 millisecond'
		FROM picked, webhook_events e, webhooks w
		WHERE d.id = picked.id AND e.id = d.event_id AND w.id = d.webhook_id
			-- Checked again on the row as it is now: a dispatcher whose
			-- snapshot predates another's lease must not lease it twice.
			AND d.state = 'pending' AND (d.leased_until IS NULL OR d.leased_until <= now())
		RETURNING `+deliveryColumns, c.Max, c.PerEndpoint, c.BreakerFailures, c.Lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return due, nil
}

// Breaker says when an endpoint's circuit opens: after Failures failed
// attempts in a row nothing is sent to it for Cooldown, then one probe.
type Breaker struct {
	Failures int
	Cooldown time.Duration
}

// RecordDelivery ends the lease of a sent delivery with its outcome: a 2xx
// status (sendErr nil) delivers it and closes the endpoint's breaker;
// anything else schedules a retry and counts toward opening it.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery, status int, sendErr error, b Breaker) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if sendErr == nil {
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1,
				last_status = $2, last_error = NULL, delivered_at = now(), leased_until = NULL WHERE id = $1`, d.ID, status); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE webhooks SET consecutive_failures = 0, paused_until = NULL
				WHERE id = $1 AND (consecutive_failures <> 0 OR paused_until IS NOT NULL)`, d.WebhookID)
			return err
		}
		// Exponential backoff from 1 s up to an hour; after a day of trying
		// the delivery is failed and can be redelivered by hand.
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = NULLIF($2, 0),
			last_error = $3, leased_until = NULL,
			next_attempt_at = now() + least(interval '1 hour', interval '1 second' * power(2, least(attempts, 12))),
			state = CASE WHEN now() - $4::timestamptz > interval '24 hours' THEN 'failed' ELSE 'pending' END
			WHERE id = $1`, d.ID, status, sendErr.Error(), d.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
			paused_until = CASE WHEN $2 > 0 AND consecutive_failures + 1 >= $2 THEN now() + $3::bigint * interval '1 millisecond' ELSE paused_until END
			WHERE id = $1`, d.WebhookID, b.Failures, b.Cooldown.Milliseconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	return nil
}

// ReleaseDelivery gives a leased delivery back unsent and uncounted, for a
// dispatcher that stops while sending.
func (s *Store) ReleaseDelivery(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET leased_until = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("release delivery %s: %w", id, err)
	}
	return nil
}

// Deliveries lists the deliveries of a developer's endpoint, newest first.
func (s *Store) Deliveries(ctx context.Context, developerID, webhookID, after string, limit int) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.webhook_id = $1 AND w.developer_id = $2
			AND ($4 = '' OR d.event_id < (SELECT event_id FROM webhook_deliveries WHERE id = $4 AND webhook_id = $1))
		ORDER BY d.event_id DESC LIMIT $3`, webhookID, developerID, limit, after)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", webhookID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", webhookID, err)
	}
	return out, nil
}

// Redeliver makes a developer's delivery due again now.
func (s *Store) Redeliver(ctx context.Context, developerID, deliveryID string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = now()
		FROM webhooks w WHERE d.id = $1 AND w.id = d.webhook_id AND w.developer_id = $2`, deliveryID, developerID)
	if err != nil {
		return fmt.Errorf("redeliver %s: %w", deliveryID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("redeliver %s: %w", deliveryID, ErrNotFound)
	}
	return nil
}
