// Package linkkey turns a developer's identity details (identity document
// number, phone, settlement account) into keyed hashes that can be compared
// across accounts and stored without the values: HMAC-SHA256 under the
// deployment's TRUSTGATE_LINK_KEY. Anyone holding the database but not the
// key cannot test a guessed phone number against it; with the key, the same
// value always gives the same hash, so a second account with the same phone
// is found.
package linkkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Identity kinds, as stored.
const (
	IDDocument        = "id_document"
	Phone             = "phone"
	SettlementAccount = "settlement_account"
)

// MinKeyBytes is the shortest key accepted: 32 bytes, as many as the hash.
const MinKeyBytes = 32

// DevKey is the fixed key `trustgate dev` uses when none is configured. It
// is public, so hashes made with it protect nothing; serve and worker refuse
// to run with it.
const DevKey = "trustgate-dev-link-key-not-secret-do-not-use-in-production"

// ErrNoKey is returned by New for an empty key.
var ErrNoKey = errors.New("TRUSTGATE_LINK_KEY is not set")

// Key hashes identity values. The zero Key refuses to hash.
type Key struct{ secret []byte }

// New returns the key for secret, which must be at least MinKeyBytes long
// (e.g. 64 hex characters from `openssl rand -hex 32`).
func New(secret string) (Key, error) {
	switch {
	case secret == "":
		return Key{}, ErrNoKey
	case len(secret) < MinKeyBytes:
		return Key{}, fmt.Errorf("TRUSTGATE_LINK_KEY: want at least %d bytes, got %d", MinKeyBytes, len(secret))
	}
	return Key{secret: []byte(secret)}, nil
}

// Hash is the keyed hash of one identity value of kind. Values are
// normalised first so that the forms a provider may send for the same
// value ("+86 138-0013-8000", "+8613800138000") hash the same: spaces,
// dashes, dots and slashes are dropped and letters upper-cased. The kind is
// part of the hashed message, so a phone number and an account number with
// the same digits give different hashes. An empty value after normalising
// is an error: it would link every account that has none.
func (k Key) Hash(kind, value string) ([]byte, error) {
	if len(k.secret) == 0 {
		return nil, ErrNoKey
	}
	switch kind {
	case IDDocument, Phone, SettlementAccount:
	default:
		return nil, fmt.Errorf("identity kind %q: want %s, %s or %s", kind, IDDocument, Phone, SettlementAccount)
	}
	v := normalise(value)
	if v == "" {
		return nil, fmt.Errorf("empty %s", kind)
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return m.Sum(nil), nil
}

func normalise(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '-', r == '.', r == '/', r == '(', r == ')':
			return -1
		}
		return unicode.ToUpper(r)
	}, v)
}
