package scan

import (
	"bytes"
	"fmt"
	"regexp"
)

// Platform secrets that gitleaks has no rule for. Each pattern needs a
// config-like context (a key name next to the value), because a bare 32-hex
// string is as likely a content hash as a secret.
var platformSecretRules = []struct {
	rule      Rule
	prefilter []string // every match holds one of these, case-insensitively
	re        *regexp.Regexp
	group     int
}{
	{
		// WeChat and Alipay AppSecrets are 32 hexadecimal characters,
		// stored next to the AppID under a name like appSecret.
		rule:      ruleSecretAppSecret,
		prefilter: []string{"secret"},
		re:        regexp.MustCompile(`(?i)\b(?:app[_-]?secret|mini[_-]?secret|wx[_-]?secret|secret)["']?\s*[:=]\s*["']([0-9a-f]{32})["']`),
		group:     1,
	},
	{
		// Payment merchant keys (WeChat Pay API v2/v3 keys) are 32
		// alphanumeric characters under a merchant-key name.
		rule:      ruleSecretMerchantKey,
		prefilter: []string{"key"},
		re:        regexp.MustCompile(`(?i)\b(?:mch[_-]?key|merchant[_-]?key|api[_-]?v3[_-]?key|pay[_-]?key|partner[_-]?key|mch[_-]?api[_-]?key)["']?\s*[:=]\s*["']([A-Za-z0-9]{32})["']`),
		group:     1,
	},
	{
		// Alipay and WeChat Pay signing keys are usually pasted without a
		// PEM header: base64 DER of a PKCS#1 or PKCS#8 RSA key, or of an EC
		// key, whose first bytes are fixed by the format.
		rule:      ruleSecretPrivateKey,
		prefilter: []string{"mii", "mighageamb", "mhccaqeei"},
		re:        regexp.MustCompile(`(MII[A-Za-z0-9+/]{3}IBA(?:AKCA|DANBgkqhkiG9w0BAQEFAAS)|MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg|MHcCAQEEI)[A-Za-z0-9+/=\\\r\n]{60,}`),
		group:     0,
	},
}

// platformSearches are the platform rules' patterns, each searched from
// the places where its keywords are (keywordSearch).
var platformSearches = func() []*keywordSearch {
	out := make([]*keywordSearch, len(platformSecretRules))
	for i, p := range platformSecretRules {
		ks, err := newKeywordSearch(p.re, p.prefilter)
		if err != nil {
			panic(fmt.Sprintf("scan: rule %s: %v", p.rule.ID, err))
		}
		out[i] = ks
	}
	return out
}()

func (s *state) platformSecrets(e *entry, t *text, lower []byte) {
	for i, p := range platformSecretRules {
		for _, m := range platformSearches[i].findAll(e.data, lower, maxPerRule) {
			secret := string(e.data[m[2*p.group]:m[2*p.group+1]])
			line, _ := t.position(m[2*p.group])
			s.add(p.rule, secretHit(e, t, line, firstLine(secret), p.rule.ID))
		}
	}
}

// firstLine keeps the part of a multi-line key that its first line holds,
// which is what the snippet can show and must hide.
func firstLine(s string) string {
	if i := bytes.IndexAny([]byte(s), "\r\n\\"); i >= 0 {
		return s[:i]
	}
	return s
}
