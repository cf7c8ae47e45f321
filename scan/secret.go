package scan

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// SECRET rules: credentials in any text file of the package. A mini-program
// package is downloaded to every user's phone and is trivially unpacked, so
// anything in it is public. gitleaks' rule set finds the common providers'
// credentials; the platform rules find what gitleaks does not know: WeChat
// and Alipay app secrets and the headerless RSA or EC keys that payment
// signing uses.
var (
	ruleSecretKnown = register(Rule{
		ID: "SECRET-001", Severity: SeverityCritical,
		Message:     "credential in the package (gitleaks rule)",
		Remediation: "Revoke the credential now, remove it from the package and keep it on your server; the package is public once released.",
		Why:         "Anyone can unpack a released package, so a credential in it is public and can be abused.",
	})
	ruleSecretGeneric = register(Rule{
		ID: "SECRET-002", Severity: SeverityHigh,
		Message:     "possible credential assigned in the package (gitleaks generic rule)",
		Remediation: "If this is a real key, token or password, revoke it and move it to your server; if it is not, rename the field so it does not look like one.",
		Why:         "A value assigned to a key- or password-like name is often a real credential, public once released.",
	})
	ruleSecretAppSecret = register(Rule{
		ID: "SECRET-003", Severity: SeverityCritical,
		Message:     "mini-program AppSecret in the package",
		Remediation: "Reset the AppSecret in the platform console and call the platform's server APIs from your server only.",
		Why:         "The AppSecret lets anyone call the platform's server APIs as the app, including reading its users' data.",
	})
	ruleSecretPrivateKey = register(Rule{
		ID: "SECRET-004", Severity: SeverityCritical,
		Message:     "RSA or EC private key in the package (payment or API signing key)",
		Remediation: "Replace the key pair in the platform console, and sign requests on your server; the app may only hold public keys.",
		Why:         "A signing key in the package lets anyone sign payment or API requests as the merchant.",
	})
	ruleSecretMerchantKey = register(Rule{
		ID: "SECRET-005", Severity: SeverityCritical,
		Message:     "payment merchant API key in the package",
		Remediation: "Reset the merchant API key in the payment console and keep it on your server, which alone may sign payment requests.",
		Why:         "The merchant API key signs payment requests, so whoever holds it can move the merchant's money.",
	})
)

// genericRules are gitleaks rules that match a shape rather than a
// provider's format; they are often right but not proof, hence high rather
// than critical.
var genericRules = map[string]bool{"generic-api-key": true}

// textFile reports whether a file is worth reading for secrets: not a
// known binary format and no NUL byte near its start.
func textFile(e *entry) bool {
	if !e.read || len(e.data) == 0 {
		return false
	}
	switch strings.ToLower(path.Ext(e.clean)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".mp3", ".mp4", ".wav", ".ttf", ".woff", ".woff2", ".otf", ".eot", ".wasm":
		return false
	}
	head := e.data[:min(len(e.data), 8000)]
	return bytes.IndexByte(head, 0) < 0
}

func checkSecrets(s *state) {
	if s.opts.SkipSecrets {
		return
	}
	engine, err := secretEngineOnce()
	if err != nil {
		// The rules ship in the binary; failing to load them is a build
		// defect that every test catches, not something a package causes.
		panic(err)
	}
	for _, e := range s.arch.files {
		if !textFile(e) || junk(e.clean) {
			continue
		}
		t := newText(e.data)
		lower := asciiLower(e.data)
		for _, l := range engine.detect(e.data, t, lower) {
			r := ruleSecretKnown
			if genericRules[l.rule] {
				r = ruleSecretGeneric
			}
			s.add(r, secretHit(e, t, l.line, l.secret, l.rule))
		}
		s.platformSecrets(e, t, lower)
	}
}

// secretHit places a secret on its line and redacts it from the snippet;
// the fingerprint hashes the secret with the place, so it never leaves the
// scanner in clear.
func secretHit(e *entry, t *text, line int, secret, detail string) hit {
	h := hit{
		file: e.name, line: line, snippet: redact(t.line(line), secret), detail: detail,
		match:  fmt.Sprintf("%s:%s", detail, fingerprint("secret", "", 0, 0, secret)),
		secret: secret,
	}
	if line < 1 || line > len(t.lines) || secret == "" {
		return h
	}
	start, end := t.lines[line-1], len(t.raw)
	if line < len(t.lines) {
		end = t.lines[line]
	}
	i := bytes.Index(t.raw[start:end], []byte(secret))
	if i < 0 {
		return h
	}
	h.column = i + 1
	// The snippet is the secret's neighbourhood, which in a minified
	// bundle is not the start of its line.
	from, to := max(start, start+i-snippetContext), min(end, start+i+len(secret)+snippetContext)
	h.snippet = redact(strings.TrimSpace(string(t.raw[from:to])), secret)
	return h
}

const snippetContext = 60

// redact replaces every occurrence of the secret in s, keeping its first
// characters so that a developer can tell which value is meant. Snippets
// are bounded lines: if the secret was cut off there, what is left of it
// is redacted too.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	keep := min(4, len(secret)/4)
	mask := secret[:keep] + strings.Repeat("*", 8)
	s = strings.ReplaceAll(s, secret, mask)
	for n := len(secret) - 1; n >= 8; n-- {
		if strings.HasSuffix(s, secret[:n]) {
			return s[:len(s)-n] + mask
		}
	}
	if len(s) > maxSnippet*4 {
		s = s[:maxSnippet*4]
	}
	return s
}
