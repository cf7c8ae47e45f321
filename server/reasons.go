package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// reviewerCodes are the reasons a reviewer can give.
var reviewerCodes = map[string][2]string{
	"CONTENT_MISLEADING":    {"The app's content or description misleads users.", "Describe what the app does accurately and remove misleading claims."},
	"FUNCTION_INCOMPLETE":   {"The app does not work as a finished product.", "Finish the features that are shown to users, then upload again."},
	"PRIVACY_UNDISCLOSED":   {"The app collects personal data without saying so.", "Declare every personal data use in the privacy settings and ask for consent."},
	"QUALIFICATION_MISSING": {"The app's category needs a qualification the developer lacks.", "Upload the qualification for this category, or choose another category."},
	"POLICY_VIOLATION":      {"The app breaks the platform's rules.", "Read the reviewer's comment, fix what it names and upload again."},
}

func (s *Server) knownReasonCode(code string) bool {
	_, ok := reviewerCodes[code]
	return ok
}

func (s *Server) reasonCodes(c *gin.Context) {
	items := []gin.H{}
	for code, t := range reviewerCodes {
		items = append(items, gin.H{"code": code, "message": t[0], "remediation": t[1]})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}
