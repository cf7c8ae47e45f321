package webhooks

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSignatureIsHMACOfTimestampAndBody(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000000, 0)
	got := Sign("whsec_test", at, []byte(`{"id":"evt_1"}`))
	// Computed independently: printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	if want := "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	if Sign("whsec_other", at, []byte(`{"id":"evt_1"}`)) == got || Sign("whsec_test", at, []byte(`{"id":"evt_2"}`)) == got {
		t.Fatal("the signature must depend on the secret and the body")
	}
}

func TestDialRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, addr := range []string{l.Addr().String(), "10.0.0.1:443", "169.254.169.254:80", "[::1]:443", "192.168.1.1:443"} {
		d := &Dispatcher{}
		if _, err := d.dial(ctx, "tcp", addr); err == nil || !strings.Contains(err.Error(), "non-public") {
			t.Errorf("dial %s: %v, want a refusal", addr, err)
		}
	}
	dev := &Dispatcher{AllowLoopback: true}
	c, err := dev.dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dev may reach loopback: %v", err)
	}
	c.Close()
}
