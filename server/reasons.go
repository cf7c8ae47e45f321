package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// checkReasonCodes admits at most 20 codes a reviewer may give, from the
// catalogue.
func checkReasonCodes(codes []string) error {
	if len(codes) > 20 {
		return invalid("reason_codes", "at most 20 codes")
	}
	for _, code := range codes {
		if !policies.ReviewerMayGive(code) {
			return invalid("reason_codes", "not a code of the catalogue (GET /v1/reason-codes): "+code)
		}
	}
	return nil
}

// reasonCodes is the catalogue of reason codes in the caller's language.
func (s *Server) reasonCodes(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": policies.Catalogue(c.GetHeader("Accept-Language"))})
}

// shownReasons is a submission's stored reasons as the caller sees them:
// in their language, and to a developer with reviewers by role, not name.
func shownReasons(c *gin.Context, raw json.RawMessage) json.RawMessage {
	raw = localized(raw, c.GetHeader("Accept-Language"))
	if caller(c).Role == RoleDeveloper {
		raw = submission.ForDeveloper(raw)
	}
	return raw
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
