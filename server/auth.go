package server

import (
	"errors"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"trustgate/internal/store"
)

// The roles a token can carry.
const (
	RoleDeveloper      = "developer"
	RoleReviewer       = "reviewer"
	RoleSeniorReviewer = "senior_reviewer"
	RoleCompliance     = "compliance"
	RoleIdentity       = "identity"
	RoleAdmin          = "admin"
)

// Roles lists every role.
var Roles = []string{RoleDeveloper, RoleReviewer, RoleSeniorReviewer, RoleCompliance, RoleIdentity, RoleAdmin}

// staff may read every submission; a developer only their own.
var staff = []string{RoleReviewer, RoleSeniorReviewer, RoleCompliance, RoleAdmin}

const (
	callerKey    = "trustgate.caller"
	requestIDKey = "trustgate.request_id"
)

// caller is the authenticated token of a request.
func caller(c *gin.Context) store.Token {
	return c.MustGet(callerKey).(store.Token)
}

// authenticate resolves the bearer token (through the short-lived cache)
// and checks the route's roles.
func authenticate(tokens *tokenCache, roles []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || secret == "" {
			c.Header("WWW-Authenticate", `Bearer realm="trustgate"`)
			fail(c, problemErr("unauthorized", "send Authorization: Bearer <token>"))
			return
		}
		tok, err := tokens.resolve(c.Request.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrNotFound) {
			c.Header("WWW-Authenticate", `Bearer realm="trustgate", error="invalid_token"`)
			fail(c, problemErr("unauthorized", "the token is unknown, revoked or expired"))
			return
		}
		if err != nil {
			fail(c, err)
			return
		}
		if !slices.Contains(roles, tok.Role) {
			fail(c, problemErr("forbidden", "the "+tok.Role+" role may not do this"))
			return
		}
		c.Set(callerKey, tok)
		c.Next()
	}
}

// canSee reports whether the caller may read a developer's object.
func canSee(tok store.Token, developerID string) bool {
	if tok.Role == RoleDeveloper {
		return tok.DeveloperID != nil && *tok.DeveloperID == developerID
	}
	return slices.Contains(staff, tok.Role)
}
