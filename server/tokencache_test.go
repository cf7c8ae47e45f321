package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// fakeTokens is a token table in memory that counts its lookups.
type fakeTokens struct {
	tokens  map[string]store.Token
	lookups atomic.Int32
}

func (f *fakeTokens) lookup(_ context.Context, secret string) (store.Token, error) {
	f.lookups.Add(1)
	if t, ok := f.tokens[secret]; ok {
		return t, nil
	}
	return store.Token{}, store.ErrNotFound
}

func TestTokenCache(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	soon := start.Add(time.Second)
	newCache := func() (*tokenCache, *fakeTokens, *time.Time) {
		f := &fakeTokens{tokens: map[string]store.Token{
			"tg_a":    {Role: RoleAdmin, Subject: "a"},
			"tg_soon": {Role: RoleAdmin, Subject: "soon", ExpiresAt: &soon},
		}}
		now := start
		tc := newTokenCache(f.lookup)
		tc.now = func() time.Time { return now }
		return tc, f, &now
	}
	ctx := context.Background()

	t.Run("a second lookup within the TTL is served from the cache", func(t *testing.T) {
		t.Parallel()
		tc, f, now := newCache()
		_, err := tc.resolve(ctx, "tg_a")
		require.NoError(t, err)
		*now = now.Add(tokenTTL - time.Millisecond)
		_, err = tc.resolve(ctx, "tg_a")
		require.NoError(t, err)
		require.EqualValues(t, 1, f.lookups.Load())
	})
	t.Run("a revoked token stops working once the TTL has passed", func(t *testing.T) {
		t.Parallel()
		tc, f, now := newCache()
		_, err := tc.resolve(ctx, "tg_a")
		require.NoError(t, err)
		delete(f.tokens, "tg_a") // revoked
		*now = now.Add(tokenTTL)
		_, err = tc.resolve(ctx, "tg_a")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("expiry is checked on every request, cached or not", func(t *testing.T) {
		t.Parallel()
		tc, _, now := newCache()
		_, err := tc.resolve(ctx, "tg_soon")
		require.NoError(t, err)
		*now = soon
		_, err = tc.resolve(ctx, "tg_soon")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("unknown tokens are not cached", func(t *testing.T) {
		t.Parallel()
		tc, f, _ := newCache()
		for range 3 {
			_, err := tc.resolve(ctx, "tg_nope")
			require.ErrorIs(t, err, store.ErrNotFound)
		}
		require.EqualValues(t, 3, f.lookups.Load())
	})
	t.Run("the cache never holds more than its bound", func(t *testing.T) {
		t.Parallel()
		tc, f, _ := newCache()
		tc.max = 10
		for i := range 25 {
			secret := "tg_" + string(rune('a'+i))
			f.tokens[secret] = store.Token{Role: RoleDeveloper}
			_, err := tc.resolve(ctx, secret)
			require.NoError(t, err)
			require.LessOrEqual(t, len(tc.entries), 10)
		}
	})
}
