package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestREADMEListsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		row := "| `" + v.Name + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README's configuration table has no row for %s", v.Name)
		}
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	cases := []struct{ name, variable, value string }{
		{"a port that is not a number", "TEMPORAL_PORT", "seventy"},
		{"a negative package limit", "TRUSTGATE_MAX_PACKAGE_BYTES", "-1"},
		{"an unknown log level", "LOG_LEVEL", "loud"},
		{"pprof neither on nor off", "TRUSTGATE_PPROF", "maybe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.variable, c.value)
			_, err := FromEnv()
			if err == nil || !strings.Contains(err.Error(), c.variable) {
				t.Fatalf("FromEnv() error = %v, want one naming %s", err, c.variable)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.TemporalPort != 7233 || c.TemporalUIPort != 8233 {
		t.Fatalf("default ports: http %s temporal %d ui %d", c.HTTPAddr, c.TemporalPort, c.TemporalUIPort)
	}
	// The unauthenticated metrics listener is reachable from this host
	// only, and serves no profiles, unless asked.
	if c.MetricsAddr != "127.0.0.1:9090" || c.Pprof {
		t.Fatalf("metrics listener: addr %q pprof %v, want 127.0.0.1:9090 without pprof", c.MetricsAddr, c.Pprof)
	}
}
