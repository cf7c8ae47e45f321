package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
		"REVOKE UPDATE, DELETE, TRUNCATE ON " + strings.Join(AppendOnlyTables, ", ") + " FROM " + role,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("grant application role: %w", err)
		}
	}
	return nil
}

// AppendOnlyTables are the history the application may add to and never
// change: who did what, what the policy decided on which input, and who
// approved which policy bundle.
var AppendOnlyTables = []string{"audit_log", "decisions", "policy_approvals"}

// CheckAppendOnly refuses a connection whose role could rewrite history: a
// superuser, a member of a table's owner (who can grant itself anything), or
// a role with UPDATE, DELETE or TRUNCATE on an append-only table. serve and
// worker run it at start-up, so that an unset DATABASE_OWNER_URL does not
// quietly run the application as the owner.
func (s *Store) CheckAppendOnly(ctx context.Context) error {
	var role string
	var super bool
	if err := s.pool.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super); err != nil {
		return fmt.Errorf("read the database role: %w", err)
	}
	if super {
		return fmt.Errorf("the database role %s is a superuser and could rewrite %s", role, strings.Join(AppendOnlyTables, ", "))
	}
	rows, err := s.pool.Query(ctx, `SELECT t.name, coalesce(string_agg(p.priv, ', ' ORDER BY p.n), ''),
			coalesce(bool_or(pg_has_role(c.relowner, 'MEMBER')), false)
		FROM unnest($1::text[]) AS t (name)
		LEFT JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(t.name))
		LEFT JOIN unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) WITH ORDINALITY AS p (priv, n)
			ON c.oid IS NOT NULL AND has_table_privilege(c.oid, p.priv)
		GROUP BY t.name ORDER BY t.name`, AppendOnlyTables)
	if err != nil {
		return fmt.Errorf("read privileges of %s: %w", role, err)
	}
	var problems []string
	for rows.Next() {
		var table, privs string
		var owner bool
		if err := rows.Scan(&table, &privs, &owner); err != nil {
			return fmt.Errorf("read privileges of %s: %w", role, err)
		}
		switch {
		case owner:
			problems = append(problems, table+" (owner)")
		case privs != "":
			problems = append(problems, table+" ("+privs+")")
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read privileges of %s: %w", role, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the database role %s can change append-only tables: %s", role, strings.Join(problems, "; "))
	}
	return nil
}
