package server

import (
	"encoding/json"
	"time"

	"trustgate/internal/store"
	"trustgate/internal/submission"
)

// The API's answers are its own types, shaped as server/openapi.yaml
// describes them: a column added to a store row reaches clients only when
// it is added here too.

// appAnswer is an app (openapi: App).
type appAnswer struct {
	ID               string    `json:"id"`
	DeveloperID      string    `json:"developer_id"`
	Name             string    `json:"name"`
	Category         string    `json:"category"`
	Platform         string    `json:"platform"`
	Domains          []string  `json:"domains"`
	Status           string    `json:"status"`
	LiveSubmissionID *string   `json:"live_submission_id"`
	LiveVersion      *string   `json:"live_version"`
	CreatedAt        time.Time `json:"created_at"`
}

func answerApp(a store.App) appAnswer {
	return appAnswer{ID: a.ID, DeveloperID: a.DeveloperID, Name: a.Name, Category: a.Category, Platform: a.Platform,
		Domains: a.Domains, Status: a.Status, LiveSubmissionID: a.LiveSubmissionID, LiveVersion: a.LiveVersion,
		CreatedAt: a.CreatedAt}
}

// developerAnswer is a developer's standing as its own developer sees it.
type developerAnswer struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	OrgID              string     `json:"org_id"`
	Kind               string     `json:"kind"`
	RealNameStatus     string     `json:"real_name_status"`
	RealNameVerifiedAt *time.Time `json:"real_name_verified_at,omitempty"`
	RealNameExpiresAt  *time.Time `json:"real_name_expires_at,omitempty"`
	CreditScore        int        `json:"credit_score"`
	Qualifications     []string   `json:"qualifications"`
	RiskFlags          []string   `json:"risk_flags"`
	Blacklisted        bool       `json:"blacklisted"`
}

func answerDeveloper(d store.Developer) developerAnswer {
	return developerAnswer{ID: d.ID, Name: d.Name, OrgID: d.OrgID, Kind: d.Kind, RealNameStatus: d.RealNameStatus,
		RealNameVerifiedAt: d.RealNameVerifiedAt, RealNameExpiresAt: d.RealNameExpiresAt, CreditScore: d.CreditScore,
		Qualifications: d.Qualifications, RiskFlags: d.RiskFlags, Blacklisted: d.Blacklisted}
}

// appEventAnswer is an entry of an app's history.
type appEventAnswer struct {
	ID           int64           `json:"id"`
	Kind         string          `json:"kind"`
	SubmissionID *string         `json:"submission_id,omitempty"`
	Detail       json.RawMessage `json:"detail"`
	At           time.Time       `json:"at"`
}

func answerAppEvent(e store.AppEvent) appEventAnswer {
	return appEventAnswer{ID: e.ID, Kind: e.Kind, SubmissionID: e.SubmissionID, Detail: e.Detail, At: e.At}
}

// auditAnswer is an audit log entry (openapi: AuditEntry).
type auditAnswer struct {
	ID        int64           `json:"id"`
	Actor     string          `json:"actor"`
	Role      string          `json:"role"`
	Action    string          `json:"action"`
	ObjectID  string          `json:"object_id"`
	RequestID string          `json:"request_id"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	At        time.Time       `json:"at"`
}

func answerAudit(e store.AuditEntry) auditAnswer {
	return auditAnswer{ID: e.ID, Actor: e.Actor, Role: e.Role, Action: e.Action, ObjectID: e.ObjectID,
		RequestID: e.RequestID, Before: e.Before, After: e.After, At: e.At}
}

// webhookAnswer is a webhook endpoint; Secret is set only in the answer
// that creates it.
type webhookAnswer struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	EventTypes  []string   `json:"events"`
	Secret      string     `json:"secret,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}

func answerWebhook(w store.Webhook) webhookAnswer {
	return webhookAnswer{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, Secret: w.Secret, CreatedAt: w.CreatedAt,
		PausedUntil: w.PausedUntil}
}

// deliveryAnswer is one delivery of an event to an endpoint; its payload,
// address and secret stay on the server.
type deliveryAnswer struct {
	ID          string     `json:"id"`
	WebhookID   string     `json:"webhook_id"`
	EventID     string     `json:"event_id"`
	Type        string     `json:"type"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	LastStatus  *int       `json:"last_status,omitempty"`
	LastError   *string    `json:"last_error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	NextAt      time.Time  `json:"next_attempt_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func answerDelivery(d store.Delivery) deliveryAnswer {
	return deliveryAnswer{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, Type: d.Type, State: d.State,
		Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, DeliveredAt: d.DeliveredAt,
		NextAt: d.NextAt, CreatedAt: d.CreatedAt}
}

// answerAll converts rows to answers.
func answerAll[Row, Answer any](rows []Row, answer func(Row) Answer) []Answer {
	out := make([]Answer, len(rows))
	for i, r := range rows {
		out[i] = answer(r)
	}
	return out
}

// taskAnswer is a review task as staff see it (openapi: Task); which
// workflow owns it, whom it excludes and its snapshot version stay inside.
type taskAnswer struct {
	ID                string          `json:"id"`
	SubmissionID      string          `json:"submission_id"`
	Kind              string          `json:"kind"`
	Queue             string          `json:"queue"`
	State             string          `json:"state"`
	Assignee          *string         `json:"assignee"`
	Priority          string          `json:"priority"`
	DueAt             time.Time       `json:"due_at"`
	ClaimExpiresAt    *time.Time      `json:"claim_expires_at,omitempty"`
	Reasons           json.RawMessage `json:"reasons"`
	Approvals         []string        `json:"approvals"`
	ApprovalsRequired int             `json:"approvals_required"`
	Escalated         bool            `json:"escalated"`
	Outcome           *string         `json:"outcome,omitempty"`
	DecidedBy         *string         `json:"decided_by,omitempty"`
	DecidedAt         *time.Time      `json:"decided_at,omitempty"`
	Comment           string          `json:"comment,omitempty"`
	ReasonCodes       []string        `json:"reason_codes,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
}

func answerTask(t store.Task) taskAnswer {
	return taskAnswer{ID: t.ID, SubmissionID: t.SubmissionID, Kind: t.Kind, Queue: t.Queue, State: t.State,
		Assignee: t.Assignee, Priority: t.Priority, DueAt: t.DueAt, ClaimExpiresAt: t.ClaimExpiresAt,
		Reasons: t.Reasons, Approvals: t.Approvals, ApprovalsRequired: t.ApprovalsRequired, Escalated: t.Escalated,
		Outcome: t.Outcome, DecidedBy: t.DecidedBy, DecidedAt: t.DecidedAt, Comment: t.Comment,
		ReasonCodes: t.ReasonCodes, CreatedAt: t.CreatedAt}
}

// waiverAnswer is a waiver with its state now (openapi: Waiver).
type waiverAnswer struct {
	ID          string     `json:"id"`
	AppID       string     `json:"app_id"`
	RuleID      string     `json:"rule_id"`
	Reason      string     `json:"reason"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RequestedBy string     `json:"requested_by"`
	ApprovedBy  *string    `json:"approved_by,omitempty"`
	ApprovedAt  *time.Time `json:"approved_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	State       string     `json:"state"`
}

func answerWaiver(w store.Waiver) waiverAnswer {
	return waiverAnswer{ID: w.ID, AppID: w.AppID, RuleID: w.RuleID, Reason: w.Reason, ExpiresAt: w.ExpiresAt,
		RequestedBy: w.RequestedBy, ApprovedBy: w.ApprovedBy, ApprovedAt: w.ApprovedAt, CreatedAt: w.CreatedAt,
		State: w.State(time.Now())}
}

// policyVersionAnswer is a policy version (openapi: PolicyVersion); Files
// only where one version is read.
type policyVersionAnswer struct {
	ID          string                 `json:"id"`
	State       string                 `json:"state"`
	Hash        string                 `json:"hash"`
	ParentID    *string                `json:"parent_id,omitempty"`
	Author      string                 `json:"author"`
	Editors     []string               `json:"editors"`
	Validation  json.RawMessage        `json:"validation,omitempty"`
	TestReport  json.RawMessage        `json:"test_report,omitempty"`
	Approvals   []policyApprovalAnswer `json:"approvals"`
	CreatedAt   time.Time              `json:"created_at"`
	UpdatedAt   time.Time              `json:"updated_at"`
	ActivatedAt *time.Time             `json:"activated_at,omitempty"`
	RetiredAt   *time.Time             `json:"retired_at,omitempty"`
	Files       map[string]string      `json:"files,omitempty"`
}

type policyApprovalAnswer struct {
	By   string    `json:"by"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

func answerPolicyVersion(v store.PolicyVersion) policyVersionAnswer {
	var approvals []policyApprovalAnswer
	if v.Approvals != nil {
		approvals = make([]policyApprovalAnswer, len(v.Approvals))
		for i, a := range v.Approvals {
			approvals[i] = policyApprovalAnswer{By: a.By, Hash: a.Hash, At: a.At}
		}
	}
	return policyVersionAnswer{ID: v.ID, State: v.State, Hash: v.Hash, ParentID: v.ParentID, Author: v.Author,
		Editors: v.Editors, Validation: v.Validation, TestReport: v.TestReport, Approvals: approvals,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, ActivatedAt: v.ActivatedAt, RetiredAt: v.RetiredAt,
		Files: v.Files}
}

// simulationAnswer is a simulation job (openapi: PolicySimulation):
// progress while running, the report or the error once finished.
type simulationAnswer struct {
	ID          string                 `json:"id"`
	PolicyID    string                 `json:"policy_id"`
	PolicyHash  string                 `json:"policy_hash"`
	RequestedBy string                 `json:"requested_by"`
	Params      simulationParamsAnswer `json:"params"`
	State       string                 `json:"state"`
	Total       int                    `json:"total"`
	Done        int                    `json:"done"`
	Report      json.RawMessage        `json:"report,omitempty"`
	Error       *string                `json:"error,omitempty"`
	CreatedAt   time.Time              `json:"created_at"`
	FinishedAt  *time.Time             `json:"finished_at,omitempty"`
}

type simulationParamsAnswer struct {
	Last  int        `json:"last,omitempty"`
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
}

func answerSimulation(j store.PolicySimulation) simulationAnswer {
	return simulationAnswer{ID: j.ID, PolicyID: j.PolicyID, PolicyHash: j.PolicyHash, RequestedBy: j.RequestedBy,
		Params: simulationParamsAnswer{Last: j.Params.Last, Since: j.Params.Since, Until: j.Params.Until},
		State:  j.State, Total: j.Total, Done: j.Done, Report: j.Report, Error: j.Error, CreatedAt: j.CreatedAt,
		FinishedAt: j.FinishedAt}
}

// eventAnswer is an entry of a submission's timeline (openapi: Event).
type eventAnswer struct {
	Seq    int              `json:"seq"`
	State  submission.State `json:"state"`
	Detail json.RawMessage  `json:"detail"`
	At     time.Time        `json:"at"`
}

func answerEvent(e store.Event) eventAnswer {
	return eventAnswer{Seq: e.Seq, State: e.State, Detail: e.Detail, At: e.At}
}

// findingAnswer is a scan finding (openapi: Finding).
type findingAnswer struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Severity    string `json:"severity"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Snippet     string `json:"snippet"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	// Score is a CONTENT finding's block score for its category, 0 for
	// other rules.
	Score int `json:"score"`
	// Evidence is what the finding rests on, one object keyed by family;
	// absent when the rule reports none.
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

func answerFinding(f store.Finding) findingAnswer {
	return findingAnswer{Fingerprint: f.Fingerprint, RuleID: f.RuleID, Severity: f.Severity, File: f.File,
		Line: f.Line, Column: f.Column, Snippet: f.Snippet, Message: f.Message, Remediation: f.Remediation,
		Score: f.Score, Evidence: f.Evidence}
}
