package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
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
	var t Token
	err := s.pool.QueryRow(ctx, `SELECT role, subject, developer_id, conflict_orgs, created_at, expires_at
		FROM tokens WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
		hashToken(secret)).Scan(&t.Role, &t.Subject, &t.DeveloperID, &t.ConflictOrgs, &t.CreatedAt, &t.ExpiresAt)
	if err != nil {
		return Token{}, notFound(err, "look up token")
	}
	return t, nil
}
