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
	"sync"
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

// Defaults of the Dispatcher's zero fields and of the endpoint cap.
const (
	DefaultMaxEndpoints     = 10
	DefaultSendTimeout      = 10 * time.Second
	DefaultConcurrency      = 32
	DefaultPerEndpoint      = 2
	DefaultBreakerFailures  = 5
	DefaultBreakerCooldown  = time.Minute
	defaultEvery            = time.Second
	recordTimeout           = 10 * time.Second
	leaseMarginOverSendTime = 30 * time.Second
)

// Dispatcher sends due deliveries. Any number may run against one
// database: each claims deliveries with a lease, sends them after the
// claim commits, concurrently, and records each outcome on its own, so a
// slow endpoint delays nobody else's deliveries. Zero fields take the
// defaults above.
type Dispatcher struct {
	Store *store.Store
	// AllowLoopback admits http:// and loopback addresses, for `trustgate
	// dev` and tests only; production sends HTTPS to public addresses.
	AllowLoopback bool
	// Every is how often to look for due deliveries when there were none.
	Every time.Duration
	// SendTimeout bounds one delivery, from connecting to the last byte of
	// the answer.
	SendTimeout time.Duration
	// Concurrency is the most deliveries this process sends at once: the
	// total budget every endpoint shares.
	Concurrency int
	// PerEndpoint is the most deliveries one endpoint has in flight at
	// once, across every process: a tarpit holds at most this many slots.
	PerEndpoint int
	// Breaker opens an endpoint's circuit after that many failed attempts
	// in a row; the state is in the database so every process skips it.
	Breaker store.Breaker

	client *http.Client
	slots  chan struct{} // one token per delivery in flight
	freed  chan struct{} // a send ended: there is room, and perhaps its successor is due
	sends  sync.WaitGroup
}

func (d *Dispatcher) setup() {
	if d.SendTimeout <= 0 {
		d.SendTimeout = DefaultSendTimeout
	}
	if d.Concurrency <= 0 {
		d.Concurrency = DefaultConcurrency
	}
	if d.PerEndpoint <= 0 {
		d.PerEndpoint = DefaultPerEndpoint
	}
	if d.Breaker.Failures <= 0 {
		d.Breaker.Failures = DefaultBreakerFailures
	}
	if d.Breaker.Cooldown <= 0 {
		d.Breaker.Cooldown = DefaultBreakerCooldown
	}
	if d.Every <= 0 {
		d.Every = defaultEvery
	}
	connect := min(5*time.Second, d.SendTimeout)
	d.client = &http.Client{Timeout: d.SendTimeout, Transport: &http.Transport{DialContext: d.dialer(connect).DialContext,
		TLSHandshakeTimeout: connect}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect could lead anywhere; it counts as a failure
	}}
	d.slots = make(chan struct{}, d.Concurrency)
	d.freed = make(chan struct{}, 1)
}

// Run delivers until ctx ends, then waits for the sends in flight, which
// end with ctx and give their deliveries back.
func (d *Dispatcher) Run(ctx context.Context) {
	d.setup()
	defer d.sends.Wait()
	for {
		n, err := d.dispatch(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("webhook dispatch", "error", err)
		}
		if n > 0 && len(d.slots) < cap(d.slots) {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-d.freed:
		case <-time.After(d.Every):
		}
	}
}

// dispatch claims as many due deliveries as there are free slots and starts
// sending each; it does not wait for them.
func (d *Dispatcher) dispatch(ctx context.Context) (int, error) {
	free := cap(d.slots) - len(d.slots)
	if free == 0 {
		return 0, nil
	}
	due, err := d.Store.ClaimDeliveries(ctx, store.Claim{Max: free, PerEndpoint: d.PerEndpoint,
		BreakerFailures: d.Breaker.Failures, Lease: 2*d.SendTimeout + leaseMarginOverSendTime})
	if err != nil {
		return 0, err
	}
	for _, del := range due {
		d.slots <- struct{}{} // never waits: only this loop takes slots, and no more than were free
		d.sends.Add(1)
		go func() {
			defer func() {
				<-d.slots
				d.sends.Done()
				select {
				case d.freed <- struct{}{}:
				default:
				}
			}()
			d.deliver(ctx, del)
		}()
	}
	return len(due), nil
}

// deliver sends one delivery and records the outcome, even as ctx ends: a
// send cut short by shutdown is given back without counting as an attempt.
func (d *Dispatcher) deliver(ctx context.Context, del store.Delivery) {
	status, sendErr := d.send(ctx, del)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var err error
	if ctx.Err() != nil {
		err = d.Store.ReleaseDelivery(rctx, del.ID)
	} else {
		err = d.Store.RecordDelivery(rctx, del, status, sendErr, d.Breaker)
	}
	if err != nil {
		slog.Warn("webhook delivery outcome not recorded; the lease runs out and it is sent again",
			"delivery", del.ID, "error", err)
	}
}

// Event is the body every endpoint receives.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func (d *Dispatcher) send(ctx context.Context, del store.Delivery) (int, error) {
	if err := CheckURL(del.URL, d.AllowLoopback); err != nil {
		return 0, err
	}
	body, err := json.Marshal(Event{ID: del.EventID, Type: del.Type, CreatedAt: del.CreatedAt, Data: del.Data})
	if err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(body))
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

// dialer refuses, at connect time (after DNS, so rebinding cannot slip
// by), any address that is not public (see refused), unless loopback is
// allowed for development.
func (d *Dispatcher) dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
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
}
