package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"trustgate/policies"
)

func (s *Server) knownReasonCode(code string) bool { return policies.ReviewerMayGive(code) }

// reasonCodes is the catalogue of reason codes in the caller's language.
func (s *Server) reasonCodes(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": policies.Catalogue(c.GetHeader("Accept-Language"))})
}

// localized rewrites stored reasons into the caller's language; reasons
// that do not decode are shown as stored.
func localized(raw json.RawMessage, acceptLanguage string) json.RawMessage {
	var reasons []policies.Reason
	if err := json.Unmarshal(raw, &reasons); err != nil {
		return raw
	}
	out, err := json.Marshal(policies.Localize(reasons, acceptLanguage))
	if err != nil {
		return raw
	}
	return out
}
