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
		if _, err := d.dialer(time.Second).DialContext(ctx, "tcp", addr); err == nil || !strings.Contains(err.Error(), "non-public") {
			t.Errorf("dial %s: %v, want a refusal", addr, err)
		}
	}
	dev := &Dispatcher{AllowLoopback: true}
	c, err := dev.dialer(time.Second).DialContext(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dev may reach loopback: %v", err)
	}
	c.Close()
}

func TestNonPublicAddressesAreRefusedAtRegistrationAndAtConnect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, addr string
		refused    bool
	}{
		{"this network", "0.1.2.3", true},
		{"private 10/8", "10.0.0.1", true},
		{"shared address space, first", "100.64.0.1", true},
		{"Alibaba Cloud metadata", "100.100.100.200", true},
		{"shared address space, last", "100.127.255.255", true},
		{"loopback", "127.0.0.1", true},
		{"link-local metadata", "169.254.169.254", true},
		{"private 172.16/12", "172.31.255.1", true},
		{"IETF protocol assignments", "192.0.0.170", true},
		{"private 192.168/16", "192.168.1.1", true},
		{"benchmarking", "198.18.0.1", true},
		{"benchmarking, second half", "198.19.255.254", true},
		{"multicast", "224.0.0.251", true},
		{"reserved", "240.0.0.1", true},
		{"broadcast", "255.255.255.255", true},
		{"IPv6 unspecified", "::", true},
		{"IPv6 loopback", "::1", true},
		{"NAT64 of a public address", "64:ff9b::808:808", true},
		{"NAT64 of metadata", "64:ff9b::a9fe:a9fe", true},
		{"local NAT64", "64:ff9b:1::a00:1", true},
		{"6to4", "2002:a00:1::1", true},
		{"unique local", "fd00::1", true},
		{"IPv6 link-local", "fe80::1", true},
		{"IPv6 multicast", "ff02::1", true},
		{"mapped this network", "::ffff:0.0.0.1", true},
		{"mapped private", "::ffff:10.0.0.1", true},
		{"mapped shared address space", "::ffff:100.100.100.200", true},
		{"mapped loopback", "::ffff:127.0.0.1", true},
		{"mapped link-local", "::ffff:169.254.169.254", true},
		{"mapped private 172.16/12", "::ffff:172.16.0.1", true},
		{"mapped IETF protocol assignments", "::ffff:192.0.0.1", true},
		{"mapped private 192.168/16", "::ffff:192.168.0.1", true},
		{"mapped benchmarking", "::ffff:198.18.0.1", true},
		{"mapped multicast", "::ffff:224.0.0.1", true},
		{"mapped reserved", "::ffff:240.0.0.1", true},
		{"public IPv4", "8.8.8.8", false},
		{"just below shared address space", "100.63.255.255", false},
		{"just above shared address space", "100.128.0.0", false},
		{"just below benchmarking", "198.17.255.255", false},
		{"just above benchmarking", "198.20.0.0", false},
		{"just above IETF protocol assignments", "192.0.1.1", false},
		{"public IPv6", "2001:4860:4860::8888", false},
		{"mapped public IPv4", "::ffff:8.8.8.8", false},
	}
	d := &Dispatcher{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			host := c.addr
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			err := CheckURL("https://"+host+"/hook", false)
			if c.refused != (err != nil) {
				t.Errorf("registering https://%s/hook: %v, refused %v", host, err, c.refused)
			}
			if !c.refused {
				return // no connection to the internet from a test
			}
			// Refused before any packet is sent: the dialer's Control sees
			// the address a name resolved to, so it holds for names too.
			if _, err := d.dialer(time.Second).DialContext(ctx, "tcp", net.JoinHostPort(c.addr, "443")); err == nil ||
				!strings.Contains(err.Error(), "non-public") {
				t.Errorf("connecting to %s: %v, want a refusal", c.addr, err)
			}
		})
	}
}
