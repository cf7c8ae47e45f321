package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"trustgate/internal/app"
	"trustgate/internal/store"
)

// servicesFor parses a long-running command's (flag-less) arguments, reads
// the configuration and connects to everything.
func servicesFor(ctx context.Context, name string, args []string) (*app.Stack, error) {
	if err := newFlags(name, name).Parse(args); err != nil {
		return nil, err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, err
	}
	s, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Only `trustgate dev` may run as the owner of its own local cluster;
	// elsewhere an application that can rewrite its history must not start.
	if err := s.Store.CheckAppendOnly(ctx); err != nil {
		s.Close()
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
	defer s.Close()
	slog.Info("serving API and console", "addr", s.Config.HTTPAddr, "metrics", s.Config.MetricsAddr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- app.Serve(ctx, s.Config.HTTPAddr, s.Handler(ctx), s.Config.HTTPIdleTimeout) }()
	go func() { errc <- s.ServeMetrics(ctx) }()
	err = <-errc // the first to end ends both
	cancel()
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

func runWorker(ctx context.Context, args []string, _ io.Writer) error {
	s, err := servicesFor(ctx, "worker", args)
	if err != nil {
		return err
	}
	defer s.Close()
	w := s.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	s.StartDispatcher(ctx)
	slog.Info("worker running", "task_queue", s.Config.TemporalTaskQueue, "metrics", s.Config.MetricsAddr)
	err = s.ServeMetrics(ctx)
	w.Stop()
	return err
}

func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	if err := newFlags("migrate", "migrate").Parse(args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if cfg.OwnerURL() == "" {
		return errors.New("set DATABASE_OWNER_URL (or DATABASE_URL) to migrate")
	}
	if err := store.Migrate(ctx, cfg.OwnerURL(), app.AppRole(cfg)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
