package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLocalPathKeepsRedirectsOnThisSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, to string
		kept     bool
	}{
		{"a page of the console is kept", "/review", true},
		{"a path with a query is kept", "/submissions/s_1?tab=findings#timeline", true},
		{"the start page is kept", "/", true},
		{"a percent-escape stays an escape in the path", "/%09/evil.example/x", true},
		{"dot segments stay on this site", "/.//evil.example/x", true},
		{"non-ASCII letters are kept", "/submissions/应用", true},

		{"empty goes to the fallback", "", false},
		{"a relative path is refused", "review", false},
		{"an absolute URL is refused", "https://evil.example/x", false},
		{"a scheme-relative URL is refused", "//evil.example/x", false},
		{"a backslash after the slash is refused", "/\\evil.example/x", false},
		{"a backslash anywhere is refused", "/review\\..\\", false},
		{"a tab between the slashes is refused", "/\t/evil.example/x", false},
		{"a newline between the slashes is refused", "/\n/evil.example/x", false},
		{"a carriage return between the slashes is refused", "/\r/evil.example/x", false},
		{"a leading tab is refused", "\t//evil.example/x", false},
		{"a leading space is refused", " //evil.example/x", false},
		{"a NUL is refused", "/\x00/evil.example/x", false},
		{"a vertical tab is refused", "/\v/evil.example/x", false},
		{"DEL is refused", "/\x7f/evil.example/x", false},
		{"a C1 control is refused", "/\u0085/evil.example/x", false},
		{"a space is refused", "/ /evil.example/x", false},
		{"a no-break space is refused", "/\u00a0/evil.example/x", false},
		{"an ideographic space is refused", "/\u3000/evil.example/x", false},
		{"a line separator is refused", "/\u2028/evil.example/x", false},
		{"a zero-width space is refused", "/\u200b/evil.example/x", false},
		{"a trailing newline is refused", "/review\n", false},
		{"a value that is not UTF-8 is refused", "/\xff/evil.example/x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := "/fallback"
			if tc.kept {
				want = tc.to
			}
			require.Equal(t, want, localPath(tc.to, "/fallback"))
		})
	}
}

// taskAPI is an API on which a reviewer can claim any task.
type taskAPI struct{}

func (taskAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v1/me":
		_, _ = w.Write([]byte(`{"role":"reviewer","subject":"rev"}`))
	case r.Method == http.MethodPost && r.URL.Path == "/v1/review-tasks/t_1/claim":
		_, _ = w.Write([]byte(`{}`))
	default:
		http.NotFound(w, r)
	}
}

func TestTaskFormsGoBackOnlyOnThisSite(t *testing.T) {
	t.Parallel()
	c := &client{t: t, h: New(taskAPI{}, Config{Key: []byte("test key")}), cookies: map[string]*http.Cookie{}}
	page := c.do("GET", "/", nil)
	require.Equal(t, http.StatusSeeOther, c.do("POST", "/signin", url.Values{"token": {"tg_x"}, "csrf": {csrfOf(t, page.Body.String())}}).Code)
	csrf := csrfOf(t, c.do("GET", "/", nil).Body.String())

	for back, want := range map[string]string{
		"/submissions/s_1":     "/submissions/s_1",
		"/\\evil.example/x":    "/review",
		"/\t/evil.example/x":   "/review",
		"//evil.example/x":     "/review",
		"https://evil.example": "/review",
	} {
		w := c.do("POST", "/review/t_1/claim", url.Values{"csrf": {csrf}, "back": {back}})
		require.Equal(t, http.StatusSeeOther, w.Code, "back %q", back)
		require.Equal(t, want, w.Header().Get("Location"), "back %q", back)
	}
}

func TestLanguageSwitchRefusesHostileBack(t *testing.T) {
	t.Parallel()
	h := New(&fakeAPI{}, Config{Dev: true})
	for _, back := range []string{"/%09/evil.example/x", "/%5Cevil.example/x", "%09//evil.example/x", "/%E3%80%80/evil.example/x"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/lang/en?back="+back, nil))
		require.Equal(t, http.StatusSeeOther, w.Code)
		require.Equal(t, "/", w.Header().Get("Location"), "back %q", back)
	}
}
