package store

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports errors that mean the database (or the network to
// it) is down or restarting, not that the request is wrong: a retry will
// succeed once it is back. Callers answer 503 with Retry-After.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr *net.OpError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// admin_shutdown, crash_shutdown, cannot_connect_now
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "conn closed")
}

// RefusedText is PostgreSQL refusing a string it cannot store (invalid
// UTF-8, a NUL character) as a refusal of the content: the caller's input,
// never our fault. Callers refuse such text before it reaches a query; this
// is the backstop.
func RefusedText(err error) (*Refusal, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05") {
		return &Refusal{Rule: "text", Kind: RefusedContent,
			Msg: "text the database cannot store (a NUL character or invalid UTF-8)"}, true
	}
	return nil, false
}
