package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trustgate/internal/linkkey"
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
		{"a shadow rate above 1", "TRUSTGATE_POLICY_SHADOW_RATE", "2"},
		{"a shadow rate that is not a number", "TRUSTGATE_POLICY_SHADOW_RATE", "NaN"},
		{"no webhook endpoints at all", "TRUSTGATE_WEBHOOK_MAX_ENDPOINTS", "0"},
		{"a webhook send timeout without a unit", "TRUSTGATE_WEBHOOK_SEND_TIMEOUT", "10"},
		{"an unknown policy engine", "TRUSTGATE_POLICY_ENGINE", "wasm"},
		{"pprof neither on nor off", "TRUSTGATE_PPROF", "maybe"},
		{"a link key shorter than its hash", "TRUSTGATE_LINK_KEY", "short"},
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
	if c.PolicyEngine != "plan" {
		t.Fatalf("default policy engine %q, want plan", c.PolicyEngine)
	}
	if c.HTTPAddr != ":8080" || c.TemporalPort != 7233 || c.TemporalUIPort != 8233 {
		t.Fatalf("default ports: http %s temporal %d ui %d", c.HTTPAddr, c.TemporalPort, c.TemporalUIPort)
	}
	if c.PolicyShadowRate != 0.01 {
		t.Fatalf("default shadow rate %v, want 0.01", c.PolicyShadowRate)
	}
	if c.WebhookMaxEndpoints != 10 || c.WebhookSendTimeout != 10*time.Second {
		t.Fatalf("webhook defaults: %d endpoints, %s timeout", c.WebhookMaxEndpoints, c.WebhookSendTimeout)
	}
	// The unauthenticated metrics listener is reachable from this host
	// only, and serves no profiles, unless asked.
	if c.MetricsAddr != "127.0.0.1:9090" || c.Pprof {
		t.Fatalf("metrics listener: addr %q pprof %v, want 127.0.0.1:9090 without pprof", c.MetricsAddr, c.Pprof)
	}
}

func TestLinkKeyIsRequiredOutsideDev(t *testing.T) {
	cases := []struct {
		name   string
		key    string
		dev    bool
		wantOK bool
	}{
		{"dev without a key uses the public one", "", true, true},
		{"serve without a key refuses", "", false, false},
		{"serve with the public dev key refuses", linkkey.DevKey, false, false},
		{"serve with a key of its own", strings.Repeat("k", 32), false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TRUSTGATE_LINK_KEY", c.key)
			cfg, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			cfg.Dev = c.dev
			_, err = cfg.LinkHashKey()
			if (err == nil) != c.wantOK {
				t.Fatalf("LinkHashKey() error = %v, want ok %v", err, c.wantOK)
			}
		})
	}
}
