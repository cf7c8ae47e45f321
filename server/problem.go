package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"

	"trustgate/internal/store"
)

// Problem is an RFC 9457 problem document. Type is stable per kind of error:
// clients switch on it, never on Title or Detail.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names the field a validation error is about.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError is an error that already knows its answer.
type apiError struct {
	status int
	kind   string
	detail string
	fields []FieldError
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: %s", e.kind, e.detail) }

// The kinds of error, each with its status and title.
var kinds = map[string]struct {
	status int
	title  string
}{
	"unauthorized":           {http.StatusUnauthorized, "Missing or invalid token"},
	"forbidden":              {http.StatusForbidden, "Not allowed"},
	"conflict-of-interest":   {http.StatusForbidden, "Conflict of interest with the developer's organisation"},
	"not-found":              {http.StatusNotFound, "Not found"},
	"conflict":               {http.StatusConflict, "Conflict with the current state"},
	"precondition-failed":    {http.StatusPreconditionFailed, "The object changed since it was read"},
	"method-not-allowed":     {http.StatusMethodNotAllowed, "Method not allowed"},
	"too-large":              {http.StatusRequestEntityTooLarge, "Request too large"},
	"body-timeout":           {http.StatusRequestTimeout, "The request body stopped arriving"},
	"over-quota":             {http.StatusTooManyRequests, "Over quota"},
	"in-flight":              {http.StatusConflict, "The same package is already being decided"},
	"validation":             {http.StatusUnprocessableEntity, "Invalid request"},
	"idempotency-key-reused": {http.StatusUnprocessableEntity, "Idempotency key reused for a different request"},
	"unavailable":            {http.StatusServiceUnavailable, "Service unavailable"},
	// The rules of the policy and waiver lifecycle, each its own type.
	"four-eyes":                   {http.StatusForbidden, "Someone else must approve this"},
	"not-a-draft":                 {http.StatusConflict, "Only a draft can be changed or approved"},
	"not-tested":                  {http.StatusConflict, "The draft has no passing test run of its content"},
	"not-simulated":               {http.StatusConflict, "The draft has no simulation of its content"},
	"not-approved":                {http.StatusConflict, "The version has not been approved"},
	"already-active":              {http.StatusConflict, "The version is already active"},
	"stale-draft":                 {http.StatusPreconditionFailed, "The draft changed since you read it"},
	"if-match-required":           {http.StatusPreconditionRequired, "Send If-Match with the draft's hash"},
	"invalid-policy":              {http.StatusUnprocessableEntity, "The policy does not compile"},
	"evaluators-differ":           {http.StatusUnprocessableEntity, "The plan machine and OPA's evaluator decide differently"},
	"unknown-app":                 {http.StatusUnprocessableEntity, "No such app"},
	"invalid-privacy-declaration": {http.StatusUnprocessableEntity, "The privacy declaration is not valid"},
	"waiver-approved":             {http.StatusConflict, "The waiver is approved already"},
	"waiver-expired":              {http.StatusConflict, "The waiver has expired"},
	"too-many-webhooks":           {http.StatusConflict, "Too many webhook endpoints"},
	"internal":                    {http.StatusInternalServerError, "Internal error"},
}

func problemErr(kind, detail string) *apiError {
	return &apiError{status: kinds[kind].status, kind: kind, detail: detail}
}

func invalid(field, msg string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, kind: "validation",
		detail: field + ": " + msg, fields: []FieldError{{Field: field, Message: msg}}}
}

// fail answers with the problem document for err. It is the one place that
// maps errors to answers; handlers never write error JSON themselves.
func fail(c *gin.Context, err error) {
	var ae *apiError
	var appErr *temporal.ApplicationError
	var inFlight *store.InFlightError
	var quota *store.QuotaError
	var refusal *store.Refusal
	textRefusal, _ := store.RefusedText(err)
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &refusal):
		ae = refusalProblem(refusal)
	case errors.As(err, &inFlight):
		ae = problemErr("in-flight", inFlight.Error())
		c.Header("Location", "/v1/submissions/"+inFlight.First)
	case errors.As(err, &quota):
		ae = problemErr("over-quota", quota.Error()+"; try again later")
		c.Header("Retry-After", strconv.Itoa(max(1, int(quota.RetryAfter.Seconds()+0.5))))
	case errors.Is(err, store.ErrNotFound):
		ae = problemErr("not-found", "no such object, or not yours")
	case errors.Is(err, store.ErrPrecondition):
		ae = problemErr("precondition-failed", "If-Match does not name the current version; read it again (its ETag) and retry")
	case errors.Is(err, store.ErrConflict):
		ae = problemErr("conflict", err.Error())
	case errors.Is(err, store.ErrKeyReused):
		ae = problemErr("idempotency-key-reused", "this Idempotency-Key was used for a different request in the last 24 hours")
	case errors.As(err, &appErr) && appErr.Type() == "NotAllowed":
		ae = problemErr("forbidden", appErr.Message())
	case errors.As(err, &appErr) && appErr.Type() == "BadDecision":
		ae = problemErr("validation", appErr.Message())
	case errors.As(err, &appErr) && appErr.Type() == "Decided":
		ae = problemErr("conflict", appErr.Message())
	case textRefusal != nil:
		ae = problemErr("validation", textRefusal.Msg)
	case store.IsUnavailable(err):
		ae = problemErr("unavailable", "a service we depend on is unreachable; retry shortly")
	case errors.Is(err, context.DeadlineExceeded):
		ae = problemErr("unavailable", "a dependency did not answer in time; retry later")
	default:
		slog.ErrorContext(c.Request.Context(), "request failed", "error", err, "path", c.FullPath(),
			"request_id", c.GetString(requestIDKey))
		ae = problemErr("internal", "something went wrong on our side; the request ID names it in our logs")
	}
	if ae.status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(ae.status, Problem{
		Type: "/problems/" + ae.kind, Title: kinds[ae.kind].title, Status: ae.status,
		Detail: ae.detail, Instance: c.Request.URL.Path, Errors: ae.fields,
	})
}

// refusalProblem answers a lifecycle rule's refusal with the rule as its
// type: 403 for who asked, 409 for the state, 422 for the content, 412 for a
// stale precondition.
func refusalProblem(r *store.Refusal) *apiError {
	if k, ok := kinds[r.Rule]; ok {
		return &apiError{status: k.status, kind: r.Rule, detail: r.Msg}
	}
	kind := map[store.RefusalKind]string{store.RefusedWho: "forbidden", store.RefusedState: "conflict",
		store.RefusedContent: "validation", store.RefusedStale: "stale-draft"}[r.Kind]
	if kind == "" {
		kind = "conflict"
	}
	return &apiError{status: kinds[kind].status, kind: kind, detail: r.Error()}
}
