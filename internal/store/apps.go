package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// App is a mini-program of one developer; its live version is the last
// approved submission.
type App struct {
	ID               string    `json:"id"`
	DeveloperID      string    `json:"developer_id"`
	Name             string    `json:"name"`
	Category         string    `json:"category"`
	Platform         string    `json:"platform"`
	Domains          []string  `json:"domains"`
	Status           string    `json:"status"`
	LiveSubmissionID *string   `json:"live_submission_id"`
	LiveVersion      *string   `json:"live_version"`
	CreatedAt        time.Time `json:"created_at"`
}

const appColumns = `id, developer_id, name, category, platform, domains, status,
	live_submission_id, live_version, created_at`

func scanApp(row pgx.Row) (App, error) {
	var a App
	err := row.Scan(&a.ID, &a.DeveloperID, &a.Name, &a.Category, &a.Platform, &a.Domains,
		&a.Status, &a.LiveSubmissionID, &a.LiveVersion, &a.CreatedAt)
	return a, err
}

// CreateApp stores a new app. A second app of the same name for the same
// developer is ErrConflict.
func (s *Store) CreateApp(ctx context.Context, a App) (App, error) {
	if a.ID == "" {
		a.ID = NewID("app_")
	}
	out, err := scanApp(s.pool.QueryRow(ctx, `
		INSERT INTO apps (id, developer_id, name, category, platform, domains)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+appColumns,
		a.ID, a.DeveloperID, a.Name, a.Category, a.Platform, nonNil(a.Domains)))
	if isUniqueViolation(err) {
		return App{}, fmt.Errorf("create app %q: an app with this name exists: %w", a.Name, ErrConflict)
	}
	if err != nil {
		return App{}, fmt.Errorf("create app %q: %w", a.Name, err)
	}
	return out, nil
}

// EnsureApp returns the developer's app of that name, creating it if missing.
func (s *Store) EnsureApp(ctx context.Context, a App) (App, error) {
	out, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM apps
		WHERE developer_id = $1 AND name = $2`, a.DeveloperID, a.Name))
	if err == nil {
		return out, nil
	}
	if err != pgx.ErrNoRows {
		return App{}, fmt.Errorf("find app %q: %w", a.Name, err)
	}
	return s.CreateApp(ctx, a)
}

// GetApp returns one app.
func (s *Store) GetApp(ctx context.Context, id string) (App, error) {
	a, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE id = $1`, id))
	if err != nil {
		return App{}, notFound(err, "get app "+id)
	}
	return a, nil
}

// ListApps returns a developer's apps, newest first, after the cursor ID.
func (s *Store) ListApps(ctx context.Context, developerID, after string, limit int) ([]App, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appColumns+` FROM apps
		WHERE developer_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		developerID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	apps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (App, error) { return scanApp(r) })
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	return apps, nil
}
