package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

func TestParallelWebhookCreatesStopAtTheCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const most = 10
	var wg sync.WaitGroup
	errs := make([]error, 2*most)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.db.Store.CreateWebhook(context.Background(), f.dev.ID, "https://example.com/hook", []string{"*"}, most)
		})
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		var refusal *store.Refusal
		switch {
		case err == nil:
			created++
		case errors.As(err, &refusal) && refusal.Rule == "too-many-webhooks":
		default:
			t.Fatalf("create webhook: %v", err)
		}
	}
	require.Equal(t, most, created, "twenty at once, and exactly the cap got in")
	hooks, err := f.db.Store.ListWebhooks(context.Background(), f.dev.ID)
	require.NoError(t, err)
	require.Len(t, hooks, most)

	require.NoError(t, f.db.Store.DeleteWebhook(context.Background(), f.dev.ID, hooks[0].ID))
	_, err = f.db.Store.CreateWebhook(context.Background(), f.dev.ID, "https://example.com/hook", []string{"*"}, most)
	require.NoError(t, err, "a deleted endpoint makes room")
}
