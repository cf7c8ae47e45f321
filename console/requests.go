package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"trustgate/internal/store"
	"trustgate/server"
)

// me is the signed-in person as GET /v1/me describes them.
type me struct {
	Role      string          `json:"role"`
	Subject   string          `json:"subject"`
	Developer json.RawMessage `json:"developer,omitempty"`
}

func (m *me) Is(roles ...string) bool {
	for _, r := range roles {
		if m != nil && m.Role == r {
			return true
		}
	}
	return false
}

// req is one console request: who, in which language, with which session.
type req struct {
	c    *Console
	w    http.ResponseWriter
	r    *http.Request
	s    session
	me   *me
	lang lang
}

// problem is an API refusal, shown to the person as it is.
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (p *problem) Error() string {
	msg := p.Title
	if p.Detail != "" {
		msg = p.Detail
	}
	for _, e := range p.Errors {
		msg += "; " + e.Field + ": " + e.Message
	}
	return msg
}

// call sends one request to the API in-process as the session's token and
// decodes the JSON answer into out. A refusal is a *problem.
func (q *req) call(method, path string, body io.Reader, contentType string, out any, extra ...http.Header) error {
	ctx := server.AsSession(q.r.Context(), q.s.tokenHash)
	r, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return fmt.Errorf("console call %s %s: %w", method, path, err)
	}
	r.Header.Set("Accept-Language", q.lang.tag())
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for _, h := range extra {
		for k, vs := range h {
			r.Header[k] = vs
		}
	}
	rec := httptest.NewRecorder()
	q.c.api.ServeHTTP(rec, r)
	if rec.Code >= 300 {
		p := &problem{Status: rec.Code}
		if json.Unmarshal(rec.Body.Bytes(), p) != nil || p.Title == "" {
			p.Title = http.StatusText(rec.Code)
		}
		return p
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("console call %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

func header(k, v string) http.Header { return http.Header{http.CanonicalHeaderKey(k): {v}} }

func (q *req) get(path string, out any) error { return q.call("GET", path, nil, "", out) }

func (q *req) postJSON(path string, in any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return q.call("POST", path, strings.NewReader(string(b)), "application/json", nil)
}

// start reads the session and the language; without a valid session (or
// with a revoked token) q.me is nil.
func (c *Console) start(w http.ResponseWriter, r *http.Request) *req {
	q := &req{c: c, w: w, r: r, lang: pickLang(r)}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return q
	}
	s, err := c.decodeSession(ck.Value)
	if err != nil {
		c.setCookie(w, sessionCookie, "", -1)
		return q
	}
	q.s = s
	var m me
	if err := q.get("/v1/me", &m); err != nil {
		var p *problem
		if errors.As(err, &p) && p.Status == http.StatusUnauthorized {
			c.setCookie(w, sessionCookie, "", -1) // the token was revoked or has expired
		} else {
			slog.Error("console: who is signed in", "err", err)
		}
		return q
	}
	q.me = &m
	return q
}

// page wraps a GET page: without a session it shows the sign-in page.
func (c *Console) page(h func(q *req) (string, view, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := c.start(w, r)
		if q.me == nil {
			c.signInPage(q, http.StatusOK, "")
			return
		}
		name, v, err := h(q)
		if err != nil {
			c.fail(q, err)
			return
		}
		c.show(q, http.StatusOK, name, v)
	}
}

// action wraps a form POST: a session and its CSRF token are required; on
// success the person is sent (303) to the page the handler names.
func (c *Console) action(h func(q *req) (string, error)) http.HandlerFunc {
	return c.actionOn(nil, h)
}

// actionOn is action for a form on a page that shows the API's refusal
// itself: a refused action renders page again with the refusal as its
// message (and the API's status), so the person stays where they were.
func (c *Console) actionOn(page func(q *req) (string, view, error), h func(q *req) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		q, ok := c.startForm(w, r)
		if !ok {
			return
		}
		to, err := h(q)
		var p *problem
		if page != nil && errors.As(err, &p) && p.Status != http.StatusUnauthorized {
			name, v, perr := page(q)
			if perr != nil {
				c.fail(q, perr)
				return
			}
			v.Error = p.Error()
			c.show(q, p.Status, name, v)
			return
		}
		if err != nil {
			c.fail(q, err)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// startForm starts a form POST: a session and its CSRF token are required;
// without them the answer is already written and ok is false.
func (c *Console) startForm(w http.ResponseWriter, r *http.Request) (q *req, ok bool) {
	q = c.start(w, r)
	if q.me == nil {
		c.signInPage(q, http.StatusUnauthorized, q.lang.T("session_ended"))
		return q, false
	}
	if !checkToken(c.csrf(q.s), r.PostFormValue("csrf")) {
		c.fail(q, &problem{Status: http.StatusForbidden, Title: q.lang.T("csrf_failed")})
		return q, false
	}
	return q, true
}

func (c *Console) show(q *req, status int, name string, v view) {
	v.L, v.Me = q.lang, q.me
	if v.Path == "" { // a page shown again after a POST names its own
		v.Path = q.r.URL.RequestURI()
	}
	if q.me != nil {
		v.CSRF = c.csrf(q.s)
	}
	c.render(q.w, status, name, v)
}

// fail shows an API refusal (or our own error) on an error page with the
// status the API gave.
func (c *Console) fail(q *req, err error) {
	var p *problem
	if !errors.As(err, &p) {
		slog.Error("console", "path", q.r.URL.Path, "err", err)
		p = &problem{Status: http.StatusInternalServerError, Title: q.lang.T("internal_error")}
	}
	if p.Status == http.StatusUnauthorized {
		c.signInPage(q, http.StatusUnauthorized, q.lang.T("session_ended"))
		return
	}
	c.show(q, p.Status, "error", view{Title: q.lang.T("error"), Error: p.Error(), Data: p.Status})
}

func (c *Console) signInPage(q *req, status int, msg string) {
	nonce := b64(randomKey()[:16])
	c.setCookie(q.w, signinCookie, nonce, 600)
	c.show(q, status, "signin", view{Title: q.lang.T("sign_in"), Error: msg, SignInCS: c.signinCSRF(nonce)})
}

// signIn turns a token into a session cookie after checking it with the API.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	q := c.start(w, r)
	nonce, err := r.Cookie(signinCookie)
	if err != nil || !checkToken(c.signinCSRF(nonce.Value), r.PostFormValue("csrf")) {
		c.signInPage(q, http.StatusForbidden, q.lang.T("csrf_failed"))
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	q.s = session{tokenHash: store.TokenHash(secret), expires: time.Now().Add(sessionTTL).Truncate(time.Second)}
	var m me
	if secret == "" || q.get("/v1/me", &m) != nil {
		c.signInPage(q, http.StatusUnauthorized, q.lang.T("token_refused"))
		return
	}
	c.setCookie(w, signinCookie, "", -1)
	c.setCookie(w, sessionCookie, c.encodeSession(q.s), int(sessionTTL.Seconds()))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) signOut(q *req) (string, error) {
	c.setCookie(q.w, sessionCookie, "", -1)
	return "/", nil
}

// switchLanguage remembers the chosen language and goes back where the
// person was (a path on this site only).
func (c *Console) switchLanguage(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("lang")
	if l != "en" && l != "zh" {
		http.NotFound(w, r)
		return
	}
	c.setCookie(w, langCookie, l, 365*24*3600)
	http.Redirect(w, r, localPath(r.URL.Query().Get("back"), "/"), http.StatusSeeOther)
}
