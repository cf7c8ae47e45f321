// Package metrics holds trustgate's Prometheus metrics: one registry, the
// counters and histograms the processes update, and a collector that reads
// gauges (submissions by state, queue depth) from the database at scrape
// time, so every replica reports the same truth.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every trustgate metric.
var Registry = prometheus.NewRegistry()

var (
	// HTTPDuration is the latency of API and console requests by route
	// pattern (never the raw path: IDs would explode the series).
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "trustgate_http_request_duration_seconds",
		Help:    "Latency of HTTP requests by method, route pattern and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route", "status"})

	// SubmissionReads counts GET /v1/submissions/{id} reads by where the
	// answer came from: "memory" (the API's cache) or "database".
	SubmissionReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_submission_reads_total",
		Help: "Submission detail reads, by source: memory (kept since the last change) or database.",
	}, []string{"source"})

	// SLAEscalations counts review tasks escalated to the senior queue
	// because nobody decided them by their deadline.
	SLAEscalations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "trustgate_review_sla_escalations_total",
		Help: "Review tasks escalated to the senior queue at their deadline.",
	})

	// QADecisions counts QA looks at automatic approvals by outcome; the
	// share of rejections measures what the policy lets through.
	QADecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_qa_decisions_total",
		Help: "QA decisions on sampled automatic approvals, by outcome.",
	}, []string{"outcome"})

	// PolicyEvaluation is the time of one policy decision.
	PolicyEvaluation = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "trustgate_policy_evaluation_seconds",
		Help:    "Time to evaluate the policy for one decision.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
	})

	// PolicyShadow counts sampled decisions by what their shadow
	// evaluation with OPA's evaluator found: agreed, diverged (the
	// submission went to senior review), dropped (the pool was busy) or
	// incomplete. Any diverged is a plan machine bug to look into.
	PolicyShadow = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_policy_shadow_total",
		Help: "Decisions shadowed by OPA's evaluator, by result: agreed, diverged, dropped or incomplete.",
	}, []string{"result"})
	// PolicyFallbacks counts the times OPA's evaluator decided in the plan
	// machine's place: reason "plan_error" (the plan machine failed on an
	// input; opa says whether OPA's evaluator then "decided" or failed
	// too, "error") and "not_planned" (a bundle loaded that could not be
	// planned, opa "all": OPA's evaluator makes all its decisions).
	PolicyFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_policy_evaluator_fallbacks_total",
		Help: "Times OPA's evaluator decided instead of the plan machine, by reason and by what OPA's evaluator answered.",
	}, []string{"reason", "opa"})

	// ScanDuration and ScanBytes give scan throughput.
	ScanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "trustgate_scan_duration_seconds",
		Help:    "Time to unpack and scan one package.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	ScanBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "trustgate_scan_bytes_total",
		Help: "Unpacked bytes scanned.",
	})
)

func init() {
	Registry.MustRegister(HTTPDuration, SubmissionReads, SLAEscalations, QADecisions, PolicyEvaluation, PolicyShadow, PolicyFallbacks,
		ScanDuration, ScanBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Counts reads the gauges that live in the database.
type Counts interface {
	SubmissionsByState(ctx context.Context) (map[string]int, error)
	QueueDepth(ctx context.Context) (map[string]int, error)
}

var (
	submissionsDesc = prometheus.NewDesc("trustgate_submissions", "Submissions by state.", []string{"state"}, nil)
	queueDesc       = prometheus.NewDesc("trustgate_review_queue_depth", "Open and claimed review tasks by queue.", []string{"queue"}, nil)
)

type dbCollector struct{ counts Counts }

func (d dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- submissionsDesc
	ch <- queueDesc
}

func (d dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if m, err := d.counts.SubmissionsByState(ctx); err == nil {
		for state, n := range m {
			ch <- prometheus.MustNewConstMetric(submissionsDesc, prometheus.GaugeValue, float64(n), state)
		}
	} else {
		slog.Warn("metrics: submissions by state", "error", err)
	}
	if m, err := d.counts.QueueDepth(ctx); err == nil {
		for queue, n := range m {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), queue)
		}
	} else {
		slog.Warn("metrics: queue depth", "error", err)
	}
}

// Handler serves the registry, with the database gauges read from counts.
// Each call makes its own registry on top, so tests with their own
// databases do not collide.
func Handler(counts Counts) http.Handler {
	reg := prometheus.NewRegistry()
	if counts != nil {
		reg.MustRegister(dbCollector{counts})
	}
	return promhttp.HandlerFor(prometheus.Gatherers{Registry, reg}, promhttp.HandlerOpts{})
}
