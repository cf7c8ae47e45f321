// Package console is trustgate's web console: server-rendered pages for
// developers, reviewers, compliance and operators. It holds no rules of its
// own. Every page reads and acts through the /v1 API in-process, as the
// signed-in token (server.AsSession), so who may see or do what is decided
// in one place, the API's route table and its ownership checks.
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
)

//go:embed templates static
var assets embed.FS

// Config is what the console needs besides the API.
type Config struct {
	// Key signs session cookies and CSRF tokens; every copy of the server
	// must share it. Empty: a random key, so sessions end with the process.
	Key []byte
	// Dev serves cookies without the Secure flag (plain http on localhost).
	Dev bool
	// Blobs holds the packages the file browser opens.
	Blobs *blob.Bucket
	// MaxPackageBytes bounds uploads and the packages the file browser reads.
	MaxPackageBytes int64
}

// Console serves the pages; New wires it in front of the API.
type Console struct {
	cfg   Config
	key   []byte
	api   http.Handler
	pages map[string]*template.Template
}

// New returns a handler that serves the console's pages and passes every
// other request (/v1, /healthz, ...) to api.
func New(api http.Handler, cfg Config) http.Handler {
	c := &Console{cfg: cfg, key: cfg.Key, api: api, pages: parsePages()}
	if len(c.key) == 0 {
		c.key = randomKey()
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "max-age=300")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /{$}", c.page(c.home))
	mux.HandleFunc("POST /signin", c.signIn)
	mux.HandleFunc("POST /signout", c.action(c.signOut))
	mux.HandleFunc("GET /lang/{lang}", c.switchLanguage)
	mux.HandleFunc("POST /apps", c.action(c.createApp))
	mux.HandleFunc("POST /submissions", c.upload)
	mux.HandleFunc("GET /submissions/{id}", c.page(c.submissionPage))
	mux.HandleFunc("GET /submissions/{id}/files", c.page(c.filesPage))
	mux.HandleFunc("POST /submissions/{id}/withdraw", c.action(c.withdraw))
	mux.HandleFunc("POST /submissions/{id}/appeal", c.action(c.appeal))
	mux.HandleFunc("POST /submissions/{id}/retry", c.action(c.retry))
	mux.HandleFunc("GET /review", c.page(c.queuePage))
	mux.HandleFunc("POST /review/{task}/claim", c.action(c.claim))
	mux.HandleFunc("POST /review/{task}/release", c.action(c.release))
	mux.HandleFunc("POST /review/{task}/decision", c.action(c.decide))
	mux.HandleFunc("GET /operations", c.page(c.operationsPage))
	mux.HandleFunc("GET /audit", c.page(c.auditPage))
	mux.HandleFunc("GET /policies", c.page(c.policiesPage))
	mux.HandleFunc("POST /policies", c.actionOn(c.policiesPage, c.createDraft))
	mux.HandleFunc("GET /policies/{id}", c.page(c.policyPage))
	mux.HandleFunc("POST /policies/{id}/files", c.saveFile)
	mux.HandleFunc("POST /policies/{id}/validate", c.actionOn(c.policyPage, c.validatePolicy))
	mux.HandleFunc("POST /policies/{id}/test", c.actionOn(c.policyPage, c.testPolicy))
	mux.HandleFunc("POST /policies/{id}/simulate", c.actionOn(c.policyPage, c.simulatePolicy))
	mux.HandleFunc("POST /policies/{id}/approve", c.actionOn(c.policyPage, c.approvePolicy))
	mux.HandleFunc("POST /policies/{id}/activate", c.actionOn(c.policiesPage, c.activatePolicy))
	mux.HandleFunc("GET /waivers", c.page(c.waiversPage))
	mux.HandleFunc("POST /waivers", c.actionOn(c.waiversPage, c.grantWaiver))
	mux.HandleFunc("POST /waivers/{id}/approve", c.actionOn(c.waiversPage, c.approveWaiver))
	mux.Handle("/", api)
	return mux
}

func parsePages() map[string]*template.Template {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		pages[strings.TrimSuffix(base, ".html")] = template.Must(
			template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n))
	}
	return pages
}

// securityHeaders go on every page: no inline script can run even if
// something hostile slips into the HTML, and nothing is sniffed or framed.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// view is what every template gets.
type view struct {
	L        lang
	Me       *me
	CSRF     string
	Path     string
	Title    string
	Error    string
	Data     any
	SignInCS string
	// Refresh reloads the page every two seconds, for a job still running:
	// by console.js, or by a meta refresh where script is off (headless
	// Chromium does not follow one). The delay is written in the template,
	// as html/template filters a computed meta content.
	Refresh bool
}

// render writes a page; a template error after the first byte cannot
// change the status any more, so pages render into a buffer first.
func (c *Console) render(w http.ResponseWriter, status int, name string, v view) {
	securityHeaders(w)
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, v); err != nil {
		slog.Error("console: render", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

var funcs = template.FuncMap{
	"when":  when,
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"deref": deref,
	"strs":  func(v ...string) []string { return v },
	"dict":  dict,
	"pct":   func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
}

// when shows a time (or an API's RFC 3339 text) in UTC, to the minute.
func when(t any) string {
	const layout = "2006-01-02 15:04 UTC"
	switch v := t.(type) {
	case time.Time:
		return v.UTC().Format(layout)
	case *time.Time:
		if v != nil {
			return v.UTC().Format(layout)
		}
	case string:
		if p, err := time.Parse(time.RFC3339, v); err == nil {
			return p.UTC().Format(layout)
		}
		return v
	case *string:
		if v != nil {
			return when(*v)
		}
	}
	return ""
}

// dict passes several values to a sub-template: dict "k1" v1 "k2" v2.
func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
