package workflows

import (
	"context"
	"time"

	"trustgate/internal/submission"
	"trustgate/policies"
)

// This file is the contract between the workflows and the activities they
// run: each activity's name, its input and result, and the error types the
// workflows read. The workflows call activities by these names and never
// link their implementation; package activities implements Activities and
// the worker registers it under the same names.
//
// Names and JSON shapes are part of every recorded history: a running
// submission replays with them. Rename nothing here; add new fields with
// omitempty and new activities under new names.

// The activity names, as Temporal records them.
const (
	ActivityScanPackage       = "ScanPackage"
	ActivityLoadDeveloper     = "LoadDeveloper"
	ActivityDecide            = "Decide"
	ActivityAdvance           = "Advance"
	ActivityNote              = "Note"
	ActivitySaveTask          = "SaveTask"
	ActivitySuspendApp        = "SuspendApp"
	ActivityReinstateApp      = "ReinstateApp"
	ActivityLiveApps          = "LiveApps"
	ActivityAppEvent          = "AppEvent"
	ActivitySimulatePolicy    = "SimulatePolicy"
	ActivityAbandonSimulation = "AbandonSimulation"
	ActivityLinkedLiveApps    = "LinkedLiveApps"
)

// ActivityNames lists every activity the workflows call; the worker must
// register each under its name (a test in package activities holds it).
func ActivityNames() []string {
	return []string{
		ActivityScanPackage, ActivityLoadDeveloper, ActivityDecide, ActivityAdvance, ActivityNote,
		ActivitySaveTask, ActivitySuspendApp, ActivityReinstateApp, ActivityLiveApps, ActivityAppEvent,
		ActivitySimulatePolicy, ActivityAbandonSimulation, ActivityLinkedLiveApps,
	}
}

// Activities are the steps the workflows run, one method per activity name
// above with the method's name. Package activities implements it against the
// database, the blob store, the scanner and the policy engine.
type Activities interface {
	ScanPackage(context.Context, ScanInput) (ScanSummary, error)
	LoadDeveloper(context.Context, ProfileInput) (Profile, error)
	Decide(context.Context, DecideInput) (Verdict, error)
	Advance(context.Context, AdvanceInput) error
	Note(context.Context, NoteInput) error
	SaveTask(context.Context, Task) error
	SuspendApp(context.Context, SuspendInput) error
	ReinstateApp(context.Context, ReinstateInput) error
	LiveApps(ctx context.Context, developerID string) ([]LiveApp, error)
	AppEvent(context.Context, AppEventInput) error
	SimulatePolicy(context.Context, SimulateInput) (SimulationSummary, error)
	AbandonSimulation(context.Context, AbandonSimulationInput) error
	LinkedLiveApps(context.Context, LinkedAppsInput) ([]LiveApp, error)
}

// Error types of activity failures no retry can fix; the workflow records
// them as failed.
const (
	ErrTypeMissingPackage = "MissingPackage"
	ErrTypeMissingRecord  = "MissingRecord"
	// ErrTypeStateConflict: another actor (a withdrawal) moved the
	// submission first.
	ErrTypeStateConflict = "StateConflict"
	// ErrTypeBadVerdict, ErrTypeBadTask and ErrTypeBadReasons: reasons that
	// cannot be encoded for the read model.
	ErrTypeBadVerdict = "BadVerdict"
	ErrTypeBadTask    = "BadTask"
	ErrTypeBadReasons = "BadReasons"
	// ErrTypeBadDeclaration: the privacy declaration stored with the
	// submission no longer parses (intake refuses one that does not).
	ErrTypeBadDeclaration = "BadDeclaration"
)

// ScanInput names the submission whose package to scan.
type ScanInput struct {
	SubmissionID string
	// ScanningSeq, when set, is the timeline step at which the scan records
	// the move to "scanning" before it starts.
	ScanningSeq int `json:",omitempty"`
}

// ScanSummary is what the workflow needs to know about a scan; the findings
// themselves stay in the database.
type ScanSummary struct {
	Files         int            `json:"files"`
	UnpackedBytes int64          `json:"unpacked_bytes"`
	Findings      int            `json:"findings"`
	BySeverity    map[string]int `json:"by_severity"`
}

// ProfileInput names the submission whose developer to load.
type ProfileInput struct {
	SubmissionID string
}

// Profile is the snapshot of submission, app and developer that goes into
// the decision: taken once, so a retry of Decide sees the same facts.
type Profile struct {
	Submission policies.SubmissionInput `json:"submission"`
	App        policies.AppInput        `json:"app"`
	Developer  policies.DeveloperInput  `json:"developer"`
	History    policies.HistoryInput    `json:"history"`
	// Related are other developers' packages and accounts linked to the
	// submission, with their standing when the profile was taken.
	Related []policies.RelatedInput `json:"related,omitempty"`
}

// DecideInput is what the policy decides on. Now comes from the workflow,
// so the decision is reproducible from the decision log.
type DecideInput struct {
	SubmissionID string    `json:"submission_id"`
	Attempt      int       `json:"attempt"`
	Profile      Profile   `json:"profile"`
	Now          time.Time `json:"now"`
}

// Verdict is the policy's decision and the bundle that made it.
type Verdict struct {
	policies.Decision
	PolicyVersion string `json:"policy_version"`
	PolicyHash    string `json:"policy_hash"`
	// QASampleRate is the policy's share of automatic approvals that get a
	// QA look (policy data, so compliance owns it).
	QASampleRate float64 `json:"qa_sample_rate,omitempty"`
	// WaivedBy names the waivers without which the decision would differ.
	WaivedBy []string `json:"waived_by,omitempty"`
}

// AdvanceInput moves a submission to a state; Seq is the workflow's step
// number, which makes the write idempotent.
type AdvanceInput struct {
	SubmissionID string           `json:"submission_id"`
	Seq          int              `json:"seq"`
	To           submission.State `json:"to"`
	Detail       map[string]any   `json:"detail,omitempty"`
	Verdict      *Verdict         `json:"verdict,omitempty"`
	Failure      string           `json:"failure,omitempty"`
}

// NoteInput adds a timeline entry that changes no state.
type NoteInput struct {
	SubmissionID string         `json:"submission_id"`
	Seq          int            `json:"seq"`
	Detail       map[string]any `json:"detail"`
}

// Task is a review task as the workflow holds it; SaveTask copies it to
// the read model that queues are listed from.
type Task struct {
	ID                string            `json:"id"`
	SubmissionID      string            `json:"submission_id"`
	WorkflowID        string            `json:"workflow_id"` // owns the task and takes its Updates
	Kind              string            `json:"kind"`        // review, appeal, qa
	Queue             string            `json:"queue"`       // standard, senior, qa
	State             string            `json:"state"`       // open, claimed, decided, expired, cancelled
	Assignee          string            `json:"assignee,omitempty"`
	Priority          string            `json:"priority"`
	DueAt             time.Time         `json:"due_at"`
	ClaimExpiresAt    *time.Time        `json:"claim_expires_at,omitempty"`
	Reasons           []policies.Reason `json:"reasons"`
	Approvals         []string          `json:"approvals"`
	ApprovalsRequired int               `json:"approvals_required"`
	Excluded          []string          `json:"excluded,omitempty"`
	DevOrg            string            `json:"dev_org"`
	Escalated         bool              `json:"escalated"`
	Outcome           string            `json:"outcome,omitempty"`
	DecidedBy         string            `json:"decided_by,omitempty"`
	DecidedRole       string            `json:"decided_role,omitempty"` // shown to developers instead of the name; not in the read model
	DecidedAt         *time.Time        `json:"decided_at,omitempty"`
	Comment           string            `json:"comment,omitempty"`
	ReasonCodes       []string          `json:"reason_codes,omitempty"`
	// Version grows with every change the workflow makes, so that a late
	// write of an older snapshot never wins.
	Version int64 `json:"version"`
}

// SuspendInput takes an app down after a QA rejection or a takedown.
type SuspendInput struct {
	SubmissionID string            `json:"submission_id"`
	Reasons      []policies.Reason `json:"reasons"`
	By           string            `json:"by"`
	// DedupeKey makes a retried suspension write one history entry.
	DedupeKey string `json:"dedupe_key"`
}

// ReinstateInput makes a suspended app live again.
type ReinstateInput struct {
	AppID     string         `json:"app_id"`
	Detail    map[string]any `json:"detail"`
	DedupeKey string         `json:"dedupe_key"`
}

// LiveApp is a live app and the submission that made it live.
type LiveApp struct {
	AppID        string `json:"app_id"`
	SubmissionID string `json:"submission_id"`
}

// LinkedAppsInput names an app that was taken down, or a developer who
// was blacklisted, whose linked live apps of other developers are to be
// re-checked; one of the two is set.
type LinkedAppsInput struct {
	AppID       string `json:"app_id,omitempty"`
	DeveloperID string `json:"developer_id,omitempty"`
}

// AppEventInput records what happened to an app.
type AppEventInput struct {
	AppID        string         `json:"app_id"`
	SubmissionID string         `json:"submission_id"`
	Kind         string         `json:"kind"`
	Detail       map[string]any `json:"detail"`
	DedupeKey    string         `json:"dedupe_key"`
}

// SimulateInput names the simulation job to run.
type SimulateInput struct {
	SimulationID string `json:"simulation_id"`
}

// SimulationSummary is what the workflow learns of a simulation; the report
// itself stays in the database.
type SimulationSummary struct {
	State     string `json:"state"`
	Evaluated int    `json:"evaluated"`
	Changed   int    `json:"changed"`
	Error     string `json:"error,omitempty"`
}

// AbandonSimulationInput ends a simulation whose activity gave up.
type AbandonSimulationInput struct {
	SimulationID string `json:"simulation_id"`
	Error        string `json:"error"`
}
