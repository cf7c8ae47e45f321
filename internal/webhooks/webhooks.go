// Package webhooks delivers the outbox of developer events to their
// endpoints: signed with HMAC-SHA256, retried with backoff, in order per
// submission, and never to an address inside our own network.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"trustgate/internal/store"
)

// Sign returns the Trustgate-Signature header for a body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">". Receivers
// recompute it with their secret and reject old timestamps.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Dispatcher sends due deliveries. Any number may run against one
// database: each delivery is locked while it is sent.
type Dispatcher struct {
	Store *store.Store
	// AllowLoopback admits http:// and loopback addresses, for `trustgate
	// dev` and tests only; production sends HTTPS to public addresses.
	AllowLoopback bool
	Every         time.Duration
	client        *http.Client
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.dial,
		TLSHandshakeTimeout: 5 * time.Second}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect could lead anywhere; it counts as a failure
	}}
	every := d.Every
	if every == 0 {
		every = time.Second
	}
	for {
		n, err := d.Store.ClaimDue(ctx, 20, d.send)
		if err != nil && ctx.Err() == nil {
			slog.Warn("webhook dispatch", "error", err)
		}
		if n > 0 {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Event is the body every endpoint receives.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func (d *Dispatcher) send(del store.Delivery) (int, error) {
	if err := CheckURL(del.URL, d.AllowLoopback); err != nil {
		return 0, err
	}
	body, err := json.Marshal(Event{ID: del.EventID, Type: del.Type, CreatedAt: del.CreatedAt, Data: del.Data})
	if err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, del.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "trustgate-webhooks/1")
	req.Header.Set("Trustgate-Event-Id", del.EventID)
	req.Header.Set("Trustgate-Signature", Sign(del.Secret, time.Now(), body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// CheckURL says whether a URL may be registered and sent to: absolute,
// HTTPS (http only where loopback is allowed, in development), no
// credentials, no IP address that is not public. Where a name points is
// checked at connect time.
func CheckURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not accepted; verify the signature instead")
	}
	if u.Scheme != "https" && !(allowLoopback && u.Scheme == "http") {
		return errors.New("webhook URLs must use https")
	}
	// An address written in the URL is refused now, not only when sending;
	// names are checked on every connection, as what they resolve to moves.
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		if why := refused(ip, allowLoopback); why != "" {
			return fmt.Errorf("%s is not a public address (%s)", ip, why)
		}
	}
	return nil
}

// dial refuses, at connect time (after DNS, so rebinding cannot slip by),
// any address that is not public (see refused), unless loopback is allowed
// for development.
func (d *Dispatcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("refusing to connect to %s", address)
		}
		if why := refused(ip, d.AllowLoopback); why != "" {
			return fmt.Errorf("refusing to connect to non-public address %s (%s)", ip, why)
		}
		return nil
	}}
	return dialer.DialContext(ctx, network, addr)
}
