package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Webhook is a developer's endpoint. Secret is set only when it is created.
type Webhook struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"events"`
	Secret     string    `json:"secret,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// CreateWebhook stores an endpoint with a new signing secret and returns it
// with the secret, the only time it is shown.
func (s *Store) CreateWebhook(ctx context.Context, developerID, url string, types []string) (Webhook, error) {
	w := Webhook{ID: NewID("wh_"), URL: url, EventTypes: types, Secret: "whsec_" + NewSecret(24)}
	err := s.pool.QueryRow(ctx, `INSERT INTO webhooks (id, developer_id, url, event_types, secret)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`, w.ID, developerID, url, types, w.Secret).Scan(&w.CreatedAt)
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns a developer's endpoints, without their secrets.
func (s *Store) ListWebhooks(ctx context.Context, developerID string) ([]Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, event_types, '', created_at FROM webhooks
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

// ClaimDue locks up to n due deliveries that are first in their order (no
// earlier undelivered event for the same endpoint and submission), so
// several dispatchers share the work and each submission's events arrive
// in order. fn runs with the lock held and reports each outcome.
func (s *Store) ClaimDue(ctx context.Context, n int, fn func(Delivery) (status int, err error)) (int, error) {
	handled := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND w.deleted_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id
					AND p.order_key = d.order_key AND p.event_id < d.event_id AND p.state = 'pending')
			ORDER BY d.event_id LIMIT $1 FOR UPDATE OF d SKIP LOCKED`, n)
		if err != nil {
			return fmt.Errorf("due deliveries: %w", err)
		}
		due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
		if err != nil {
			return fmt.Errorf("due deliveries: %w", err)
		}
		for _, d := range due {
			status, sendErr := fn(d)
			if sendErr == nil {
				_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1,
					last_status = $2, last_error = NULL, delivered_at = now() WHERE id = $1`, d.ID, status)
			} else {
				// Exponential backoff from 1 s up to an hour; after a day of
				// trying the delivery is failed and can be redelivered by hand.
				_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = NULLIF($2, 0),
					last_error = $3,
					next_attempt_at = now() + least(interval '1 hour', interval '1 second' * power(2, least(attempts, 12))),
					state = CASE WHEN now() - $4::timestamptz > interval '24 hours' THEN 'failed' ELSE 'pending' END
					WHERE id = $1`, d.ID, status, sendErr.Error(), d.CreatedAt)
			}
			if err != nil {
				return fmt.Errorf("record delivery %s: %w", d.ID, err)
			}
			handled++
		}
		return nil
	})
	return handled, err
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
