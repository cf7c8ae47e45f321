package server

import (
	"context"
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

type sessionKey struct{}

// AsSession marks an in-process request as made by the token with this
// hash: the console calls the API this way for a signed-in session, so its
// pages pass the same role checks, ownership checks and workflow Updates as
// the API. A context cannot be set from the network, so no outside request
// can claim a session this way.
func AsSession(ctx context.Context, tokenHash []byte) context.Context {
	return context.WithValue(ctx, sessionKey{}, tokenHash)
}

// authenticate resolves the bearer token (through the short-lived cache)
// or the console's session (looked up every time: signing out or revoking
// ends it at once) and checks the route's roles.
func authenticate(st *store.Store, tokens *tokenCache, roles []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if hash, ok := c.Request.Context().Value(sessionKey{}).([]byte); ok {
			tok, err := st.LookupTokenHash(c.Request.Context(), hash)
			admit(c, tok, err, roles)
			return
		}
		h := c.GetHeader("Authorization")
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || secret == "" {
			c.Header("WWW-Authenticate", `Bearer realm="trustgate"`)
			fail(c, problemErr("unauthorized", "send Authorization: Bearer <token>"))
			return
		}
		tok, err := tokens.resolve(c.Request.Context(), strings.TrimSpace(secret))
		admit(c, tok, err, roles)
	}
}

// admit lets a looked-up token through when it holds one of the roles.
func admit(c *gin.Context, tok store.Token, err error, roles []string) {
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

// canSee reports whether the caller may read a developer's object.
func canSee(tok store.Token, developerID string) bool {
	if tok.Role == RoleDeveloper {
		return tok.DeveloperID != nil && *tok.DeveloperID == developerID
	}
	return slices.Contains(staff, tok.Role)
}
