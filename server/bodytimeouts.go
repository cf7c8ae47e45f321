package server

import (
	"io"
	"net/http"
	"time"
)

// BodyTimeouts bound how long a request may hold a connection without a
// single global read timeout, which would cut off an honest 32 MiB upload on
// a slow link: the body's read deadline moves on as bytes arrive, as long as
// they keep coming and arrive at a minimum average rate, and the answer has
// its own deadline from when the body stopped arriving.
type BodyTimeouts struct {
	// Stall is the longest a body may go without a byte arriving, and the
	// grace before MinRate applies.
	Stall time.Duration
	// MinRate is the average, in bytes per second, that a body must keep
	// up after the grace; 0: no rate, only Stall.
	MinRate int64
	// Write is how long the answer may take after the request's body has
	// arrived (or its headers, when the handler reads no body).
	Write time.Duration
}

// Wrap applies the timeouts to every request h serves.
func (bt BodyTimeouts) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		if bt.Write > 0 {
			// Best effort: a writer without deadlines (a test recorder)
			// answers without one.
			_ = rc.SetWriteDeadline(now.Add(bt.Write))
		}
		if bt.Stall > 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineBody{body: r.Body, rc: rc, bt: bt, start: now, last: now}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody sets the connection's read deadline before every read of
// the body from what has arrived so far, and keeps the write deadline that
// far beyond it.
type deadlineBody struct {
	body        io.ReadCloser
	rc          *http.ResponseController
	bt          BodyTimeouts
	start, last time.Time
	n           int64
	done        bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	deadline := b.bt.next(b.start, b.last, b.n)
	if err := b.rc.SetReadDeadline(deadline); err == nil && b.bt.Write > 0 {
		_ = b.rc.SetWriteDeadline(deadline.Add(b.bt.Write))
	}
	n, err := b.body.Read(p)
	if n > 0 {
		b.n += int64(n)
		b.last = time.Now()
	}
	if err == io.EOF {
		// Whole: the answer now has Write from here, and the server's own
		// reads of the connection (for the next request) need no deadline.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
		if b.bt.Write > 0 {
			_ = b.rc.SetWriteDeadline(time.Now().Add(b.bt.Write))
		}
	}
	return n, err
}

func (b *deadlineBody) Close() error { return b.body.Close() }

// next is the read deadline of a body that started at start, last brought
// bytes at last and has brought n: Stall after the last byte, and no later
// than the time by which n bytes at MinRate would have arrived after the
// grace, so a trickle cannot hold the connection for ever.
func (bt BodyTimeouts) next(start, last time.Time, n int64) time.Time {
	deadline := last.Add(bt.Stall)
	if bt.MinRate > 0 {
		earned := time.Duration(float64(n) / float64(bt.MinRate) * float64(time.Second))
		if byRate := start.Add(bt.Stall + earned); byRate.Before(deadline) {
			deadline = byRate
		}
	}
	return deadline
}
