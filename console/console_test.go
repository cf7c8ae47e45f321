package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeAPI answers /v1/me for any session while revoked is false; the
// console's own rules (cookies, CSRF, headers) are what these tests check.
type fakeAPI struct{ revoked bool }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.revoked {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"title":"unauthorized","status":401}`))
		return
	}
	switch r.URL.Path {
	case "/v1/me":
		_, _ = w.Write([]byte(`{"role":"identity","subject":"id-service"}`))
	default:
		http.NotFound(w, r)
	}
}

type client struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (c *client) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	for _, ck := range c.cookies {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return w
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF field in %s", body)
	return m[1]
}

func TestSignInSessionAndCSRF(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	c := &client{t: t, h: New(api, Config{Key: []byte("test key")}), cookies: map[string]*http.Cookie{}}

	page := c.do("GET", "/", nil)
	require.Equal(t, http.StatusOK, page.Code)
	csp := page.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "nosniff", page.Header().Get("X-Content-Type-Options"))
	require.Contains(t, page.Body.String(), `<label for="token">`)

	// Without the form's token, signing in is refused.
	refused := c.do("POST", "/signin", url.Values{"token": {"tg_x"}})
	require.Equal(t, http.StatusForbidden, refused.Code)
	require.NotContains(t, c.cookies, sessionCookie)

	page = c.do("GET", "/", nil)
	signedIn := c.do("POST", "/signin", url.Values{"token": {"tg_x"}, "csrf": {csrfOf(t, page.Body.String())}})
	require.Equal(t, http.StatusSeeOther, signedIn.Code)
	ck := c.cookies[sessionCookie]
	require.NotNil(t, ck)
	require.True(t, ck.HttpOnly)
	require.True(t, ck.Secure, "outside dev the cookie is Secure")
	require.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	require.NotContains(t, ck.Value, "tg_x", "the cookie never holds the token")

	home := c.do("GET", "/", nil)
	require.Contains(t, home.Body.String(), "id-service")
	token := csrfOf(t, home.Body.String())

	// A form without the session's CSRF token does nothing.
	require.Equal(t, http.StatusForbidden, c.do("POST", "/signout", url.Values{}).Code)
	require.Equal(t, http.StatusForbidden, c.do("POST", "/signout", url.Values{"csrf": {"forged"}}).Code)
	require.Contains(t, c.cookies, sessionCookie)

	// A tampered cookie is no session.
	saved := *c.cookies[sessionCookie]
	c.cookies[sessionCookie].Value = strings.Replace(saved.Value, "A", "B", 1) + "x"
	require.Contains(t, c.do("GET", "/", nil).Body.String(), `<label for="token">`)
	c.cookies[sessionCookie] = &saved

	// A revoked token ends the session on the next page.
	api.revoked = true
	require.Contains(t, c.do("GET", "/", nil).Body.String(), `<label for="token">`)
	require.NotContains(t, c.cookies, sessionCookie)
	api.revoked = false

	// Sign out with the token.
	c.cookies[sessionCookie] = &saved
	require.Equal(t, http.StatusSeeOther, c.do("POST", "/signout", url.Values{"csrf": {token}}).Code)
	require.NotContains(t, c.cookies, sessionCookie)
}

func TestLanguageSwitchAndAcceptLanguage(t *testing.T) {
	t.Parallel()
	c := &client{t: t, h: New(&fakeAPI{}, Config{Dev: true}), cookies: map[string]*http.Cookie{}}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	require.Contains(t, w.Body.String(), `<html lang="zh-Hans">`)
	require.Contains(t, w.Body.String(), "访问令牌")

	sw := c.do("GET", "/lang/zh?back=//evil.example/", nil)
	require.Equal(t, "/", sw.Header().Get("Location"), "the switch goes back only on this site")
	require.False(t, c.cookies[langCookie].Secure, "dev serves plain http")
	require.Contains(t, c.do("GET", "/", nil).Body.String(), "访问令牌")
	c.do("GET", "/lang/en?back=/review", nil)
	require.Contains(t, c.do("GET", "/", nil).Body.String(), "Access token")
}

func TestStaticAssetsAreServed(t *testing.T) {
	t.Parallel()
	c := &client{t: t, h: New(&fakeAPI{}, Config{}), cookies: map[string]*http.Cookie{}}
	for _, p := range []string{"/static/console.css", "/static/console.js"} {
		require.Equal(t, http.StatusOK, c.do("GET", p, nil).Code, p)
	}
	require.Equal(t, http.StatusNotFound, c.do("GET", "/v1/nothing", nil).Code, "other paths go to the API")
}
