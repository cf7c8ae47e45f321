package policies

import (
	"errors"
	"fmt"
	"slices"
)

// Outcomes of a decision.
const (
	OutcomeApprove = "approve"
	OutcomeReject  = "reject"
	OutcomeReview  = "review"
)

// Review queues.
const (
	QueueStandard = "standard"
	QueueSenior   = "senior"
)

// CodePolicyError is the reason code of a decision the policy could not make.
const CodePolicyError = "POLICY_ERROR"

// Reason explains one part of a decision to the developer and the reviewer.
type Reason struct {
	// Code is stable: a rule ID for findings, an upper-case name otherwise.
	Code    string `json:"code"`
	Message string `json:"message"`
	// Evidence names what the reason rests on: the finding (rule_id, file,
	// line) or the threshold and the value compared with it.
	Evidence    map[string]any `json:"evidence,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
}

// Decision is what the policy decided about a submission. Queue, Priority,
// ApprovalsRequired and SLAHours are set only for OutcomeReview.
type Decision struct {
	Outcome           string   `json:"outcome"`
	Reasons           []Reason `json:"reasons"`
	Queue             string   `json:"queue,omitempty"`
	Priority          string   `json:"priority,omitempty"`
	ApprovalsRequired int      `json:"approvals_required,omitempty"`
	SLAHours          int      `json:"sla_hours,omitempty"`
}

// Routing of a decision the policy failed to make: the most careful queue,
// and a deadline so that the review stage always has a timer to run.
const (
	policyErrorPriority = "high"
	policyErrorSLAHours = 24
)

// policyError is the fail-closed decision: someone senior looks at the
// submission and at the message, rather than the pipeline approving or
// rejecting on a broken policy.
func policyError(version string, err error) Decision {
	text := catalogue.byCode[CodePolicyError].En
	return Decision{
		Outcome: OutcomeReview,
		Reasons: []Reason{{
			Code:        CodePolicyError,
			Message:     text.Message,
			Evidence:    map[string]any{"error": err.Error(), "policy_version": version},
			Remediation: text.Remediation,
		}},
		Queue:             QueueSenior,
		Priority:          policyErrorPriority,
		ApprovalsRequired: 1,
		SLAHours:          policyErrorSLAHours,
	}
}

func (d Decision) validate() error {
	if !slices.Contains([]string{OutcomeApprove, OutcomeReject, OutcomeReview}, d.Outcome) {
		return fmt.Errorf("outcome %q is not one of approve, reject, review", d.Outcome)
	}
	if d.Outcome != OutcomeApprove && len(d.Reasons) == 0 {
		return fmt.Errorf("outcome %q without reasons", d.Outcome)
	}
	for i, r := range d.Reasons {
		if r.Code == "" {
			return fmt.Errorf("reason %d has no code", i)
		}
	}
	if d.Outcome != OutcomeReview {
		return nil
	}
	var errs []error
	if d.Queue != QueueStandard && d.Queue != QueueSenior {
		errs = append(errs, fmt.Errorf("queue %q is not one of standard, senior", d.Queue))
	}
	if d.ApprovalsRequired < 1 {
		errs = append(errs, fmt.Errorf("approvals_required %d is below 1", d.ApprovalsRequired))
	}
	if d.SLAHours < 1 {
		errs = append(errs, fmt.Errorf("sla_hours %d is below 1", d.SLAHours))
	}
	return errors.Join(errs...)
}

// truncate keeps an oversized output from flooding the decision log.
func truncate(b []byte) string {
	const max = 512
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "..."
}
