// Package server is trustgate's HTTP face: the /v1 JSON API with its
// authentication and error mapping, health and metrics endpoints, and the
// in-process entry the web console (package console) calls it through.
// Handlers are thin: bind, check, call one function, render.
package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"gocloud.dev/blob"

	"trustgate/internal/linkkey"
	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/policies"
	"trustgate/workflows"
)

// Server holds what the handlers need.
type Server struct {
	Store           *store.Store
	Temporal        client.Client
	Blobs           *blob.Bucket
	TaskQueue       string
	TemporalUIURL   string
	Namespace       string
	MaxPackageBytes int64
	DailyQuota      int // submissions per developer in any 24 hours; 0: none
	// WebhookAllowLoopback admits http:// endpoints on loopback (dev only).
	WebhookAllowLoopback bool
	// WebhookMaxEndpoints is how many endpoints a developer may register;
	// 0 is webhooks.DefaultMaxEndpoints.
	WebhookMaxEndpoints int
	// LinkKey hashes developers' identity details (internal/linkkey).
	LinkKey linkkey.Key
	// Engines finds the compiled bundle that made a recorded decision.
	Engines interface {
		Lookup(hash string) *policies.Engine
	}
	// Evaluators gives the two evaluators a bundle is compared on before
	// it is validated or activated; nil takes the engine's own (the plan
	// machine and OPA's evaluator). Tests swap one to make them disagree.
	Evaluators func(*policies.Engine) (policies.Evaluators, bool)
	// Review is the review process's clocks and rates, given to every
	// submission workflow this server starts.
	Review workflows.ReviewConfig
	// Rendered keeps the answers rendered from Details between changes;
	// nil renders every answer.
	Rendered *RenderCache
	// Details answers GET /v1/submissions/{id} from memory between changes
	// (a listening store.DetailCache); nil reads the database every time.
	Details *store.DetailCache
}

// route is one entry of the route table: who may call what. Routes with no
// roles are public.
type route struct {
	method, path string
	roles        []string
	handle       func(*Server, *gin.Context)
}

var (
	everyone  = Roles
	reviewers = []string{RoleReviewer, RoleSeniorReviewer}
	// Compliance owns the policy and waivers; admins may read them.
	compliance    = []string{RoleCompliance}
	policyReaders = []string{RoleCompliance, RoleAdmin}
)

// routes is the one table of every route and the roles it admits; the
// router is built from it and the authorization test walks it.
var routes = []route{
	{"GET", "/healthz", nil, (*Server).healthz},
	{"GET", "/readyz", nil, (*Server).readyz},
	{"GET", "/openapi.yaml", nil, (*Server).openAPIDocument},
	// Prometheus scrapes the private metrics port (TRUSTGATE_METRICS_ADDR);
	// on the API port the metrics are an admin's, as they tell outsiders
	// the platform's volumes and queues.
	{"GET", "/metrics", []string{RoleAdmin}, (*Server).metrics},
	{"GET", "/v1/me", everyone, (*Server).me},
	{"POST", "/v1/apps", []string{RoleDeveloper}, (*Server).createApp},
	{"GET", "/v1/apps", []string{RoleDeveloper}, (*Server).listApps},
	{"POST", "/v1/submissions", []string{RoleDeveloper}, (*Server).createSubmission},
	{"GET", "/v1/submissions", append([]string{RoleDeveloper}, staff...), (*Server).listSubmissions},
	{"GET", "/v1/submissions/:id", append([]string{RoleDeveloper}, staff...), (*Server).getSubmission},
	{"POST", "/v1/submissions/:id/withdraw", []string{RoleDeveloper}, (*Server).withdraw},
	{"POST", "/v1/submissions/:id/retry", []string{RoleAdmin}, (*Server).retrySubmission},
	{"POST", "/v1/submissions/:id/appeal", []string{RoleDeveloper}, (*Server).appeal},
	{"GET", "/v1/submissions/:id/findings", append([]string{RoleDeveloper}, staff...), (*Server).listFindings},
	{"GET", "/v1/submissions/:id/privacy", append([]string{RoleDeveloper}, staff...), (*Server).submissionPrivacy},
	{"GET", "/v1/review-tasks", reviewers, (*Server).listTasks},
	{"POST", "/v1/review-tasks/:id/claim", reviewers, (*Server).claimTask},
	{"POST", "/v1/review-tasks/:id/release", reviewers, (*Server).releaseTask},
	{"POST", "/v1/review-tasks/:id/decision", reviewers, (*Server).decideTask},
	{"GET", "/v1/reason-codes", everyone, (*Server).reasonCodes},
	{"GET", "/v1/submissions/:id/evaluation", staff, (*Server).evaluations},
	{"GET", "/v1/submissions/:id/related", staff, (*Server).submissionRelated},
	{"GET", "/v1/developers/:id/related", staff, (*Server).developerRelated},
	{"POST", "/v1/submissions/:id/evaluation/replay", staff, (*Server).replayEvaluation},
	{"PATCH", "/v1/developers/:id", []string{RoleIdentity, RoleAdmin}, (*Server).updateStanding},
	{"GET", "/v1/apps/:id/events", append([]string{RoleDeveloper}, staff...), (*Server).appEvents},
	{"POST", "/v1/apps/:id/suspend", []string{RoleSeniorReviewer}, (*Server).suspendApp},
	{"POST", "/v1/apps/:id/appeal", []string{RoleDeveloper}, (*Server).appealSuspension},
	{"GET", "/v1/audit", []string{RoleCompliance, RoleAdmin}, (*Server).searchAudit},
	{"POST", "/v1/webhooks", []string{RoleDeveloper}, (*Server).createWebhook},
	{"GET", "/v1/webhooks", []string{RoleDeveloper}, (*Server).listWebhooks},
	{"DELETE", "/v1/webhooks/:id", []string{RoleDeveloper}, (*Server).deleteWebhook},
	{"GET", "/v1/webhooks/:id/deliveries", []string{RoleDeveloper}, (*Server).webhookDeliveries},
	{"POST", "/v1/webhook-deliveries/:id/redeliver", []string{RoleDeveloper}, (*Server).redeliver},
	{"GET", "/v1/policies", policyReaders, (*Server).listPolicies},
	{"GET", "/v1/policies/active", policyReaders, (*Server).activePolicy},
	{"POST", "/v1/policies", compliance, (*Server).createPolicy},
	{"GET", "/v1/policies/:id", policyReaders, (*Server).getPolicy},
	{"PUT", "/v1/policies/:id/files/*path", compliance, (*Server).putPolicyFile},
	{"POST", "/v1/policies/:id/validate", compliance, (*Server).validatePolicy},
	{"POST", "/v1/policies/:id/test", compliance, (*Server).testPolicy},
	{"POST", "/v1/policies/:id/simulate", compliance, (*Server).simulatePolicy},
	{"GET", "/v1/policies/:id/simulations/:sim", policyReaders, (*Server).getSimulation},
	{"POST", "/v1/policies/:id/approve", compliance, (*Server).approvePolicy},
	{"POST", "/v1/policies/:id/activate", compliance, (*Server).activatePolicy},
	{"POST", "/v1/waivers", compliance, (*Server).createWaiver},
	{"GET", "/v1/waivers", policyReaders, (*Server).listWaivers},
	{"POST", "/v1/waivers/:id/approve", compliance, (*Server).approveWaiver},
}

// Handler builds the router from the route table.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), requestID(), accessLog())
	r.NoRoute(func(c *gin.Context) { fail(c, problemErr("not-found", "no such route")) })
	r.HandleMethodNotAllowed = true
	r.NoMethod(func(c *gin.Context) {
		fail(c, problemErr("method-not-allowed", "this route does not take "+c.Request.Method))
	})
	tokens := newTokenCache(s.Store.LookupToken)
	for _, rt := range routes {
		h := rt.handle
		handlers := []gin.HandlerFunc{}
		if rt.roles != nil {
			handlers = append(handlers, authenticate(s.Store, tokens, rt.roles))
		}
		handlers = append(handlers, func(c *gin.Context) { h(s, c) })
		r.Handle(rt.method, rt.path, handlers...)
	}
	return r
}

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if id == "" || len(id) > 64 {
			id = store.NewSecret(8)
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		// The route pattern, never the raw query: tokens or keys must not
		// reach the log by accident.
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		status := c.Writer.Status()
		metrics.HTTPDuration.WithLabelValues(c.Request.Method, route, statusText(status)).Observe(elapsed.Seconds())
		// Every request is counted in the latency histogram; a log line per
		// quick success would cost more than the request itself at a few
		// thousand a second, so those are debug-level. Errors, refusals
		// and slow requests are logged at info.
		level := slog.LevelInfo
		if status < 400 && elapsed < time.Second {
			level = slog.LevelDebug
		}
		ctx := c.Request.Context()
		if !slog.Default().Enabled(ctx, level) {
			return
		}
		slog.Log(ctx, level, "http", "method", c.Request.Method, "route", route, "status", status,
			"ms", elapsed.Milliseconds(), "request_id", c.GetString(requestIDKey))
	}
}

// statusText is strconv.Itoa for the statuses we answer, without an
// allocation per request.
func statusText(code int) string {
	switch code {
	case http.StatusOK:
		return "200"
	case http.StatusNotFound:
		return "404"
	}
	return strconv.Itoa(code)
}

func (s *Server) metrics(c *gin.Context) { metrics.Handler(s.Store).ServeHTTP(c.Writer, c.Request) }

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	ctx := c.Request.Context()
	if err := s.Store.Ping(ctx); err != nil {
		fail(c, problemErr("unavailable", "database unreachable"))
		return
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		fail(c, problemErr("unavailable", "temporal unreachable"))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// RouteInfo is one route of the table, for tests and documentation.
type RouteInfo struct {
	Method, Path string
	Roles        []string // nil: public
}

// Routes lists every route the router serves.
func Routes() []RouteInfo {
	out := make([]RouteInfo, len(routes))
	for i, r := range routes {
		out[i] = RouteInfo{Method: r.method, Path: r.path, Roles: r.roles}
	}
	return out
}
