package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
)

// maxJSONBody bounds every JSON request body before it is read.
const maxJSONBody = 64 << 10

type createAppRequest struct {
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Platform string   `json:"platform"`
	Domains  []string `json:"domains"`
}

var (
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)
	// A registered domain is a host name, lower case, no scheme or path;
	// a leading "*." registers every sub-domain.
	domainPattern = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

func (r createAppRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "" || len(r.Name) > 100:
		return invalid("name", "must be 1 to 100 characters")
	case !categoryPattern.MatchString(r.Category):
		return invalid("category", "must be a lower-case word such as tools, finance or lending")
	case r.Platform != "wechat" && r.Platform != "alipay":
		return invalid("platform", "must be wechat or alipay")
	case len(r.Domains) > 100:
		return invalid("domains", "at most 100 domains")
	}
	for _, d := range r.Domains {
		if !domainPattern.MatchString(d) {
			return invalid("domains", "not a host name: "+d)
		}
	}
	return nil
}

func (s *Server) createApp(c *gin.Context) {
	var req createAppRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := req.validate(); err != nil {
		fail(c, err)
		return
	}
	app, err := s.Store.CreateApp(c.Request.Context(), store.App{
		DeveloperID: *caller(c).DeveloperID, Name: strings.TrimSpace(req.Name),
		Category: req.Category, Platform: req.Platform, Domains: req.Domains,
	})
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "app.create", app.ID, nil, app)
	c.Header("Location", "/v1/apps/"+app.ID)
	c.JSON(http.StatusCreated, answerApp(app))
}

func (s *Server) listApps(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	apps, err := s.Store.ListApps(c.Request.Context(), *caller(c).DeveloperID, after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(answerAll(apps, answerApp), limit, func(a appAnswer) string { return a.ID }))
}

// bindJSON decodes a bounded JSON body, refusing unknown fields so that a
// client writing a field it may not write hears about it, and NUL
// characters, which PostgreSQL cannot store: refused here, they never reach
// a workflow whose writes would fail on every retry.
func bindJSON(c *gin.Context, dst any) error {
	if c.Request.ContentLength > maxJSONBody {
		return problemErr("too-large", "request body over 64 KiB")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return problemErr("too-large", "request body over 64 KiB")
		}
		return uploadError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return invalid("body", "not valid JSON for this request: "+err.Error())
	}
	if bytes.Contains(raw, []byte(`\u0000`)) && holdsNUL(raw) {
		return invalid("body", "text may not contain NUL characters")
	}
	return nil
}

// holdsNUL reports whether any string of a JSON document holds a NUL.
func holdsNUL(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, 0)
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range v {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

type meResponse struct {
	Role      string           `json:"role"`
	Subject   string           `json:"subject"`
	Developer *developerAnswer `json:"developer,omitempty"`
}

func (s *Server) me(c *gin.Context) {
	tok := caller(c)
	resp := meResponse{Role: tok.Role, Subject: tok.Subject}
	if tok.DeveloperID != nil {
		d, err := s.Store.GetDeveloper(c.Request.Context(), *tok.DeveloperID)
		if err != nil {
			fail(c, err)
			return
		}
		ans := answerDeveloper(d)
		resp.Developer = &ans
	}
	c.JSON(http.StatusOK, resp)
}
