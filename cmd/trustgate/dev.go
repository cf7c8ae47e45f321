package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"trustgate/internal/app"
	"trustgate/internal/config"
	"trustgate/internal/demo"
	"trustgate/internal/devstack"
	"trustgate/internal/store"
)

// runDev starts everything on one machine: a local PostgreSQL and Temporal
// dev server (unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere),
// migrations, demo data, and worker + API + console in this process. Ctrl-C
// stops what it started, in reverse order.
func runDev(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("dev", "dev [--temporal-cli PATH]")
	cli := fs.String("temporal-cli", "bin/temporal", "the Temporal CLI used to start the dev server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	devDir, err := filepath.Abs(cfg.DevDir)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", cfg.DevDir, err)
	}
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", devDir, err)
	}
	logFile, err := os.OpenFile(filepath.Join(devDir, "services.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open service log: %w", err)
	}
	defer logFile.Close()

	if cfg.DatabaseURL == "" {
		pgDir, err := devstack.PostgresDir(filepath.Join(devDir, "pg"))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "starting PostgreSQL on 127.0.0.1:%d (data in %s)\n", cfg.PostgresPort, pgDir)
		pg, err := devstack.StartPostgres(ctx, pgDir, cfg.PostgresPort, logFile)
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintln(stdout, "stopping PostgreSQL")
			if err := pg.Stop(); err != nil {
				slog.Error("stop PostgreSQL", "error", err)
			}
		}()
		if err := pg.Setup(ctx, "trustgate"); err != nil {
			return err
		}
		cfg.DatabaseOwnerURL = pg.URL(devstack.OwnerRole, "trustgate")
		cfg.DatabaseURL = pg.URL(devstack.AppRole, "trustgate")
		cfg.DatabaseAppRole = devstack.AppRole
	}
	if cfg.TemporalAddress == "" {
		fmt.Fprintf(stdout, "starting Temporal dev server on 127.0.0.1:%d, UI on %d\n", cfg.TemporalPort, cfg.TemporalUIPort)
		t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
			Binary: *cli, DBFile: filepath.Join(devDir, "temporal.db"),
			Port: cfg.TemporalPort, UIPort: cfg.TemporalUIPort, Log: logFile,
		})
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintln(stdout, "stopping Temporal dev server")
			if err := t.Stop(); err != nil {
				slog.Error("stop Temporal", "error", err)
			}
		}()
		cfg.TemporalAddress = t.Address
		cfg.TemporalUIURL = t.UIURL
	}
	if err := store.Migrate(ctx, cfg.OwnerURL(), app.AppRole(cfg)); err != nil {
		return err
	}
	// Webhook receivers on this machine are how developers try them out.
	cfg.WebhookAllowLoopback = true
	cfg.Dev = true
	s, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	seeded, err := demo.Seed(ctx, s.Store, devDir)
	if err != nil {
		return err
	}
	if err := demo.WriteExamples("examples"); err != nil {
		return err
	}
	w := s.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	s.StartDispatcher(ctx)

	httpCtx, stopHTTP := context.WithCancel(ctx)
	defer stopHTTP()
	errc := make(chan error, 1)
	go func() { errc <- app.Serve(httpCtx, cfg.HTTPAddr, s.Handler(httpCtx), cfg.HTTPIdleTimeout) }()
	go func() {
		// A taken metrics port should not stop a developer's stack.
		if err := s.ServeMetrics(httpCtx); err != nil {
			slog.Warn("metrics port not served", "error", err)
		}
	}()
	printBanner(stdout, cfg, seeded, devDir)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		fmt.Fprintln(stdout, "\nshutting down")
		stopHTTP()
		<-errc
		return nil
	}
}

func printBanner(w io.Writer, cfg config.Config, seeded demo.Data, devDir string) {
	base := "http://localhost" + portSuffix(cfg.HTTPAddr)
	fmt.Fprintf(w, `
trustgate is running (Ctrl-C stops everything)

  API        %[1]s/v1
  Console    %[1]s/
  Temporal   %[2]s   (UI: %[3]s)
  Metrics    %[5]s

Demo tokens (also in %[4]s):
`, base, cfg.TemporalAddress, orNone(cfg.TemporalUIURL), filepath.Join(devDir, "demo-tokens.json"), metricsLine(cfg))
	for _, name := range seeded.Order {
		fmt.Fprintf(w, "  %-20s %s\n", name, seeded.Tokens[name])
	}
	fmt.Fprintln(w, "\nDemo apps:")
	for _, a := range seeded.Apps {
		fmt.Fprintf(w, "  %-20s %s  (%s, %s)\n", a.Owner, a.ID, a.Name, a.Platform)
	}
	lin := seeded.Apps[0]
	fmt.Fprintf(w, `
Try it:
  ./bin/trustgate submit --server %s --token %s --app %s --version 1.0.0 --wait examples/hello-wechat.zip
  open %s/namespaces/%s/workflows to watch it run

`, base, seeded.Tokens[lin.Owner], lin.ID, orNone(cfg.TemporalUIURL), cfg.TemporalNamespace)
}

// metricsLine says where the metrics listener is, on the host it listens
// on (loopback unless configured otherwise), and its profiles when they
// are on.
func metricsLine(cfg config.Config) string {
	if cfg.MetricsAddr == "" {
		return "none (TRUSTGATE_METRICS_ADDR is empty)"
	}
	host, port, err := net.SplitHostPort(cfg.MetricsAddr)
	if err != nil {
		return cfg.MetricsAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	if cfg.Pprof {
		return base + "/metrics   (profiles: " + base + "/debug/pprof/)"
	}
	return base + "/metrics"
}

func portSuffix(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			if _, err := strconv.Atoi(addr[i+1:]); err == nil {
				return addr[i:]
			}
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
