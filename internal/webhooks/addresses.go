package webhooks

import "net/netip"

// notPublic lists the address ranges a webhook is never sent to: our own
// networks, cloud metadata services, and ranges that translate to or
// tunnel into IPv4 addresses we could not check. An IPv4-mapped IPv6
// address (::ffff:a.b.c.d) is checked as the IPv4 address it maps.
var notPublic = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	// Carrier-grade NAT space, where clouds put their metadata services
	// (Alibaba Cloud's 100.100.100.200).
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // and 255.255.255.255
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	// NAT64 turns these into an IPv4 address of the translator's choosing,
	// which may be any of the above.
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local NAT64"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fc00::/7"), "unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// refused says why ip may not be sent to ("" when it may). Loopback is
// allowed only for development.
func refused(ip netip.Addr, allowLoopback bool) string {
	ip = ip.WithZone("").Unmap() // a zone would make every prefix miss
	if allowLoopback && ip.IsLoopback() {
		return ""
	}
	for _, r := range notPublic {
		if r.prefix.Contains(ip) {
			return r.why
		}
	}
	return ""
}
