// Package activities holds the side-effecting steps of the submission
// workflow: scanning a package, loading a developer's standing, evaluating
// the policy and recording what happened. Each is idempotent, because
// Temporal may run any of them more than once.
package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"gocloud.dev/blob"

	"trustgate/internal/blobstore"
	"trustgate/internal/metrics"
	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/policies"
	"trustgate/scan"
	"trustgate/workflows"
)

// Activities implements the workflows' contract.
var _ workflows.Activities = (*Activities)(nil)

// MaxPackageBytes bounds what a scan reads from blob storage.
const MaxPackageBytes = 64 << 20

// Policies gives the engine that decides now. An interface so that a
// policy activation reaches running workers without restarting them.
type Policies interface {
	Current(ctx context.Context) (*policies.Engine, error)
}

// Activities are the workflow's steps with their dependencies.
type Activities struct {
	Store    *store.Store
	Blobs    *blob.Bucket
	Policies Policies
	// Shadow decides a sample of decisions again with OPA's evaluator
	// (nil: none); see shadowedDecide.
	Shadow *policies.Shadow
	// CommonModuleDevelopers is how many other developers must ship a
	// module before a package's fingerprint leaves it out as a library
	// (0: DefaultCommonModuleDevelopers).
	CommonModuleDevelopers int
}

// ScanPackage unpacks the submission's package safely, runs every rule and
// stores the findings, replacing those of an earlier run.
func (a *Activities) ScanPackage(ctx context.Context, in workflows.ScanInput) (workflows.ScanSummary, error) {
	defer keepHeartbeating(ctx)()
	if in.ScanningSeq > 0 {
		if err := a.Advance(ctx, workflows.AdvanceInput{SubmissionID: in.SubmissionID, Seq: in.ScanningSeq, To: submission.Scanning}); err != nil {
			return workflows.ScanSummary{}, err
		}
	}
	sub, app, err := a.load(ctx, in.SubmissionID)
	if err != nil {
		return workflows.ScanSummary{}, err
	}
	data, err := blobstore.ReadPackage(ctx, a.Blobs, sub.PackageSHA256, MaxPackageBytes)
	if err != nil {
		return workflows.ScanSummary{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("package of %s cannot be read", sub.ID), workflows.ErrTypeMissingPackage, err)
	}
	opts := scan.Options{Platform: scan.Platform(app.Platform), Domains: app.Domains}
	if err := a.privacyOptions(ctx, sub.ID, &opts); err != nil {
		return workflows.ScanSummary{}, err
	}
	opts.CommonModules = a.commonModules(ctx, sub.DeveloperID)
	started := time.Now()
	report, err := scan.Scan(ctx, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return workflows.ScanSummary{}, fmt.Errorf("scan %s: %w", sub.ID, err)
	}
	metrics.ScanDuration.Observe(time.Since(started).Seconds())
	metrics.ScanBytes.Add(float64(report.UnpackedBytes))
	rows := make([]store.Finding, 0, len(report.Findings))
	sum := workflows.ScanSummary{Files: report.Files, UnpackedBytes: report.UnpackedBytes, BySeverity: map[string]int{}}
	for _, f := range report.Findings {
		row := store.Finding{
			Fingerprint: f.Fingerprint, RuleID: f.RuleID, Severity: string(f.Severity),
			File: f.File, Line: f.Line, Column: f.Column, Snippet: f.Snippet,
			Message: f.Message, Remediation: f.Remediation,
		}
		if f.Content != nil {
			row.Score = f.Content.Score
		}
		if f.Content != nil || f.Privacy != nil || f.Flow != nil {
			// One object keyed by family, so that a reader never guesses
			// which kind of evidence a row holds.
			ev := findingEvidence{Content: f.Content, Privacy: f.Privacy, Flow: f.Flow}
			if row.Evidence, err = json.Marshal(ev); err != nil {
				return workflows.ScanSummary{}, fmt.Errorf("encode evidence of %s in %s: %w", f.RuleID, sub.ID, err)
			}
		}
		rows = append(rows, row)
		sum.BySeverity[string(f.Severity)]++
	}
	sum.Findings = len(rows)
	if err := a.Store.SaveScan(ctx, scanResult(sub, rows, report)); err != nil {
		return workflows.ScanSummary{}, err
	}
	if err := a.saveFlows(ctx, sub.ID, report.Flows, app.Domains); err != nil {
		return workflows.ScanSummary{}, err
	}
	activity.GetLogger(ctx).Info("scanned package", "submission_id", sub.ID, "findings", sum.Findings)
	return sum, nil
}

// findingEvidence is what a finding rests on, as stored with it: the
// CONTENT block's category, terms and normalised text; a PRIV finding's
// data kind, declaration and policy sentences, and the flow it is about.
type findingEvidence struct {
	Content *scan.ContentEvidence `json:"content,omitempty"`
	Privacy *scan.PrivacyEvidence `json:"privacy,omitempty"`
	Flow    *scan.Flow            `json:"flow,omitempty"`
}

// keepHeartbeating tells Temporal the activity is alive until the returned
// stop is called: a scan is one library call that cannot heartbeat itself,
// and a worker that dies mid-scan must be noticed long before the scan's
// whole timeout.
func keepHeartbeating(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(timeout / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// LoadDeveloper takes the snapshot of the developer's standing and history.
func (a *Activities) LoadDeveloper(ctx context.Context, in workflows.ProfileInput) (workflows.Profile, error) {
	sub, app, err := a.load(ctx, in.SubmissionID)
	if err != nil {
		return workflows.Profile{}, err
	}
	dev, err := a.Store.GetDeveloper(ctx, sub.DeveloperID)
	if err != nil {
		return workflows.Profile{}, a.permanent(err)
	}
	hist, err := a.Store.DeveloperHistory(ctx, dev.ID, sub.ID, time.Now())
	if err != nil {
		return workflows.Profile{}, err
	}
	p := workflows.Profile{
		Submission: policies.SubmissionInput{
			ID: sub.ID, AppID: sub.AppID, Version: sub.Version, Platform: app.Platform,
			PackageSHA256: sub.PackageSHA256, PackageBytes: sub.PackageBytes,
		},
		App: policies.AppInput{
			ID: app.ID, Name: app.Name, Category: app.Category, Platform: app.Platform,
			Status: app.Status, LiveVersion: deref(app.LiveVersion),
		},
		Developer: policies.DeveloperInput{
			ID: dev.ID, OrgID: dev.OrgID, Kind: dev.Kind,
			RealName: policies.RealNameInput{
				Status: dev.RealNameStatus, VerifiedAt: dev.RealNameVerifiedAt, ExpiresAt: dev.RealNameExpiresAt,
			},
			CreditScore: dev.CreditScore, Qualifications: dev.Qualifications,
			RiskFlags: dev.RiskFlags, Blacklisted: dev.Blacklisted,
		},
		History: policies.HistoryInput{
			Rejections90d: hist.Rejections90d, Approvals365d: hist.Approvals365d, LiveApps: hist.LiveApps,
			WithdrawnSamePackage: hist.WithdrawnSamePackage,
		},
	}
	if p.Related, err = a.related(ctx, sub.ID); err != nil {
		return workflows.Profile{}, err
	}
	return p, nil
}

// Decide evaluates the active policy on the profile and the stored findings
// and appends input and output to the decision log. The engine fails closed:
// an evaluation error becomes a review, never an approval.
func (a *Activities) Decide(ctx context.Context, in workflows.DecideInput) (workflows.Verdict, error) {
	findings, err := a.Store.Findings(ctx, in.SubmissionID)
	if err != nil {
		return workflows.Verdict{}, err
	}
	// At the decision's own clock, so that a retry sees the same waivers and
	// an expired waiver stops applying without anyone withdrawing it.
	waivers, err := a.Store.ActiveWaivers(ctx, in.Profile.App.ID, in.Now)
	if err != nil {
		return workflows.Verdict{}, err
	}
	engine, err := a.Policies.Current(ctx)
	if err != nil {
		return workflows.Verdict{}, fmt.Errorf("load active policy: %w", err)
	}
	flows, privacy, err := a.privacyInput(ctx, in.SubmissionID)
	if err != nil {
		return workflows.Verdict{}, err
	}
	input := policies.Input{
		Submission: in.Profile.Submission, App: in.Profile.App, Developer: in.Profile.Developer,
		History: in.Profile.History, Related: in.Profile.Related, Now: in.Now,
		Findings: make([]policies.FindingInput, 0, len(findings)), Waivers: make([]policies.WaiverInput, 0, len(waivers)),
		Flows: flows, Privacy: privacy,
	}
	for _, f := range findings {
		input.Findings = append(input.Findings, policies.FindingInput{
			RuleID: f.RuleID, Severity: f.Severity, File: f.File, Line: f.Line, Message: f.Message,
			Remediation: f.Remediation, Score: f.Score,
		})
	}
	for _, w := range waivers {
		input.Waivers = append(input.Waivers, policies.WaiverInput{RuleID: w.RuleID, AppID: w.AppID, ExpiresAt: w.ExpiresAt})
	}
	started := time.Now()
	decision := a.shadowedDecide(ctx, engine, in.SubmissionID, input)
	metrics.PolicyEvaluation.Observe(time.Since(started).Seconds())
	v := workflows.Verdict{Decision: decision, PolicyVersion: engine.Version(), PolicyHash: engine.Hash(), QASampleRate: engine.QASampleRate(),
		WaivedBy: waivedBy(ctx, engine, input, decision, waivers)}
	if err := a.Store.RecordDecision(ctx, in.SubmissionID, in.Attempt, v.PolicyVersion, v.PolicyHash, input, decision, v.WaivedBy); err != nil {
		return workflows.Verdict{}, err
	}
	return v, nil
}

// Advance records a state change in the read model and the timeline.
func (a *Activities) Advance(ctx context.Context, in workflows.AdvanceInput) error {
	step := store.Step{SubmissionID: in.SubmissionID, Seq: in.Seq, To: in.To, Detail: in.Detail, Failure: in.Failure}
	if v := in.Verdict; v != nil {
		reasons, err := marshalReasons(v.Reasons)
		if err != nil {
			return temporal.NewNonRetryableApplicationError("encode reasons", workflows.ErrTypeBadVerdict, err)
		}
		step.Outcome, step.Reasons = v.Outcome, reasons
		step.PolicyVersion, step.PolicyHash = v.PolicyVersion, v.PolicyHash
	}
	err := a.Store.Advance(ctx, step)
	if errors.Is(err, store.ErrConflict) {
		// Another actor (a withdrawal) moved the submission first; retrying
		// cannot change that, and the workflow must hear it.
		return temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeStateConflict, err)
	}
	return a.permanent(err)
}

func (a *Activities) load(ctx context.Context, id string) (store.Submission, store.App, error) {
	sub, err := a.Store.GetSubmission(ctx, id)
	if err != nil {
		return store.Submission{}, store.App{}, a.permanent(err)
	}
	app, err := a.Store.GetApp(ctx, sub.AppID)
	if err != nil {
		return store.Submission{}, store.App{}, a.permanent(err)
	}
	return sub, app, nil
}

// permanent turns "the row is not there" into an error no retry can fix;
// anything else (a database hiccup) stays retryable.
func (a *Activities) permanent(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeMissingRecord, err)
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// waivedBy names the waivers that changed the decision: when the same input
// without waivers decides otherwise (outcome or reasons), the waivers of
// rules among the findings made the difference.
func waivedBy(ctx context.Context, engine *policies.Engine, in policies.Input, d policies.Decision, waivers []store.Waiver) []string {
	if len(waivers) == 0 {
		return nil
	}
	without := in
	without.Waivers = []policies.WaiverInput{}
	alt := engine.Decide(ctx, without)
	same := alt.Outcome == d.Outcome && len(alt.Reasons) == len(d.Reasons)
	for i := 0; same && i < len(d.Reasons); i++ {
		same = alt.Reasons[i].Code == d.Reasons[i].Code
	}
	if same {
		return nil
	}
	var ids []string
	for _, w := range waivers {
		if slices.ContainsFunc(in.Findings, func(f policies.FindingInput) bool { return f.RuleID == w.RuleID }) {
			ids = append(ids, w.ID)
		}
	}
	return ids
}

// Note records an event of the review (an escalation, a claim expiring) on
// the submission's timeline.
func (a *Activities) Note(ctx context.Context, in workflows.NoteInput) error {
	added, err := a.Store.Note(ctx, in.SubmissionID, in.Seq, in.Detail)
	if added && in.Detail["event"] == "escalated" {
		metrics.SLAEscalations.Inc() // once per escalation, however often retried
	}
	return err
}
