package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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
	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/internal/webhooks"
	"trustgate/policies"
	"trustgate/server"
	"trustgate/workflows"
)

// services are the connections every long-running command needs.
type services struct {
	cfg      config.Config
	store    *store.Store
	details  *store.DetailCache // nil until an API is served
	temporal client.Client
	blobs    *blob.Bucket
	policies *activities.StoredPolicies
	// interceptors wrap the worker's activities (the load harness meters
	// their CPU).
	interceptors []interceptor.WorkerInterceptor
}

func openServices(ctx context.Context, cfg config.Config) (*services, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set (trustgate dev starts a local database)")
	}
	if cfg.TemporalAddress == "" {
		cfg.TemporalAddress = "127.0.0.1:7233"
	}
	s := &services{cfg: cfg}
	var err error
	if s.store, err = store.OpenPool(ctx, cfg.DatabaseURL, cfg.DatabasePoolMaxConns); err != nil {
		return nil, err
	}
	if s.temporal, err = dialTemporal(ctx, cfg); err != nil {
		s.close()
		return nil, err
	}
	if s.blobs, err = blobstore.Open(ctx, cfg.BlobURL); err != nil {
		s.close()
		return nil, err
	}
	if s.policies, err = activities.NewStoredPolicies(ctx, s.store); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *services) close() {
	if s.blobs != nil {
		s.blobs.Close()
	}
	if s.temporal != nil {
		s.temporal.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// dialTemporal connects, retrying for a while: a dev server or cluster that
// is still starting is not an error yet.
func dialTemporal(ctx context.Context, cfg config.Config) (client.Client, error) {
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
func (s *services) listenForChanges(ctx context.Context) {
	if s.cfg.SubmissionCacheBytes <= 0 || s.details != nil {
		return
	}
	s.details = store.NewDetailCache(s.store, s.cfg.SubmissionCacheBytes)
	memory, database := metrics.SubmissionReads.WithLabelValues("memory"), metrics.SubmissionReads.WithLabelValues("database")
	s.details.OnRead = func(fromMemory bool) {
		if fromMemory {
			memory.Inc()
		} else {
			database.Inc()
		}
	}
	go func() { _ = s.details.Listen(ctx) }()
}

// startDispatcher delivers webhooks from the outbox until ctx ends.
func (s *services) startDispatcher(ctx context.Context) {
	d := &webhooks.Dispatcher{Store: s.store, AllowLoopback: s.cfg.WebhookAllowLoopback, Every: 200 * time.Millisecond,
		SendTimeout: s.cfg.WebhookSendTimeout, Concurrency: s.cfg.WebhookConcurrency, PerEndpoint: s.cfg.WebhookEndpointConcurrency}
	go d.Run(ctx)
}

// newWorker registers the workflows and their activities.
func (s *services) newWorker() worker.Worker {
	w := worker.New(s.temporal, s.cfg.TemporalTaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     s.cfg.WorkerActivities,
		MaxConcurrentWorkflowTaskExecutionSize: s.cfg.WorkerWorkflowTasks,
		Interceptors:                           s.interceptors,
	})
	for _, wf := range workflows.Registered() {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivity(&activities.Activities{Store: s.store, Blobs: s.blobs, Policies: s.policies,
		Shadow: policies.NewShadow(policies.ShadowConfig{Rate: s.cfg.PolicyShadowRate})})
	return w
}

func (s *services) newServer() *server.Server {
	return &server.Server{
		Details: s.details,
		Store:   s.store, Temporal: s.temporal, Blobs: s.blobs, TaskQueue: s.cfg.TemporalTaskQueue,
		TemporalUIURL: s.cfg.TemporalUIURL, Namespace: s.cfg.TemporalNamespace,
		MaxPackageBytes:      s.cfg.MaxPackageBytes,
		DailyQuota:           s.cfg.DailyQuota,
		WebhookAllowLoopback: s.cfg.WebhookAllowLoopback,
		WebhookMaxEndpoints:  s.cfg.WebhookMaxEndpoints,
		Engines:              s.policies,
		Review: workflows.ReviewConfig{
			ClaimTimeout: s.cfg.ClaimTimeout, AppealWindow: s.cfg.AppealWindow,
			QADue:       workflows.DefaultReviewConfig.QADue,
			StepTimeout: s.cfg.StepTimeout, ScanTimeout: s.cfg.ScanTimeout, HeartbeatTimeout: s.cfg.HeartbeatTimeout,
		},
	}
}

// newHandler is the API with the console in front of it: the console's
// pages at /, everything else to the API. Its cache of submission details
// listens for changes until ctx ends.
func (s *services) newHandler(ctx context.Context) http.Handler {
	s.listenForChanges(ctx)
	h := console.New(s.newServer().Handler(), console.Config{
		Key: []byte(s.cfg.SessionKey), Dev: s.cfg.Dev, Blobs: s.blobs, MaxPackageBytes: s.cfg.MaxPackageBytes,
	})
	return server.BodyTimeouts{
		Stall: s.cfg.HTTPBodyStall, MinRate: int64(s.cfg.HTTPBodyMinRate), Write: s.cfg.HTTPWriteTimeout,
	}.Wrap(h)
}

// serveHTTP serves until ctx ends, then drains for up to ten seconds.
// Headers have ten seconds and an idle connection idle; bodies and answers
// have the deadlines of server.BodyTimeouts, set per request, instead of a
// ReadTimeout and WriteTimeout for the whole request, which would cut off an
// honest upload on a slow link.
func serveHTTP(ctx context.Context, addr string, h http.Handler, idle time.Duration) error {
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

// servicesFor parses a long-running command's (flag-less) arguments, reads
// the configuration and connects to everything.
func servicesFor(ctx context.Context, name string, args []string) (*services, error) {
	if err := newFlags(name, name).Parse(args); err != nil {
		return nil, err
	}
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	s, err := openServices(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Only `trustgate dev` may run as the owner of its own local cluster;
	// elsewhere an application that can rewrite its history must not start.
	if err := s.store.CheckAppendOnly(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("refusing to start %s: %w; set DATABASE_URL to the application role "+
			"(DATABASE_APP_ROLE, granted by `trustgate migrate` with DATABASE_OWNER_URL set to the owner)", name, err)
	}
	return s, nil
}

func runServe(ctx context.Context, args []string, _ io.Writer) error {
	s, err := servicesFor(ctx, "serve", args)
	if err != nil {
		return err
	}
	defer s.close()
	slog.Info("serving API and console", "addr", s.cfg.HTTPAddr, "metrics", s.cfg.MetricsAddr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- serveHTTP(ctx, s.cfg.HTTPAddr, s.newHandler(ctx), s.cfg.HTTPIdleTimeout) }()
	go func() { errc <- s.serveMetrics(ctx) }()
	err = <-errc // the first to end ends both
	cancel()
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// serveMetrics serves the metrics handler on the private metrics address
// until ctx ends; with no address configured it only waits.
func (s *services) serveMetrics(ctx context.Context) error {
	if s.cfg.MetricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	return serveHTTP(ctx, s.cfg.MetricsAddr, s.metricsHandler(), s.cfg.HTTPIdleTimeout)
}

// metricsHandler serves /metrics without a token and, only when
// TRUSTGATE_PPROF asks for it (profiles show memory), /debug/pprof/, which
// is how `trustgate load` sees where the time goes.
func (s *services) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(s.store))
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	return mux
}

func runWorker(ctx context.Context, args []string, _ io.Writer) error {
	s, err := servicesFor(ctx, "worker", args)
	if err != nil {
		return err
	}
	defer s.close()
	w := s.newWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	s.startDispatcher(ctx)
	slog.Info("worker running", "task_queue", s.cfg.TemporalTaskQueue, "metrics", s.cfg.MetricsAddr)
	err = s.serveMetrics(ctx)
	w.Stop()
	return err
}

func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	if err := newFlags("migrate", "migrate").Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if cfg.OwnerURL() == "" {
		return errors.New("set DATABASE_OWNER_URL (or DATABASE_URL) to migrate")
	}
	if err := store.Migrate(ctx, cfg.OwnerURL(), appRoleFor(cfg)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// appRoleFor is the role to grant after migrating: none when the
// application connects as the owner itself.
func appRoleFor(cfg config.Config) string {
	if cfg.DatabaseOwnerURL == "" || cfg.DatabaseOwnerURL == cfg.DatabaseURL {
		return ""
	}
	return cfg.DatabaseAppRole
}
