package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Token is what a bearer token stands for. The token itself is never
// stored: only its SHA-256, so a leaked table grants nothing.
type Token struct {
	Role         string     `json:"role"`
	Subject      string     `json:"subject"`
	DeveloperID  *string    `json:"developer_id,omitempty"`
	ConflictOrgs []string   `json:"conflict_orgs"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
}

// TokenPrefix marks trustgate tokens so secret scanners can recognise them.
const TokenPrefix = "tg_"

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenHash is what the tokens table keeps of a secret; the console's
// session cookie carries it instead of the secret.
func TokenHash(secret string) []byte { return hashToken(secret) }

// CreateToken stores a new token and returns its secret, which is shown once.
func (s *Store) CreateToken(ctx context.Context, t Token) (string, error) {
	secret := TokenPrefix + NewSecret(24)
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (hash, role, subject, developer_id, conflict_orgs, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		hashToken(secret), t.Role, t.Subject, t.DeveloperID, nonNil(t.ConflictOrgs), t.ExpiresAt)
	if err != nil {
		return "", fmt.Errorf("create token for %s: %w", t.Subject, err)
	}
	return secret, nil
}

// LookupToken returns the token for a secret if it exists, is not revoked and
// has not expired; anything else is ErrNotFound.
func (s *Store) LookupToken(ctx context.Context, secret string) (Token, error) {
	return s.LookupTokenHash(ctx, hashToken(secret))
}

// LookupTokenHash is LookupToken for a secret's hash: a revoked or expired
// token is ErrNotFound here too.
func (s *Store) LookupTokenHash(ctx context.Context, hash []byte) (Token, error) {
	var t Token
	err := s.pool.QueryRow(ctx, `SELECT role, subject, developer_id, conflict_orgs, created_at, expires_at
		FROM tokens WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
		hash).Scan(&t.Role, &t.Subject, &t.DeveloperID, &t.ConflictOrgs, &t.CreatedAt, &t.ExpiresAt)
	if err != nil {
		return Token{}, notFound(err, "look up token")
	}
	return t, nil
}

// RevokeToken stops a token from working; revoking twice is harmless.
func (s *Store) RevokeToken(ctx context.Context, secret string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE hash = $1`, hashToken(secret))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token: %w", ErrNotFound)
	}
	return nil
}

// TokenRow is a token as an operator lists it: an ID derived from its hash,
// never the secret.
type TokenRow struct {
	ID        string     `json:"id"`
	Role      string     `json:"role"`
	Subject   string     `json:"subject"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ListTokens lists every token, newest first.
func (s *Store) ListTokens(ctx context.Context) ([]TokenRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT left(encode(hash, 'hex'), 16), role, subject, created_at, expires_at, revoked_at
		FROM tokens ORDER BY created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TokenRow])
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeTokenByID revokes the one token whose listed ID is id.
func (s *Store) RevokeTokenByID(ctx context.Context, id string) error {
	if len(id) != 16 {
		return fmt.Errorf("revoke token %q: an ID is 16 hex characters, as token list shows: %w", id, ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, now())
		WHERE left(encode(hash, 'hex'), 16) = $1`, id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token %s: %w", id, ErrNotFound)
	}
	return nil
}
