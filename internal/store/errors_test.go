package store_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("list submissions: %w", err) }
	cases := []struct {
		name        string
		err         error
		unavailable bool
		refusedText bool
	}{
		{"a refused connection is unavailable", wrap(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), true, false},
		{"a server shutting down is unavailable", wrap(&pgconn.PgError{Code: "57P01"}), true, false},
		{"a server not accepting connections yet is unavailable", wrap(&pgconn.PgError{Code: "57P03"}), true, false},
		{"a connection cut mid-answer is unavailable", wrap(io.ErrUnexpectedEOF), true, false},
		{"a NUL character is refused text", wrap(&pgconn.PgError{Code: "22P05"}), false, true},
		{"invalid UTF-8 is refused text", wrap(&pgconn.PgError{Code: "22021"}), false, true},
		{"a unique violation is neither", wrap(&pgconn.PgError{Code: "23505"}), false, false},
		{"a missing row is neither", wrap(store.ErrNotFound), false, false},
		{"no error is neither", nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.unavailable, store.IsUnavailable(c.err))
			refusal, refused := store.RefusedText(c.err)
			require.Equal(t, c.refusedText, refused)
			if refused {
				require.Equal(t, store.RefusedContent, refusal.Kind)
			}
		})
	}
}
