# Package trustgate.submission decides whether an uploaded mini-program version
# goes live, is rejected, or waits for human review.
#
# The one entry point is `decision`. Rules only collect reasons; the outcome
# follows from which collection is non-empty, so a new gate is one more
# `reject_reasons` or `review_reasons` rule and precedence cannot drift.
# Numbers live in data.json (data.trustgate.thresholds) so that compliance can
# tune them without touching the rules.
package trustgate.submission

limits := data.trustgate.thresholds

# The clock comes from the input, never from time.now_ns, so that a recorded
# input replays to the same decision.
now_ns := time.parse_rfc3339_ns(input.now)

# Reject beats review beats approve. Every reject reason is listed so that a
# developer can fix everything in one round instead of one reason per upload.
decision := {"outcome": "reject", "reasons": ordered(reject_reasons)} if {
	count(reject_reasons) > 0
}

decision := object.union({"outcome": "review", "reasons": ordered(review_reasons)}, review_route) if {
	count(reject_reasons) == 0
	count(review_reasons) > 0
}

decision := {"outcome": "approve", "reasons": []} if {
	count(reject_reasons) == 0
	count(review_reasons) == 0
}

# Sorting by code, then evidence, makes the output byte-stable, which the
# decision log and policy simulation compare on.
ordered(reasons) := [r |
	some entry in sort([[r.code, object.get(r, "evidence", {}), r] | some r in reasons])
	r := entry[2]
]

# ---------------------------------------------------------------------------
# Developer trust

reject_reasons contains reason if {
	input.developer.blacklisted == true
	reason := {
		"code": "DEVELOPER_BLACKLISTED",
		"message": "The developer account is blacklisted and cannot publish.",
		"evidence": {"developer_id": input.developer.id, "blacklisted": true},
		"remediation": "Contact platform compliance to contest the blacklisting; no submission is accepted until it is lifted.",
	}
}

# A missing status counts as "none": the gate must not open because a field
# was left out.
real_name_status := object.get(input.developer, ["real_name", "status"], "none")

reject_reasons contains reason if {
	real_name_status != "verified"
	reason := {
		"code": "REALNAME_REQUIRED",
		"message": sprintf("Real-name verification is required to publish; the developer's status is %q.", [real_name_status]),
		"evidence": {"real_name_status": real_name_status, "required": "verified"},
		"remediation": "Complete real-name verification for the developer account (identity document for individuals, business licence for enterprises), then upload again.",
	}
}

reject_reasons contains reason if {
	real_name_status == "verified"
	expires := input.developer.real_name.expires_at
	is_string(expires)
	time.parse_rfc3339_ns(expires) < now_ns
	reason := {
		"code": "REALNAME_EXPIRED",
		"message": sprintf("The developer's real-name verification expired at %s.", [expires]),
		"evidence": {"expires_at": expires, "now": input.now},
		"remediation": "Renew the real-name verification for the developer account, then upload again.",
	}
}

# Category overrides replace the per-kind thresholds one kind at a time, so a
# category may raise the bar for individuals only.
credit_thresholds := object.union(
	limits.credit_score.by_kind,
	object.get(limits.credit_score.by_category, input.app.category, {}),
)

# An unknown kind gets the strictest threshold: a typo must not lower the bar.
credit_threshold := t if {
	t := credit_thresholds[input.developer.kind]
} else := max([t | some t in credit_thresholds])

# A missing or non-numeric score counts as zero, for the same reason.
credit_score := s if {
	s := input.developer.credit_score
	is_number(s)
} else := 0

reject_reasons contains reason if {
	credit_score < credit_threshold
	reason := {
		"code": "CREDIT_BELOW_THRESHOLD",
		"message": sprintf(
			"Credit score %v is below the %v required for %v developers in category %q.",
			[credit_score, credit_threshold, input.developer.kind, input.app.category],
		),
		"evidence": {
			"credit_score": credit_score,
			"threshold": credit_threshold,
			"kind": input.developer.kind,
			"category": input.app.category,
		},
		"remediation": sprintf("Raise the account's credit score to at least %v (settle overdue obligations, complete the credit profile), then upload again.", [credit_threshold]),
	}
}

# Previous rejections alone do not reject, but they send the next submission
# to senior reviewers.
repeat_offender if input.history.rejections_90d >= limits.repeat_offender.rejections_90d

review_reasons contains reason if {
	repeat_offender
	reason := {
		"code": "REPEAT_OFFENDER",
		"message": sprintf("The developer had %v rejections in the last 90 days.", [input.history.rejections_90d]),
		"evidence": {
			"rejections_90d": input.history.rejections_90d,
			"threshold": limits.repeat_offender.rejections_90d,
		},
		"remediation": "No action needed for this submission; senior reviewers will look at it. Fixing findings before upload avoids further rejections.",
	}
}

review_reasons contains reason if {
	some flag in input.developer.risk_flags
	reason := {
		"code": "RISK_FLAGGED",
		"message": sprintf("The developer account carries the risk flag %q.", [flag]),
		"evidence": {"risk_flag": flag},
		"remediation": "No action needed for this submission; a reviewer will look at it. Contact platform compliance if the flag is out of date.",
	}
}

queue := "senior" if repeat_offender else := "standard"

review_route := {
	"queue": queue,
	"priority": limits.review[queue].priority,
	"approvals_required": limits.review[queue].approvals_required,
	"sla_hours": limits.review[queue].sla_hours,
}

# ---------------------------------------------------------------------------
# Findings from the static scans: critical ones reject, high ones (and any
# severity this policy does not know) go to review.

# A waiver exempts one app from one rule until its end date; compliance
# grants it, so the policy only checks that it matches and is still running.
active_findings contains f if {
	some f in input.findings
	not waived(f)
}

waived(f) if {
	some w in input.waivers
	w.rule_id == f.rule_id
	w.app_id == input.app.id
	time.parse_rfc3339_ns(w.expires_at) > now_ns
}

# Severities that never stop a submission. Anything not listed here or as
# critical goes to a reviewer, so a new or misspelt severity fails closed.
informational_severities := {"medium", "low", "info"}

reject_reasons contains reason if {
	some f in active_findings
	lower(f.severity) == "critical"

	# The rule ID is the code so that a developer can look the rule up.
	reason := {
		"code": f.rule_id,
		"message": f.message,
		"evidence": finding_evidence(f),
		"remediation": sprintf("Fix what %s reports at %s and upload a new version.", [f.rule_id, where(f)]),
	}
}

review_reasons contains reason if {
	some f in active_findings
	severity := lower(f.severity)
	severity != "critical"
	not severity in informational_severities
	reason := {
		"code": "FINDING_NEEDS_REVIEW",
		"message": sprintf("%s (%s) at %s needs a reviewer: %s", [f.rule_id, severity, where(f), f.message]),
		"evidence": finding_evidence(f),
		"remediation": sprintf("No action needed for this submission; to skip review next time, fix what %s reports at %s.", [f.rule_id, where(f)]),
	}
}

finding_evidence(f) := {
	"rule_id": f.rule_id,
	"file": object.get(f, "file", ""),
	"line": object.get(f, "line", 0),
	"severity": lower(f.severity),
}

where(f) := sprintf("%s:%v", [f.file, f.line]) if {
	f.line > 0
} else := f.file if {
	f.file != ""
} else := "package level"
