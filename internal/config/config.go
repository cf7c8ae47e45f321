// Package config reads trustgate's settings from the environment, in one
// struct with documented defaults. The README's configuration table lists
// the same variables; TestREADMEListsEveryVariable keeps the two in step.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"trustgate/internal/linkkey"
)

// Config is every setting of every trustgate command.
type Config struct {
	HTTPAddr string // TRUSTGATE_HTTP_ADDR
	// HTTP timeouts beyond the headers' 10 s: no global read timeout, which
	// would cut off slow honest uploads, but a body deadline that moves on
	// as bytes arrive (server.BodyTimeouts).
	HTTPIdleTimeout  time.Duration // TRUSTGATE_HTTP_IDLE_TIMEOUT
	HTTPWriteTimeout time.Duration // TRUSTGATE_HTTP_WRITE_TIMEOUT
	HTTPBodyStall    time.Duration // TRUSTGATE_HTTP_BODY_STALL_TIMEOUT
	HTTPBodyMinRate  int           // TRUSTGATE_HTTP_BODY_MIN_RATE: bytes per second
	MetricsAddr      string        // TRUSTGATE_METRICS_ADDR: the private /metrics of `serve`, `worker` and `dev`
	DatabaseURL      string        // DATABASE_URL: the application role
	DatabaseOwnerURL string        // DATABASE_OWNER_URL: the owner role that migrates
	DatabaseAppRole  string        // DATABASE_APP_ROLE: granted row privileges after migrating
	// DatabasePoolMaxConns bounds the connection pool; 0 is pgx's default.
	DatabasePoolMaxConns int // DATABASE_POOL_MAX_CONNS
	// SubmissionCacheBytes bounds the API's memory of submission details
	// kept between changes and of the answers rendered from them (a third
	// for the details, the rest for the answers); 0 reads every time from
	// the database.
	SubmissionCacheBytes int    // TRUSTGATE_SUBMISSION_CACHE_BYTES
	TemporalAddress      string // TEMPORAL_ADDRESS
	TemporalNamespace    string // TEMPORAL_NAMESPACE
	TemporalTaskQueue    string // TEMPORAL_TASK_QUEUE
	TemporalTLSCert      string // TEMPORAL_TLS_CERT
	TemporalTLSKey       string // TEMPORAL_TLS_KEY
	TemporalTLSCA        string // TEMPORAL_TLS_CA: CA bundle that signed the cluster's certificate
	TemporalTLSServer    string // TEMPORAL_TLS_SERVER_NAME: name to verify the certificate against
	TemporalUIURL        string // TEMPORAL_UI_URL: links from submissions to their workflow
	BlobURL              string // BLOB_URL
	MaxPackageBytes      int64  // TRUSTGATE_MAX_PACKAGE_BYTES
	DailyQuota           int    // TRUSTGATE_DAILY_SUBMISSION_QUOTA
	// WebhookAllowLoopback admits http:// webhook endpoints on loopback;
	// `trustgate dev` turns it on, production leaves it off.
	WebhookAllowLoopback bool // TRUSTGATE_WEBHOOK_ALLOW_LOOPBACK
	// Webhook delivery: endpoints per developer, the time one send may
	// take, and how many sends a process and one endpoint have in flight.
	WebhookMaxEndpoints        int           // TRUSTGATE_WEBHOOK_MAX_ENDPOINTS
	WebhookSendTimeout         time.Duration // TRUSTGATE_WEBHOOK_SEND_TIMEOUT
	WebhookConcurrency         int           // TRUSTGATE_WEBHOOK_CONCURRENCY
	WebhookEndpointConcurrency int           // TRUSTGATE_WEBHOOK_ENDPOINT_CONCURRENCY
	DevDir                     string        // TRUSTGATE_DEV_DIR
	PostgresPort               int           // TRUSTGATE_PG_PORT: the local cluster of `trustgate dev`
	TemporalPort               int           // TEMPORAL_PORT: the dev server of `trustgate dev`
	TemporalUIPort             int           // TEMPORAL_UI_PORT
	ClaimTimeout               time.Duration // TRUSTGATE_CLAIM_TIMEOUT
	AppealWindow               time.Duration // TRUSTGATE_APPEAL_WINDOW
	// Activity timeouts travel in each workflow's input, so the API
	// process that starts a workflow sets them.
	StepTimeout      time.Duration // TRUSTGATE_STEP_TIMEOUT
	ScanTimeout      time.Duration // TRUSTGATE_SCAN_TIMEOUT
	HeartbeatTimeout time.Duration // TRUSTGATE_SCAN_HEARTBEAT_TIMEOUT
	// Worker concurrency; 0 leaves the Temporal SDK's default.
	WorkerActivities    int // TRUSTGATE_WORKER_ACTIVITIES
	WorkerWorkflowTasks int // TRUSTGATE_WORKER_WORKFLOW_TASKS

	// PolicyShadowRate is the share of decisions OPA's evaluator decides
	// again beside the plan machine; a difference sends the submission to
	// senior review.
	PolicyShadowRate float64 // TRUSTGATE_POLICY_SHADOW_RATE

	LogLevel slog.Level
	// SessionKey signs the console's session cookies; every copy of
	// `trustgate serve` needs the same one.
	SessionKey string // TRUSTGATE_SESSION_KEY
	// LinkKey keys the hashes of developers' identity details (identity
	// document, phone, settlement account) that link accounts; every copy
	// of `serve` and `worker` needs the same one, for the life of the
	// deployment (a new key makes every stored hash unmatchable).
	LinkKey string // TRUSTGATE_LINK_KEY
	// PolicyEngine picks what evaluates policies: "plan" (the plan
	// machine, held to OPA's evaluator) or "opa" (OPA's evaluator alone).
	PolicyEngine string // TRUSTGATE_POLICY_ENGINE
	// Pprof adds /debug/pprof/ to the metrics address; off by default, as
	// profiles and heap dumps show what is in memory (tokens, packages).
	Pprof bool // TRUSTGATE_PPROF
	// Dev is set by `trustgate dev` (never read from the environment): the
	// console's cookies then go over plain http on localhost.
	Dev bool
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable trustgate reads, with its default and meaning.
var Vars = []Var{
	{"TRUSTGATE_HTTP_ADDR", ":8080", "where the API and console listen"},
	{"TRUSTGATE_HTTP_IDLE_TIMEOUT", "2m", "how long a kept-alive API connection may wait for its next request"},
	{"TRUSTGATE_HTTP_WRITE_TIMEOUT", "1m", "how long an answer may take once its request, body included, has arrived"},
	{"TRUSTGATE_HTTP_BODY_STALL_TIMEOUT", "30s", "a request body (an upload) that brings no byte for this long is cut off with 408 and its temporary file removed; also the grace before TRUSTGATE_HTTP_BODY_MIN_RATE applies"},
	{"TRUSTGATE_HTTP_BODY_MIN_RATE", "8192", "bytes per second a request body must average after the grace (8 KiB/s: a 32 MiB package may take about 70 minutes; 0: only the stall timeout)"},
	{"TRUSTGATE_METRICS_ADDR", "127.0.0.1:9090", "private address where `serve`, `worker` and `dev` serve /metrics without a token, for Prometheus; loopback only unless set (e.g. `:9090` for a scraper on another host, behind a firewall); empty: none; on the API port /metrics needs an admin token"},
	{"TRUSTGATE_PPROF", "false", "also serve Go's /debug/pprof/ on the metrics address (profiles show memory: turn on only to profile, as `trustgate-bench load` does)"},
	{"DATABASE_URL", "the local cluster of `trustgate dev`", "PostgreSQL URL of the application role (no superuser, owns no table); `serve` and `worker` refuse to start as a role that can change the audit log, the decision log or policy approvals"},
	{"DATABASE_OWNER_URL", "DATABASE_URL", "PostgreSQL URL of the role that owns the schema and runs migrations"},
	{"DATABASE_APP_ROLE", "trustgate_app", "role granted row privileges after migrating (empty: grant nothing)"},
	{"DATABASE_POOL_MAX_CONNS", "0", "most pooled PostgreSQL connections per process (0: pgx's default, the larger of 4 and the number of CPUs); an API under heavy read load wants more, e.g. 16"},
	{"TRUSTGATE_SUBMISSION_CACHE_BYTES", "67108864", "memory each API process may use to keep submission details between changes, which PostgreSQL announces with LISTEN/NOTIFY (64 MiB; 0: read every GET /v1/submissions/{id} from the database)"},
	{"TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port; `trustgate dev` starts a dev server when unset"},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"TEMPORAL_TASK_QUEUE", "trustgate-submissions", "task queue of workflows and activities"},
	{"TEMPORAL_TLS_CERT", "", "client certificate file for mTLS to Temporal (with TEMPORAL_TLS_KEY)"},
	{"TEMPORAL_TLS_KEY", "", "client key file for mTLS to Temporal"},
	{"TEMPORAL_TLS_CA", "", "CA bundle file that signed the Temporal frontend's certificate (TLS without a client certificate, or a private CA)"},
	{"TEMPORAL_TLS_SERVER_NAME", "", "server name to verify the Temporal frontend's certificate against (when it differs from the address)"},
	{"TEMPORAL_UI_URL", "http://127.0.0.1:8233", "Temporal web UI, for links to a submission's workflow"},
	{"BLOB_URL", "file://.dev/blobs", "gocloud bucket URL for packages (file://, s3://, ...)"},
	{"TRUSTGATE_MAX_PACKAGE_BYTES", "33554432", "largest upload accepted, in bytes (32 MiB)"},
	{"TRUSTGATE_DAILY_SUBMISSION_QUOTA", "1000", "submissions a developer may make in any 24 hours (429 beyond)"},
	{"TRUSTGATE_WEBHOOK_ALLOW_LOOPBACK", "false", "accept http:// webhook endpoints on loopback (on in `trustgate dev`; never in production)"},
	{"TRUSTGATE_WEBHOOK_MAX_ENDPOINTS", "10", "webhook endpoints one developer may register (409 beyond)"},
	{"TRUSTGATE_WEBHOOK_SEND_TIMEOUT", "10s", "longest one webhook delivery may take, connecting included, before it counts as failed"},
	{"TRUSTGATE_WEBHOOK_CONCURRENCY", "32", "webhook deliveries one process sends at once, shared by every endpoint"},
	{"TRUSTGATE_WEBHOOK_ENDPOINT_CONCURRENCY", "2", "webhook deliveries one endpoint has in flight at once, across every process"},
	{"TRUSTGATE_DEV_DIR", ".dev", "where `trustgate dev` keeps its data"},
	{"TRUSTGATE_PG_PORT", "55432", "port of the local PostgreSQL of `trustgate dev`"},
	{"TEMPORAL_PORT", "7233", "port of the Temporal dev server of `trustgate dev`"},
	{"TEMPORAL_UI_PORT", "8233", "port of the Temporal web UI of `trustgate dev`"},
	{"TRUSTGATE_CLAIM_TIMEOUT", "30m", "a claimed review task without a decision returns to its queue after this"},
	{"TRUSTGATE_APPEAL_WINDOW", "336h", "how long after a rejection the developer may appeal (14 days)"},
	{"TRUSTGATE_STEP_TIMEOUT", "30s", "start-to-close timeout of each short activity (record a step, load a developer, decide)"},
	{"TRUSTGATE_SCAN_TIMEOUT", "2m", "start-to-close timeout of one scan of a package"},
	{"TRUSTGATE_SCAN_HEARTBEAT_TIMEOUT", "30s", "a scan whose worker stops heartbeating for this long is retried on another worker"},
	{"TRUSTGATE_WORKER_ACTIVITIES", "0", "activities one worker process runs at once (0: the Temporal SDK default, 1000)"},
	{"TRUSTGATE_WORKER_WORKFLOW_TASKS", "0", "workflow tasks one worker process runs at once (0: the Temporal SDK default, 1000)"},
	{"TRUSTGATE_POLICY_SHADOW_RATE", "0.01", "share of policy decisions that OPA's evaluator decides again beside the plan machine, off the decision's path; a sampled decision on which they differ goes to senior review and counts in trustgate_policy_shadow_total (0: none, 1: all)"},
	{"TRUSTGATE_POLICY_ENGINE", "plan", "what evaluates policies: `plan` (the plan machine, several times faster, asking OPA's evaluator again whenever it fails) or `opa` (OPA's own evaluator alone: when a divergence of the plan machine is suspected, or for a bundle that needs a builtin the plan machine is not proven on)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"TRUSTGATE_SESSION_KEY", "", "secret that signs console session cookies, shared by every API copy (empty: a random key per process, so sessions end on restart)"},
	{"TRUSTGATE_LINK_KEY", "", "secret (at least 32 bytes, e.g. `openssl rand -hex 32`) that keys the HMAC-SHA256 hashes of developers' identity document, phone and settlement account, which link accounts without storing the values; the same in every copy and for the life of the deployment (a new key unlinks every stored hash). Required by `serve` and `worker`; `trustgate dev` uses a fixed public key when unset"},
}

// FromEnv reads the configuration; a malformed value is an error naming it.
func FromEnv() (Config, error) {
	get := func(name string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	c := Config{
		HTTPAddr:          get("TRUSTGATE_HTTP_ADDR"),
		MetricsAddr:       get("TRUSTGATE_METRICS_ADDR"),
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		DatabaseOwnerURL:  os.Getenv("DATABASE_OWNER_URL"),
		DatabaseAppRole:   get("DATABASE_APP_ROLE"),
		TemporalAddress:   os.Getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE"),
		TemporalTaskQueue: get("TEMPORAL_TASK_QUEUE"),
		TemporalTLSCert:   os.Getenv("TEMPORAL_TLS_CERT"),
		TemporalTLSKey:    os.Getenv("TEMPORAL_TLS_KEY"),
		TemporalTLSCA:     os.Getenv("TEMPORAL_TLS_CA"),
		TemporalTLSServer: os.Getenv("TEMPORAL_TLS_SERVER_NAME"),
		TemporalUIURL:     get("TEMPORAL_UI_URL"),
		BlobURL:           get("BLOB_URL"),
		DevDir:            get("TRUSTGATE_DEV_DIR"),
		SessionKey:        os.Getenv("TRUSTGATE_SESSION_KEY"),
		LinkKey:           os.Getenv("TRUSTGATE_LINK_KEY"),
		PolicyEngine:      get("TRUSTGATE_POLICY_ENGINE"),
	}
	if c.PolicyEngine != "plan" && c.PolicyEngine != "opa" {
		return c, fmt.Errorf("TRUSTGATE_POLICY_ENGINE: want plan or opa, got %q", c.PolicyEngine)
	}
	var err error
	if c.MaxPackageBytes, err = strconv.ParseInt(get("TRUSTGATE_MAX_PACKAGE_BYTES"), 10, 64); err != nil || c.MaxPackageBytes <= 0 {
		return c, fmt.Errorf("TRUSTGATE_MAX_PACKAGE_BYTES: want a positive number of bytes, got %q", get("TRUSTGATE_MAX_PACKAGE_BYTES"))
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"TRUSTGATE_PG_PORT", &c.PostgresPort}, {"TEMPORAL_PORT", &c.TemporalPort}, {"TEMPORAL_UI_PORT", &c.TemporalUIPort}} {
		n, err := strconv.Atoi(get(p.name))
		if err != nil || n <= 0 || n > 65535 {
			return c, fmt.Errorf("%s: want a port number, got %q", p.name, get(p.name))
		}
		*p.dst = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"TRUSTGATE_CLAIM_TIMEOUT", &c.ClaimTimeout}, {"TRUSTGATE_APPEAL_WINDOW", &c.AppealWindow},
		{"TRUSTGATE_STEP_TIMEOUT", &c.StepTimeout}, {"TRUSTGATE_SCAN_TIMEOUT", &c.ScanTimeout},
		{"TRUSTGATE_SCAN_HEARTBEAT_TIMEOUT", &c.HeartbeatTimeout}, {"TRUSTGATE_WEBHOOK_SEND_TIMEOUT", &c.WebhookSendTimeout},
		{"TRUSTGATE_HTTP_IDLE_TIMEOUT", &c.HTTPIdleTimeout}, {"TRUSTGATE_HTTP_WRITE_TIMEOUT", &c.HTTPWriteTimeout},
		{"TRUSTGATE_HTTP_BODY_STALL_TIMEOUT", &c.HTTPBodyStall},
	} {
		v, err := time.ParseDuration(get(d.name))
		if err != nil || v <= 0 {
			return c, fmt.Errorf("%s: want a duration such as 30m or 336h, got %q", d.name, get(d.name))
		}
		*d.dst = v
	}
	if c.DailyQuota, err = strconv.Atoi(get("TRUSTGATE_DAILY_SUBMISSION_QUOTA")); err != nil || c.DailyQuota < 0 {
		return c, fmt.Errorf("TRUSTGATE_DAILY_SUBMISSION_QUOTA: want a number of submissions, got %q", get("TRUSTGATE_DAILY_SUBMISSION_QUOTA"))
	}
	if c.DatabasePoolMaxConns, err = strconv.Atoi(get("DATABASE_POOL_MAX_CONNS")); err != nil || c.DatabasePoolMaxConns < 0 {
		return c, fmt.Errorf("DATABASE_POOL_MAX_CONNS: want a number of connections, got %q", get("DATABASE_POOL_MAX_CONNS"))
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"TRUSTGATE_WORKER_ACTIVITIES", &c.WorkerActivities}, {"TRUSTGATE_WORKER_WORKFLOW_TASKS", &c.WorkerWorkflowTasks},
		{"TRUSTGATE_SUBMISSION_CACHE_BYTES", &c.SubmissionCacheBytes}, {"TRUSTGATE_HTTP_BODY_MIN_RATE", &c.HTTPBodyMinRate}} {
		v, err := strconv.Atoi(get(n.name))
		if err != nil || v < 0 {
			return c, fmt.Errorf("%s: want a whole number (0: see the README), got %q", n.name, get(n.name))
		}
		*n.dst = v
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"TRUSTGATE_WEBHOOK_MAX_ENDPOINTS", &c.WebhookMaxEndpoints}, {"TRUSTGATE_WEBHOOK_CONCURRENCY", &c.WebhookConcurrency},
		{"TRUSTGATE_WEBHOOK_ENDPOINT_CONCURRENCY", &c.WebhookEndpointConcurrency}} {
		v, err := strconv.Atoi(get(n.name))
		if err != nil || v <= 0 {
			return c, fmt.Errorf("%s: want a positive whole number, got %q", n.name, get(n.name))
		}
		*n.dst = v
	}
	if c.PolicyShadowRate, err = strconv.ParseFloat(get("TRUSTGATE_POLICY_SHADOW_RATE"), 64); err != nil || !(c.PolicyShadowRate >= 0 && c.PolicyShadowRate <= 1) {
		return c, fmt.Errorf("TRUSTGATE_POLICY_SHADOW_RATE: want a share from 0 to 1, got %q", get("TRUSTGATE_POLICY_SHADOW_RATE"))
	}
	if c.WebhookAllowLoopback, err = strconv.ParseBool(get("TRUSTGATE_WEBHOOK_ALLOW_LOOPBACK")); err != nil {
		return c, fmt.Errorf("TRUSTGATE_WEBHOOK_ALLOW_LOOPBACK: want true or false, got %q", get("TRUSTGATE_WEBHOOK_ALLOW_LOOPBACK"))
	}
	if c.Pprof, err = strconv.ParseBool(get("TRUSTGATE_PPROF")); err != nil {
		return c, fmt.Errorf("TRUSTGATE_PPROF: want true or false, got %q", get("TRUSTGATE_PPROF"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(get("LOG_LEVEL")))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if c.LinkKey != "" {
		if _, err := linkkey.New(c.LinkKey); err != nil {
			return c, err
		}
	}
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		return c, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together")
	}
	return c, nil
}

// OwnerURL is the URL migrations run with.
func (c Config) OwnerURL() string {
	if c.DatabaseOwnerURL != "" {
		return c.DatabaseOwnerURL
	}
	return c.DatabaseURL
}

// LinkHashKey is the key of identity hashes. `trustgate dev` (Dev) falls
// back to linkkey.DevKey when TRUSTGATE_LINK_KEY is unset; anything else
// must be given a key of its own, and may not use the public one: `serve`
// and `worker` call this at start-up and refuse to start on its error, so
// that no production hash is ever made with a key everybody knows.
func (c Config) LinkHashKey() (linkkey.Key, error) {
	switch {
	case c.LinkKey == "" && c.Dev:
		return linkkey.New(linkkey.DevKey)
	case c.LinkKey == "":
		return linkkey.Key{}, fmt.Errorf("%w: serve and worker need it to hash developers' identity details (see the README)", linkkey.ErrNoKey)
	case c.LinkKey == linkkey.DevKey && !c.Dev:
		return linkkey.Key{}, fmt.Errorf("TRUSTGATE_LINK_KEY is the public key of `trustgate dev`: set a secret of your own")
	}
	return linkkey.New(c.LinkKey)
}
