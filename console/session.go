package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"time"
)

// A session is a signed cookie that carries the hash of the token the
// person signed in with and when the session ends. The token itself never
// reaches the browser's storage; every page looks the hash up again, so a
// revoked or expired token ends its sessions at once.
type session struct {
	tokenHash []byte
	expires   time.Time
}

const (
	sessionCookie = "tg_session"
	signinCookie  = "tg_signin" // the sign-in form's CSRF nonce, before a session exists
	langCookie    = "tg_lang"
	sessionTTL    = 12 * time.Hour
)

var errBadSession = errors.New("no valid session")

func (c *Console) sign(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, c.key)
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write(p)
	}
	return m.Sum(nil)
}

func (c *Console) encodeSession(s session) string {
	payload := make([]byte, 0, len(s.tokenHash)+8)
	payload = append(payload, s.tokenHash...)
	payload = binary.BigEndian.AppendUint64(payload, uint64(s.expires.Unix()))
	mac := c.sign([]byte("session"), payload)
	return b64(payload) + "." + b64(mac)
}

func (c *Console) decodeSession(v string) (session, error) {
	p, m, ok := strings.Cut(v, ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if !ok || err1 != nil || err2 != nil || len(payload) != sha256.Size+8 {
		return session{}, errBadSession
	}
	if !hmac.Equal(mac, c.sign([]byte("session"), payload)) {
		return session{}, errBadSession
	}
	s := session{tokenHash: payload[:sha256.Size], expires: time.Unix(int64(binary.BigEndian.Uint64(payload[sha256.Size:])), 0)}
	if time.Now().After(s.expires) {
		return session{}, errBadSession
	}
	return s, nil
}

// csrf is the token every form of a session carries: bound to the session,
// so a token from another session (or none) is refused.
func (c *Console) csrf(s session) string {
	return b64(c.sign([]byte("csrf"), s.tokenHash, binary.BigEndian.AppendUint64(nil, uint64(s.expires.Unix()))))
}

// signinCSRF is the sign-in form's token, bound to a random nonce cookie.
func (c *Console) signinCSRF(nonce string) string {
	return b64(c.sign([]byte("signin"), []byte(nonce)))
}

func checkToken(want, got string) bool {
	return got != "" && hmac.Equal([]byte(want), []byte(got))
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: !c.cfg.Dev, SameSite: http.SameSiteStrictMode,
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return k
}
