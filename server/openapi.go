package server

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the API's description, kept true by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.yaml
var openAPI []byte

func (s *Server) openAPIDocument(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPI)
}
