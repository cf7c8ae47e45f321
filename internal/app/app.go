// Package app wires trustgate's parts into one running application: the
// connections to PostgreSQL, Temporal and the blob store, the worker with
// its workflows and activities, the API with the console in front of it,
// the webhook dispatcher and the metrics listener. The commands of
// cmd/trustgate, the end-to-end tests and the load harness all wire it
// this way.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"gocloud.dev/blob"

	"trustgate/activities"
	"trustgate/console"
	"trustgate/internal/blobstore"
	"trustgate/internal/config"
	"trustgate/internal/linkkey"
	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/internal/webhooks"
	"trustgate/policies"
	"trustgate/server"
	"trustgate/workflows"
)

// Stack is the connections every long-running command needs.
type Stack struct {
	Config   config.Config
	Store    *store.Store
	Details  *store.DetailCache  // nil until an API is served
	Rendered *server.RenderCache // answers rendered from Details
	Temporal client.Client
	Blobs    *blob.Bucket
	Policies *activities.StoredPolicies
	// LinkKey hashes developers' identity details (TRUSTGATE_LINK_KEY).
	LinkKey linkkey.Key
	// Interceptors wrap the worker's activities (the load harness meters
	// their CPU).
	Interceptors []interceptor.WorkerInterceptor
}

// Open connects to everything cfg names: PostgreSQL, Temporal (waiting for
// it a while), the blob store, and the stored policy bundles.
func Open(ctx context.Context, cfg config.Config) (*Stack, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set (trustgate dev starts a local database)")
	}
	if cfg.TemporalAddress == "" {
		cfg.TemporalAddress = "127.0.0.1:7233"
	}
	s := &Stack{Config: cfg}
	var err error
	// Before connecting to anything: an API that cannot hash identity
	// details, or hashes them with the public dev key, must not start.
	if s.LinkKey, err = cfg.LinkHashKey(); err != nil {
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	if s.Store, err = store.OpenPool(ctx, cfg.DatabaseURL, cfg.DatabasePoolMaxConns); err != nil {
		return nil, err
	}
	if s.Temporal, err = DialTemporal(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	if s.Blobs, err = blobstore.Open(ctx, cfg.BlobURL); err != nil {
		s.Close()
		return nil, err
	}
	if s.Policies, err = activities.NewStoredPolicies(ctx, s.Store); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections Open made.
func (s *Stack) Close() {
	if s.Blobs != nil {
		s.Blobs.Close()
	}
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	if s.Store != nil {
		s.Store.Close()
	}
}

// DialTemporal connects, retrying for a while: a dev server or cluster that
// is still starting is not an error yet.
func DialTemporal(ctx context.Context, cfg config.Config) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(slog.Default().With("component", "temporal")),
	}
	tlsConfig, err := temporalTLS(cfg)
	if err != nil {
		return nil, err
	}
	opts.ConnectionOptions.TLS = tlsConfig
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// temporalTLS is the TLS configuration towards Temporal: none unless a
// client certificate or a CA is configured.
func temporalTLS(cfg config.Config) (*tls.Config, error) {
	if cfg.TemporalTLSCert == "" && cfg.TemporalTLSCA == "" && cfg.TemporalTLSServer == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalTLSServer}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("load Temporal client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return nil, fmt.Errorf("read TEMPORAL_TLS_CA: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA %s holds no PEM certificate", cfg.TemporalTLSCA)
		}
	}
	return c, nil
}

// listenForChanges gives the API a cache of submission details that
// listens for their changes until ctx ends (unless the cache is off).
func (s *Stack) listenForChanges(ctx context.Context) {
	if s.Config.SubmissionCacheBytes <= 0 || s.Details != nil {
		return
	}
	// A detail's answers, one per language, take about twice what it
	// takes itself.
	s.Details = store.NewDetailCache(s.Store, s.Config.SubmissionCacheBytes/3)
	s.Rendered = server.NewRenderCache(s.Config.SubmissionCacheBytes - s.Config.SubmissionCacheBytes/3)
	memory, database := metrics.SubmissionReads.WithLabelValues("memory"), metrics.SubmissionReads.WithLabelValues("database")
	s.Details.OnRead = func(fromMemory bool) {
		if fromMemory {
			memory.Inc()
		} else {
			database.Inc()
		}
	}
	go func() { _ = s.Details.Listen(ctx) }()
}

// StartDispatcher delivers webhooks from the outbox until ctx ends.
func (s *Stack) StartDispatcher(ctx context.Context) {
	d := &webhooks.Dispatcher{Store: s.Store, AllowLoopback: s.Config.WebhookAllowLoopback, Every: 200 * time.Millisecond,
		SendTimeout: s.Config.WebhookSendTimeout, Concurrency: s.Config.WebhookConcurrency, PerEndpoint: s.Config.WebhookEndpointConcurrency}
	go d.Run(ctx)
}

// NewWorker registers the workflows and their activities.
func (s *Stack) NewWorker() worker.Worker {
	w := worker.New(s.Temporal, s.Config.TemporalTaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     s.Config.WorkerActivities,
		MaxConcurrentWorkflowTaskExecutionSize: s.Config.WorkerWorkflowTasks,
		Interceptors:                           s.Interceptors,
	})
	for _, wf := range workflows.Registered() {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivity(&activities.Activities{Store: s.Store, Blobs: s.Blobs, Policies: s.Policies,
		Shadow: policies.NewShadow(policies.ShadowConfig{Rate: s.Config.PolicyShadowRate})})
	return w
}

// NewServer is the API on the stack's connections and configuration.
func (s *Stack) NewServer() *server.Server {
	return &server.Server{
		Details: s.Details, Rendered: s.Rendered,
		Store: s.Store, Temporal: s.Temporal, Blobs: s.Blobs, TaskQueue: s.Config.TemporalTaskQueue,
		TemporalUIURL: s.Config.TemporalUIURL, Namespace: s.Config.TemporalNamespace,
		MaxPackageBytes:      s.Config.MaxPackageBytes,
		DailyQuota:           s.Config.DailyQuota,
		WebhookAllowLoopback: s.Config.WebhookAllowLoopback,
		WebhookMaxEndpoints:  s.Config.WebhookMaxEndpoints,
		Engines:              s.Policies,
		LinkKey:              s.LinkKey,
		Review: workflows.ReviewConfig{
			ClaimTimeout: s.Config.ClaimTimeout, AppealWindow: s.Config.AppealWindow,
			QADue:       workflows.DefaultReviewConfig.QADue,
			StepTimeout: s.Config.StepTimeout, ScanTimeout: s.Config.ScanTimeout, HeartbeatTimeout: s.Config.HeartbeatTimeout,
		},
	}
}

// Handler is the API with the console in front of it: the console's
// pages at /, everything else to the API. Its cache of submission details
// listens for changes until ctx ends.
func (s *Stack) Handler(ctx context.Context) http.Handler {
	s.listenForChanges(ctx)
	h := console.New(s.NewServer().Handler(), console.Config{
		Key: []byte(s.Config.SessionKey), Dev: s.Config.Dev, Blobs: s.Blobs, MaxPackageBytes: s.Config.MaxPackageBytes,
	})
	return server.BodyTimeouts{
		Stall: s.Config.HTTPBodyStall, MinRate: int64(s.Config.HTTPBodyMinRate), Write: s.Config.HTTPWriteTimeout,
	}.Wrap(h)
}

// Serve serves h on addr until ctx ends, then drains for up to ten seconds.
// Headers have ten seconds and an idle connection idle; bodies and answers
// have the deadlines of server.BodyTimeouts, set per request, instead of a
// ReadTimeout and WriteTimeout for the whole request, which would cut off an
// honest upload on a slow link.
func Serve(ctx context.Context, addr string, h http.Handler, idle time.Duration) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idle}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// ServeMetrics serves the metrics handler on the private metrics address
// until ctx ends; with no address configured it only waits.
func (s *Stack) ServeMetrics(ctx context.Context) error {
	if s.Config.MetricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	return Serve(ctx, s.Config.MetricsAddr, s.MetricsHandler(), s.Config.HTTPIdleTimeout)
}

// MetricsHandler serves /metrics without a token and, only when
// TRUSTGATE_PPROF asks for it (profiles show memory), /debug/pprof/, which
// is how the load harness sees where the time goes.
func (s *Stack) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(s.Store))
	if s.Config.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	return mux
}

// AppRole is the role to grant after migrating: none when the
// application connects as the owner itself.
func AppRole(cfg config.Config) string {
	if cfg.DatabaseOwnerURL == "" || cfg.DatabaseOwnerURL == cfg.DatabaseURL {
		return ""
	}
	return cfg.DatabaseAppRole
}

// LoadConfig reads the environment and sets up logging to match.
func LoadConfig() (config.Config, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, err
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	if err := policies.Configure(policies.Settings{Evaluator: cfg.PolicyEngine, OnFallback: countFallback}); err != nil {
		return cfg, fmt.Errorf("TRUSTGATE_POLICY_ENGINE: %w", err)
	}
	return cfg, nil
}

// countFallback counts each time OPA's evaluator decides in the plan
// machine's place; the policies package logs it.
func countFallback(f policies.Fallback) {
	opa := ""
	switch {
	case f.Reason == policies.FallbackNotPlanned:
		opa = "all"
	case f.OPAErr != nil:
		opa = "error"
	default:
		opa = "decided"
	}
	metrics.PolicyFallbacks.WithLabelValues(f.Reason, opa).Inc()
}
