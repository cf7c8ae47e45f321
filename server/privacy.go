package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"trustgate/scan"
)

// privacyAnswer is what a submission holds about personal data: the
// declaration and policy text it was sent with (null and "" when none),
// and the flows its scan found (null before the scan), each with whether
// it leaves the device and whether its endpoint is registered for the app.
type privacyAnswer struct {
	Declaration json.RawMessage `json:"declaration"`
	PolicyText  string          `json:"policy_text"`
	Flows       json.RawMessage `json:"flows"`
}

// submissionPrivacy answers GET /v1/submissions/:id/privacy for whoever may
// read the submission.
func (s *Server) submissionPrivacy(c *gin.Context) {
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	p, err := s.Store.GetSubmissionPrivacy(c.Request.Context(), sub.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, privacyAnswer{Declaration: rawOrNull(p.Declaration), PolicyText: p.PolicyText, Flows: rawOrNull(p.Flows)})
}

func rawOrNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// readPrivacyPart reads the optional parts about personal data: the
// privacy declaration (JSON, checked here so that a bad one is refused
// before anything is stored) and the privacy policy text. Both are
// bounded before they are read.
func readPrivacyPart(part *multipart.Part, up *upload) error {
	name := part.FormName()
	limit := int64(scan.MaxPrivacyPolicyBytes)
	if name == "privacy" {
		limit = scan.MaxPrivacyDeclarationBytes
	}
	b, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return uploadError(err)
	}
	if int64(len(b)) > limit {
		return problemErr("too-large", fmt.Sprintf("%s: at most %d bytes", name, limit))
	}
	switch name {
	case "privacy":
		if up.privacy != nil {
			return invalid(name, "send one privacy declaration")
		}
		if _, err := scan.ParsePrivacyDeclaration(b); err != nil {
			return declarationProblem(err)
		}
		up.privacy = b
	case "privacy_policy":
		if up.privacyPolicy != "" {
			return invalid(name, "send one privacy policy")
		}
		text := strings.TrimSpace(string(b))
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			return invalid(name, "UTF-8 text without NUL characters")
		}
		up.privacyPolicy = text
	}
	return nil
}

// declarationProblem answers a refused declaration with its own problem
// type, naming the offending value by its JSON Pointer within the part
// ("privacy/items/2/kind"), so that a client can point at it.
func declarationProblem(err error) error {
	var de *scan.DeclarationError
	if !errors.As(err, &de) {
		return invalid("privacy", err.Error())
	}
	field := "privacy" + de.Pointer
	return &apiError{status: kinds["invalid-privacy-declaration"].status, kind: "invalid-privacy-declaration",
		detail: de.Error(), fields: []FieldError{{Field: field, Message: de.Reason}}}
}

// privacyHash is what the parts about personal data add to an upload's
// request hash, so that a retry under the same idempotency key with
// another declaration is told apart; "" when there are none, so that the
// hash of an upload without them is what it always was.
func privacyHash(up *upload) string {
	if up.privacy == nil && up.privacyPolicy == "" {
		return ""
	}
	h := sha256.New()
	h.Write(up.privacy)
	h.Write([]byte{0})
	h.Write([]byte(up.privacyPolicy))
	return "\nprivacy:" + hex.EncodeToString(h.Sum(nil))
}
