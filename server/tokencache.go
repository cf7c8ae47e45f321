package server

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"trustgate/internal/store"
)

// Token lookups are cached for a short while: every request carries a
// token, and a database round trip per request is most of the cost of a
// cheap read. A revoked token keeps working for at most tokenTTL; an
// expired one stops at once, because expiry is checked on every request.
const (
	tokenTTL       = 2 * time.Second
	maxCachedToken = 10_000
)

// tokenCache maps the SHA-256 of a bearer secret to its token. Only tokens
// that resolved are kept: an unknown secret always goes to the database, so
// a token created a moment ago works at once.
type tokenCache struct {
	lookup func(ctx context.Context, secret string) (store.Token, error)
	now    func() time.Time
	ttl    time.Duration
	max    int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	tok     store.Token
	fetched time.Time
}

func newTokenCache(lookup func(context.Context, string) (store.Token, error)) *tokenCache {
	return &tokenCache{lookup: lookup, now: time.Now, ttl: tokenTTL, max: maxCachedToken,
		entries: map[[sha256.Size]byte]cachedToken{}}
}

// resolve returns the token of a secret, from the cache when it was looked
// up less than ttl ago; store.ErrNotFound when it is unknown, revoked or
// expired.
func (tc *tokenCache) resolve(ctx context.Context, secret string) (store.Token, error) {
	key := sha256.Sum256([]byte(secret))
	now := tc.now()
	tc.mu.Lock()
	e, ok := tc.entries[key]
	tc.mu.Unlock()
	if !ok || now.Sub(e.fetched) >= tc.ttl {
		tok, err := tc.lookup(ctx, secret)
		if err != nil {
			tc.mu.Lock()
			delete(tc.entries, key)
			tc.mu.Unlock()
			return store.Token{}, err
		}
		e = cachedToken{tok: tok, fetched: now}
		tc.put(key, e)
	}
	if e.tok.ExpiresAt != nil && !now.Before(*e.tok.ExpiresAt) {
		return store.Token{}, store.ErrNotFound
	}
	return e.tok, nil
}

// put keeps an entry, making room first: stale entries go, and if every
// entry is fresh (a flood of distinct tokens) the cache starts over rather
// than grow.
func (tc *tokenCache) put(key [sha256.Size]byte, e cachedToken) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= tc.max {
		for k, old := range tc.entries {
			if e.fetched.Sub(old.fetched) >= tc.ttl {
				delete(tc.entries, k)
			}
		}
		if len(tc.entries) >= tc.max {
			clear(tc.entries)
		}
	}
	tc.entries[key] = e
}
