package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/config"
)

func TestDevBannerNamesTheMetricsListener(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  config.Config
		want string
	}{
		{"loopback by default", config.Config{MetricsAddr: "127.0.0.1:9090"}, "http://127.0.0.1:9090/metrics"},
		{"every interface is reached at localhost", config.Config{MetricsAddr: ":9191"}, "http://localhost:9191/metrics"},
		{"an IPv6 loopback is bracketed", config.Config{MetricsAddr: "[::1]:9090"}, "http://[::1]:9090/metrics"},
		{"profiles are named when on", config.Config{MetricsAddr: "127.0.0.1:9090", Pprof: true},
			"http://127.0.0.1:9090/metrics   (profiles: http://127.0.0.1:9090/debug/pprof/)"},
		{"no address, no listener", config.Config{}, "none (TRUSTGATE_METRICS_ADDR is empty)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, metricsLine(tc.cfg))
		})
	}
}
