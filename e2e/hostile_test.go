package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// The hostile-input corpus: one harness that feeds every kind of bad input
// to a running `trustgate serve` and `trustgate worker` over HTTP and checks
// for each that the answer is the documented one, that both processes stay
// up, and that a submission stored before is still there, unchanged.
// Later features add their cases to hostileCases.

// rig is what every case works with.
type rig struct {
	c        *cluster
	api      *stack
	lin      string // a verified developer's token
	app      string // and their app
	rejected string // a rejected submission of lin's, for the appeal route
	salt     int
}

// answer is an HTTP answer read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (r *rig) send(t *testing.T, method, path, token, contentType string, body io.Reader, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, r.api.url+path, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header, b}
}

func (r *rig) postJSON(t *testing.T, path, token string, v any) answer {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return r.send(t, "POST", path, token, "application/json", bytes.NewReader(b), nil)
}

// problem checks that an answer is the documented problem+json.
func problem(t *testing.T, a answer, status int, kind string) {
	t.Helper()
	require.Equal(t, status, a.status, "answer: %.300s", a.body)
	require.Equal(t, "application/problem+json", a.header.Get("Content-Type"))
	var p struct{ Type string }
	require.NoError(t, json.Unmarshal(a.body, &p), "%.300s", a.body)
	require.True(t, strings.HasSuffix(p.Type, "/"+kind), "problem type %q, want %s", p.Type, kind)
}

// refusedOrKept checks the answer to an injection: refused with a 4xx
// problem, or accepted; never a server error.
func refusedOrKept(t *testing.T, a answer) {
	t.Helper()
	require.Less(t, a.status, 500, "answer: %.300s", a.body)
	if a.status >= 400 {
		require.Equal(t, "application/problem+json", a.header.Get("Content-Type"), "%d %.300s", a.status, a.body)
	}
	for k, vs := range a.header {
		for _, v := range vs {
			require.NotContains(t, v, "\n", "header %s", k)
		}
	}
	require.Empty(t, a.header.Get("X-Injected"), "no header was injected")
}

// upload sends a package as `trustgate submit` does, with extra fields.
func (r *rig) upload(t *testing.T, pkg []byte, fields map[string]string) answer {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	r.salt++
	all := map[string]string{"app_id": r.app, "version": fmt.Sprintf("7.%d.0", r.salt)}
	for k, v := range fields {
		all[k] = v
	}
	for k, v := range all {
		require.NoError(t, mw.WriteField(k, v))
	}
	part, err := mw.CreateFormFile("package", "app.zip")
	require.NoError(t, err)
	_, err = part.Write(pkg)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return r.send(t, "POST", "/v1/submissions", r.lin, mw.FormDataContentType(), &body, nil)
}

// rejectedWith uploads a package and expects it rejected with a reason
// from the rule family (PKG-, MAN-), never failed.
func (r *rig) rejectedWith(family string, pkg []byte) func(t *testing.T) {
	return func(t *testing.T) {
		a := r.upload(t, pkg, nil)
		require.Equal(t, http.StatusAccepted, a.status, "%.300s", a.body)
		var created struct{ ID string }
		require.NoError(t, json.Unmarshal(a.body, &created))
		sub := r.api.settle(t, r.lin, created.ID)
		require.Equal(t, "rejected", string(sub.State), "a bad package is rejected, never failed: %v", codes(sub))
		found := false
		for _, c := range codes(sub) {
			found = found || strings.HasPrefix(c, family)
		}
		require.True(t, found, "a %s rule names the problem: %v", family, codes(sub))
	}
}

// entry is a file of a hand-made zip.
type entry struct {
	name, body string
	symlink    bool
	store      bool // no compression
}

func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		if e.symlink {
			h.SetMode(0o777 | 1<<27) // os.ModeSymlink
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = io.WriteString(w, e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// miniApp is a valid WeChat app plus extra entries.
func miniApp(extra ...entry) []entry {
	return append([]entry{
		{name: "app.json", body: `{"pages":["pages/index/index"]}`},
		{name: "project.config.json", body: `{"appid":"wx0000000000000000"}`},
		{name: "app.js", body: "App({});"},
		{name: "pages/index/index.js", body: "Page({});"},
		{name: "pages/index/index.wxml", body: "<view>hi</view>"},
	}, extra...)
}

// withManifest is a valid app whose app.json is replaced.
func withManifest(manifest string) []entry {
	es := miniApp()
	es[0].body = manifest
	return es
}

// injections go into every text field of every write route.
var injections = []string{
	`' OR '1'='1'; DROP TABLE submissions; --`,
	`"; SELECT pg_sleep(10); --`,
	`<script>alert(document.cookie)</script><img src=x onerror=alert(1)>`,
	"line\r\nX-Injected: yes",
	`../../../../etc/passwd`,
	`%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
	"nul\x00byte",
	"bad utf-8 \xff\xfe\xfd",
	`{{.}}${7*7}{{7*7}}`,
	strings.Repeat("long ", 20000),
}

func hostileCases(t *testing.T, r *rig) []struct {
	name string
	run  func(t *testing.T)
} {
	type tc = struct {
		name string
		run  func(t *testing.T)
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	many := miniApp()
	for i := 0; i < 6000; i++ {
		many = append(many, entry{name: fmt.Sprintf("e/%d.txt", i), store: true})
	}
	cases := []tc{
		// Hostile archives.
		{"zip with path traversal", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "../../etc/cron.d/x", body: "* * * * * root sh"})...))},
		{"zip with an absolute path", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "/etc/passwd", body: "root:x:0:0"})...))},
		{"zip with a symlink", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "pages/link", body: "/etc/shadow", symlink: true})...))},
		{"zip bomb", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "pages/bomb.js", body: strings.Repeat("\x00", 80<<20)})...))},
		{"zip with too many entries", r.rejectedWith("PKG-", zipOf(t, many...))},
		{"zip inside the zip", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "vendor/inner.zip", body: string(zipOf(t, miniApp()...))})...))},
		{"zip with duplicate names", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "app.js", body: "evil()"})...))},
		{"corrupt zip", r.rejectedWith("PKG-", func() []byte {
			b := zipOf(t, miniApp()...)
			return b[:len(b)/2]
		}())},
		{"random bytes as a zip", r.rejectedWith("PKG-", func() []byte {
			b := make([]byte, 4096)
			_, _ = rand.Read(b)
			return b
		}())},
		// Hostile manifests and sources.
		{"manifest that is not JSON", r.rejectedWith("MAN-", zipOf(t, withManifest(`{"pages": [`)...))},
		{"manifest with wrong types", r.rejectedWith("MAN-", zipOf(t, withManifest(`{"pages": "pages/index/index", "window": 7}`)...))},
		{"manifest nested 100000 deep", r.rejectedWith("MAN-", zipOf(t, withManifest(`{"pages":["pages/index/index"],"x":`+deep+`}`)...))},
		{"manifest with invalid UTF-8", r.rejectedWith("MAN-", zipOf(t, withManifest("{\"pages\":[\"pages/\xff\xfe/index\"]}")...))},
		{"10 MB single-line bundle", r.rejectedWith("PKG-", zipOf(t, miniApp(entry{name: "vendor/bundle.js",
			body: "var a=" + strings.Repeat("1+", 5<<20) + "1;"})...))},

		// Malformed and oversized API bodies.
		{"upload over the size limit is refused before it is read", func(t *testing.T) {
			problem(t, r.upload(t, bytes.Repeat([]byte("z"), 13<<20), nil), http.StatusRequestEntityTooLarge, "too-large")
		}},
		{"upload without a package", func(t *testing.T) {
			problem(t, r.send(t, "POST", "/v1/submissions", r.lin, "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n"), nil),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"upload as JSON", func(t *testing.T) {
			problem(t, r.send(t, "POST", "/v1/submissions", r.lin, "application/json", strings.NewReader(`{"package":"x"}`), nil),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"truncated JSON body", func(t *testing.T) {
			problem(t, r.send(t, "POST", "/v1/apps", r.lin, "application/json", strings.NewReader(`{"name":`), nil),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"JSON body with wrong types", func(t *testing.T) {
			problem(t, r.send(t, "POST", "/v1/apps", r.lin, "application/json", strings.NewReader(`{"name":5,"domains":"x"}`), nil),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"JSON body nested 100000 deep", func(t *testing.T) {
			problem(t, r.send(t, "POST", "/v1/apps", r.lin, "application/json", strings.NewReader(`{"name":`+deep+`}`), nil),
				http.StatusRequestEntityTooLarge, "too-large")
		}},
		{"5 MB JSON body", func(t *testing.T) {
			body := `{"name":"` + strings.Repeat("a", 5<<20) + `"}`
			problem(t, r.send(t, "POST", "/v1/apps", r.lin, "application/json", strings.NewReader(body), nil),
				http.StatusRequestEntityTooLarge, "too-large")
		}},

		// Tokens.
		{"no token", func(t *testing.T) {
			problem(t, r.send(t, "GET", "/v1/submissions", "", "", nil, nil), http.StatusUnauthorized, "unauthorized")
		}},
		{"forged token", func(t *testing.T) {
			problem(t, r.send(t, "GET", "/v1/submissions", store.TokenPrefix+"forged0000000000000000000000", "", nil, nil), http.StatusUnauthorized, "unauthorized")
		}},
		{"real token with one character changed", func(t *testing.T) {
			forged := []byte(r.lin)
			forged[len(forged)-1] ^= 1
			problem(t, r.send(t, "GET", "/v1/submissions", string(forged), "", nil, nil), http.StatusUnauthorized, "unauthorized")
		}},
		{"expired token", func(t *testing.T) {
			past := time.Now().Add(-time.Hour)
			tok, err := r.c.db.Store.CreateToken(context.Background(), store.Token{Role: "reviewer", Subject: "expired", ExpiresAt: &past})
			require.NoError(t, err)
			problem(t, r.send(t, "GET", "/v1/review-tasks", tok, "", nil, nil), http.StatusUnauthorized, "unauthorized")
		}},
		{"token in another scheme", func(t *testing.T) {
			problem(t, r.send(t, "GET", "/v1/submissions", "", "", nil, http.Header{"Authorization": {"Basic " + r.lin}}),
				http.StatusUnauthorized, "unauthorized")
		}},
		{"100 KB token", func(t *testing.T) {
			problem(t, r.send(t, "GET", "/v1/submissions", strings.Repeat("x", 100<<10), "", nil, nil), http.StatusUnauthorized, "unauthorized")
		}},
		{"a developer's token on a reviewer route", func(t *testing.T) {
			problem(t, r.send(t, "GET", "/v1/review-tasks", r.lin, "", nil, nil), http.StatusForbidden, "forbidden")
		}},
		{"NUL in an appeal is refused, not left to fail the workflow", func(t *testing.T) {
			problem(t, r.postJSON(t, "/v1/submissions/"+r.rejected+"/appeal", r.lin, map[string]any{"text": "a\x00b"}),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"NUL in a package's notes", func(t *testing.T) {
			problem(t, r.upload(t, variant(t, "hello-wechat", "nul-notes"), map[string]string{"notes": "a\x00b"}),
				http.StatusUnprocessableEntity, "validation")
		}},
		{"header with CR LF sent raw", func(t *testing.T) {
			u, err := url.Parse(r.api.url)
			require.NoError(t, err)
			conn, err := net.Dial("tcp", u.Host)
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nX-Request-ID: a\rX-Injected: yes\r\n\r\n", r.lin)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "Go's server refuses a bare CR in a header")
		}},
	}

	for i, s := range injections {
		name := fmt.Sprintf("injection %d (%.20q)", i, s)
		cases = append(cases, tc{name, func(t *testing.T) { r.inject(t, s) }})
	}
	return cases
}

// inject puts one hostile string in every text field of every write route
// (and in path and query parameters and headers) as the roles allowed to
// call them: refused with a problem or stored as sent, never a 5xx.
func (r *rig) inject(t *testing.T, s string) {
	senior, identity := r.c.demo.Tokens["senior_reviewer"], r.c.demo.Tokens["identity"]
	reviewer, admin := r.c.demo.Tokens["reviewer"], r.c.demo.Tokens["admin"]
	esc := url.PathEscape(s)

	a := r.postJSON(t, "/v1/apps", r.lin, map[string]any{"name": s, "category": "tools", "platform": "wechat", "domains": []string{"api.example.com"}})
	refusedOrKept(t, a)
	if a.status == http.StatusCreated {
		var created store.App
		require.NoError(t, json.Unmarshal(a.body, &created))
		require.Equal(t, asJSONSeesIt(s), created.Name, "stored as sent (invalid UTF-8 as U+FFFD)")
	}
	for _, body := range []map[string]any{
		{"name": "x", "category": s, "platform": "wechat"},
		{"name": "y", "category": "tools", "platform": s},
		{"name": "z", "category": "tools", "platform": "wechat", "domains": []string{s}},
	} {
		refusedOrKept(t, r.postJSON(t, "/v1/apps", r.lin, body))
	}
	for _, field := range []string{"app_id", "version", "notes"} {
		a := r.upload(t, variant(t, "hello-wechat", fmt.Sprintf("inject-%d-%s", r.salt, field)), map[string]string{field: s})
		refusedOrKept(t, a)
		if a.status == http.StatusAccepted {
			var created struct{ ID string }
			require.NoError(t, json.Unmarshal(a.body, &created))
			var sub struct{ Notes string }
			r.api.call(t, "GET", "/v1/submissions/"+created.ID, r.lin, nil, nil, &sub)
			if field == "notes" {
				require.Equal(t, strings.TrimSpace(s), sub.Notes, "stored as sent")
			}
		}
	}
	refusedOrKept(t, r.postJSON(t, "/v1/submissions/"+r.rejected+"/appeal", r.lin, map[string]any{"text": s}))
	refusedOrKept(t, r.postJSON(t, "/v1/submissions/"+esc+"/withdraw", r.lin, map[string]any{}))
	refusedOrKept(t, r.postJSON(t, "/v1/submissions/"+esc+"/retry", admin, map[string]any{}))
	for _, path := range []string{"claim", "release", "decision"} {
		refusedOrKept(t, r.postJSON(t, "/v1/review-tasks/"+esc+"/"+path, reviewer,
			map[string]any{"outcome": s, "reason_codes": []string{s}, "comment": s}))
	}
	refusedOrKept(t, r.postJSON(t, "/v1/apps/"+r.app+"/suspend", senior, map[string]any{"reason_codes": []string{s}, "comment": s}))
	refusedOrKept(t, r.postJSON(t, "/v1/apps/"+esc+"/appeal", r.lin, map[string]any{"text": s}))
	refusedOrKept(t, r.postJSON(t, "/v1/webhooks", r.lin, map[string]any{"url": s, "events": []string{s}}))
	refusedOrKept(t, r.postJSON(t, "/v1/webhooks", r.lin, map[string]any{"url": "https://hooks.example.com/" + esc, "events": []string{s}}))
	refusedOrKept(t, r.send(t, "PATCH", "/v1/developers/"+esc, identity, "application/json",
		strings.NewReader(fmt.Sprintf(`{"kind":%q,"qualifications":[%q]}`, s, s)), nil))
	for _, path := range []string{
		"/v1/submissions/" + esc, "/v1/submissions/" + esc + "/findings", "/v1/apps/" + esc + "/events",
		"/v1/submissions?state=" + url.QueryEscape(s) + "&app_id=" + url.QueryEscape(s) + "&cursor=" + url.QueryEscape(s),
		"/v1/submissions/" + r.rejected + "/findings?severity=" + url.QueryEscape(s) + "&rule=" + url.QueryEscape(s),
	} {
		refusedOrKept(t, r.send(t, "GET", path, r.lin, "", nil, nil))
	}
	refusedOrKept(t, r.send(t, "GET", "/v1/audit?actor="+url.QueryEscape(s)+"&action="+url.QueryEscape(s), admin, "", nil, nil))
	if !strings.ContainsAny(s, "\r\n\x00") { // the client itself refuses those in headers
		refusedOrKept(t, r.send(t, "GET", "/v1/me", r.lin, "", nil, http.Header{"X-Request-Id": {s}, "Accept-Language": {s}}))
	}
}

// asJSONSeesIt is a string after a trip through JSON, which replaces each
// byte of invalid UTF-8 with U+FFFD.
func asJSONSeesIt(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

func TestHostileInputCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole corpus against processes")
	}
	t.Parallel()
	c := startCluster(t, "TRUSTGATE_MAX_PACKAGE_BYTES=12582912")
	api := c.startAPI()
	c.startWorker()
	r := &rig{c: c, api: api, lin: c.demo.Tokens["lin-verified"], app: api.appOf("lin-verified")}

	// What is stored before the corpus runs must be there, unchanged, after
	// every case.
	resp, created := api.upload(t, r.lin, r.app, "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	kept := created["id"].(string)
	api.settle(t, r.lin, kept)
	resp, created = api.upload(t, r.lin, r.app, "1.0.1", examplePackage(t, "missing-page"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	r.rejected = created["id"].(string)
	require.Equal(t, "rejected", string(api.settle(t, r.lin, r.rejected).State))
	snapshot := func(t *testing.T) string {
		a := r.send(t, "GET", "/v1/submissions/"+kept, r.lin, "", nil, nil)
		require.Equal(t, http.StatusOK, a.status)
		f := r.send(t, "GET", "/v1/submissions/"+kept+"/findings", r.lin, "", nil, nil)
		require.Equal(t, http.StatusOK, f.status)
		return string(a.body) + "\n" + string(f.body)
	}
	before := snapshot(t)

	for _, tc := range hostileCases(t, r) {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t)
			require.Equal(t, http.StatusOK, r.send(t, "GET", "/healthz", "", "", nil, nil).status, "the API is up")
			for _, p := range c.procs {
				require.True(t, p.running(), "%s is still running", p.name)
			}
			require.Equal(t, before, snapshot(t), "what was stored before is intact")
		})
	}
}
