package server

import (
	"embed"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed console
var consoleFS embed.FS

var consoleTemplates = template.Must(template.ParseFS(consoleFS, "console/*.html"))

// console serves the web console. For now it is the home page that tells
// each audience where to start; the pages behind it grow with the API.
func (s *Server) console(r *gin.Engine) {
	r.GET("/", func(c *gin.Context) {
		c.Header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := consoleTemplates.ExecuteTemplate(c.Writer, "home.html", gin.H{"TemporalUI": s.TemporalUIURL}); err != nil {
			_ = c.Error(err)
		}
	})
}
