package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/config"
)

// TestMetricsListenerServesProfilesOnlyWhenAsked checks the private metrics
// handler that `serve`, `worker` and `dev` all listen with: with the
// configuration's defaults /debug/pprof/ is not there; with TRUSTGATE_PPROF
// it is.
func TestMetricsListenerServesProfilesOnlyWhenAsked(t *testing.T) {
	cfg, err := config.FromEnv()
	require.NoError(t, err)
	cfg.Dev = true // as `trustgate dev` has it, which once served profiles always
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap"} {
		w := httptest.NewRecorder()
		(&services{cfg: cfg}).metricsHandler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusNotFound, w.Code, "%s by default", path)
	}

	t.Setenv("TRUSTGATE_PPROF", "true")
	cfg, err = config.FromEnv()
	require.NoError(t, err)
	w := httptest.NewRecorder()
	(&services{cfg: cfg}).metricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/debug/pprof/", nil))
	require.Equal(t, http.StatusOK, w.Code, "asked for, the profiles are served")
	require.Contains(t, w.Body.String(), "goroutine")
}

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
