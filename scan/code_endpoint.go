package scan

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// checkEndpoint checks a URL the package connects to, known whole or only
// by its constant start. A start that stops inside the host name proves
// nothing about the host, so only the scheme is checked then.
func (s *state) checkEndpoint(api, url string, h hit) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return // relative, or built from a variable: nothing to hold it to
	}
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	h.snippet = printable(url, 120)
	if scheme == "http" || scheme == "ws" {
		s.add(ruleCodeHTTP, withMatch(withDetail(h, api+" "+scheme+"://"), "scheme:"+url))
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	host = hostOnly(host)
	if host == "" || strings.ContainsAny(host, "{}$") {
		return
	}
	s.noteEndpoint(api, host, h)
	if net.ParseIP(host) != nil {
		s.add(ruleCodeIP, withMatch(withDetail(h, api+" "+host), "ip:"+url))
		return
	}
	if len(s.opts.Domains) > 0 && !domainRegistered(s.opts.Domains, host) {
		s.add(ruleCodeDomain, withMatch(withDetail(h, fmt.Sprintf("%s %s", api, host)), "domain:"+url))
	}
}

// hostOnly strips a port and IPv6 brackets.
func hostOnly(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if i := strings.IndexByte(hostport, ']'); i > 0 {
			return hostport[1:i]
		}
		return ""
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		hostport = hostport[:i]
	}
	return strings.ToLower(strings.TrimSuffix(hostport, "."))
}

// HostRegistered reports whether host is covered by the app's registered
// domains, as the CODE and PRIV rules judge it; "" is never registered.
func HostRegistered(domains []string, host string) bool {
	return host != "" && domainRegistered(domains, strings.ToLower(host))
}

// domainRegistered matches a host against the app's registered domains.
// Entries may carry a scheme, a port or a path as the consoles show them;
// "*.example.com" covers every sub-domain of example.com but not itself.
func domainRegistered(domains []string, host string) bool {
	for _, d := range domains {
		d = strings.TrimSpace(strings.ToLower(d))
		if _, rest, ok := strings.Cut(d, "://"); ok {
			d = rest
		}
		if i := strings.IndexAny(d, "/?#"); i >= 0 {
			d = d[:i]
		}
		if !strings.HasPrefix(d, "*.") {
			d = hostOnly(d)
		}
		switch {
		case d == "":
		case strings.HasPrefix(d, "*."):
			if strings.HasSuffix(host, d[1:]) {
				return true
			}
		case d == host:
			return true
		}
	}
	return false
}

// webViewRE finds the src of a web-view in a template; a src bound to data
// ("{{url}}") is checked up to the binding.
var webViewRE = regexp.MustCompile(`(?is)<web-view\b[^>]*?\ssrc\s*=\s*["']([^"']*)["']`)

func (s *state) checkWebViews(e *entry) {
	if !strings.Contains(string(e.data), "web-view") {
		s.contentTemplate(e)
		return
	}
	t := newText(e.data)
	for _, m := range webViewRE.FindAllSubmatchIndex(e.data, maxPerRule) {
		src := string(e.data[m[2]:m[3]])
		if i := strings.Index(src, "{{"); i >= 0 {
			src = src[:i]
		}
		line, col := t.position(m[2])
		s.checkEndpoint("web-view", src, hit{file: e.name, line: line, column: col})
	}
	s.contentTemplate(e)
}
