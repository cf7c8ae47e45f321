package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"trustgate/migrations"
)

// Migrate applies the embedded migrations as the owner role (ownerURL) and
// grants the application role (appRole) the row privileges it needs and no
// more: it owns nothing and cannot change the schema. A session lock keeps
// processes that start together from migrating twice.
func Migrate(ctx context.Context, ownerURL, appRole string) error {
	db, err := sql.Open("pgx", ownerURL)
	if err != nil {
		return fmt.Errorf("open owner connection: %w", err)
	}
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	if appRole == "" {
		return nil
	}
	role := pgx.Identifier{appRole}.Sanitize()
	for _, stmt := range []string{
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role,
		"REVOKE ALL ON goose_db_version FROM " + role,
		// History is append-only for the application.
		"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM " + role,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("grant application role: %w", err)
		}
	}
	return nil
}
