package app

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
		(&Stack{Config: cfg}).MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusNotFound, w.Code, "%s by default", path)
	}

	t.Setenv("TRUSTGATE_PPROF", "true")
	cfg, err = config.FromEnv()
	require.NoError(t, err)
	w := httptest.NewRecorder()
	(&Stack{Config: cfg}).MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/debug/pprof/", nil))
	require.Equal(t, http.StatusOK, w.Code, "asked for, the profiles are served")
	require.Contains(t, w.Body.String(), "goroutine")
}
