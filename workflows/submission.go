// Package workflows holds the durable business processes of trustgate as
// Temporal workflows. Deterministic code only: every side effect is an
// activity, every clock is workflow.Now.
package workflows

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// TaskQueue is where submission workflows and their activities run.
const TaskQueue = "trustgate-submissions"

// ReviewConfig holds the review process's clocks and rates. It travels in
// the workflow input, so a running submission keeps the rules it began with.
type ReviewConfig struct {
	ClaimTimeout time.Duration `json:"claim_timeout"`
	AppealWindow time.Duration `json:"appeal_window"`
	QADue        time.Duration `json:"qa_due"`
	// Activity timeouts; zero keeps the defaults below. Short ones let a
	// fault test see a killed worker's activities retried within seconds.
	StepTimeout      time.Duration `json:"step_timeout,omitempty"`
	ScanTimeout      time.Duration `json:"scan_timeout,omitempty"`
	HeartbeatTimeout time.Duration `json:"scan_heartbeat_timeout,omitempty"`
}

// DefaultReviewConfig is what production starts submissions with.
var DefaultReviewConfig = ReviewConfig{
	ClaimTimeout: 30 * time.Minute,
	AppealWindow: 14 * 24 * time.Hour,
	QADue:        72 * time.Hour,
}

// SubmissionInput starts the workflow; the workflow ID is the submission ID.
type SubmissionInput struct {
	SubmissionID string       `json:"submission_id"`
	Review       ReviewConfig `json:"review"`
	// Run counts operator retries of a failed submission (0 for the first
	// run); each run numbers its timeline entries and decisions apart, so a
	// retry adds to the history instead of colliding with it.
	Run int `json:"run,omitempty"`
}

// SubmissionResult is how a submission ended.
type SubmissionResult struct {
	State   submission.State  `json:"state"`
	Outcome string            `json:"outcome,omitempty"`
	Reasons []policies.Reason `json:"reasons,omitempty"`
}

// SubmissionWorkflow takes one uploaded version from intake to a final
// decision: scan, load the developer, let the policy decide, ask people
// when the policy says so, and hear an appeal of a rejection. The developer
// may withdraw at any point before the decision.
func SubmissionWorkflow(ctx workflow.Context, in SubmissionInput) (SubmissionResult, error) {
	s := newProcess(in)
	return runProcess(ctx, s, s.run)
}

func (s *process) run(ctx workflow.Context) (SubmissionResult, error) {
	scanned, err := s.scan(ctx)
	if err != nil {
		return s.fail(ctx, err)
	}
	if s.withdrawn {
		return s.recordWithdrawal(ctx)
	}

	// Histories recorded before version 1 ran these steps as activities.
	s.localSteps = workflow.GetVersion(ctx, "local-steps", workflow.DefaultVersion, 1) >= 1
	if err := s.advance(ctx, submission.Evaluating, map[string]any{"findings": scanned.BySeverity}); err != nil {
		return s.fail(ctx, err)
	}
	var profile Profile
	if err := s.step(ctx, ActivityLoadDeveloper, ProfileInput{SubmissionID: s.id}).Get(ctx, &profile); err != nil {
		return s.fail(ctx, err)
	}
	s.devOrg = profile.Developer.OrgID
	verdict, err := s.decide(ctx, profile)
	if err != nil {
		return s.fail(ctx, err)
	}
	if s.withdrawn {
		return s.recordWithdrawal(ctx)
	}

	automatic := verdict.Outcome != policies.OutcomeReview
	if !automatic {
		verdict, err = s.runReview(ctx, s.newTask(ctx, "review", verdict))
		if err != nil {
			return s.fail(ctx, err)
		}
		if s.withdrawn {
			return s.recordWithdrawal(ctx)
		}
	}
	result, err := s.finish(ctx, verdict)
	if err != nil {
		return result, err
	}

	switch {
	case result.State == submission.Rejected:
		return s.hearAppeal(ctx, verdict, result)
	case automatic && s.sampledForQA(ctx, verdict.QASampleRate):
		return result, s.runQA(ctx, verdict)
	}
	return result, nil
}

// Default activity timeouts, for a ReviewConfig that sets none.
const (
	DefaultStepTimeout      = 30 * time.Second
	DefaultScanTimeout      = 2 * time.Minute
	DefaultHeartbeatTimeout = 30 * time.Second
)

// stepOptions are the activity options of every step but the scan. A
// change of timeouts needs no workflow version: replay does not compare
// them.
func (c ReviewConfig) stepOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: orDefault(c.StepTimeout, DefaultStepTimeout),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			// About five minutes of retries: long enough to ride out a database
			// restart, short enough that an operator hears of a real fault.
			MaximumAttempts: 14,
		},
	}
}

// localStepOptions are stepOptions for a step run as a local activity: the
// same attempt timeout and retry policy, and ScheduleToClose bounds all
// attempts at ten step timeouts (five minutes at the default), as the
// retry policy's attempts do for an activity.
func (c ReviewConfig) localStepOptions() workflow.LocalActivityOptions {
	o := c.stepOptions()
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    o.StartToCloseTimeout,
		ScheduleToCloseTimeout: 10 * o.StartToCloseTimeout,
		RetryPolicy:            o.RetryPolicy,
	}
}

// scanOptions give the scan more time and a heartbeat: a worker that dies
// mid-scan is noticed after the heartbeat timeout, not the whole scan's.
func (c ReviewConfig) scanOptions() workflow.ActivityOptions {
	o := c.stepOptions()
	o.StartToCloseTimeout = orDefault(c.ScanTimeout, DefaultScanTimeout)
	o.HeartbeatTimeout = orDefault(c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	return o
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// scan unpacks and scans the package. Since version 1 the scan activity
// records the move to "scanning" itself, which saves the submission a round
// trip through Temporal before its scan starts; histories recorded before
// (running submissions) keep the separate step.
func (s *process) scan(ctx workflow.Context) (ScanSummary, error) {
	var scanned ScanSummary
	in := ScanInput{SubmissionID: s.id}
	if workflow.GetVersion(ctx, "scan-records-scanning", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if err := s.advance(ctx, submission.Scanning, nil); err != nil {
			return scanned, err
		}
	} else {
		s.seq++
		in.ScanningSeq = s.seq
	}
	scanCtx := workflow.WithActivityOptions(ctx, s.cfg.scanOptions())
	if err := workflow.ExecuteActivity(scanCtx, ActivityScanPackage, in).Get(ctx, &scanned); err != nil {
		return scanned, err
	}
	s.state = submission.Scanning
	return scanned, nil
}

// hearAppeal keeps a rejection open for the appeal window. An appeal goes
// to a senior task that nobody who decided before may take; its decision
// is final and replaces the first.
func (s *process) hearAppeal(ctx workflow.Context, first Verdict, result SubmissionResult) (SubmissionResult, error) {
	s.rejectedAt = workflow.Now(ctx)
	appealed, err := workflow.AwaitWithTimeout(ctx, s.cfg.AppealWindow, func() bool { return s.appealText != "" })
	if err != nil || !appealed {
		return result, err
	}
	if err := s.advance(ctx, submission.Appealed, map[string]any{"appeal": s.appealText}); err != nil {
		return s.fail(ctx, err)
	}
	t := s.newTask(ctx, "appeal", first)
	t.Queue, t.ApprovalsRequired, t.Excluded = "senior", 1, append([]string(nil), s.deciders...)
	// The appeal is answered once its task is in the senior queue.
	s.tasks[t.ID] = t
	if err := s.save(ctx, t).Get(ctx, nil); err != nil {
		return s.fail(ctx, err)
	}
	s.appealRecorded = true
	verdict, err := s.runReview(ctx, t)
	if err != nil {
		return s.fail(ctx, err)
	}
	if s.withdrawn {
		return s.recordWithdrawal(ctx)
	}
	return s.finish(ctx, verdict)
}

// sampledForQA picks the policy's share of automatic approvals for a QA
// look. Since version 1 of "qa-sample-draw" the choice is a random draw
// taken once the approval is recorded and kept in the history as a side
// effect: replay reads the same draw, and nothing the developer sees before
// the decision (the submission ID, the public rate) tells them whether QA
// will look, so withdrawing "unlucky" submissions gains nothing. Histories
// recorded before hashed the submission ID, which the developer knows as
// soon as the upload is accepted.
func (s *process) sampledForQA(ctx workflow.Context, rate float64) bool {
	if rate <= 0 {
		return false
	}
	if workflow.GetVersion(ctx, "qa-sample-draw", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		h := fnv.New32a()
		h.Write([]byte(s.id))
		return sampled(h.Sum32()%qaDrawRange, rate)
	}
	var draw uint32
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return drawQA() }).Get(&draw); err != nil {
		// A draw that cannot be read back fails towards a QA look.
		workflow.GetLogger(ctx).Error("read QA sample draw", "submission_id", s.id, "error", err)
		return true
	}
	return sampled(draw, rate)
}

// qaDrawRange is how many values a QA draw takes: the rate is applied in
// steps of 0.01 %.
const qaDrawRange = 10000

// sampled says whether a draw in [0, qaDrawRange) falls in the rate's share.
func sampled(draw uint32, rate float64) bool {
	return float64(draw) < rate*qaDrawRange
}

// drawQA is a uniform draw in [0, qaDrawRange) from the operating system's
// random source; it runs only inside a side effect, never on replay. The
// modulo bias of 2^64 over 10,000 values is below 10^-15.
func drawQA() uint32 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24 and later)
	return uint32(binary.BigEndian.Uint64(b[:]) % qaDrawRange)
}

// runQA asks a reviewer to look at a live automatic approval; a rejection
// suspends the app with the reviewer's reasons.
func (s *process) runQA(ctx workflow.Context, v Verdict) error {
	t := s.newTask(ctx, "qa", v)
	t.Queue, t.ApprovalsRequired = "qa", 1
	t.DueAt = workflow.Now(ctx).Add(s.cfg.QADue)
	qa, err := s.runReview(ctx, t)
	if err != nil || qa.Outcome != policies.OutcomeReject {
		return err
	}
	in := SuspendInput{SubmissionID: s.id, Reasons: qa.Reasons, By: t.DecidedBy, DedupeKey: "qa:" + t.ID}
	if err := workflow.ExecuteActivity(ctx, ActivitySuspendApp, in).Get(ctx, nil); err != nil {
		return fmt.Errorf("suspend app of %s after QA: %w", s.id, err)
	}
	return s.note(ctx, map[string]any{"event": "qa_rejected", "task_id": t.ID})
}
